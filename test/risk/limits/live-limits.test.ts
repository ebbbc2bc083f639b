// Live limits: KEY=VALUE parsing over the config schema, the diff, what counts as loosening, and a
// chain that takes new limits while keeping its positions, working orders and spent tokens.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { isLivegateError } from '../../../src/core/errors.js';
import type { LivegateEvent } from '../../../src/core/events.js';
import type { Signal, Tick } from '../../../src/core/types.js';
import { MemoryKillSwitchStore } from '../../../src/adapters/stores/memory-kill-switch-store.js';
import {
  applyAssignments,
  diffLimits,
  parseAssignment,
} from '../../../src/risk/limits/live-limits.js';
import { changeLimits } from '../../../src/risk/limits/limits-writer.js';
import { PreTradeRiskEngine } from '../../../src/risk/pre-trade/pre-trade-risk-engine.js';

const T0 = 1_700_000_000_000;

function change(preTrade: Record<string, unknown>, ...texts: string[]) {
  const before = { preTrade };
  const after = applyAssignments(before, texts.map(parseAssignment));
  return diffLimits(before, after);
}

describe('live limits assignments', () => {
  it('reads numbers, Infinity, JSON lists and empty values (unset)', () => {
    expect(parseAssignment('preTrade.maxOpenOrders=5').value).toBe(5);
    expect(parseAssignment('risk.preTrade.defaults.maxPosition=Infinity').value).toBe(Infinity);
    expect(parseAssignment('preTrade.restrictedSymbols=["XAUUSD"]').value).toEqual(['XAUUSD']);
    expect(parseAssignment('preTrade.maxGrossExposure=').value).toBeUndefined();
    expect(parseAssignment('preTrade.symbols.BRK.B.maxQuantity=3').path).toEqual([
      'symbols',
      'BRK.B',
      'maxQuantity',
    ]);
  });

  it('refuses keys outside preTrade and monitor.rules, the enabled switch, and values the schema refuses', () => {
    const usage = (text: string) => {
      try {
        applyAssignments({ preTrade: {} }, [parseAssignment(text)]);
        return 'accepted';
      } catch (error) {
        return isLivegateError(error, 'ERR_USAGE') ? error.message : String(error);
      }
    };
    expect(usage('tradingWindows.fx=5')).toMatch(/unknown limit "tradingWindows/);
    expect(usage('preTrade.enabled=false')).toMatch(/cannot change while running/);
    expect(usage('preTrade.defaults.maxQuantty=5')).toMatch(
      /preTrade\.defaults\.maxQuantty: unknown key/,
    );
    expect(usage('preTrade.maxOpenOrders=0')).toMatch(/preTrade\.maxOpenOrders: must be/);
    expect(usage('preTrade.defaults.maxQuantity=lots')).toMatch(/preTrade\.defaults\.maxQuantity/);
  });
});

describe('what loosens', () => {
  it('a lower maximum tightens, a higher one or an unset one loosens', () => {
    expect(change({}, 'preTrade.defaults.maxQuantity=5')).toEqual([
      { key: 'preTrade.defaults.maxQuantity', to: 5, loosens: false },
    ]);
    const base = { defaults: { maxQuantity: 5 } };
    expect(change(base, 'preTrade.defaults.maxQuantity=6')[0]?.loosens).toBe(true);
    expect(change(base, 'preTrade.defaults.maxQuantity=')[0]?.loosens).toBe(true);
    expect(change(base, 'preTrade.defaults.maxQuantity=4')[0]?.loosens).toBe(false);
  });

  it('a symbol override is compared with what the symbol got from defaults', () => {
    const base = { defaults: { maxPosition: 10 } };
    expect(change(base, 'preTrade.symbols.EURUSD.maxPosition=20')[0]?.loosens).toBe(true);
    expect(change(base, 'preTrade.symbols.EURUSD.maxPosition=8')[0]?.loosens).toBe(false);
  });

  it('minimums and the duplicate window tighten upward; lot and tick sizes always need admin', () => {
    expect(change({}, 'preTrade.defaults.minOrderNotional=10')[0]?.loosens).toBe(false);
    expect(change({}, 'preTrade.duplicateWindowMs=500')[0]?.loosens).toBe(false);
    expect(change({ duplicateWindowMs: 500 }, 'preTrade.duplicateWindowMs=0')[0]?.loosens).toBe(
      true,
    );
    expect(change({}, 'preTrade.defaults.lotSize=10')[0]?.loosens).toBe(true);
  });

  it('releasing a restricted symbol or listing a new tradable one loosens; adding a restriction does not', () => {
    expect(change({}, 'preTrade.restrictedSymbols=["XAUUSD"]')[0]?.loosens).toBe(false);
    expect(
      change({ restrictedSymbols: ['XAUUSD'] }, 'preTrade.restrictedSymbols=[]')[0]?.loosens,
    ).toBe(true);
    const listed = { symbols: { EURUSD: { maxPosition: 5 } } };
    expect(change(listed, 'preTrade.symbols.GBPUSD.maxPosition=1')[0]?.loosens).toBe(true);
  });
});

describe('changeLimits', () => {
  it('refuses a loosening without authority and writes nothing', async () => {
    const store = new MemoryKillSwitchStore().limits;
    const common = {
      reason: 'r',
      by: 'b',
      configLimits: { preTrade: { defaults: { maxQuantity: 5 } } },
      host: 'h',
      pid: 1,
    };
    await expect(
      changeLimits(store, {
        ...common,
        assignments: [parseAssignment('preTrade.defaults.maxQuantity=50')],
        mayLoosen: false,
      }),
    ).rejects.toMatchObject({ code: 'ERR_LIMITS_LOOSENING_REFUSED' });
    expect(await store.history()).toEqual([]);
    const written = await changeLimits(store, {
      ...common,
      assignments: [parseAssignment('preTrade.defaults.maxQuantity=50')],
      mayLoosen: true,
    });
    expect(written.record).toMatchObject({ revision: 1, loosens: true });
  });
});

describe('PreTradeRiskEngine.applyLimits', () => {
  const quote: Tick = { symbol: 'EURUSD', bid: 1.0999, ask: 1.1001, time: T0 };
  const market = (quantity: number): Signal => ({
    symbol: 'EURUSD',
    side: 'buy',
    quantity,
    type: 'market',
  });
  const submitted = (id: string, quantity: number): LivegateEvent => ({
    type: 'OrderSubmitted',
    time: T0,
    engineId: 'test',
    latencyNs: 1,
    revision: 1,
    order: {
      id,
      symbol: 'EURUSD',
      side: 'buy',
      quantity,
      type: 'market',
      price: undefined,
      tag: undefined,
      createdAt: T0,
    },
  });

  it('denies by the new limits at once and keeps working orders counted against them', () => {
    const chain = new PreTradeRiskEngine({}, { clock: new ManualClock(T0) });
    chain.observeTick(quote);
    expect(chain.check(market(10), 0, T0)).toBeNull();
    chain.onEvent(submitted('o1', 10));
    chain.applyLimits({ defaults: { maxQuantity: 5, maxPosition: 12 } }, T0);
    expect(chain.check(market(6), 0, T0)?.code).toBe('MAX_ORDER_QUANTITY_EXCEEDED');
    // The order of 10 still works: 10 + 3 is over the new maxPosition of 12.
    expect(chain.check(market(3), 0, T0)?.code).toBe('MAX_POSITION_EXCEEDED');
    expect(chain.check(market(2), 0, T0)).toBeNull();
    expect(chain.openOrders).toBe(1);
  });

  it('keeps spent tokens when the rate tightens, and its limits when the new ones are invalid', () => {
    const chain = new PreTradeRiskEngine(
      { maxOrdersPerSecond: 10 },
      { clock: new ManualClock(T0) },
    );
    chain.observeTick(quote);
    for (let i = 0; i < 10; i += 1) expect(chain.check(market(1), 0, T0)).toBeNull();
    chain.applyLimits({ maxOrdersPerSecond: 2 }, T0);
    expect(chain.check(market(1), 0, T0)?.code).toBe('ORDER_RATE_EXCEEDED');
    expect(() => chain.applyLimits({ defaults: { maxQuantity: -1 } }, T0)).toThrow(/maxQuantity/);
    expect(chain.limitsFor('EURUSD')?.maxQuantity).toBe(1_000_000);
  });
});
