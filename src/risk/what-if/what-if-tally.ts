// What a what-if replay found, as it goes: each order's verdict then and now, and the trips.

import type { RiskLimitBreached } from '../../core/events.js';
import {
  WHAT_IF_CAVEATS,
  type OrderVerdict,
  type RuleTrip,
  type WhatIfReport,
} from './what-if-report.js';

export interface WhatIfSpan {
  readonly journal: string;
  readonly limits: string;
  readonly entries: number;
  readonly firstTime: number | null;
  readonly lastTime: number | null;
  readonly tornLines: number;
}

export class WhatIfTally {
  readonly verdicts: OrderVerdict[] = [];
  /** Under the proposed limits. */
  readonly tripsNow: RuleTrip[] = [];
  /** In the recorded run. */
  readonly tripsThen: RuleTrip[] = [];
  /** Order attempts not judged again (a stale lease, an invalid signal). */
  notReplayed = 0;
  runs = 0;

  report(span: WhatIfSpan): WhatIfReport {
    const { verdicts } = this;
    const newlyDenied = verdicts.filter((v) => v.codeThen === null && v.code !== null);
    const newlyAccepted = verdicts.filter((v) => v.codeThen !== null && v.code === null);
    const deniedOtherwise = verdicts.filter(
      (v) => v.codeThen !== null && v.code !== null && v.code !== v.codeThen,
    );
    const deniedNowByCode: Record<string, number> = {};
    for (const { code } of verdicts) {
      if (code !== null) deniedNowByCode[code] = (deniedNowByCode[code] ?? 0) + 1;
    }
    const deniedThen = verdicts.filter((v) => v.codeThen !== null).length;
    const deniedNow = verdicts.filter((v) => v.code !== null).length;
    return {
      journal: span.journal,
      limits: span.limits,
      from: isoOrNull(span.firstTime),
      to: isoOrNull(span.lastTime),
      entries: span.entries,
      runs: this.runs,
      tornLines: span.tornLines,
      caveats: WHAT_IF_CAVEATS,
      newlyDenied,
      newlyAccepted,
      deniedOtherwise,
      tripsNow: this.tripsNow,
      tripsThen: this.tripsThen,
      totals: {
        orders: verdicts.length,
        acceptedThen: verdicts.length - deniedThen,
        deniedThen,
        acceptedNow: verdicts.length - deniedNow,
        deniedNow,
        newlyDenied: newlyDenied.length,
        newlyAccepted: newlyAccepted.length,
        deniedOtherwise: deniedOtherwise.length,
        deniedNowByCode,
        tripsNow: this.tripsNow.length,
        tripsThen: this.tripsThen.length,
        notReplayed: this.notReplayed,
      },
    };
  }
}

export function ruleTrip(event: RiskLimitBreached): RuleTrip {
  return {
    time: new Date(event.time).toISOString(),
    rule: event.rule,
    action: event.action,
    value: event.value,
    threshold: event.threshold,
    message: event.message,
  };
}

function isoOrNull(time: number | null): string | null {
  return time === null ? null : new Date(time).toISOString();
}
