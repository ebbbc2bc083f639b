// A kill's venue step: to each configured venue directly (no engine needed), cancel-all and read
// back until flat, then a receipt per venue, kept in the state dir for `livegate status`.

import type { LivegateConfig } from '../config/schema.js';
import { createKillVenues, type KillVenue } from '../adapters/kill-venues.js';
import { messageOf } from '../core/message-of.js';
import { GLOBAL_SCOPE } from '../core/scopes.js';
import { confirmVenueFlat, type VenueReceipt } from '../killswitch/venue-confirmation.js';
import { settleBefore } from '../core/settle-before.js';

/** Past --timeout, what a venue's last round and reads get before the kill gives up on it. */
const HARD_BOUND_SLACK_MS = 2_000;

/** How long a venue session gets to close after its receipt. */
const CLOSE_WAIT_MS = 500;
import { writeVenueReceipt, type VenueKillOutcome } from './venue-receipt-file.js';

export interface VenueStepOptions {
  /** `--no-venues`. */
  readonly skip: boolean;
  /** Epoch ms the kill was written (or attempted). */
  readonly killWrittenAt: number;
  readonly timeoutMs: number;
  /** The scope the kill was written to: only a global kill reaches the venues (see below). */
  readonly scope?: string;
  /** The config's venue sections were invalid and set aside: no venue can be reached. */
  readonly invalidVenueConfig?: string;
}

/** Reaches every venue at once; never rejects (a venue that fails is a receipt that says so). */
export async function runVenueStep(
  config: LivegateConfig,
  options: VenueStepOptions,
): Promise<VenueKillOutcome> {
  const startedAt = performance.now();
  const killWrittenAt = new Date(options.killWrittenAt).toISOString();
  if (options.skip) return { killWrittenAt, skipped: '--no-venues', ok: true, receipts: [] };
  // A venue's cancel-all takes the whole account (or all of livegate's orders on it): a desk or
  // engine kill leaves it to the engines under that scope, which cancel their own orders.
  if (options.scope !== undefined && options.scope !== GLOBAL_SCOPE) {
    const skipped = `scope ${options.scope}: the venue step cancels whole accounts, so only a global kill takes it; the engines under ${options.scope} cancel their own orders`;
    return { killWrittenAt, skipped, ok: true, receipts: [] };
  }
  if (options.invalidVenueConfig !== undefined) {
    const problem = `the config's venue settings are invalid, so no venue could be reached: ${options.invalidVenueConfig}`;
    return finish(config, {
      killWrittenAt,
      ok: false,
      receipts: [failedReceipt('config', problem, startedAt)],
    });
  }
  if (config.broker.kind === 'paper') {
    return { killWrittenAt, skipped: 'no venues configured', ok: true, receipts: [] };
  }
  let venues: KillVenue[];
  try {
    venues = await createKillVenues(config);
  } catch (error) {
    const receipt = failedReceipt(config.broker.kind, messageOf(error), startedAt);
    return finish(config, { killWrittenAt, ok: false, receipts: [receipt] });
  }
  const receipts = await Promise.all(
    venues.map(async (venue) => {
      try {
        const confirming = confirmVenueFlat(venue.canceller, {
          scope: venue.scope,
          killWrittenAt: options.killWrittenAt,
          startedAt,
          timeoutMs: options.timeoutMs,
          ...(venue.credentials === undefined ? {} : { credentials: venue.credentials }),
        });
        // A venue that never answers (a silent FIX logon, a hung HTTP call) must not hold the
        // kill past --timeout: cut off at the timeout plus the last round's reads.
        const cutOff = startedAt + options.timeoutMs + HARD_BOUND_SLACK_MS;
        return await settleBefore(confirming, cutOff, () => new Error('cut off')).catch(
          (error: unknown) => ({
            ...failedReceipt(
              venue.canceller.name,
              `no answer within ${options.timeoutMs} ms (${messageOf(error)})`,
              startedAt,
            ),
            scope: venue.scope,
            ...(venue.credentials === undefined ? {} : { credentials: venue.credentials }),
          }),
        );
      } finally {
        // A session that never came up may never close either (a silent FIX venue): not waited on.
        await settleBefore(
          venue.canceller.close(),
          performance.now() + CLOSE_WAIT_MS,
          () => new Error('close'),
        ).catch(() => undefined);
      }
    }),
  );
  const ok = receipts.every((receipt) => receipt.confirmed);
  return finish(config, { killWrittenAt, ok, receipts });
}

async function finish(
  config: LivegateConfig,
  outcome: VenueKillOutcome,
): Promise<VenueKillOutcome> {
  try {
    await writeVenueReceipt(config.stateDir, outcome);
  } catch (error) {
    process.stderr.write(`livegate: the venue receipt could not be kept: ${messageOf(error)}\n`);
  }
  return outcome;
}

function failedReceipt(venue: string, problem: string, startedAt: number): VenueReceipt {
  return {
    venue,
    scope: 'account',
    confirmed: false,
    cancelled: 0,
    stillOpen: [],
    leftOpen: 0,
    racedFills: null,
    positions: null,
    afterMs: performance.now() - startedAt,
    rounds: 0,
    problem,
  };
}

/** Text lines for `kill` and `status`. */
export function formatVenueOutcome(outcome: VenueKillOutcome): string[] {
  if (outcome.skipped !== undefined) return [`venues: ${outcome.skipped}`];
  const lines = [`venues (cancel-all at the market, read back until none open):`];
  for (const receipt of outcome.receipts) lines.push(...formatReceipt(receipt));
  return lines;
}

function formatReceipt(receipt: VenueReceipt): string[] {
  const verdict = receipt.confirmed
    ? `FLAT ${receipt.afterMs.toFixed(1)} ms after the kill`
    : `NOT CONFIRMED after ${receipt.afterMs.toFixed(1)} ms`;
  const lines = [
    `  ${receipt.venue}: ${verdict} (scope ${receipt.scope}, ${receipt.cancelled} cancelled, ${receipt.rounds} ${receipt.rounds === 1 ? 'round' : 'rounds'}${receipt.credentials === undefined ? '' : `, credentials ${receipt.credentials}`})`,
  ];
  if (receipt.problem !== undefined) lines.push(`    problem: ${receipt.problem}`);
  lines.push(
    receipt.rounds === 0
      ? '    still open: UNKNOWN (the venue was not reached)'
      : receipt.stillOpen.length === 0
        ? '    still open: none'
        : `    still open: ${receipt.stillOpen.length}`,
  );
  for (const order of receipt.stillOpen) {
    const client = order.clientOrderId === undefined ? '' : ` (client ${order.clientOrderId})`;
    const price = order.price === undefined ? '' : ` @ ${order.price}`;
    lines.push(
      `      ${order.venueOrderId}${client} ${order.side} ${order.quantity} ${order.symbol}${price}`,
    );
  }
  if (receipt.leftOpen > 0) {
    lines.push(`    left open (not livegate's, scope own): ${receipt.leftOpen}`);
  }
  if (receipt.fillsUnread === true)
    lines.push('    fills since the kill: UNKNOWN (the read failed, see problem)');
  else if (receipt.racedFills === null)
    lines.push('    fills since the kill: not listed by this venue');
  else
    lines.push(
      `    fills since the kill: ${receipt.racedFills.length === 0 ? 'none' : receipt.racedFills.length}`,
    );
  for (const fill of receipt.racedFills ?? []) {
    lines.push(
      `      ${fill.tradeId} ${fill.side} ${fill.quantity} ${fill.symbol} @ ${fill.price} at ${new Date(fill.time).toISOString()}`,
    );
  }
  const positions = receipt.positions;
  lines.push(
    positions === null
      ? '    positions: not reported by this venue'
      : `    positions: ${positions.length === 0 ? 'none' : positions.map((p) => `${p.symbol} ${p.quantity}`).join(', ')}`,
  );
  return lines;
}
