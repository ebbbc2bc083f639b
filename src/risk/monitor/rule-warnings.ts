// Graduated warnings before a rule trips: each level (50, 75, 90 % by default) warns once when the
// utilization reaches it, and again only after the value fell back 10 points below it (a new episode).

import type { RiskLimitApproached } from '../../core/events.js';
import type { RuleStatus } from '../../core/risk-snapshot.js';
import type { RuleEpisode, RuleName } from './risk-rule.js';

/** How far under a level the utilization must fall before that level may warn again. */
export const WARNING_REARM_MARGIN = 0.1;

export interface WarningOptions {
  readonly levels: readonly number[];
  readonly rules: readonly RuleName[];
}

export class RuleWarnings {
  private readonly levels: readonly number[];
  private readonly rules: ReadonlySet<RuleName>;
  /** Per rule, per level: may it warn (true until it has, and again once re-armed)? */
  private readonly armed = new Map<RuleEpisode, boolean[]>();

  constructor(options: WarningOptions) {
    this.levels = options.levels;
    this.rules = new Set(options.rules);
  }

  applies(episode: RuleEpisode): boolean {
    return this.levels.length > 0 && this.rules.has(episode.rule.name);
  }

  /**
   * After the episode's check: the level it newly reached (the highest, when one evaluation passed
   * several), or undefined. A rule in breach does not warn: its breach says more, and the levels it
   * passed on the way stay spent until it comes back down.
   */
  judge(episode: RuleEpisode): number | undefined {
    if (!this.applies(episode)) return undefined;
    const utilization = episode.value / episode.rule.threshold;
    let armed = this.armed.get(episode);
    if (armed === undefined) {
      armed = this.levels.map(() => true);
      this.armed.set(episode, armed);
    }
    let reached: number | undefined;
    for (let index = 0; index < this.levels.length; index++) {
      const level = this.levels[index]!;
      if (!armed[index] && utilization < level - WARNING_REARM_MARGIN) armed[index] = true;
      if (armed[index] && utilization >= level) {
        armed[index] = false;
        reached = level;
      }
    }
    return episode.tripped ? undefined : reached;
  }

  /** The rule's status with the level its utilization is at now (0 below the lowest). */
  status(episode: RuleEpisode): RuleStatus {
    const status = episode.status();
    if (!this.applies(episode)) return status;
    let warningLevel = 0;
    for (const level of this.levels) if (status.utilization >= level) warningLevel = level;
    return { ...status, warningLevel };
  }

  /** The event for a level reached. */
  event(episode: RuleEpisode, level: number, time: number, engineId: string): RiskLimitApproached {
    const { rule, value } = episode;
    const utilization = value / rule.threshold;
    const percent = Math.round(level * 100);
    return {
      type: 'RiskLimitApproached',
      time,
      engineId,
      rule: rule.name,
      action: rule.action,
      level,
      value,
      threshold: rule.threshold,
      utilization,
      message: `${rule.name} at ${(utilization * 100).toFixed(1)} % of its limit (${round(value)} of ${rule.threshold}), past the ${percent} % warning; at 100 % it will ${rule.action}`,
    };
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
