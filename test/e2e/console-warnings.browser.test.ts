// Graduated warnings and trading windows as an operator sees them, in a real chromium on a real
// `livegate run`: a rule past 50 % of its limit is coloured in the rules panel (and its warning is
// in the journal), and a closed window is listed with its next open.

import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { readJournal } from '../../src/adapters/sinks/journal-reader.js';
import { onlyJournal, scratchDirectory, startCli, waitFor } from '../support/cli-harness.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/chromium.js';

const STRATEGY = path.resolve('test/fixtures/buy-up-to-strategy.mjs');
const chromiumMissing = !existsSync(CHROMIUM);
const skip = chromiumMissing && process.env.CI === undefined;
if (skip)
  console.warn(`SKIPPED test/e2e/console-warnings.browser.test.ts: ${CHROMIUM} is missing.`);

describe.skipIf(skip)('console: warnings and trading windows', () => {
  it('colours a rule past its 50 % warning and lists a closed window', async () => {
    if (chromiumMissing) throw new Error(`${CHROMIUM} is missing: .ci/run must install chromium`);
    const stateDir = await scratchDirectory('livegate-console-warnings-');
    const config = path.join(stateDir, 'livegate.yaml');
    await writeFile(
      config,
      [
        `stateDir: ${stateDir}`,
        'feed: { kind: synthetic, synthetic: { symbols: [EURUSD, GBPUSD], rate: 200 } }',
        `strategy: { module: ${STRATEGY}, options: { symbol: EURUSD, quantity: 10, target: 60 } }`,
        'engine: { heartbeatIntervalMs: 200 }',
        'http: { port: 0 }',
        'risk:',
        // EURUSD trades at any time; GBPUSD's window never opens on the day it runs.
        '  tradingWindows:',
        "    symbols: { GBPUSD: { timeZone: UTC, days: [sun], open: '00:00', close: '00:01' } }",
        '  monitor: { rules: { positionLimit: { limit: 100, action: alert } } }',
        '',
      ].join('\n'),
    );
    const engine = startCli(['run', '--config', config]);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const baseUrl = await waitFor(
        'the console address',
        () => {
          if (engine.child.exitCode !== null) throw new Error(engine.stderr());
          return /http:\/\/127\.0\.0\.1:\d+\//.exec(engine.stderr())?.[0];
        },
        20_000,
      );
      const page = await browser.newPage();
      await page.goto(baseUrl);
      const row = page.locator('#rules-table tbody tr', { hasText: 'positionLimit' });
      await row.and(page.locator('.warning-low')).waitFor({ timeout: 15_000 });
      expect(await row.locator('td').last().textContent()).toBe('60 % ⚠ past 50 %');
      const window = page.locator('#windows-table tbody tr');
      await window.first().waitFor();
      expect(await window.count()).toBe(1);
      const cells = await window.first().locator('td').allTextContents();
      expect(cells.slice(0, 2)).toEqual(['GBPUSD (UTC)', 'CLOSED']);
      expect(cells[2]).toContain('Sun');
      expect(await window.first().getAttribute('class')).toBe('window-closed');
    } finally {
      await browser.close();
      engine.child.kill('SIGTERM');
      await engine.exited;
    }
    const events = (await readJournal(await onlyJournal(stateDir))).events;
    const warnings = events.flatMap((event) =>
      event.type === 'RiskLimitApproached' ? [[event.rule, event.level]] : [],
    );
    expect(warnings).toEqual([['positionLimit', 0.5]]);
  }, 60_000);
});
