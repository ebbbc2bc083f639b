// The last venue receipt of a kill, kept in the state dir so `livegate status` can show it.

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { VenueReceipt } from '../killswitch/venue-confirmation.js';

/** What a kill's venue step did: skipped, nothing to do, or one receipt per venue. */
export interface VenueKillOutcome {
  /** Epoch ms (ISO) the kill was written, or attempted when the store could not take it. */
  readonly killWrittenAt: string;
  /** Why no venue was reached (`--no-venues`, a paper config), if none was. */
  readonly skipped?: string;
  /** Every venue confirmed flat (true when none was to be reached). */
  readonly ok: boolean;
  readonly receipts: readonly VenueReceipt[];
}

const FILE_NAME = 'venue-receipt.json';

export async function writeVenueReceipt(
  stateDirectory: string,
  outcome: VenueKillOutcome,
): Promise<void> {
  await mkdir(stateDirectory, { recursive: true });
  const file = path.join(stateDirectory, FILE_NAME);
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(outcome, null, 2)}\n`);
  await rename(temporary, file);
}

/** The last receipt, or null when no kill has reached a venue from this state dir. */
export async function readVenueReceipt(stateDirectory: string): Promise<VenueKillOutcome | null> {
  let text: string;
  try {
    text = await readFile(path.join(stateDirectory, FILE_NAME), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return JSON.parse(text) as VenueKillOutcome;
}
