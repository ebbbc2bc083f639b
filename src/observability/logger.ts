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

export function createLogger(options: LoggerOptions): Logger {
  const destination =
    options.destination === 'stdout'
      ? pino.destination({ dest: 1, sync: false })
      : openFileDestination(options.destination);
  return pino(
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
