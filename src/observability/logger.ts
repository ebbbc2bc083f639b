// JSON logs through pino: to stdout when nobody watches a terminal, to a file under the state dir when one does.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  readonly level: string;
  /** `stdout`, or a file path (its directory is created). */
  readonly destination: string;
  readonly engineId?: string;
}

/** File destinations, so a SIGHUP can reopen them after logrotate renamed the file. */
const fileDestinations = new WeakMap<Logger, ReturnType<typeof pino.destination>>();

export function createLogger(options: LoggerOptions): Logger {
  const toFile = options.destination !== 'stdout';
  const destination = toFile
    ? openFileDestination(options.destination)
    : pino.destination({ dest: 1, sync: false });
  const logger = pino(
    {
      level: options.level,
      base:
        options.engineId === undefined
          ? { pid: process.pid }
          : { engineId: options.engineId, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  if (toFile) fileDestinations.set(logger, destination);
  return logger;
}

/**
 * SIGHUP reopens the log file at its path (logrotate renames it, then signals): lines buffered
 * before the signal go to the renamed file, later ones to the new file, none are lost. Returns
 * the remover; does nothing for a logger that writes to stdout.
 */
export function reopenLogFileOnHangup(logger: Logger): () => void {
  const destination = fileDestinations.get(logger);
  if (destination === undefined) return () => undefined;
  const reopen = (): void => {
    destination.reopen();
    logger.info('log file reopened (SIGHUP)');
  };
  process.on('SIGHUP', reopen);
  return () => process.off('SIGHUP', reopen);
}

function openFileDestination(filePath: string): ReturnType<typeof pino.destination> {
  mkdirSync(path.dirname(filePath), { recursive: true });
  return pino.destination({ dest: filePath, sync: false, mkdir: true });
}

/** Flushes buffered log lines; resolves even if the destination is already closed. */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    try {
      logger.flush(() => resolve());
    } catch {
      resolve();
    }
  });
}
