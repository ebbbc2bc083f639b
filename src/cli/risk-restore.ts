// The audit line of a restart: what an engine took over from its journal, as a RiskStateRestored.

import { systemClock, type Clock } from '../core/clock.js';
import type { RiskStateRestored } from '../core/events.js';
import type { RiskState } from '../core/risk-state.js';
import type { RiskSnapshot } from '../core/risk-snapshot.js';
import type { JournalRiskState } from './journal-risk-state.js';

export function restoredEvent(
  found: JournalRiskState,
  state: RiskState,
  today: string,
  engineId: string,
  snapshot: RiskSnapshot | undefined,
  clock: Clock = systemClock,
): RiskStateRestored {
  const sameTradingDay = found.state !== null && found.state.tradingDay === today;
  const where =
    found.from === null
      ? 'no recorded risk state in the journal (fills replayed from its start)'
      : `risk state recorded at ${new Date(found.from.time).toISOString()} (${found.from.file}, seq ${found.from.seq})`;
  const positions =
    state.positions.length === 0
      ? 'flat'
      : state.positions.map((p) => `${p.symbol} ${p.quantity} @ ${p.averagePrice}`).join(', ');
  const money = (value: number) => value.toFixed(2);
  const figures =
    snapshot === undefined
      ? ''
      : `; daily PnL ${money(snapshot.dailyPnl)} (trading day ${today}${sameTradingDay ? ', carried over' : ', new day'}), equity peak ${money(snapshot.equityPeak)}, drawdown ${money(snapshot.drawdown)}`;
  const rules =
    state.openRules.length === 0 ? '' : `; rules still tripped: ${state.openRules.join(', ')}`;
  const later = found.fills.length === 0 ? '' : `; ${found.fills.length} later fills replayed`;
  const torn = found.tornLines === 0 ? '' : `; ${found.tornLines} torn last line skipped`;
  return {
    type: 'RiskStateRestored',
    time: clock.now(),
    engineId,
    from: found.from,
    fillsReplayed: found.fills.length,
    tornLines: found.tornLines,
    sameTradingDay,
    state,
    message: `restart: restored from ${where}: positions ${positions}${figures}${rules}${later}${torn}`,
  };
}
