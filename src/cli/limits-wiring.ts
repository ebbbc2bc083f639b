// `livegate run`'s live limits: load the stored revision before the engine exists (it wins over the
// config), then follow new revisions and confirm each in a report of its own.

import type { LivegateConfig } from '../config/schema.js';
import { systemClock } from '../core/clock.js';
import type { LimitsApplied, LimitsApplyFailed } from '../core/events.js';
import type { KillSwitchStore } from '../core/ports.js';
import type { LiveEngine } from '../engine/live-engine.js';
import { LimitsFollower } from '../risk/limits/limits-follower.js';
import { liveLimitsOfRisk } from '../risk/limits/live-limits.js';
import type { RiskWiring } from './risk-wiring.js';

export interface LiveLimitsWiring {
  readonly follower: LimitsFollower;
  /** Emits what happened at load into the engine's events (journal, log), then starts following. */
  bind(engine: LiveEngine): void;
}

/**
 * Undefined when the store keeps no limits (an in-process fake) or the chain is off: such an
 * engine reports no limits revision, so `limits set` names it instead of counting it as enforcing.
 */
export async function followLiveLimits(
  store: KillSwitchStore | undefined,
  risk: RiskWiring,
  config: LivegateConfig,
  engineId: string,
): Promise<LiveLimitsWiring | undefined> {
  const limitsStore = store?.limits;
  const apply = risk.applyPreTradeLimits;
  if (limitsStore === undefined || apply === undefined) return undefined;
  const { monitor } = risk;
  const configRules = config.risk.monitor.rules;
  let bound: LiveEngine | undefined;
  const early: (LimitsApplied | LimitsApplyFailed)[] = [];
  const follower = new LimitsFollower({
    store: limitsStore,
    engineId,
    clock: systemClock,
    pollIntervalMs: config.killSwitch.pollIntervalMs,
    configLimits: liveLimitsOfRisk(config.risk),
    // The kill switch's own lease bound (at least pollIntervalMs, the schema checks).
    leaseMs: Math.max(config.killSwitch.leaseMs, config.killSwitch.pollIntervalMs),
    apply,
    ...(monitor === undefined
      ? {}
      : { applyMonitorRules: (rules) => monitor.applyRules(rules ?? configRules) }),
    ...(risk.applyAggregateLimits === undefined
      ? {}
      : { applyAggregateLimits: risk.applyAggregateLimits }),
    emit: (event) => (bound === undefined ? early.push(event) : bound.emit(event)),
    applied: () => {
      // After LimitsApplied: a tightened rule already in breach trips now, audited after its cause.
      monitor?.reevaluate();
      bound?.reportNow();
    },
  });
  await follower.load();
  return {
    follower,
    bind(engine) {
      bound = engine;
      for (const event of early.splice(0)) engine.emit(event);
      follower.start();
    },
  };
}
