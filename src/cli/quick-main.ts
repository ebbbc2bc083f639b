#!/usr/bin/env node
// The `livegate` command's first module. A plain kill/reduce/reset/status (quick-command-line.ts)
// runs from one bundled file holding everything it uses (each file Node 20 loads costs ~0.4 ms);
// anything else loads the full CLI (main.ts, bundled apart as livegate-full.js).

import module from 'node:module';

// Node 22.1+ caches compiled code on disk (a no-op on Node 20): before anything else is loaded.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

/** The commands quick-command-line.ts may read without commander. */
const QUICK_COMMANDS: ReadonlySet<string> = new Set(['kill', 'reduce', 'reset', 'status']);

/** A module of the full CLI's bundle, resolved at run time (the quick bundle keeps it external). */
const FULL_COMMAND_LINE = './livegate-full.js';

if (
  !QUICK_COMMANDS.has(process.argv[2] ?? '') ||
  !(await import('./quick-command.js')).ranQuickly()
) {
  await import(FULL_COMMAND_LINE);
}
