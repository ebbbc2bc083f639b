// One registry of error codes; docs/errors.md lists them and a test keeps the two in step.

export const ERROR_CODES = {
  ERR_CONFIG_INVALID: 'The configuration file or an override is invalid',
  ERR_CONFIG_UNREADABLE: 'The configuration file cannot be read or parsed',
  ERR_USAGE: 'A command was called with bad arguments',
  ERR_STATE_UNREADABLE: 'The kill-switch state exists but cannot be read or parsed',
  ERR_STATE_WRITE_FAILED: 'A kill-switch change could not be made durable',
  ERR_TRANSITION_REFUSED: 'A kill-switch change is not allowed from the current state',
  ERR_CONFIRM_TIMEOUT: 'Some running engines did not confirm a kill-switch revision in time',
  ERR_VENUE_UNCONFIRMED:
    'A kill could not confirm a venue flat (orders still open, or unreachable)',
  ERR_FEED_FAILED: 'The market feed failed and the run stopped',
  ERR_FEED_BAD_TICK: 'A tick from the feed is malformed',
  ERR_STRATEGY_LOAD_FAILED: 'A strategy module cannot be loaded',
  ERR_BROKER_FAILED: 'The broker rejected or failed a call',
  ERR_JOURNAL_FAILED: 'The event journal cannot be written',
  ERR_JOURNAL_CORRUPT:
    'The engine journal has a corrupt line, so its risk state cannot be restored (or replayed by limits what-if)',
  ERR_DRILL_FAILED: 'A drill scenario did not produce the expected safety outcome',
  ERR_HTTP_FAILED: 'The control API could not start (address in use, bad host)',
  ERR_GATEWAY_LISTEN_FAILED:
    'The dial-in gateway listener could not start (address in use, bad host, unreadable TLS files)',
  ERR_TOKEN_UNREADABLE: 'A configured token file cannot be read or is empty',
  ERR_ALERT_FAILED: 'An alert could not be delivered to its webhook',
  ERR_STORE_UNREACHABLE: 'The shared kill-switch store cannot be reached',
  ERR_STORE_ERROR: 'The kill-switch store answers, but with errors instead of a valid state',
  ERR_ENGINE_ID_IN_USE: 'Another running engine reports under this engine id',
  ERR_STATE_MISSING: 'No kill-switch state exists at the store (never initialised, or lost)',
  ERR_DEPENDENCY_MISSING: 'An optional package the configured adapter needs is not installed',
  ERR_LIMITS_LOOSENING_REFUSED:
    'A limits change loosens a limit without the authority to (CLI --loosen, HTTP admin token)',
  ERR_LIMITS_UNCONFIRMED: 'Some running engines did not confirm a limits revision in time',
  ERR_LIMITS_ROLLBACK:
    "The limits store's latest revision is older than the one an engine enforces (restored from a snapshot)",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class LivegateError extends Error {
  override readonly name = 'LivegateError';
  readonly code: ErrorCode;
  /** Extra machine-readable facts (paths, line numbers, engine ids). */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details;
  }
}

export function isLivegateError(error: unknown, code?: ErrorCode): error is LivegateError {
  return error instanceof LivegateError && (code === undefined || error.code === code);
}

/**
 * A kill-switch change the store's primary took but too few replicas acknowledged in time: it is
 * in force (engines read the primary) but a failover could lose it, so it must not be called done.
 */
export function isPrimaryOnlyWrite(error: unknown): error is LivegateError {
  return (
    isLivegateError(error, 'ERR_STATE_WRITE_FAILED') &&
    error.details?.['durability'] === 'primary-only'
  );
}

/**
 * A venue call another round cannot help: the venue itself ended the kill's session (its Logout
 * on a logged-on session, or sequence numbers it refuses). A kill's read-back stops at it.
 */
export function finalVenueError(message: string): LivegateError {
  return new LivegateError('ERR_BROKER_FAILED', message, { details: { final: true } });
}

export function isFinalVenueError(error: unknown): error is LivegateError {
  return isLivegateError(error, 'ERR_BROKER_FAILED') && error.details?.['final'] === true;
}
