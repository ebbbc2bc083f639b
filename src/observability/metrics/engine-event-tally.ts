// Facts only the event stream carries (orders by symbol and side, kill-switch changes by trigger,
// the last heartbeat), tallied as events arrive. It runs inside the engine's emit, once per order,
// so it does a comparison or two and a number increment, and allocates once per new symbol only.

import type { LivegateEvent } from '../../core/events.js';
import type { Side } from '../../core/types.js';

export type OrdersBySide = Record<Side, number>;

export class EngineEventTally {
  /** Submitted orders per symbol and side. */
  readonly ordersBySymbol = new Map<string, OrdersBySide>();
  /** KillSwitchChanged events per record trigger (`manual`, `startup`, `risk:<rule>`...). */
  readonly killSwitchChangesByTrigger = new Map<string, number>();
  /** Epoch ms of the latest Heartbeat event, 0 before the first. */
  lastHeartbeatAt = 0;

  record(event: LivegateEvent): void {
    if (event.type === 'OrderSubmitted') {
      const { symbol, side } = event.order;
      const counts = this.ordersBySymbol.get(symbol);
      if (counts === undefined) this.ordersBySymbol.set(symbol, { buy: 0, sell: 0, [side]: 1 });
      else counts[side] += 1;
    } else if (event.type === 'KillSwitchChanged') {
      const trigger = event.record.trigger;
      this.killSwitchChangesByTrigger.set(
        trigger,
        (this.killSwitchChangesByTrigger.get(trigger) ?? 0) + 1,
      );
    } else if (event.type === 'Heartbeat') {
      this.lastHeartbeatAt = event.time;
    }
  }
}
