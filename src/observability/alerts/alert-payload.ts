// Which engine events an operator is alerted about, as Slack-compatible JSON: one readable line
// in `text` and the structured facts in `livegate`, so machine receivers need not parse the text.

import type {
  BrokerFailed,
  JournalFailed,
  KillSwitchChanged,
  KillSwitchFailedClosed,
  LivegateEvent,
  RiskLimitApproached,
  RiskLimitBreached,
} from '../../core/events.js';
import type { KillSwitchOrigin, KillSwitchState } from '../../core/kill-switch-record.js';
import type { RiskAction } from '../../core/risk-snapshot.js';

interface AlertFieldsBase {
  readonly engineId: string;
  /** ISO-8601 UTC of the event, or null when the event carried no valid time. */
  readonly time: string | null;
}

export interface KillSwitchChangedAlert extends AlertFieldsBase {
  readonly type: 'KillSwitchChanged';
  readonly previousState: KillSwitchState;
  /** What the record says. */
  readonly state: KillSwitchState;
  /** What the gates enforce: ENGAGED while failing closed even if the record says otherwise. */
  readonly enforcedState: KillSwitchState;
  readonly revision: number;
  readonly by: string;
  readonly trigger: string;
  readonly reason: string;
  readonly host: string;
  /** When the record was written (ISO-8601 UTC). */
  readonly at: string;
  readonly origin?: KillSwitchOrigin;
}

export interface KillSwitchFailedClosedAlert extends AlertFieldsBase {
  readonly type: 'KillSwitchFailedClosed';
  readonly trigger: string;
  readonly errorCode: string;
  readonly message: string;
}

export interface RiskLimitBreachedAlert extends AlertFieldsBase {
  readonly type: 'RiskLimitBreached';
  readonly rule: string;
  readonly action: RiskAction;
  readonly value: number;
  readonly threshold: number;
  readonly message: string;
}

export interface RiskLimitApproachedAlert extends AlertFieldsBase {
  readonly type: 'RiskLimitApproached';
  readonly rule: string;
  readonly action: RiskAction;
  readonly level: number;
  readonly value: number;
  readonly threshold: number;
  readonly utilization: number;
  readonly message: string;
}

export interface JournalFailedAlert extends AlertFieldsBase {
  readonly type: 'JournalFailed';
  readonly action: 'engage' | 'alert';
  readonly errorCode: string;
  readonly message: string;
}

export interface CancelAllFailedAlert extends AlertFieldsBase {
  readonly type: 'BrokerFailed';
  readonly operation: 'cancel-all-on-engage';
  readonly attempt: number;
  readonly message: string;
}

export type AlertFields =
  | KillSwitchChangedAlert
  | KillSwitchFailedClosedAlert
  | RiskLimitBreachedAlert
  | RiskLimitApproachedAlert
  | JournalFailedAlert
  | CancelAllFailedAlert;

export interface AlertPayload {
  /** One line for people (Slack mrkdwn, with `&`, `<`, `>` escaped). */
  readonly text: string;
  readonly livegate: AlertFields;
}

/** The alert for an event, or null when the event is not worth waking an operator for. */
export function alertPayloadFor(event: LivegateEvent, engineId: string): AlertPayload | null {
  switch (event.type) {
    case 'KillSwitchChanged':
      return killSwitchChangedAlert(event, engineId);
    case 'KillSwitchFailedClosed':
      return killSwitchFailedClosedAlert(event, engineId);
    case 'RiskLimitBreached':
      return riskLimitBreachedAlert(event, engineId);
    case 'RiskLimitApproached':
      return riskLimitApproachedAlert(event, engineId);
    case 'JournalFailed':
      return journalFailedAlert(event, engineId);
    case 'BrokerFailed':
      return event.operation === 'cancel-all-on-engage'
        ? cancelAllFailedAlert(event, engineId)
        : null;
    case 'RunStarted':
    case 'RunStopped':
    case 'TickBlocked':
    case 'OrderDenied':
    case 'OrderSubmitted':
    case 'OrderFilled':
    case 'OrderRejected':
    case 'OrderDone':
    case 'OrdersCancelled':
    case 'StrategyFailed':
    case 'Heartbeat':
    case 'RiskStateRecorded':
    case 'RiskStateRestored':
    case 'LimitsApplied':
    case 'LimitsApplyFailed':
    case 'VenuePositionsAdopted':
    case 'EarlierOrderCancelled':
    case 'TradingWindowChanged':
    case 'VenueReported':
      // A window's close is routine (its denials are counted); a venue outage that matters trips a risk rule, and that breach is what alerts.
      return null;
  }
}

/** Alerts that say the engine now blocks trading: kept in preference when the queue overflows. */
export function isEngagedAlert(payload: AlertPayload): boolean {
  const fields = payload.livegate;
  if (fields.type === 'KillSwitchFailedClosed') return true;
  if (fields.type === 'JournalFailed') return fields.action === 'engage';
  return fields.type === 'KillSwitchChanged' && fields.enforcedState === 'ENGAGED';
}

const STATE_EMOJI: Readonly<Record<KillSwitchState, string>> = {
  ENGAGED: ':rotating_light:',
  REDUCING: ':warning:',
  SAFE: ':white_check_mark:',
};

function killSwitchChangedAlert(event: KillSwitchChanged, engineId: string): AlertPayload {
  const { record, previousState, enforcedState } = event;
  const failingClosed =
    record.state === enforcedState ? '' : ` (record says ${record.state}; failing closed)`;
  const text =
    `${STATE_EMOJI[enforcedState]} livegate ${engineId}: kill switch ${enforcedState} ` +
    `(rev ${record.revision}, was ${previousState}) by ${record.by} via ${record.trigger}: ` +
    `${record.reason}${failingClosed}`;
  return {
    text: escapeMrkdwn(text),
    livegate: {
      type: 'KillSwitchChanged',
      engineId,
      time: isoTime(event.time),
      previousState,
      state: record.state,
      enforcedState,
      revision: record.revision,
      by: record.by,
      trigger: record.trigger,
      reason: record.reason,
      host: record.host,
      at: record.at,
      ...(record.origin === undefined ? {} : { origin: record.origin }),
    },
  };
}

function killSwitchFailedClosedAlert(
  event: KillSwitchFailedClosed,
  engineId: string,
): AlertPayload {
  const text =
    `${STATE_EMOJI.ENGAGED} livegate ${engineId}: kill switch failing closed (ENGAGED, ` +
    `trigger ${event.trigger}) after ${event.errorCode}: ${event.message}`;
  return {
    text: escapeMrkdwn(text),
    livegate: {
      type: 'KillSwitchFailedClosed',
      engineId,
      time: isoTime(event.time),
      trigger: event.trigger,
      errorCode: event.errorCode,
      message: event.message,
    },
  };
}

function riskLimitBreachedAlert(event: RiskLimitBreached, engineId: string): AlertPayload {
  const emoji = event.action === 'alert' ? ':warning:' : STATE_EMOJI.ENGAGED;
  const text =
    `${emoji} livegate ${engineId}: risk rule ${event.rule} breached ` +
    `(${event.value} vs limit ${event.threshold}, action ${event.action}): ${event.message}`;
  return {
    text: escapeMrkdwn(text),
    livegate: {
      type: 'RiskLimitBreached',
      engineId,
      time: isoTime(event.time),
      rule: event.rule,
      action: event.action,
      value: event.value,
      threshold: event.threshold,
      message: event.message,
    },
  };
}

function riskLimitApproachedAlert(event: RiskLimitApproached, engineId: string): AlertPayload {
  const text =
    `:warning: livegate ${engineId}: risk rule ${event.rule} at ${Math.round(event.level * 100)} % ` +
    `of its limit (${event.value} of ${event.threshold}; at 100 %: ${event.action}): ${event.message}`;
  return {
    text: escapeMrkdwn(text),
    livegate: {
      type: 'RiskLimitApproached',
      engineId,
      time: isoTime(event.time),
      rule: event.rule,
      action: event.action,
      level: event.level,
      value: event.value,
      threshold: event.threshold,
      utilization: event.utilization,
      message: event.message,
    },
  };
}

function journalFailedAlert(event: JournalFailed, engineId: string): AlertPayload {
  const consequence =
    event.action === 'engage'
      ? 'kill switch engaged (journal.onFailure: engage)'
      : 'still trading WITHOUT an audit trail (journal.onFailure: alert)';
  const text =
    `${event.action === 'engage' ? STATE_EMOJI.ENGAGED : ':warning:'} livegate ${engineId}: ` +
    `journal stopped, ${consequence}: ${event.message}`;
  return {
    text: escapeMrkdwn(text),
    livegate: {
      type: 'JournalFailed',
      engineId,
      time: isoTime(event.time),
      action: event.action,
      errorCode: event.errorCode,
      message: event.message,
    },
  };
}

function cancelAllFailedAlert(event: BrokerFailed, engineId: string): AlertPayload {
  const attempt = event.attempt ?? 1;
  const text =
    `${STATE_EMOJI.ENGAGED} livegate ${engineId}: the kill's cancel-all failed ` +
    `(attempt ${attempt}, retrying): orders may still be working at the venue: ${event.message}`;
  return {
    text: escapeMrkdwn(text),
    livegate: {
      type: 'BrokerFailed',
      engineId,
      time: isoTime(event.time),
      operation: 'cancel-all-on-engage',
      attempt,
      message: event.message,
    },
  };
}

/** toISOString throws on an invalid date, and building an alert must never throw. */
function isoTime(epochMs: number): string | null {
  return Number.isFinite(epochMs) && Math.abs(epochMs) <= 8.64e15
    ? new Date(epochMs).toISOString()
    : null;
}

/**
 * Reasons are free text from operators and HTTP callers; unescaped, `<!channel>` or `<url|label>`
 * in one would ping a whole channel or disguise a link in the alert.
 */
function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
