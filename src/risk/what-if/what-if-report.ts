// What `livegate limits what-if` found, as data (`--json`) and as text for a terminal.

import type { Side } from '../../core/types.js';
import type { PriceSource } from './journal-scan.js';

/** What a replay cannot know; printed first, in every report. */
export const WHAT_IF_CAVEATS: readonly string[] = [
  'A counterfactual replays the recorded order stream: it cannot know the orders the strategy would have sent (or not) after a different denial, nor the fills an order denied then would have had (it counts as accepted, unfilled).',
  'Orders it would deny, and their fills, are dropped from the replay, so later checks see the positions and P&L those limits would have left.',
  'The journal holds no ticks: mids come from the marks recorded after fills, else fill, denial or limit prices; time-based checks run on the journal timestamps.',
  'Not replayed: staleFeed and eventLoopStall (they need the feed and the process), the trading-window flatten and flattenOnEngage (no market to trade on), and denials by a stale kill-switch lease or an invalid signal; flatten orders the recorded run sent are judged like any other order.',
];

export interface OrderVerdict {
  /** ISO-8601 UTC. */
  readonly time: string;
  readonly symbol: string;
  readonly side: Side;
  readonly quantity: number;
  /** The limit price, or undefined for a market order. */
  readonly price: number | undefined;
  /** The order's id when it was submitted then. */
  readonly orderId?: string;
  /** The code it gets under the proposed limits (null: accepted). */
  readonly code: string | null;
  /** The code it got then (null: accepted then). */
  readonly codeThen: string | null;
  readonly details?: Readonly<Record<string, number | string>>;
  /** The mid it was judged against, and where that came from (none: no price known yet). */
  readonly referencePrice: number | null;
  readonly priceSource: PriceSource | 'none';
}

export interface RuleTrip {
  readonly time: string;
  readonly rule: string;
  readonly action: string;
  readonly value: number;
  readonly threshold: number;
  readonly message: string;
}

export interface WhatIfTotals {
  /** Orders judged again (submitted or denied then). */
  readonly orders: number;
  readonly acceptedThen: number;
  readonly deniedThen: number;
  readonly acceptedNow: number;
  readonly deniedNow: number;
  readonly newlyDenied: number;
  readonly newlyAccepted: number;
  /** Denied both times, with another code now. */
  readonly deniedOtherwise: number;
  /** Denials under the proposed limits, by code. */
  readonly deniedNowByCode: Readonly<Record<string, number>>;
  readonly tripsNow: number;
  readonly tripsThen: number;
  /** Orders not judged again (stale lease, invalid signal). */
  readonly notReplayed: number;
}

export interface WhatIfReport {
  readonly journal: string;
  readonly limits: string;
  /** ISO-8601 of the first and last journal entry; null for a journal without entries. */
  readonly from: string | null;
  readonly to: string | null;
  readonly entries: number;
  readonly runs: number;
  readonly tornLines: number;
  readonly caveats: readonly string[];
  readonly newlyDenied: readonly OrderVerdict[];
  readonly newlyAccepted: readonly OrderVerdict[];
  readonly deniedOtherwise: readonly OrderVerdict[];
  /** Rules that would have tripped under the proposed limits, in time order. */
  readonly tripsNow: readonly RuleTrip[];
  /** Rules that tripped in the recorded run (RiskLimitBreached), for comparison. */
  readonly tripsThen: readonly RuleTrip[];
  readonly totals: WhatIfTotals;
}

/** At most this many orders per list in text; `--json` has them all. */
const TEXT_LIST_LIMIT = 50;

export function formatWhatIfText(report: WhatIfReport): string {
  const { totals } = report;
  const lines = [
    `what-if: ${report.limits} against journal ${report.journal}`,
    `  ${report.entries} entries, ${report.runs} ${report.runs === 1 ? 'run' : 'runs'}, ${report.from ?? '-'} .. ${report.to ?? '-'}${report.tornLines > 0 ? `, ${report.tornLines} torn last line skipped` : ''}`,
    '',
    'What this cannot know:',
    ...report.caveats.map((caveat) => `  - ${caveat}`),
    '',
    `Orders: ${totals.orders} judged again (${totals.acceptedThen} accepted then, ${totals.deniedThen} denied then); under the proposed limits ${totals.acceptedNow} accepted, ${totals.deniedNow} denied.`,
    `  would be denied now: ${totals.newlyDenied}; would pass now: ${totals.newlyAccepted}; denied with another code: ${totals.deniedOtherwise}${totals.notReplayed > 0 ? `; not replayed: ${totals.notReplayed}` : ''}`,
  ];
  const codes = Object.entries(totals.deniedNowByCode);
  if (codes.length > 0) {
    lines.push(`  denials now by code: ${codes.map(([code, n]) => `${code} ${n}`).join(', ')}`);
  }
  lines.push(
    ...orderSection('Accepted then, denied now', report.newlyDenied, 'code'),
    ...orderSection('Denied then, accepted now', report.newlyAccepted, 'codeThen'),
    ...orderSection('Denied then and now, with another code', report.deniedOtherwise, 'code'),
    ...tripSection('Rules that would have tripped', report.tripsNow),
    ...tripSection('Rules that tripped then', report.tripsThen),
  );
  return `${lines.join('\n')}\n`;
}

function orderSection(
  title: string,
  orders: readonly OrderVerdict[],
  shown: 'code' | 'codeThen',
): string[] {
  if (orders.length === 0) return [];
  const lines = ['', `${title} (${orders.length}):`];
  for (const order of orders.slice(0, TEXT_LIST_LIMIT)) {
    const price = order.price === undefined ? 'market' : `@ ${order.price}`;
    const code = shown === 'code' ? order.code : `was ${order.codeThen ?? 'accepted'}`;
    const other = shown === 'code' && order.codeThen !== null ? ` (then ${order.codeThen})` : '';
    const unpriced =
      order.priceSource === 'none' && order.code === 'NO_REFERENCE_PRICE'
        ? ' (no price in the journal yet)'
        : '';
    lines.push(
      `  ${order.time}  ${order.symbol} ${order.side} ${order.quantity} ${price}  ${code ?? 'accepted'}${unpriced}${other}${describeDetails(order.details)}`,
    );
  }
  if (orders.length > TEXT_LIST_LIMIT) {
    lines.push(`  ... and ${orders.length - TEXT_LIST_LIMIT} more (--json lists every one)`);
  }
  return lines;
}

function tripSection(title: string, trips: readonly RuleTrip[]): string[] {
  if (trips.length === 0) return ['', `${title}: none`];
  return [
    '',
    `${title} (${trips.length}):`,
    ...trips.map(
      (trip) =>
        `  ${trip.time}  ${trip.rule} (${trip.action}): value ${round(trip.value)} vs limit ${round(trip.threshold)}`,
    ),
  ];
}

function describeDetails(details: OrderVerdict['details']): string {
  if (details === undefined) return '';
  const { limit, actual } = details;
  if (limit === undefined && actual === undefined) return '';
  return `: ${actual === undefined ? '' : `${round(actual)} `}vs limit ${limit === undefined ? '-' : round(limit)}`;
}

function round(value: number | string): string {
  return typeof value === 'number' ? String(Math.round(value * 1e6) / 1e6) : value;
}
