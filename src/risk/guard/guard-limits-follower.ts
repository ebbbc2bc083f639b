// `livegate guard`'s side of live limits: before each look it reads the store's latest limits
// revision, lays its desk and firm overrides over the guard's own config, and hands a new one to
// the guard, so a tightened desk limit trips at that look without a restart.

import { messageOf } from '../../core/message-of.js';
import type { LimitsRecord, LiveLimits } from '../../core/limits-record.js';
import type { LimitsStore } from '../../core/ports.js';
import { aggregateLimitsOf, type AggregateLimitsInForce } from '../limits/desk-limits.js';
import { limitsInForce } from '../limits/limits-overrides.js';

export type GuardLimitsEvent =
  | {
      readonly type: 'limits-applied';
      readonly revision: number;
      readonly at: string;
      readonly by: string;
      readonly reason: string;
      /** The scopes whose limits changed (added, changed or no longer limited). */
      readonly scopes: readonly string[];
    }
  | { readonly type: 'limits-apply-failed'; readonly revision: number; readonly message: string };

export interface GuardLimitsFollowerOptions {
  readonly store: Pick<LimitsStore, 'latest'>;
  /** The guard's config limits (risk.desks, risk.firm): a revision's overrides go over them. */
  readonly configLimits: LiveLimits;
  /** Swaps the guard's limits; returns the scopes that changed. */
  readonly apply: (limits: AggregateLimitsInForce) => readonly string[];
  readonly onEvent: (event: GuardLimitsEvent) => void;
}

export class GuardLimitsFollower {
  /** The revision whose limits the guard holds; 0 while its config's. */
  revision = 0;
  private at: string | undefined;
  /** A revision that cannot be applied is reported once. */
  private failed = -1;

  constructor(private readonly options: GuardLimitsFollowerOptions) {}

  /**
   * One read (never throws). The store's latest record applies when it is a later revision, or was
   * written later (a store that lost its history numbers again from 1); an older history is not
   * gone back to, as engines do not. A store that cannot be read keeps the limits in force.
   */
  async poll(): Promise<void> {
    let latest: LimitsRecord | null;
    try {
      latest = await this.options.store.latest();
    } catch (error) {
      this.fail(0, `limits cannot be read, keeping revision ${this.revision}: ${messageOf(error)}`);
      return;
    }
    if (latest === null || (latest.revision === this.revision && latest.at === this.at)) return;
    if (!this.isNewer(latest)) {
      this.fail(
        latest.revision,
        `the store's latest limits revision ${latest.revision} (written ${latest.at}) is older than revision ${this.revision} in force (written ${String(this.at)}): keeping it`,
      );
      return;
    }
    let limits: AggregateLimitsInForce;
    try {
      limits = aggregateLimitsOf(limitsInForce(latest, this.options.configLimits));
    } catch (error) {
      this.fail(
        latest.revision,
        `limits revision ${latest.revision} not applied, keeping revision ${this.revision}: ${messageOf(error)}`,
      );
      return;
    }
    const scopes = this.options.apply(limits);
    this.revision = latest.revision;
    this.at = latest.at;
    this.options.onEvent({
      type: 'limits-applied',
      revision: latest.revision,
      at: latest.at,
      by: latest.by,
      reason: latest.reason,
      scopes,
    });
  }

  private isNewer(record: LimitsRecord): boolean {
    if (this.at === undefined || record.revision > this.revision) return true;
    return Date.parse(record.at) > Date.parse(this.at);
  }

  private fail(revision: number, message: string): void {
    if (revision === this.failed) return;
    this.failed = revision;
    this.options.onEvent({ type: 'limits-apply-failed', revision, message });
  }
}
