// zod without its JIT, for commands that validate each schema once or twice and exit.

import * as z from 'zod';

/**
 * zod compiles a parser for each object schema on its first use, which costs a one-shot command
 * more (~15 ms for the config alone) than it saves. Its own module so that the bundle still
 * tree-shakes zod: a dynamic `import('zod')` would keep every export.
 */
export function useZodWithoutJit(): void {
  z.config({ jitless: true });
}
