// How one engine event travels to Kafka and NATS: a versioned envelope with an id, a key and a criticality.

import type { LivegateEvent, LivegateEventType } from '../../core/events.js';

/** Never dropped: the audit trail of the kill switch, risk breaches, a lost journal and run boundaries. */
export const CRITICAL_EVENT_TYPES: ReadonlySet<LivegateEventType> = new Set([
  'KillSwitchChanged',
  'KillSwitchFailedClosed',
  'JournalFailed',
  'RiskLimitBreached',
  'RunStarted',
  'RunStopped',
]);

/** One event as the brokers see it; `payload` is `{"v":1,"id":"<runId>:<seq>","seq":n,...event}`. */
export interface QueuedEvent {
  readonly seq: number;
  readonly id: string;
  readonly type: LivegateEventType;
  readonly engineId: string;
  /** `<engineId>/<symbol>`, or `<engineId>` for events without a symbol: the unit of ordering. */
  readonly key: string;
  readonly critical: boolean;
  readonly payload: string;
  readonly bytes: number;
}

/** Bigger than this, an event could never be sent and would block every event behind it. */
export const MAX_EVENT_BYTES = 256 * 1024;

/** The versioned envelope and its routing facts; throws when the event cannot be sent at all. */
export function toQueuedEvent(event: LivegateEvent, runId: string, seq: number): QueuedEvent {
  const id = `${runId}:${seq}`;
  let body: string;
  try {
    body = JSON.stringify(event);
  } catch (error) {
    throw new Error(`cannot be serialised: ${messageOf(error)}`, { cause: error });
  }
  const payload = `{"v":1,"id":${JSON.stringify(id)},"seq":${seq}${body.length > 2 ? `,${body.slice(1)}` : '}'}`;
  const bytes = Buffer.byteLength(payload);
  if (bytes > MAX_EVENT_BYTES) throw new Error(`is ${bytes} bytes, over ${MAX_EVENT_BYTES}`);
  const symbol = symbolOf(event);
  return {
    seq,
    id,
    type: event.type,
    engineId: event.engineId,
    key: symbol === undefined ? event.engineId : `${event.engineId}/${symbol}`,
    critical: CRITICAL_EVENT_TYPES.has(event.type),
    payload,
    bytes,
  };
}

/** The symbol an event is about, so all events of one instrument share a key (and an order). */
function symbolOf(event: LivegateEvent): string | undefined {
  switch (event.type) {
    case 'TickBlocked':
    case 'OrderDenied':
      return event.symbol;
    case 'OrderSubmitted':
      return event.order.symbol;
    case 'OrderFilled':
      return event.fill.symbol;
    case 'StrategyFailed':
      return event.tick.symbol;
    case 'VenueReported':
      return event.symbol;
    case 'RunStarted':
    case 'RunStopped':
    case 'OrderRejected':
    case 'OrderDone':
    case 'OrdersCancelled':
    case 'KillSwitchChanged':
    case 'KillSwitchFailedClosed':
    case 'BrokerFailed':
    case 'RiskLimitBreached':
    case 'RiskLimitApproached':
    case 'TradingWindowChanged':
    case 'JournalFailed':
    case 'Heartbeat':
    case 'RiskStateRecorded':
    case 'RiskStateRestored':
    case 'LimitsApplied':
    case 'LimitsApplyFailed':
    case 'VenuePositionsAdopted':
    case 'EarlierOrderCancelled':
      return undefined;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
