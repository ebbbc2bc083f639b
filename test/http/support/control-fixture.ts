// Real engines behind the control API for the HTTP tests: a LiveEngine on a MemoryKillSwitchStore,
// the PaperBroker, a builtin strategy, and the EngineView the server reads.

import { PaperBroker } from '../../../src/adapters/brokers/paper-broker.js';
import { SyntheticMarketFeed } from '../../../src/adapters/feeds/synthetic-market-feed.js';
import { MemoryKillSwitchStore } from '../../../src/adapters/stores/memory-kill-switch-store.js';
import type { RunSummary } from '../../../src/core/events.js';
import type { EngineReport } from '../../../src/core/kill-switch-record.js';
import type { KillSwitchStore } from '../../../src/core/ports.js';
import { LiveEngine } from '../../../src/engine/live-engine.js';
import type { Tokens } from '../../../src/http/auth.js';
import type {
  AlertOutcome,
  AuthFailureReason,
  ControlCounters,
  MutationAction,
} from '../../../src/http/control-counters.js';
import { engineViewOf, type EngineView } from '../../../src/http/engine-view.js';
import { KillSwitch } from '../../../src/killswitch/kill-switch.js';
import { PeriodicOrderStrategy } from '../../../src/strategies/periodic-order-strategy.js';

export const TOKENS: Tokens = {
  operator: 'operator-token-7f3a9c21e5b84d06',
  admin: 'admin-token-c04d8e6b2a9f4137',
};

export interface EngineUnderTest {
  readonly store: KillSwitchStore;
  readonly killSwitch: KillSwitch;
  readonly engine: LiveEngine;
  readonly view: EngineView;
  /** Runs the engine on an endless paced synthetic feed until the returned stop() is called. */
  run(): RunningEngine;
}

export interface RunningEngine {
  stop(): Promise<RunSummary>;
}

export interface EngineUnderTestOptions {
  readonly store?: KillSwitchStore;
  readonly engineId?: string;
  readonly confirmTimeoutMs?: number;
  readonly engineStaleAfterMs?: number;
  readonly heartbeatIntervalMs?: number;
}

export async function engineUnderTest(
  options: EngineUnderTestOptions = {},
): Promise<EngineUnderTest> {
  const store = options.store ?? new MemoryKillSwitchStore();
  const engineId = options.engineId ?? 'engine-a';
  const killSwitch = await KillSwitch.open(store, { actor: engineId });
  const engine = new LiveEngine({
    killSwitch,
    strategy: new PeriodicOrderStrategy({ every: 5 }),
    broker: new PaperBroker(),
    engineId,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 200,
  });
  const view = engineViewOf({
    engine,
    killSwitch,
    feedStaleAfterMs: 5_000,
    confirmTimeoutMs: options.confirmTimeoutMs ?? 2_000,
    engineStaleAfterMs: options.engineStaleAfterMs ?? 5_000,
  });
  return {
    store,
    killSwitch,
    engine,
    view,
    run: () => {
      const feed = new SyntheticMarketFeed({ rate: 2_000 });
      const finished = engine.run(feed);
      return {
        stop: () => {
          engine.stop();
          return finished;
        },
      };
    },
  };
}

/** Counts what the server reports, as /metrics would. */
export class CountingControlCounters implements ControlCounters {
  readonly authFailures: Record<AuthFailureReason, number> = {
    'missing-token': 0,
    'invalid-token': 0,
    forbidden: 0,
    'rate-limited': 0,
  };
  readonly mutations: { action: MutationAction; role: string }[] = [];
  readonly alerts: AlertOutcome[] = [];

  authFailure(reason: AuthFailureReason): void {
    this.authFailures[reason] += 1;
  }
  mutation(action: MutationAction, role: string): void {
    this.mutations.push({ action, role });
  }
  alert(outcome: AlertOutcome): void {
    this.alerts.push(outcome);
  }
}

/** A report as another engine would publish it (not on this host, so no pid check applies). */
export function foreignReport(
  engineId: string,
  overrides: Partial<EngineReport> = {},
): EngineReport {
  const now = Date.now();
  return {
    engineId,
    host: 'another-host.example',
    pid: 4242,
    startedAt: new Date(now - 60_000).toISOString(),
    reportedAt: now,
    observedRevision: 0,
    observedAt: now,
    enforcedState: 'SAFE',
    failClosed: false,
    stats: {},
    ...overrides,
  };
}

/** Polls until `check` returns a value other than undefined, or fails naming `what`. */
export async function eventually<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  deadlineMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function bearer(token: string | null): Record<string, string> {
  return token === null ? {} : { authorization: `Bearer ${token}` };
}
