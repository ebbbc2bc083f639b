// Exit codes are part of the interface: 0 ok, 1 runtime failure, 2 usage or configuration error,
// 3 a run that ended with the engine's own gates closed.

import { isLivegateError } from '../core/errors.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
/** `run` only: the run ended with the engine's own gates closed (failed closed, or it tripped itself). */
export const EXIT_ENDED_ENGAGED = 3;

const USAGE_CODES = new Set([
  'ERR_CONFIG_INVALID',
  'ERR_CONFIG_UNREADABLE',
  'ERR_USAGE',
  'ERR_TOKEN_UNREADABLE',
  'ERR_DEPENDENCY_MISSING',
  'ERR_LIMITS_LOOSENING_REFUSED',
]);

export function exitCodeFor(error: unknown): number {
  return isLivegateError(error) && USAGE_CODES.has(error.code) ? EXIT_USAGE : EXIT_FAILURE;
}

/** One readable line (or block) on stderr naming the code, the problem and its cause. */
export function describeError(error: unknown): string {
  if (isLivegateError(error)) {
    const cause = error.cause instanceof Error ? `\n  cause: ${error.cause.message}` : '';
    return `livegate: ${error.code}: ${error.message}${cause}`;
  }
  return `livegate: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
}
