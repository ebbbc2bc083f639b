// Pure rules for which kill-switch changes are allowed: shared by the in-process switch and the CLI.

import { printableAuditText } from '../core/audit-text.js';
import { LivegateError } from '../core/errors.js';
import type {
  KillSwitchChange,
  KillSwitchOrigin,
  KillSwitchRecord,
  KillSwitchTrigger,
} from '../core/kill-switch-record.js';

/** `unreadable` is set when the stored state exists but cannot be read (then `current` is null). */
export type Decision = (
  current: KillSwitchRecord | null,
  unreadable?: LivegateError,
) => KillSwitchChange | null;

function requireText(value: string, what: string): string {
  // Engines engage with text they did not choose (an error message): refusing it for a control
  // character would leave the switch open, so here it is only made printable. The edges that take
  // text from people (HTTP body, CLI flags) refuse it with auditTextProblem instead.
  const printable = printableAuditText(value);
  if (printable.length === 0) {
    throw new LivegateError('ERR_USAGE', `a kill-switch change needs a non-empty ${what}`);
  }
  return printable;
}

/** ENGAGED from any state; writes nothing if already ENGAGED (the first engagement keeps its metadata). */
export function engageDecision(
  reason: string,
  by: string,
  trigger: KillSwitchTrigger,
  origin?: KillSwitchOrigin,
): Decision {
  const change: KillSwitchChange = {
    state: 'ENGAGED',
    reason: requireText(reason, 'reason'),
    by: requireText(by, 'actor (by)'),
    trigger,
    ...(origin === undefined ? {} : { origin }),
  };
  return (current) => (current?.state === 'ENGAGED' ? null : change);
}

/** REDUCING only from SAFE: it never loosens a latched ENGAGED nor an unreadable (fail-closed) state. */
export function reduceDecision(
  reason: string,
  by: string,
  trigger: KillSwitchTrigger,
  origin?: KillSwitchOrigin,
): Decision {
  const change: KillSwitchChange = {
    state: 'REDUCING',
    reason: requireText(reason, 'reason'),
    by: requireText(by, 'actor (by)'),
    trigger,
    ...(origin === undefined ? {} : { origin }),
  };
  return (current, unreadable) =>
    unreadable === undefined && (current === null || current.state === 'SAFE') ? change : null;
}

/**
 * The only way out of ENGAGED or REDUCING: an operator by name, with a reason. It always writes a new
 * revision, even over SAFE, because that is what releases engines latched closed on unreadable state.
 */
export function resetDecision(reason: string, by: string, origin?: KillSwitchOrigin): Decision {
  const change: KillSwitchChange = {
    state: 'SAFE',
    reason: requireText(reason, 'reason'),
    by: requireText(by, 'operator name (by)'),
    trigger: 'manual',
    ...(origin === undefined ? {} : { origin }),
  };
  return () => change;
}

/** First start: SAFE, or ENGAGED when the configuration asks to start closed. Never overwrites unreadable state. */
export function initialDecision(startEngaged: boolean, by: string): Decision {
  const change: KillSwitchChange = {
    state: startEngaged ? 'ENGAGED' : 'SAFE',
    reason: startEngaged ? 'first start with startEngaged: true' : 'first start',
    by,
    trigger: 'startup',
  };
  return (current, unreadable) => (current === null && unreadable === undefined ? change : null);
}

/**
 * `livegate init`: creates the state of a store that has none (a new shared store, or one that lost
 * its data), as an audited act. SAFE releases engines that failed closed on the missing state.
 */
export function initDecision(reason: string, by: string, engaged: boolean): Decision {
  const change: KillSwitchChange = {
    state: engaged ? 'ENGAGED' : 'SAFE',
    reason: requireText(reason, 'reason'),
    by: requireText(by, 'operator name (by)'),
    trigger: 'init',
  };
  // State this process's high-water mark saw that is now gone (a store that lost its data) is
  // what init is for; damaged or rolled-back state is not: a reset repairs that.
  return (current, unreadable) =>
    current === null && (unreadable === undefined || unreadable.details?.['vanished'] === true)
      ? change
      : null;
}
