// `livegate kill | reduce | reset` take --reason and --by from people: the audit trail's rule
// (src/core/audit-text.ts) refuses what is not printable before anything is written.

import { describe, expect, it } from 'vitest';
import { FileKillSwitchStore } from '../../src/adapters/stores/file-kill-switch-store.js';
import { runCli, scratchDirectory } from '../support/cli-harness.js';

async function storedRecord(stateDir: string) {
  const store = new FileKillSwitchStore({ stateDirectory: stateDir, useFsWatch: false });
  try {
    return await store.read();
  } catch {
    return null;
  } finally {
    await store.close();
  }
}

describe('livegate kill | reduce | reset --reason/--by', () => {
  it('refuses text that is not printable or too long as a usage error naming the flag, writing nothing', async () => {
    const stateDir = await scratchDirectory();
    const cases = [
      {
        args: ['kill', '--reason', 'halt\u001b[2J now', '--by', 'ann'],
        says: '--reason must be printable: control character U+001B at position 5',
      },
      {
        args: ['reduce', '--reason', 'trim', '--by', 'ann\u202egnp.exe'],
        says: '--by must not reorder text: bidirectional control character U+202E at position 4',
      },
      {
        args: ['reset', '--reason', 'x'.repeat(501), '--by', 'ann'],
        says: '--reason must be at most 500 characters',
      },
    ];
    for (const { args, says } of cases) {
      const result = await runCli([...args, '--state-dir', stateDir]);
      expect(result.code, args[0]).toBe(2);
      expect(result.stderr).toContain(`ERR_USAGE: ${says}`);
      // The refused text is named by code point, never echoed to the terminal.
      expect(result.stderr).not.toContain('\u001b');
      expect(result.stderr).not.toContain('\u202e');
    }
    expect(await storedRecord(stateDir)).toBeNull();

    expect((await runCli(['init', '--reason', 'new', '--state-dir', stateDir])).code).toBe(0);
    const accepted = await runCli(['kill', '--reason', ' halt ', '--state-dir', stateDir]);
    expect(accepted.code).toBe(0);
    expect(await storedRecord(stateDir)).toMatchObject({ state: 'ENGAGED', reason: 'halt' });
  });
});
