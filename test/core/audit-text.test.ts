import { describe, expect, it } from 'vitest';
import { MemoryKillSwitchStore } from '../../src/adapters/stores/memory-kill-switch-store.js';
import {
  auditTextProblem,
  MAX_BY_LENGTH,
  MAX_REASON_LENGTH,
  printableAuditText,
} from '../../src/core/audit-text.js';
import { KillSwitch } from '../../src/killswitch/kill-switch.js';

describe('auditTextProblem', () => {
  it('accepts printable text in any script, trimmed', () => {
    for (const text of [
      'fat finger on EURUSD',
      '  Zoë Ødegaard  ',
      'שגיאה בשער',
      'halt 🚨 now',
      'x'.repeat(MAX_REASON_LENGTH),
    ]) {
      expect(auditTextProblem(text, MAX_REASON_LENGTH), text).toBeNull();
    }
  });

  it('refuses empty and oversized text', () => {
    expect(auditTextProblem(' \t\n ', MAX_BY_LENGTH)).toBe('must not be empty');
    expect(auditTextProblem('b'.repeat(MAX_BY_LENGTH + 1), MAX_BY_LENGTH)).toBe(
      'must be at most 100 characters',
    );
  });

  it.each([
    ['NUL', '\u0000', 'U+0000'],
    ['ESC', '\u001b', 'U+001B'],
    ['a newline', '\n', 'U+000A'],
    ['a tab', '\t', 'U+0009'],
    ['DEL', '\u007f', 'U+007F'],
    ['a C1 CSI', '\u009b', 'U+009B'],
    ['a line separator', '\u2028', 'U+2028'],
  ])('refuses %s inside the text, naming it and where', (_name, character, code) => {
    expect(auditTextProblem(`ab${character}cd`, MAX_REASON_LENGTH)).toBe(
      `must be printable: control character ${code} at position 3`,
    );
  });

  it.each([
    '\u202a',
    '\u202b',
    '\u202c',
    '\u202d',
    '\u202e',
    '\u2066',
    '\u2067',
    '\u2068',
    '\u2069',
  ])('refuses the bidirectional control %j', (character) => {
    expect(auditTextProblem(`alice${character}x`, MAX_BY_LENGTH)).toMatch(
      /^must not reorder text: bidirectional control character U\+20[26][0-9A-F] at position 6$/,
    );
  });

  it('counts positions in characters, not UTF-16 units', () => {
    expect(auditTextProblem('🚨🚨\u001b', MAX_REASON_LENGTH)).toContain('at position 3');
  });
});

describe('printableAuditText', () => {
  it('folds line breaks into one space and replaces other controls, keeping the rest', () => {
    expect(printableAuditText('  boom\r\n  at f (x.js:1)\t\u001b[2J\u202egnp\u0000 ')).toBe(
      'boom   at f (x.js:1) \ufffd[2J\ufffdgnp\ufffd',
    );
    expect(printableAuditText('Zoë 🚨')).toBe('Zoë 🚨');
  });
});

describe('kill-switch changes and their audit text', () => {
  it('never refuses an engine-written engage over its text, and records it printable', async () => {
    const store = new MemoryKillSwitchStore();
    const killSwitch = await KillSwitch.open(store, { actor: 'engine-a' });
    // What LiveEngine writes after repeated strategy errors: an error message, multi-line, long.
    const reason = `5 consecutive strategy errors, last: venue said\n${'{"detail":"x"} '.repeat(60)}\u001b[0m`;
    const record = await killSwitch.engage(reason, 'engine-a', 'error');
    expect(killSwitch.state).toBe('ENGAGED');
    expect(record.state).toBe('ENGAGED');
    expect(record.reason).toBe(printableAuditText(reason));
    expect(record.reason.length).toBeGreaterThan(MAX_REASON_LENGTH);
    expect(auditTextProblem(record.reason, Infinity)).toBeNull();
  });

  it('still refuses a change without a reason or a name', async () => {
    const killSwitch = await KillSwitch.open(new MemoryKillSwitchStore(), { actor: 'engine-a' });
    await expect(killSwitch.reset('\n\u2028', 'dave')).rejects.toMatchObject({ code: 'ERR_USAGE' });
  });
});
