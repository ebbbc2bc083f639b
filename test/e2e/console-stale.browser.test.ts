// The console never looks live when it is not (issue 13): a real engine hung with SIGSTOP, then
// stopped, under a real chromium. Before, the page kept "SAFE", fresh-looking ages and figures.

import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scratchDirectory, startCli, waitFor, type RunningCli } from '../support/cli-harness.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/chromium.js';

const chromiumMissing = !existsSync(CHROMIUM);
const skip = chromiumMissing && process.env.CI === undefined;
if (skip) console.warn(`SKIPPED test/e2e/console-stale.browser.test.ts: ${CHROMIUM} is missing.`);

/** Seconds in the stale note ("No word from the engine for 4.5 s"). */
async function silentSeconds(page: Page): Promise<number> {
  const text = (await page.locator('#stale-note').textContent()) ?? '';
  const match = /for ([\d.]+) s/.exec(text);
  if (match === null) throw new Error(`no age in the stale note: "${text}"`);
  return Number(match[1]);
}

describe.skipIf(skip)('console liveness in chromium', () => {
  let engine: RunningCli | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (chromiumMissing) throw new Error(`${CHROMIUM} is missing: .ci/run must install chromium`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    if (engine !== undefined && engine.child.exitCode === null) {
      engine.child.kill('SIGCONT');
      engine.child.kill('SIGKILL');
      await engine.exited;
    }
  });

  it('says UNKNOWN with the last known state and a counting age when the engine hangs, live again when it resumes, and UNKNOWN when it stops', async () => {
    const stateDir = await scratchDirectory('livegate-console-stale-');
    engine = startCli([
      ...['run', '--state-dir', stateDir, '--http', '127.0.0.1:0', '--rate', '200'],
      ...['--ticks', '0', '--engine-id', 'stale-console'],
    ]);
    const running = engine;
    const baseUrl = await waitFor(
      'the console address',
      () => /http:\/\/127\.0\.0\.1:\d+\//.exec(running.stderr())?.[0],
      20_000,
    );
    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(baseUrl);
    await page.locator('#state-banner[data-state="SAFE"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('#stale-note').isHidden()).toBe(true);
    await page.locator('#engines-table td', { hasText: 'stale-console' }).first().waitFor();
    await page.locator('#latest-ticks', { hasText: /^now \d/ }).waitFor();

    // Hung: the socket stays open and nothing arrives.
    running.child.kill('SIGSTOP');
    await page.locator('#state-banner[data-state="UNKNOWN"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('#state-name').textContent()).toBe('UNKNOWN');
    const note = page.locator('#stale-note');
    expect(await note.textContent()).toMatch(/stopped reporting.*last known: SAFE, revision 1/);
    const first = await silentSeconds(page);
    await page.waitForTimeout(1_500);
    expect(await silentSeconds(page)).toBeGreaterThan(first + 0.9); // the age counts
    expect(await page.locator('#engines-table tr.stale').count()).toBeGreaterThan(0);
    expect(await page.evaluate<boolean>('document.body.classList.contains("stale")')).toBe(true);
    expect(await page.title()).toMatch(/^UNKNOWN \(last known SAFE\)/);
    // The figures say they are the last known ones, not "now" (they used to read "now 1,001").
    expect(await page.locator('#latest-ticks').textContent()).toMatch(/^last \d/);
    expect(await page.locator('#latest-orders').textContent()).toMatch(/^last \d/);
    expect(await page.locator('#engine-totals').textContent()).toMatch(/STALE, as of [\d.]+ s ago/);

    // Resumes: live again, no note.
    running.child.kill('SIGCONT');
    await page.locator('#state-banner[data-state="SAFE"]').waitFor({ timeout: 10_000 });
    expect(await note.isHidden()).toBe(true);
    expect(await page.locator('#latest-ticks').textContent()).toMatch(/^now \d/);
    expect(await page.locator('#engine-totals').textContent()).not.toContain('STALE');

    // Stopped: the stream drops.
    running.child.kill('SIGTERM');
    await running.exited;
    await page.locator('#state-banner[data-state="UNKNOWN"]').waitFor({ timeout: 10_000 });
    expect(await note.textContent()).toMatch(/connection to the engine is lost/);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
