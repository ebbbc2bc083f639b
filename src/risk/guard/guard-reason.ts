// The audit reason of a guard's trip: what was over which limit, and each engine's share, within
// the audit trail's 500 characters (the guard's event line on stdout keeps the full list).

import { MAX_REASON_LENGTH } from '../../core/audit-text.js';
import type { Aggregate, Contribution, Measure } from './desk-aggregate.js';

export function guardReason(
  scope: string,
  currency: string,
  breached: readonly Measure[],
  sum: Aggregate,
): string {
  const what = [
    ...breached.map(
      (measure) =>
        `${measure.rule} ${figure(measure.value)} ${measure.rule.startsWith('position:') || measure.rule === 'orderRate' ? '>' : '>='} limit ${figure(measure.limit)}`,
    ),
    ...sum.problems,
  ].join(', ');
  const head = `risk-guard: ${scope} ${what} (${currency}, ${sum.contributions.length} engines):`;
  // Biggest losers first: they are what an officer looks for.
  const shares = [...sum.contributions].sort((a, b) => a.dailyPnl - b.dailyPnl).map(share);
  let reason = head;
  let listed = 0;
  for (const text of shares) {
    const more = shares.length - listed - 1;
    const tail = more > 0 ? `; +${more} more` : '';
    if (reason.length + text.length + tail.length + 2 > MAX_REASON_LENGTH) break;
    reason += `${listed === 0 ? ' ' : '; '}${text}`;
    listed++;
  }
  if (listed < shares.length) reason += `; +${shares.length - listed} more`;
  return reason.slice(0, MAX_REASON_LENGTH);
}

function share(contribution: Contribution): string {
  const age = `${(contribution.ageMs / 1_000).toFixed(1)}s old`;
  const standing =
    contribution.standing === 'reporting' ? age : `${contribution.standing}, last report ${age}`;
  if (contribution.noRiskFigures === true)
    return `${contribution.engineId} no risk figures (${standing})`;
  return `${contribution.engineId} pnl ${figure(contribution.dailyPnl)} exp ${figure(contribution.grossExposure)} (${standing})`;
}

function figure(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}
