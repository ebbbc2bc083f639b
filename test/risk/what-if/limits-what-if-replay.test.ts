// The what-if replay on hand-written journals: the kill-switch decisions it mirrors, the denials it
// leaves alone, the clock it runs on and the prices it takes.
import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../../src/adapters/sinks/journal-reader.js';
import { validateConfig } from '../../../src/config/schema.js';
import type { KillSwitchState } from '../../../src/core/kill-switch-record.js';
import type { Side } from '../../../src/core/types.js';
import { replayJournal } from '../../../src/cli/limits-what-if-replay.js';
import { JournalScan } from '../../../src/risk/what-if/journal-scan.js';
import { formatWhatIfText } from '../../../src/risk/what-if/what-if-report.js';

const T0 = Date.parse('2024-03-04T09:00:00.000Z');

/** A journal written line by line: `at` is ms after T0. */
class JournalScript {
  readonly entries: JournalEntry[] = [];
  private seq = 0;
  private order = 0;

  private push(at: number, event: Record<string, unknown>): void {
    this.seq++;
    this.entries.push({
      id: `run:${this.seq}`,
      seq: this.seq,
      time: T0 + at,
      engineId: 'engine-a',
      ...event,
    } as unknown as JournalEntry);
  }

  submitted(at: number, side: Side, quantity: number, fillPrice?: number): string {
    const id = `run-${++this.order}`;
    const order = { id, symbol: 'EURUSD', side, quantity, type: 'market', createdAt: T0 + at };
    this.push(at, { type: 'OrderSubmitted', order, latencyNs: 1000, revision: 1 });
    if (fillPrice !== undefined) {
      const fill = {
        orderId: id,
        symbol: 'EURUSD',
        side,
        quantity,
        price: fillPrice,
        time: T0 + at,
      };
      this.push(at, { type: 'OrderFilled', fill, position: 0 });
    }
    return id;
  }

  denied(at: number, side: Side, quantity: number, code: string, gate: 2 | 3 = 2): void {
    this.push(at, {
      type: 'OrderDenied',
      gate,
      code,
      symbol: 'EURUSD',
      side,
      quantity,
      price: undefined,
      revision: 1,
    });
  }

  runStarted(at: number): void {
    this.push(at, { type: 'RunStarted', runId: `run-at-${at}`, state: 'SAFE', revision: 1 });
  }

  /** What an engine restarting on this journal took over: its own P&L so far, flat. */
  restored(at: number, usd: number): void {
    const state = {
      tradingDay: '2024-03-04',
      dayStartEquity: 0,
      equityPeak: 0,
      balances: { USD: usd },
      positions: [],
      openRules: [],
    };
    this.push(at, {
      type: 'RiskStateRestored',
      from: null,
      fillsReplayed: 0,
      tornLines: 0,
      sameTradingDay: true,
      state,
    });
  }

  /** Buys 400 at 1.75 and sells them at 1.5: 100 lost. */
  losingRoundTrip(at: number): void {
    this.submitted(at, 'buy', 400, 1.75);
    this.submitted(at + 1, 'sell', 400, 1.5);
  }

  killSwitch(at: number, revision: number, state: KillSwitchState, trigger = 'operator'): void {
    const record = { revision, state, reason: `${state} by hand`, by: 'ops', trigger };
    this.push(at, {
      type: 'KillSwitchChanged',
      record,
      previousState: 'SAFE',
      enforcedState: state,
    });
  }
}

async function replay(script: JournalScript, risk: unknown) {
  return replayJournal({
    journal: 'journal',
    limits: 'limits.yaml',
    risk: validateConfig({ risk }).risk,
    scan: await JournalScan.of(script.entries),
    entries: script.entries,
    tornLines: 0,
  });
}

describe('limits what-if replay', () => {
  it('mirrors an operator kill and reset, so their denials are not blamed on the limits', async () => {
    const script = new JournalScript();
    script.submitted(0, 'buy', 1, 1.1);
    script.killSwitch(10, 2, 'ENGAGED');
    script.denied(20, 'buy', 1, 'KILL_SWITCH_ENGAGED');
    script.killSwitch(30, 3, 'SAFE');
    script.submitted(40, 'buy', 1, 1.1);
    const report = await replay(script, {});
    expect(report.totals).toMatchObject({
      orders: 3,
      deniedThen: 1,
      deniedNow: 1,
      newlyDenied: 0,
      newlyAccepted: 0,
    });
  });

  it('leaves denials by the lease and invalid signals out of the comparison', async () => {
    const script = new JournalScript();
    script.denied(0, 'buy', 1, 'KILL_SWITCH_STATE_STALE', 3);
    script.denied(5, 'buy', -1, 'INVALID_SIGNAL');
    const report = await replay(script, {});
    expect(report.totals).toMatchObject({ orders: 0, notReplayed: 2 });
  });

  it('passes a denial of then that the proposed limits allow, without inventing its fill', async () => {
    const script = new JournalScript();
    script.submitted(0, 'buy', 1, 1.1);
    script.denied(10, 'buy', 500, 'MAX_ORDER_QUANTITY_EXCEEDED');
    script.denied(20, 'buy', 500, 'MAX_ORDER_QUANTITY_EXCEEDED');
    // Accepted unfilled, it is not left working: a one-order limit still lets the second through.
    const report = await replay(script, { preTrade: { maxOpenOrders: 1 } });
    expect(report.newlyAccepted.map((order) => order.codeThen)).toEqual([
      'MAX_ORDER_QUANTITY_EXCEEDED',
      'MAX_ORDER_QUANTITY_EXCEEDED',
    ]);
  });

  it('says when a market order could not be judged for want of any price in the journal', async () => {
    const script = new JournalScript();
    script.denied(0, 'buy', 500, 'MAX_ORDER_QUANTITY_EXCEEDED');
    const report = await replay(script, {});
    expect(report.deniedOtherwise).toMatchObject([
      { code: 'NO_REFERENCE_PRICE', codeThen: 'MAX_ORDER_QUANTITY_EXCEEDED', priceSource: 'none' },
    ]);
    expect(formatWhatIfText(report)).toContain('NO_REFERENCE_PRICE (no price in the journal yet)');
  });

  it("runs the order-rate bucket on the journal's timestamps", async () => {
    const script = new JournalScript();
    for (const at of [0, 100, 200, 1_500]) script.submitted(at, 'buy', 1, 1.1);
    const report = await replay(script, { preTrade: { maxOrdersPerSecond: 2 } });
    // A full bucket of 2, refilled at 2 per second: the third (200 ms later) is denied, the fourth is not.
    expect(report.newlyDenied.map((order) => [order.time, order.code])).toEqual([
      [new Date(T0 + 200).toISOString(), 'ORDER_RATE_EXCEEDED'],
    ]);
  });

  it('judges a market order against its own fill price when no mark was recorded', async () => {
    const script = new JournalScript();
    script.submitted(0, 'buy', 10, 2);
    const report = await replay(script, { preTrade: { defaults: { maxOrderNotional: 15 } } });
    expect(report.newlyDenied).toMatchObject([
      { code: 'MAX_NOTIONAL_EXCEEDED', referencePrice: 2, priceSource: 'fill' },
    ]);
  });

  it("carries the day's P&L across a restart in the journal, without taking the restored state twice", async () => {
    const script = new JournalScript();
    script.runStarted(0);
    for (const at of [10, 20, 30]) script.losingRoundTrip(at);
    script.runStarted(100);
    script.restored(100, -300);
    for (const at of [110, 120, 130]) script.losingRoundTrip(at);
    const report = await replay(script, { monitor: { rules: { dailyLoss: { limit: 450 } } } });
    // 300 lost before the restart, the trip at the fifth round trip's close: 500, in the second run.
    expect(report.tripsNow).toMatchObject([{ rule: 'dailyLoss', value: 500, threshold: 450 }]);
    expect(report.tripsNow[0]?.time).toBe(new Date(T0 + 121).toISOString());
    expect(report.newlyDenied.map((order) => order.code)).toEqual([
      'KILL_SWITCH_ENGAGED',
      'KILL_SWITCH_ENGAGED',
    ]);
    expect(report.runs).toBe(2);
  });

  it('does not mirror the kill switch changes a rule of the recorded run made', async () => {
    const script = new JournalScript();
    script.killSwitch(0, 2, 'ENGAGED', 'risk:dailyLoss');
    script.submitted(10, 'buy', 1, 1.1);
    const report = await replay(script, {});
    expect(report.totals).toMatchObject({ deniedNow: 0 });
  });
});
