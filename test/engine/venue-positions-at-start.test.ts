// A restarted engine on a venue: positions restored from the journal meet the venue's at the first
// reconciliation, and the venue wins (a real gateway over WebSocket, the real risk wiring).
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketBroker } from '../../src/adapters/gateway/websocket-broker.js';
import { createRiskWiring } from '../../src/cli/risk-wiring.js';
import { validateConfig } from '../../src/config/schema.js';
import type { LivegateEvent } from '../../src/core/events.js';
import type { MarketFeed, TickOrBatch } from '../../src/core/ports.js';
import { LiveEngine } from '../../src/engine/live-engine.js';
import { ScriptableGateway } from '../support/gateway-server.js';
import { openKillSwitch } from './engine-fixtures.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A few EURUSD quotes, 10 ms apart: long enough for the start reconciliation to answer. */
class PacedFeed implements MarketFeed {
  readonly name = 'paced';
  async *ticks(): AsyncIterable<TickOrBatch> {
    for (let index = 0; index < 30; index++) {
      yield { symbol: 'EURUSD', bid: 1.1, ask: 1.1002, time: Date.now() };
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

describe('venue positions at start', () => {
  it('takes the venue’s positions over those restored from the journal and says what changed', async () => {
    const gateway = await ScriptableGateway.start();
    cleanups.push(() => gateway.stop());
    // While the engine was down, 2 of its 5 EURUSD were sold at the venue; GBPUSD was never ours.
    const venue = gateway.venue('/account');
    venue.positions.set('EURUSD', 3);
    venue.positions.set('GBPUSD', -1);
    const broker = new WebSocketBroker({ url: `${gateway.url}/account`, heartbeatIntervalMs: 100 });
    cleanups.push(() => broker.close());
    const { killSwitch } = await openKillSwitch();
    const config = validateConfig({
      risk: { monitor: { rules: { dailyLoss: { limit: 1_000 } } } },
    });
    const risk = createRiskWiring(config.risk, killSwitch, 'engine-v');
    const restored = risk.restore({
      state: {
        tradingDay: risk.monitor!.tradingDay(),
        dayStartEquity: 0,
        equityPeak: 0,
        balances: { USD: -300 },
        positions: [{ symbol: 'EURUSD', quantity: 5, averagePrice: 1.1, markPrice: 1.1 }],
        openRules: [],
      },
      from: { file: 'journal.jsonl', seq: 7, time: 0 },
      fills: [],
      tornLines: 0,
    });
    const engine = new LiveEngine({
      killSwitch,
      strategy: { name: 'idle', onTick: () => null },
      broker,
      engineId: 'engine-v',
      preTradeRisk: risk.preTradeRisk,
      tickObservers: risk.tickObservers,
      initialPositions: restored!.positions,
      heartbeatIntervalMs: 50,
    });
    risk.bind(engine);
    const events: LivegateEvent[] = [];
    engine.on((event) => events.push(event));
    await engine.run(new PacedFeed());
    risk.stop();
    killSwitch.close();
    const adopted = events.find((event) => event.type === 'VenuePositionsAdopted');
    expect(adopted).toMatchObject({
      changes: [
        { symbol: 'EURUSD', before: 5, after: 3 },
        { symbol: 'GBPUSD', before: 0, after: -1 },
      ],
    });
    expect(engine.position('EURUSD')).toBe(3);
    expect(engine.position('GBPUSD')).toBe(-1);
    const positions = risk.monitor!.snapshot().positions.map((p) => [p.symbol, p.quantity]);
    expect(positions).toEqual([
      ['EURUSD', 3],
      ['GBPUSD', -1],
    ]);
    // The day's realized loss is still the journal's; nothing is reported as a mismatch.
    expect(risk.monitor!.snapshot().realizedPnl).toBe(-300);
    expect(
      events.some((e) => e.type === 'VenueReported' && e.kind === 'reconciliation-mismatch'),
    ).toBe(false);
  });
});
