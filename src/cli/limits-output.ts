// What `livegate limits` prints: a revision's values, the history with its diffs, a change's receipt.

import type { LimitsDiffEntry, LimitsRecord, LiveLimits } from '../core/limits-record.js';
import { encodeInfinity } from '../core/limits-record.js';
import type { LimitsConfirmationResult } from '../risk/limits/limits-confirmations.js';
import { limitsInForce, overrideKeys } from '../risk/limits/limits-overrides.js';
import type { LimitsChangeResult } from '../risk/limits/limits-writer.js';

export function jsonOf(value: unknown): string {
  return `${JSON.stringify(encodeInfinity(value), null, 2)}\n`;
}

export function formatLimits(latest: LimitsRecord | null, configLimits: LiveLimits): string {
  if (latest?.overrides === true) {
    const keys = overrideKeys(latest.limits);
    const limits = limitsInForce(latest, configLimits);
    return (
      `limits revision ${latest.revision} (${latest.at} by ${latest.by}: ${latest.reason}); each engine lays these overrides over its own config:\n` +
      `overrides:\n${keys.length === 0 ? '  (none)\n' : `${JSON.stringify(encodeInfinity(latest.limits), null, 2)}\n`}` +
      `in force with this config:\npreTrade:\n${JSON.stringify(encodeInfinity(limits.preTrade), null, 2)}\n` +
      (limits.monitor === undefined
        ? ''
        : `monitor.rules:\n${JSON.stringify(encodeInfinity(limits.monitor.rules), null, 2)}\n`) +
      desksAndFirm(limits)
    );
  }
  const head =
    latest === null
      ? 'limits revision 0: none stored; engines enforce their config (risk.preTrade, risk.monitor.rules), this config:\n'
      : `limits revision ${latest.revision} (${latest.at} by ${latest.by}: ${latest.reason}); a whole set from an older livegate, it replaces each engine's config:\n`;
  const limits = latest?.limits ?? configLimits;
  const monitor =
    limits.monitor === undefined
      ? latest === null
        ? ''
        : "monitor.rules: not in this revision; each engine keeps its config's risk.monitor.rules\n"
      : `monitor.rules:\n${JSON.stringify(encodeInfinity(limits.monitor.rules), null, 2)}\n`;
  return `${head}preTrade:\n${JSON.stringify(encodeInfinity(limits.preTrade), null, 2)}\n${monitor}${desksAndFirm(latest === null ? limits : configLimits)}`;
}

/** Desk and firm limits (Infinity: that limit removed), when any. */
function desksAndFirm(limits: LiveLimits): string {
  const desks =
    limits.desks === undefined
      ? ''
      : `desks:\n${JSON.stringify(encodeInfinity(limits.desks), null, 2)}\n`;
  const firm =
    limits.firm === undefined
      ? ''
      : `firm:\n${JSON.stringify(encodeInfinity(limits.firm), null, 2)}\n`;
  return desks + firm;
}

export function formatHistory(history: readonly LimitsRecord[]): string {
  if (history.length === 0) return 'no limits revisions: engines enforce their config\n';
  return history
    .map((record) => {
      const origin =
        record.origin === undefined
          ? ''
          : ` via ${record.origin.channel}${record.origin.role === undefined ? '' : ` (${record.origin.role})`}`;
      const loosened = record.loosens ? ' [LOOSENS]' : '';
      return `revision ${record.revision}  ${record.at}  ${record.by}${origin}${loosened}: ${record.reason}\n${formatDiff(record.diff, record.overrides === true)}`;
    })
    .join('');
}

/** `overrides`: the diff of a record of overrides, where a missing side means "not overridden". */
export function formatDiff(diff: readonly LimitsDiffEntry[], overrides = false): string {
  const side = (key: string, value: unknown, missing: string) =>
    overrides && value === undefined ? missing : show(key, value);
  return diff
    .map(
      (entry) =>
        `  ${entry.key}: ${side(entry.key, entry.from, '(not overridden)')} -> ${side(entry.key, entry.to, "(override removed: each engine's config)")}${entry.loosens ? ' (loosens)' : ' (tightens)'}\n`,
    )
    .join('');
}

export function formatSetResult(
  result: LimitsChangeResult,
  confirmations: LimitsConfirmationResult | undefined,
): string {
  const { record } = result;
  if (!result.changed || record === null) {
    return `no change: limits revision ${record?.revision ?? 0} already has these values\n`;
  }
  const raced =
    result.lostRaces > 0
      ? ` (after ${result.lostRaces} lost race(s) with other writers, re-applied on the newer revision)`
      : '';
  let text = `limits revision ${record.revision} written by ${record.by}: ${record.reason}${raced}\n${formatDiff(record.diff, record.overrides === true)}`;
  if (confirmations === undefined) return text;
  const total = confirmations.confirmed.length + confirmations.missing.length;
  if (total === 0) {
    return `${text}no running engine reports to this store: engines load revision ${record.revision} when they start\n`;
  }
  for (const c of confirmations.confirmed) {
    text += `  confirmed: ${c.engineId} (pid ${c.pid} on ${c.host}) enforces revision ${c.limitsRevision} after ${Math.round(c.afterMs)} ms\n`;
  }
  for (const m of confirmations.missing) {
    text += `  NOT confirmed: ${m.engineId} (pid ${m.pid} on ${m.host}): ${m.why}\n`;
  }
  for (const id of confirmations.departed) text += `  departed: ${id} stopped during the wait\n`;
  for (const lost of confirmations.historyLost) {
    text += `  history lost: ${lost.engineId} reported limits revision ${lost.limitsRevision}, which the store does not hold (the store restarted empty or was wiped)\n`;
  }
  return `${text}${confirmations.confirmed.length} of ${total} engines confirmed revision ${record.revision}\n`;
}

/** A monitor rule is stored whole, defaults filled in: a missing value means the rule is off. */
function show(key: string, value: unknown): string {
  if (value === undefined) return key.startsWith('monitor.') ? '(off)' : '(default)';
  return JSON.stringify(encodeInfinity(value));
}
