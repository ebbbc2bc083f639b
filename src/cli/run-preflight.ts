// What `livegate run` can tell is wrong before anything starts: a flag that does not fit the feed,
// a CSV that is missing or empty, a state dir that cannot be written, a FIX venue its kill could
// not reach. Found later, these looked like journal or feed failures of a run already started.

import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import type { LivegateConfig } from '../config/schema.js';
import { fixKillSessionProblem } from '../config/venue-schema.js';
import { LivegateError } from '../core/errors.js';
import { resolveDeskView } from '../risk/desk/desk-view-options.js';

export async function checkBeforeRun(
  config: LivegateConfig,
  options: { readonly strict?: boolean },
): Promise<void> {
  if (options.strict === true && config.feed.kind !== 'csv') {
    throw new LivegateError(
      'ERR_USAGE',
      `--strict applies to the csv feed only (this run's feed is ${config.feed.kind})`,
    );
  }
  // Before any store opens: a desk view bound not above its listing interval is a config error.
  resolveDeskView(config.risk.deskView, config.engine.heartbeatIntervalMs);
  // Only `run` refuses it: a kill with such a config still engages, and says the venue is not reached.
  const killSession = fixKillSessionProblem(config.broker.kind, config.fix);
  if (killSession !== undefined) {
    throw new LivegateError(
      'ERR_CONFIG_INVALID',
      `${killSession}; required to run with broker.kind fix, so that \`livegate kill\` can reach the venue`,
    );
  }
  await checkStateDir(config.stateDir);
  if (config.feed.kind === 'csv' && config.feed.csv.path !== null)
    await checkCsv(config.feed.csv.path);
}

async function checkStateDir(directory: string): Promise<void> {
  try {
    await mkdir(directory, { recursive: true });
    if (!(await stat(directory)).isDirectory()) throw new Error('not a directory');
    await access(directory, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw new LivegateError(
      'ERR_USAGE',
      `state dir ${directory} is not a writable directory (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): pass --state-dir or set LIVEGATE_STATE_DIR`,
      { cause: error },
    );
  }
}

async function checkCsv(file: string): Promise<void> {
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error('not a regular file');
    size = info.size;
    await access(file, constants.R_OK);
  } catch (error) {
    throw new LivegateError(
      'ERR_FEED_FAILED',
      `CSV file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); nothing was started`,
      { cause: error },
    );
  }
  if (size === 0) {
    throw new LivegateError('ERR_FEED_FAILED', `CSV file ${file} is empty: no ticks to replay`);
  }
}
