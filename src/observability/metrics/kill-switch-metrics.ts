// The kill switch as the gates enforce it (state, revision, fail-closed latch, when it was applied),
// how often it changed and why, the revision this engine confirmed to the store, and its last
// heartbeat: what an alert on "trading while it should not", "kill not confirmed" or "engine gone
// quiet" needs. Read from the in-process KillSwitch at scrape time.

import type { Counter, Gauge } from 'prom-client';
import { KILL_SWITCH_STATES } from '../../core/kill-switch-record.js';
import type { EnforcedKillSwitch } from '../../killswitch/enforced-kill-switch.js';
import type { EngineEventTally } from './engine-event-tally.js';
import type { MetricFactory } from './metric-factory.js';

const MILLISECONDS_PER_SECOND = 1000;

export class KillSwitchMetrics {
  private readonly state: Gauge<'state'>;
  private readonly revision: Gauge;
  private readonly failClosed: Gauge;
  private readonly appliedAt: Gauge;
  private readonly confirmed: Gauge;
  private readonly changes: Counter<'trigger'>;
  private readonly heartbeat: Gauge;

  constructor(
    metrics: MetricFactory,
    private readonly killSwitch: EnforcedKillSwitch,
    private readonly tally: EngineEventTally,
    private readonly confirmedRevision: () => number,
  ) {
    this.state = metrics.gauge(
      'kill_switch_state',
      'Kill-switch state the gates enforce: 1 for the enforced state, 0 for the others.',
      ['state'],
    );
    this.revision = metrics.gauge(
      'kill_switch_revision',
      'Kill-switch revision applied at the gates (0 if the state was never readable).',
    );
    this.failClosed = metrics.gauge(
      'kill_switch_fail_closed',
      '1 while the gates fail closed (ENGAGED) because the kill-switch state is unreadable.',
    );
    this.appliedAt = metrics.gauge(
      'kill_switch_applied_timestamp_seconds',
      'When the current revision (or the fail-closed latch) was applied at the gates, in seconds since the epoch; 0 before.',
    );
    this.confirmed = metrics.gauge(
      'kill_switch_confirmed_revision',
      "Kill-switch revision in this engine's latest report written to the store, which is what `livegate kill` counts as its confirmation; 0 before the first. Below livegate_kill_switch_revision while an applied change is not yet confirmed.",
    );
    this.changes = metrics.counter(
      'kill_switch_changes_total',
      'Kill-switch changes the engine applied, by the trigger recorded with the revision.',
      ['trigger'],
    );
    this.heartbeat = metrics.gauge(
      'heartbeat_timestamp_seconds',
      'Time of the latest engine heartbeat, in seconds since the epoch; 0 before the first.',
    );
  }

  update(): void {
    const { killSwitch, tally } = this;
    const enforced = killSwitch.state;
    for (const state of KILL_SWITCH_STATES) this.state.set({ state }, state === enforced ? 1 : 0);
    this.revision.set(killSwitch.revision);
    this.failClosed.set(killSwitch.failClosedReason === null ? 0 : 1);
    this.appliedAt.set(killSwitch.appliedAt / MILLISECONDS_PER_SECOND);
    this.confirmed.set(this.confirmedRevision());
    this.changes.reset();
    for (const [trigger, count] of tally.killSwitchChangesByTrigger) {
      this.changes.inc({ trigger }, count);
    }
    this.heartbeat.set(tally.lastHeartbeatAt / MILLISECONDS_PER_SECOND);
  }
}
