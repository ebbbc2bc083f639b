// Which events become alerts, and what a person and a machine read in each.

import { describe, expect, it } from 'vitest';
import type { LivegateEvent } from '../../../src/core/events.js';
import type { KillSwitchRecord } from '../../../src/core/kill-switch-record.js';
import {
  alertPayloadFor,
  isEngagedAlert,
} from '../../../src/observability/alerts/alert-payload.js';

const TIME = Date.UTC(2024, 0, 2, 12, 0, 0);
const base = { time: TIME, engineId: 'engine-a' } as const;

function record(overrides: Partial<KillSwitchRecord> = {}): KillSwitchRecord {
  return {
    revision: 7,
    state: 'ENGAGED',
    reason: 'fat finger',
    by: 'alice',
    trigger: 'manual',
    at: '2024-01-02T11:59:59.000Z',
    host: 'desk-1',
    pid: 4242,
    ...overrides,
  };
}

const NOT_ALERTS: readonly LivegateEvent[] = [
  {
    ...base,
    type: 'RunStarted',
    runId: 'run-1',
    feed: 'synthetic',
    strategy: 'periodic',
    broker: 'paper',
    killSwitchStore: 'file',
    state: 'SAFE',
    revision: 1,
  },
  {
    ...base,
    type: 'TickBlocked',
    gate: 1,
    reason: 'KILL_SWITCH_ENGAGED',
    symbol: 'EURUSD',
    revision: 2,
  },
  {
    ...base,
    type: 'OrderDenied',
    gate: 2,
    code: 'KILL_SWITCH_REDUCING',
    symbol: 'EURUSD',
    side: 'buy',
    quantity: 1,
    price: undefined,
    revision: 2,
  },
  { ...base, type: 'OrderRejected', orderId: 'o-1', reason: 'no liquidity' },
  { ...base, type: 'OrdersCancelled', count: 3, reason: 'engaged' },
  { ...base, type: 'BrokerFailed', message: 'down', orderId: undefined, consecutiveErrors: 1 },
];

describe('alertPayloadFor', () => {
  it('says who changed the kill switch, from what to what, and why, in one line', () => {
    const payload = alertPayloadFor(
      {
        ...base,
        type: 'KillSwitchChanged',
        record: record(),
        previousState: 'SAFE',
        enforcedState: 'ENGAGED',
      },
      'engine-a',
    );
    expect(payload?.text).toBe(
      ':rotating_light: livegate engine-a: kill switch ENGAGED (rev 7, was SAFE) by alice via manual: fat finger',
    );
    expect(payload?.livegate).toEqual({
      type: 'KillSwitchChanged',
      engineId: 'engine-a',
      time: '2024-01-02T12:00:00.000Z',
      previousState: 'SAFE',
      state: 'ENGAGED',
      enforcedState: 'ENGAGED',
      revision: 7,
      by: 'alice',
      trigger: 'manual',
      reason: 'fat finger',
      host: 'desk-1',
      at: '2024-01-02T11:59:59.000Z',
    });
  });

  it('carries the origin of a change made through the API, and says when the gates fail closed', () => {
    const origin = { channel: 'http', role: 'operator', address: '10.0.0.9' };
    const payload = alertPayloadFor(
      {
        ...base,
        type: 'KillSwitchChanged',
        record: record({ state: 'SAFE', revision: 9, trigger: 'reset', origin }),
        previousState: 'ENGAGED',
        enforcedState: 'ENGAGED',
      },
      'engine-a',
    );
    expect(payload?.livegate).toMatchObject({ origin, state: 'SAFE', enforcedState: 'ENGAGED' });
    expect(payload?.text).toContain('record says SAFE; failing closed');
  });

  it('escapes Slack control characters so a reason cannot ping a channel or hide a link', () => {
    const payload = alertPayloadFor(
      {
        ...base,
        type: 'KillSwitchChanged',
        record: record({ reason: '<!channel> see <http://evil|docs> & more' }),
        previousState: 'SAFE',
        enforcedState: 'ENGAGED',
      },
      'engine-a',
    );
    expect(payload?.text).toContain('&lt;!channel&gt; see &lt;http://evil|docs&gt; &amp; more');
    // Machines get the reason as written.
    expect(payload?.livegate).toMatchObject({ reason: '<!channel> see <http://evil|docs> & more' });
  });

  it('alerts on a fail-closed switch and on a risk trip with the numbers behind it', () => {
    const failed = alertPayloadFor(
      {
        ...base,
        type: 'KillSwitchFailedClosed',
        trigger: 'state-unreadable',
        errorCode: 'ERR_STATE_UNREADABLE',
        message: 'bad json',
      },
      'engine-a',
    );
    expect(failed?.livegate).toEqual({
      type: 'KillSwitchFailedClosed',
      engineId: 'engine-a',
      time: '2024-01-02T12:00:00.000Z',
      trigger: 'state-unreadable',
      errorCode: 'ERR_STATE_UNREADABLE',
      message: 'bad json',
    });
    expect(failed?.text).toContain('failing closed (ENGAGED, trigger state-unreadable)');

    const breach = alertPayloadFor(
      {
        ...base,
        type: 'RiskLimitBreached',
        rule: 'dailyLoss',
        action: 'engage',
        value: -1200,
        threshold: -1000,
        message: 'daily loss 1200 exceeds 1000',
      },
      'engine-a',
    );
    expect(breach?.livegate).toEqual({
      type: 'RiskLimitBreached',
      engineId: 'engine-a',
      time: '2024-01-02T12:00:00.000Z',
      rule: 'dailyLoss',
      action: 'engage',
      value: -1200,
      threshold: -1000,
      message: 'daily loss 1200 exceeds 1000',
    });
    expect(breach?.text).toContain('risk rule dailyLoss breached');
  });

  it('alerts on a warning before a trip, with the level reached and the action at 100 %', () => {
    const warning = alertPayloadFor(
      {
        ...base,
        type: 'RiskLimitApproached',
        rule: 'dailyLoss',
        action: 'engage',
        level: 0.75,
        value: 800,
        threshold: 1000,
        utilization: 0.8,
        message: 'dailyLoss at 80.0 % of its limit',
      },
      'engine-a',
    );
    expect(warning?.livegate).toEqual({
      type: 'RiskLimitApproached',
      engineId: 'engine-a',
      time: '2024-01-02T12:00:00.000Z',
      rule: 'dailyLoss',
      action: 'engage',
      level: 0.75,
      value: 800,
      threshold: 1000,
      utilization: 0.8,
      message: 'dailyLoss at 80.0 % of its limit',
    });
    expect(warning?.text).toContain('risk rule dailyLoss at 75 % of its limit');
    expect(isEngagedAlert(warning!)).toBe(false);
  });

  it('alerts on a stopped journal, saying whether the engine engaged or trades without an audit trail', () => {
    const journalFailed = (action: 'engage' | 'alert') =>
      alertPayloadFor(
        {
          ...base,
          type: 'JournalFailed',
          action,
          errorCode: 'ERR_JOURNAL_FAILED',
          message: 'cannot write journal.jsonl: ENOSPC',
        },
        'engine-a',
      );
    const engaged = journalFailed('engage');
    expect(engaged?.livegate).toEqual({
      type: 'JournalFailed',
      engineId: 'engine-a',
      time: '2024-01-02T12:00:00.000Z',
      action: 'engage',
      errorCode: 'ERR_JOURNAL_FAILED',
      message: 'cannot write journal.jsonl: ENOSPC',
    });
    expect(engaged?.text).toContain('kill switch engaged');
    expect(engaged !== null && isEngagedAlert(engaged)).toBe(true);
    const alerted = journalFailed('alert');
    expect(alerted?.text).toContain('WITHOUT an audit trail');
    expect(alerted !== null && isEngagedAlert(alerted)).toBe(false);
  });

  it('returns null for events that are not worth an alert', () => {
    for (const event of NOT_ALERTS) expect(alertPayloadFor(event, 'engine-a')).toBeNull();
  });

  it('does not throw on an event with an unusable time', () => {
    const payload = alertPayloadFor(
      {
        ...base,
        time: Number.NaN,
        type: 'KillSwitchFailedClosed',
        trigger: 't',
        errorCode: 'E',
        message: 'm',
      },
      'engine-a',
    );
    expect(payload?.livegate.time).toBeNull();
  });
});

describe('isEngagedAlert', () => {
  it('is true for alerts that say trading is blocked, and only those', () => {
    const changedTo = (enforcedState: 'SAFE' | 'REDUCING' | 'ENGAGED') =>
      alertPayloadFor(
        {
          ...base,
          type: 'KillSwitchChanged',
          record: record({ state: enforcedState }),
          previousState: 'SAFE',
          enforcedState,
        },
        'engine-a',
      );
    const engaged = changedTo('ENGAGED');
    const reducing = changedTo('REDUCING');
    const failed = alertPayloadFor(
      { ...base, type: 'KillSwitchFailedClosed', trigger: 't', errorCode: 'E', message: 'm' },
      'engine-a',
    );
    const breach = alertPayloadFor(
      {
        ...base,
        type: 'RiskLimitBreached',
        rule: 'r',
        action: 'alert',
        value: 2,
        threshold: 1,
        message: 'm',
      },
      'engine-a',
    );
    expect(engaged !== null && isEngagedAlert(engaged)).toBe(true);
    expect(failed !== null && isEngagedAlert(failed)).toBe(true);
    expect(reducing !== null && isEngagedAlert(reducing)).toBe(false);
    expect(breach !== null && isEngagedAlert(breach)).toBe(false);
  });
});
