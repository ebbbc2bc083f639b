// What a JSONL journal is told at construction, checked once with every problem listed.

import { LivegateError } from '../../core/errors.js';

export interface JsonlJournalSinkOptions {
  readonly directory: string;
  /** Prefix of every event id (`<runId>:<seq>`); unique per run so ids never repeat across runs. */
  readonly runId: string;
  /** Rotate before the current file would grow past this. Default 64 MiB. */
  readonly maxFileBytes?: number;
  /** Rotated files kept; older ones are deleted. Default 10. */
  readonly maxFiles?: number;
  /** Bytes allowed to wait for the disk; beyond it the journal fails rather than exhausting memory. Default 64 MiB. */
  readonly maxBufferedBytes?: number;
  /**
   * Free bytes the journal always leaves on its filesystem, for the kill-switch state beside it:
   * checked with statfs at open (below it, the constructor throws), at each rotation and every
   * 256 KiB written. 0 disables the check. Default 64 MiB.
   */
  readonly reserveBytes?: number;
  /** Problems that cost one event or one rotation while the journal goes on. Default: a process warning. */
  readonly onError?: (error: LivegateError) => void;
  /**
   * Called once when the journal stops for good: a write error (ENOSPC, EIO...), the reserve
   * reached, or events it had to drop. Every later event is dropped and counted. Default: onError.
   */
  readonly onFailure?: (error: LivegateError) => void;
}

export function validateOptions(options: JsonlJournalSinkOptions): void {
  const problems: string[] = [];
  for (const key of ['directory', 'runId'] as const) {
    if (typeof options[key] !== 'string' || options[key] === '') {
      problems.push(`${key}: must be a non-empty string`);
    }
  }
  const { reserveBytes } = options;
  if (reserveBytes !== undefined && !(Number.isSafeInteger(reserveBytes) && reserveBytes >= 0)) {
    problems.push('reserveBytes: must be an integer >= 0');
  }
  for (const key of ['maxFileBytes', 'maxBufferedBytes'] as const) {
    const value = options[key];
    if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) {
      problems.push(`${key}: must be a positive integer`);
    }
  }
  const { maxFiles, onError, onFailure } = options;
  if (maxFiles !== undefined && !(Number.isSafeInteger(maxFiles) && maxFiles >= 0)) {
    problems.push('maxFiles: must be an integer >= 0');
  }
  if (onError !== undefined && typeof onError !== 'function') {
    problems.push('onError: must be a function');
  }
  if (onFailure !== undefined && typeof onFailure !== 'function') {
    problems.push('onFailure: must be a function');
  }
  if (problems.length > 0) {
    throw new LivegateError(
      'ERR_CONFIG_INVALID',
      `invalid journal options:\n${problems.join('\n')}`,
      {
        details: { issues: problems },
      },
    );
  }
}
