// Review 12b: the kill session's sequence file cannot be written (its directory on a full disk:
// the 64-byte record is refused with ENOSPC). FixSequenceFile keeps a `writeFailure` that nothing
// reads: the kill logs on and sends with numbers it never persisted, reports the venue confirmed,
// and the empty file makes the NEXT kill log on at 1, which the venue refuses ("too low") even
// after the disk has room again. A kill that cannot persist its numbers must say so (or the
// next kill must still reach the venue).
import { rmSync, symlinkSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, scratchDirectory } from '../support/cli-harness.js';
import { FixVenue } from '../support/fix-venue.js';
import { CANNOT_MOUNT, mountSmallDisk, type SmallDisk } from '../support/small-disk.js';

let venue: FixVenue | undefined;
let disk: SmallDisk | undefined;
afterEach(async () => {
  await venue?.stop();
  venue = undefined;
  await disk?.unmount();
  disk = undefined;
});

interface Receipt {
  confirmed: boolean;
  problem?: string;
}

async function kill(common: string[], reason: string) {
  const result = await runCli([
    'kill',
    ...common,
    '--reason',
    reason,
    '--timeout',
    '6000',
    '--json',
  ]);
  if (result.stdout.trim() === '') throw new Error(`kill printed nothing: ${result.stderr}`);
  const receipt = (JSON.parse(result.stdout) as { venues: { receipts: Receipt[] } }).venues
    .receipts[0]!;
  return { result, receipt };
}

describe.skipIf(CANNOT_MOUNT !== '')(
  'review12b: kill-session sequence numbers on a full disk',
  () => {
    it('does not report a clean kill while leaving numbers that lock the next kill out', async () => {
      venue = await FixVenue.start({ accounts: { DESK: 'ACME', 'DESK-KILL': 'ACME' } });
      const directory = await scratchDirectory('livegate-review12b-full-');
      const config = path.join(directory, 'livegate.yaml');
      await writeFile(
        config,
        [
          'broker: { kind: fix }',
          'fix:',
          '  host: 127.0.0.1',
          `  port: ${venue.port}`,
          '  senderCompId: DESK',
          '  targetCompId: VENUE',
          '  killSenderCompId: DESK-KILL',
          '  reconnectDelayMs: 100',
          '  requestTimeoutMs: 1000',
          'http: { enabled: false }',
          '',
        ].join('\n'),
      );
      const stateDir = path.join(directory, 'state');
      const common = ['--config', config, '--state-dir', stateDir];
      const init = await runCli(['init', ...common, '--reason', 'set up']);
      expect(init.code, init.stderr).toBe(0);
      // Only the FIX sequence files live on the full disk: the kill store itself has room.
      disk = await mountSmallDisk(64 * 1024);
      symlinkSync(disk.directory, path.join(stateDir, 'fix'));
      const filler = disk.fill();

      const first = await kill(common, 'disk full');
      console.log('first:', first.result.code, first.receipt.confirmed, first.receipt.problem);
      rmSync(filler);
      const second = await kill(common, 'disk has room again');
      console.log('second:', second.result.code, second.receipt.problem);
      const firstSaidSo =
        first.result.code !== 0 && /seqnums|sequence/.test(first.receipt.problem ?? '');
      // Either the kill that could not persist its numbers said so, naming the full disk (not a
      // lock it left behind itself), or the next kill works.
      if (firstSaidSo) expect(first.receipt.problem).toMatch(/ENOSPC|no space/i);
      else {
        expect(second.receipt.problem ?? '').not.toMatch(/too low/);
        expect(second.result.code, second.result.stderr).toBe(0);
      }
    }, 60_000);
  },
);
