// What a tripped rule does to the kill switch: reduce, engage, or reduce-flatten-engage.

import { systemClock, type Clock } from '../../core/clock.js';
import type { RiskAction } from '../../core/risk-snapshot.js';
import type { EnforcedKillSwitch } from '../../killswitch/enforced-kill-switch.js';
import type { RuleName } from './risk-rule.js';

/**
 * The `by` of every kill-switch change the monitor makes (the rule is in the trigger): it names the
 * engine, because engines sharing a state dir share one audit trail.
 */
export function riskMonitorActor(engineId: string): string {
  return `${engineId}/risk-monitor`;
}

export interface TripActionsWiring {
  readonly killSwitch: EnforcedKillSwitch;
  readonly engineId: string;
  readonly flattenOnEngage: boolean;
  readonly flatten: ((reason: string) => number) | undefined;
  readonly flattenOrdersWorking?: (() => number) | undefined;
  /** ENGAGED waits this long at most for the flatten's orders to be done. */
  readonly flattenTimeoutMs?: number;
  readonly clock?: Clock;
}

/**
 * Every change starts synchronously, so the gates tighten before the caller returns (a trip on a fill
 * stops the next order of the same batch at gate 3). Nothing here ever rejects: a change that cannot
 * be made durable is already enforced locally by the KillSwitch (fail closed), and the engine reports
 * that as KillSwitchFailedClosed, so a rejection would only crash the monitor's timer.
 */
export class TripActions {
  private readonly pending = new Set<Promise<unknown>>();
  /** The reduce-flatten-engage sequence in progress: a second engage waits for it instead of cutting it short. */
  private flatteningSequence: Promise<void> | undefined;

  private readonly actor: string;

  /** True while a reduce-flatten-engage sequence runs (the engage is on its way). */
  get flattening(): boolean {
    return this.flatteningSequence !== undefined;
  }

  constructor(private readonly wiring: TripActionsWiring) {
    this.actor = riskMonitorActor(wiring.engineId);
  }

  run(rule: RuleName, action: RiskAction, reason: string): void {
    const { killSwitch } = this.wiring;
    const trigger = `risk:${rule}`;
    switch (action) {
      case 'alert':
        return;
      case 'reduce':
        this.track(killSwitch.reduce(reason, this.actor, trigger));
        return;
      case 'engage':
        this.engage(reason, trigger);
        return;
    }
  }

  /** Resolves once every kill-switch change started so far has settled (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private engage(reason: string, trigger: string): void {
    const { killSwitch, flattenOnEngage } = this.wiring;
    if (!flattenOnEngage) {
      this.track(killSwitch.engage(reason, this.actor, trigger));
      return;
    }
    if (this.flatteningSequence !== undefined) {
      this.track(
        this.flatteningSequence.then(() => killSwitch.engage(reason, this.actor, trigger)),
      );
      return;
    }
    const sequence = this.reduceFlattenEngage(reason, trigger).finally(() => {
      if (this.flatteningSequence === sequence) this.flatteningSequence = undefined;
    });
    this.flatteningSequence = sequence;
    this.track(sequence);
  }

  /** The audit trail reads REDUCING (flattening) then ENGAGED, both with the rule's trigger. */
  private async reduceFlattenEngage(reason: string, trigger: string): Promise<void> {
    const { killSwitch } = this.wiring;
    try {
      await killSwitch.reduce(`${reason}; flattening before engage`, this.actor, trigger);
    } catch {
      // Not durable: the switch now fails closed (ENGAGED locally), so flattening would be denied anyway.
    }
    let submitted = 0;
    // Only REDUCING lets reduce-only orders through; already ENGAGED means somebody stopped everything.
    if (killSwitch.state === 'REDUCING') submitted = this.flatten(reason);
    // ENGAGED cancels every open order: written before the flatten's orders are done, its
    // cancel-all would race them at the venue. So it waits for them, up to flattenTimeoutMs.
    const outcome = submitted === 0 ? '' : await this.flattenOutcome(submitted);
    await killSwitch.engage(
      `${reason}; flatten submitted ${submitted} order(s)${outcome}`,
      this.actor,
      trigger,
    );
  }

  /** Waits until no flatten order works (or the bound), and says which it was, for the audit. */
  private async flattenOutcome(submitted: number): Promise<string> {
    const working = this.wiring.flattenOrdersWorking;
    if (working === undefined) return '';
    const timeoutMs = this.wiring.flattenTimeoutMs ?? 5_000;
    const clock = this.wiring.clock ?? systemClock;
    const started = clock.monotonic();
    while (working() > 0 && clock.monotonic() - started < timeoutMs) {
      // Not the hot path: a flatten happens once per trip.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const waitedMs = Math.round(clock.monotonic() - started);
    const left = working();
    return left === 0
      ? `, all done after ${waitedMs} ms`
      : `, ${left} of ${submitted} still working after flattenTimeoutMs ${timeoutMs} ms (cancelled by this engage)`;
  }

  private flatten(reason: string): number {
    try {
      return this.wiring.flatten?.(reason) ?? 0;
    } catch (error) {
      // Engaging matters more than why flattening failed; still make the failure visible.
      process.emitWarning(`livegate risk monitor: flatten failed: ${String(error)}`);
      return 0;
    }
  }

  private track(change: Promise<unknown>): void {
    const settled = change.then(
      () => undefined,
      () => undefined, // see the class comment: already enforced locally and reported by the engine
    );
    this.pending.add(settled);
    void settled.then(() => this.pending.delete(settled));
  }
}
