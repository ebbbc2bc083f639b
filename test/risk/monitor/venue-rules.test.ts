import { describe, expect, it } from 'vitest';
import { MemoryKillSwitchStore } from '../../../src/adapters/stores/memory-kill-switch-store.js';
import { ManualClock } from '../../../src/core/clock.js';
import type { LivegateEvent } from '../../../src/core/events.js';
import type { VenueReport } from '../../../src/core/ports.js';
import { KillSwitch } from '../../../src/killswitch/kill-switch.js';
import { RiskMonitor } from '../../../src/risk/monitor/risk-monitor.js';

async function monitorWith(rules: Record<string, unknown>) {
  const clock = new ManualClock(1_000);
  const killSwitch = await KillSwitch.open(new MemoryKillSwitchStore(), { actor: 'engine-a' });
  const emitted: LivegateEvent[] = [];
  const monitor = new RiskMonitor(
    { rules },
    {
      killSwitch,
      engineId: 'engine-a',
      clock,
      emit: (event) => emitted.push(event),
      flatten: () => 0,
    },
  );
  const report = (kind: VenueReport['kind'], detail = 'x') =>
    monitor.onEvent({
      type: 'VenueReported',
      time: clock.now(),
      engineId: 'engine-a',
      source: 'broker',
      venue: 'ws://gateway',
      kind,
      detail,
    });
  return { clock, killSwitch, emitted, monitor, report };
}

/** The gates close at once; the record lands once the store has written it. */
async function durable(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('the trip was not recorded in time');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

describe('venue risk rules', () => {
  it('engages when a broker connection stays down past venueDisconnected.limitMs, not before', async () => {
    const { clock, killSwitch, monitor, report } = await monitorWith({
      venueDisconnected: { action: 'engage', limitMs: 2_000 },
    });
    report('disconnected', 'socket closed');
    clock.advance(1_999);
    monitor.evaluate();
    expect(killSwitch.state).toBe('SAFE');
    clock.advance(1);
    monitor.evaluate();
    expect(killSwitch.state).toBe('ENGAGED');
    await durable(() => killSwitch.record?.trigger === 'risk:venueDisconnected');
  });

  it('forgets a disconnection once the connection is back', async () => {
    const { clock, killSwitch, monitor, report } = await monitorWith({
      venueDisconnected: { action: 'engage', limitMs: 2_000 },
    });
    report('disconnected');
    clock.advance(1_500);
    report('connected');
    clock.advance(5_000);
    monitor.evaluate();
    expect(killSwitch.state).toBe('SAFE');
  });

  it('reduces after N feed gaps in a window, and engages on a reconciliation mismatch', async () => {
    const { killSwitch, report } = await monitorWith({
      feedGaps: { action: 'reduce', limit: 3, windowMs: 10_000 },
      reconciliation: { action: 'engage', limit: 1, windowMs: 60_000 },
    });
    report('sequence-gap', 'expected 10, got 12');
    report('sequence-gap', 'expected 13, got 20');
    expect(killSwitch.state).toBe('SAFE');
    report('sequence-gap', 'expected 21, got 22');
    expect(killSwitch.state).toBe('REDUCING');
    report('reconciliation-mismatch', 'order 7 open at the venue, unknown here');
    expect(killSwitch.state).toBe('ENGAGED');
    await durable(() => killSwitch.record?.state === 'ENGAGED');
    expect(killSwitch.record?.reason).toMatch(
      /reconciliation: 1 reconciliation mismatches.*order 7/,
    );
  });
});
