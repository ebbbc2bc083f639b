// Desk names are exact (`--desk fx` runs under `desk:fx` and `risk.desks.fx` only), so a live desk
// key whose name differs only by case from a desk in use would limit a desk nobody runs while
// every engine confirms it: the writer refuses such a key.

import { LivegateError } from '../../core/errors.js';
import type { EngineReport } from '../../core/kill-switch-record.js';
import type { LiveLimits } from '../../core/limits-record.js';
import { deskOfScopes } from '../../core/scopes.js';
import type { LimitsAssignment } from './live-limits.js';

/** A desk name in use, and where it was seen (for the refusal). */
export interface NamedDesk {
  readonly desk: string;
  readonly where: string;
}

/** The desks a config names: `risk.desks` and `risk.tradingWindows.desks`. */
export function desksOfConfig(risk: {
  readonly desks: Readonly<Record<string, unknown>>;
  readonly tradingWindows: { readonly desks: Readonly<Record<string, unknown>> };
}): NamedDesk[] {
  return [
    ...Object.keys(risk.desks).map((desk) => ({ desk, where: `risk.desks in this config` })),
    ...Object.keys(risk.tradingWindows.desks).map((desk) => ({
      desk,
      where: 'risk.tradingWindows.desks in this config',
    })),
  ];
}

/** The desk each engine report on the store runs under. */
export function desksOfReports(reports: readonly EngineReport[]): NamedDesk[] {
  return reports.flatMap((report) => {
    const desk = deskOfScopes(report.scopes);
    return desk === null ? [] : [{ desk, where: `engine ${report.engineId}` }];
  });
}

/** The desks the latest revision's overrides name. */
export function desksOfOverrides(overrides: LiveLimits, revision: number): NamedDesk[] {
  return Object.keys(overrides.desks ?? {}).map((desk) => ({
    desk,
    where: `limits revision ${revision}`,
  }));
}

/** The desks the assignments name (`desks.<desk>.…`), each once. */
export function desksAssigned(assignments: readonly LimitsAssignment[]): string[] {
  const desks = assignments.flatMap((a) => (a.section === 'desks' ? [a.path[0]!] : []));
  return [...new Set(desks)];
}

/**
 * Throws ERR_USAGE when an assigned desk is named nowhere as spelt but differs only by case from a
 * desk in use (a desk named both ways is left alone: both are in use).
 */
export function refuseDeskCaseTwins(
  assignments: readonly LimitsAssignment[],
  named: readonly NamedDesk[],
): void {
  for (const desk of desksAssigned(assignments)) {
    if (named.some((other) => other.desk === desk)) continue;
    const twin = named.find(
      (other) => other.desk !== desk && other.desk.toLowerCase() === desk.toLowerCase(),
    );
    if (twin === undefined) continue;
    throw new LivegateError(
      'ERR_USAGE',
      `desks.${desk} names desk "${desk}", which differs only by case from desk "${twin.desk}" (${twin.where}): desk names are exact, so it would limit no engine of "${twin.desk}"; spell it desks.${twin.desk}`,
      { details: { desk, twin: twin.desk, where: twin.where } },
    );
  }
}
