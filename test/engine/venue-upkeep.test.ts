import { describe, expect, it } from 'vitest';
import { PaperBroker } from '../../src/adapters/brokers/paper-broker.js';
import { MemoryKillSwitchStore } from '../../src/adapters/stores/memory-kill-switch-store.js';
import type { LivegateEvent, VenueReported } from '../../src/core/events.js';
import type {
  MarketFeed,
  ReconciliationResult,
  TickOrBatch,
  VenueListener,
} from '../../src/core/ports.js';
import type { Tick } from '../../src/core/types.js';
import { LiveEngine } from '../../src/engine/live-engine.js';
import { KillSwitch } from '../../src/killswitch/kill-switch.js';
import { OneOrderPerTickStrategy } from '../../src/strategies/one-order-per-tick-strategy.js';

/** A venue broker in miniature: paper fills, plus a dead-man refresh and a reconciliation. */
class VenueLikeBroker extends PaperBroker {
  heartbeats = 0;
  reconciliations: Array<ReadonlyMap<string, number>> = [];
  failHeartbeat = false;
  mismatch = false;

  heartbeat(): Promise<void> {
    this.heartbeats++;
    return this.failHeartbeat ? Promise.reject(new Error('venue 503')) : Promise.resolve();
  }

  reconcile(positions: ReadonlyMap<string, number>): Promise<ReconciliationResult> {
    this.reconciliations.push(positions);
    return Promise.resolve(
      this.mismatch
        ? { matched: false, differences: ['order v-9 open at the venue, unknown here'] }
        : { matched: true, differences: [] },
    );
  }
}

/** Ticks at a steady pace, reporting a disconnection and a gap through attach(). */
class ReportingFeed implements MarketFeed {
  readonly name = 'reporting';
  listener: VenueListener | undefined;
  private closed = false;

  constructor(private readonly count: number) {}

  attach(listener: VenueListener): void {
    this.listener = listener;
  }

  async *ticks(): AsyncIterable<TickOrBatch> {
    for (let index = 0; index < this.count && !this.closed; index++) {
      if (index === 5) {
        this.listener?.onVenueReport({
          source: 'feed',
          venue: 'ws://gateway',
          kind: 'sequence-gap',
          detail: 'expected 6, got 9',
          symbol: 'EURUSD',
        });
      }
      const tick: Tick = { symbol: 'EURUSD', bid: 1.1, ask: 1.1001, time: Date.now() };
      yield tick;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

async function runWith(broker: VenueLikeBroker, ticks = 60) {
  const killSwitch = await KillSwitch.open(new MemoryKillSwitchStore(), { actor: 'engine-v' });
  const engine = new LiveEngine({
    killSwitch,
    strategy: new OneOrderPerTickStrategy(),
    broker,
    engineId: 'engine-v',
    heartbeatIntervalMs: 50,
    reconcileEveryHeartbeats: 2,
  });
  const events: LivegateEvent[] = [];
  engine.on((event) => events.push(event));
  const feed = new ReportingFeed(ticks);
  await engine.run(feed);
  killSwitch.close();
  return { events, feed };
}

describe('venue upkeep on the engine heartbeat', () => {
  it('refreshes the dead-man switch at start and on heartbeats, and reconciles with positions', async () => {
    const broker = new VenueLikeBroker();
    const { events, feed } = await runWith(broker);
    expect(feed.listener).toBeDefined();
    expect(broker.heartbeats).toBeGreaterThanOrEqual(2);
    expect(broker.reconciliations.length).toBeGreaterThanOrEqual(2);
    // The last reconciliation saw the engine's own position (one buy per tick).
    expect(broker.reconciliations.at(-1)?.get('EURUSD')).toBeGreaterThan(0);
    const gap = events.find(
      (event): event is VenueReported =>
        event.type === 'VenueReported' && event.kind === 'sequence-gap',
    );
    expect(gap).toMatchObject({ source: 'feed', symbol: 'EURUSD', detail: 'expected 6, got 9' });
    const heartbeats = events.filter((event) => event.type === 'Heartbeat');
    const last = heartbeats.at(-1);
    expect(last?.type === 'Heartbeat' && last.report.stats.venueReconciliation).toMatch(
      /^matched at /,
    );
  });

  it('reports a failed refresh as dead-man-failed and a mismatch as reconciliation-mismatch', async () => {
    const broker = new VenueLikeBroker();
    broker.failHeartbeat = true;
    broker.mismatch = true;
    const { events } = await runWith(broker);
    const kinds = events.flatMap((event) => (event.type === 'VenueReported' ? [event.kind] : []));
    expect(kinds).toContain('dead-man-failed');
    expect(kinds).toContain('reconciliation-mismatch');
    const mismatch = events.find(
      (event) => event.type === 'VenueReported' && event.kind === 'reconciliation-mismatch',
    );
    expect(mismatch?.type === 'VenueReported' && mismatch.detail).toMatch(/order v-9/);
  });
});

describe('broker connectivity for /readyz', () => {
  it('counts a venue broker that reported its connection lost as not connected, until it is back', async () => {
    const killSwitch = await KillSwitch.open(new MemoryKillSwitchStore(), { actor: 'engine-r' });
    let listener: Parameters<PaperBroker['connect']>[0] | undefined;
    class ReportingBroker extends PaperBroker {
      override connect(brokerListener: Parameters<PaperBroker['connect']>[0]): Promise<void> {
        listener = brokerListener;
        return super.connect(brokerListener);
      }
    }
    const engine = new LiveEngine({
      killSwitch,
      strategy: new OneOrderPerTickStrategy(),
      broker: new ReportingBroker(),
      engineId: 'engine-r',
    });
    const seen: boolean[] = [];
    const feed = new ReportingFeed(30);
    const running = engine.run(feed);
    await new Promise((resolve) => setTimeout(resolve, 30));
    seen.push(engine.health().brokerConnected);
    const report = (kind: 'connected' | 'disconnected') =>
      listener?.onVenueReport?.({ source: 'broker', venue: 'ws://gw', kind, detail: kind });
    report('disconnected');
    seen.push(engine.health().brokerConnected);
    report('connected');
    seen.push(engine.health().brokerConnected);
    await running;
    killSwitch.close();
    expect(seen).toEqual([true, false, true]);
  });
});
