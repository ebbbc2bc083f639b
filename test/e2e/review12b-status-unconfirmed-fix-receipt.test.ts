// Review 12b: after a FIX kill that could not confirm the venue (a refused mass cancel and a
// refused order cancel), `livegate status` shows that last receipt: NOT CONFIRMED, the order named.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, scratchDirectory } from '../support/cli-harness.js';
import { FixVenue } from '../support/fix-venue.js';

let venue: FixVenue | undefined;
afterEach(async () => {
  await venue?.stop();
  venue = undefined;
});

describe('review12b: status after a FIX kill that could not confirm', () => {
  it('shows NOT CONFIRMED and names the order still open', async () => {
    venue = await FixVenue.start({ accounts: { DESK: 'ACME', 'DESK-KILL': 'ACME' } });
    for (const id of ['11e6a7e0d1', '11e6a7e0d2']) {
      venue.book.handle('DESK', 'ACME', 'D', {
        ClOrdID: id,
        Instrument: { Symbol: 'EURUSD' },
        Side: '1',
        OrderQtyData: { OrderQty: 1000 },
        OrdType: '2',
        Price: 1.05,
      });
    }
    venue.book.refuseMassCancel = true;
    venue.book.refuseCancelOf.add('11e6a7e0d2');
    const directory = await scratchDirectory('livegate-review12b-status-');
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
        '  requestTimeoutMs: 1000',
        'http: { enabled: false }',
        '',
      ].join('\n'),
    );
    const common = ['--config', config, '--state-dir', path.join(directory, 'state')];
    expect((await runCli(['init', ...common, '--reason', 'set up'])).code).toBe(0);
    // Room for jspurefix's load (over 1 s on a loaded host) and the per-order fallback.
    const kill = await runCli(['kill', ...common, '--reason', 'drill', '--timeout', '8000']);
    expect(kill.code, kill.stderr).toBe(1);
    const status = await runCli(['status', ...common]);
    console.log(status.code, status.stdout, status.stderr);
    expect(status.stdout).toMatch(/NOT CONFIRMED/);
    expect(status.stdout).toMatch(/11e6a7e0d2/);
  }, 60_000);
});
