// A hand-written StrategyContext for strategy tests: positions you set, fills you apply, kill-switch calls recorded.
import type { KillSwitchState } from '../../src/core/kill-switch-record.js';
import type { SignalResult, StrategyContext } from '../../src/core/ports.js';
import { signedQuantity, type Signal } from '../../src/core/types.js';

export class FakeStrategyContext implements StrategyContext {
  readonly engineId = 'test-engine';
  readonly positions = new Map<string, number>();
  readonly engageReasons: string[] = [];
  state: KillSwitchState = 'SAFE';
  time = 0;

  position(symbol: string): number {
    return this.positions.get(symbol) ?? 0;
  }

  killSwitchState(): KillSwitchState {
    return this.state;
  }

  engageKillSwitch(reason: string): Promise<void> {
    this.engageReasons.push(reason);
    this.state = 'ENGAGED';
    return Promise.resolve();
  }

  now(): number {
    return this.time;
  }

  /** Fills every signal in full, as a paper broker with a quote would. */
  fill(result: SignalResult): Signal[] {
    const signals = signalsOf(result);
    for (const signal of signals) {
      const after = this.position(signal.symbol) + signedQuantity(signal.side, signal.quantity);
      this.positions.set(signal.symbol, after);
    }
    return signals;
  }
}

export function signalsOf(result: SignalResult): Signal[] {
  if (result === null || result === undefined) return [];
  return Array.isArray(result) ? [...(result as readonly Signal[])] : [result as Signal];
}
