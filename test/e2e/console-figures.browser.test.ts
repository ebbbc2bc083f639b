// The console's figures against the engine's own, in a real chromium on a real `livegate run`
// (issue 13): charts that open full, denial totals never above the engine's counters, a repeated
// KILL or a REDUCE while ENGAGED said before it is sent, and no empty area under the kill switch.

import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusResponse } from '../../src/http/control-messages.js';
import { scratchDirectory, startCli, waitFor, type RunningCli } from '../support/cli-harness.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/chromium.js';

const ENGINE_ID = 'console-figures';
const OPERATOR_TOKEN = 'console-figures-operator-token';
const ADMIN_TOKEN = 'console-figures-admin-token';

const chromiumMissing = !existsSync(CHROMIUM);
const skip = chromiumMissing && process.env.CI === undefined;
if (skip) console.warn(`SKIPPED test/e2e/console-figures.browser.test.ts: ${CHROMIUM} is missing.`);

describe.skipIf(skip)('console figures in chromium', () => {
  let engine: RunningCli | undefined;
  let browser: Browser | undefined;
  let baseUrl: string;
  let startedAt: number;

  beforeAll(async () => {
    if (chromiumMissing) throw new Error(`${CHROMIUM} is missing: .ci/run must install chromium`);
    const stateDir = await scratchDirectory('livegate-console-figures-');
    engine = startCli(
      [
        ...['run', '--state-dir', stateDir, '--http', '127.0.0.1:0', '--feed', 'synthetic'],
        ...['--rate', '500', '--ticks', '0', '--strategy', 'one-order-per-tick'],
        ...['--engine-id', ENGINE_ID],
      ],
      { LIVEGATE_OPERATOR_TOKEN: OPERATOR_TOKEN, LIVEGATE_ADMIN_TOKEN: ADMIN_TOKEN },
    );
    const running = engine;
    baseUrl = await waitFor(
      'the console address',
      () => {
        if (running.child.exitCode !== null)
          throw new Error(`livegate run exited ${running.child.exitCode}:\n${running.stderr()}`);
        return /http:\/\/127\.0\.0\.1:\d+\//.exec(running.stderr())?.[0];
      },
      20_000,
    );
    startedAt = Date.now();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    if (engine !== undefined && engine.child.exitCode === null) {
      engine.child.kill('SIGTERM');
      await engine.exited;
    }
  });

  const status = async (): Promise<StatusResponse> =>
    (await (await fetch(new URL('/api/status', baseUrl))).json()) as StatusResponse;

  const change = async (action: 'engage' | 'reset', token: string, reason: string) =>
    fetch(new URL(`/api/killswitch/${action}`, baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ reason, by: 'figures test' }),
    });

  async function open(state: string): Promise<{ page: Page; problems: () => string[] }> {
    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    const seen: string[] = [];
    page.on('pageerror', (error) => seen.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') seen.push(message.text());
    });
    await page.goto(baseUrl);
    await page.locator(`#state-banner[data-state="${state}"]`).waitFor({ timeout: 10_000 });
    return { page, problems: () => [...seen] };
  }

  it('opens with the charts already holding the seconds the engine ran before the page', async () => {
    // No page was open while the engine ran: the history was kept without one.
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, startedAt + 5_000 - Date.now())),
    );
    const { page, problems } = await open('SAFE');
    // Read at once, before the stream's one-second stats could have added more than a point.
    const points = Number(await page.locator('#charts').getAttribute('data-points'));
    expect(points).toBeGreaterThanOrEqual(3);
    expect(problems()).toEqual([]);
    await page.close();
  }, 30_000);

  it('writes figures one way: no "-0", money in cents, tiny amounts never "0", units on rule values, ages in seconds', async () => {
    const { page, problems } = await open('SAFE');
    // The module the page itself loads (a string: this project compiles without the DOM lib).
    const written = await page.evaluate<Record<string, string>>(`import('/format.js').then((f) => ({
      minusZero: f.money(-0), roundsToMinusZero: f.money(-0.0000000001), tinyLoss: f.money(-0.004),
      tinyGain: f.money(0.004), loss: f.money(-1.5), gain: f.money(1234.5), count: f.number(-0.0001),
      price1: f.price(1.1), price2: f.price(1.099356), price3: f.price(61234.5),
      ageShort: f.age(870), ageLong: f.age(12_340),
      applied: f.appliedAfter(3.14), appliedSkewed: f.appliedAfter(-2587),
    }))`);
    expect(written).toEqual({
      minusZero: '0.00',
      roundsToMinusZero: '0.00',
      tinyLoss: '> −0.01',
      tinyGain: '< 0.01',
      loss: '−1.50',
      gain: '1,234.50',
      count: '0',
      price1: '1.10000',
      price2: '1.09936',
      price3: '61,234.50',
      ageShort: '0.9 s ago',
      ageLong: '12.3 s ago',
      applied: 'applied 3.1 ms after the request',
      // An engine on a host whose clock is behind: never "applied −2,587 ms after the request".
      appliedSkewed: "applied (its host's clock is behind this one: no timing)",
    });
    // On the live page: money with two decimals, rule values with units, ages in seconds.
    await page.locator('#rules-table td[data-label="Value"]').first().waitFor();
    await page.locator('#engines-table td', { hasText: ENGINE_ID }).first().waitFor();
    const pnl = await page.locator('#pnl-summary dd').allTextContents();
    expect(pnl.length).toBeGreaterThan(0);
    for (const figure of pnl) expect(figure).toMatch(/^(−?\d[\d,]*\.\d\d|< 0\.01|> −0\.01)$/);
    const rules = await page
      .locator('#rules-table td[data-label="Value"], #rules-table td[data-label="Threshold"]')
      .allTextContents();
    expect(rules.length).toBeGreaterThan(0);
    for (const value of rules) expect(value).toMatch(/\d \S+/);
    const ages = await page.locator('#engines-table tbody td:last-child').allTextContents();
    for (const cell of ages) expect(cell).toMatch(/\d\.\d s ago$/);
    expect(problems()).toEqual([]);
    await page.close();
  }, 30_000);

  it('puts the next panel right under the kill-switch panel (no large empty area)', async () => {
    const { page, problems } = await open('SAFE');
    await page.locator('#engines-table td', { hasText: ENGINE_ID }).first().waitFor();
    const gap = await page.evaluate<number>(`(() => {
      const controls = document.getElementById('controls').getBoundingClientRect();
      const below = [...document.querySelectorAll('main .panel')]
        .map((panel) => panel.getBoundingClientRect())
        .filter((box) => box.top >= controls.bottom - 1 && box.left < controls.right && box.right > controls.left)
        .map((box) => box.top - controls.bottom);
      return below.length === 0 ? -1 : Math.min(...below);
    })()`);
    expect(gap).toBeGreaterThanOrEqual(0);
    expect(gap).toBeLessThanOrEqual(32);
    expect(problems()).toEqual([]);
    await page.close();
  }, 30_000);

  it('shows the engine’s own denial counters since start, never more than the engine counted', async () => {
    expect((await change('engage', OPERATOR_TOKEN, 'denial totals')).status).toBe(200);
    const code = await waitFor('a block in the engine counters', async () => {
      const blocks = (await status()).engine.blocks ?? {};
      return Object.keys(blocks).find((key) => (blocks[key] ?? 0) > 0);
    });
    const { page, problems } = await open('ENGAGED');
    const row = page.locator('#denials-table tbody tr', { hasText: code });
    const shown = async (): Promise<number> =>
      Number(((await row.locator('td').nth(2).textContent()) ?? '').replace(/[^\d]/g, ''));
    await waitFor('the page to show blocks', async () => ((await shown()) > 0 ? true : undefined));
    // Across more than one status refresh (5 s) and several stream intervals (1 s).
    for (let sample = 0; sample < 14; sample++) {
      const onPage = await shown();
      const engineAfter = (await status()).engine.blocks?.[code] ?? 0;
      expect(onPage).toBeLessThanOrEqual(engineAfter);
      await page.waitForTimeout(450);
    }
    expect(problems()).toEqual([]);
    await page.close();
    expect((await change('reset', ADMIN_TOKEN, 'denial totals done')).status).toBe(200);
  }, 60_000);

  it('asks again in the dialog for a token the API refused (the operator token on RESET), keeping the reason and name', async () => {
    expect((await change('engage', OPERATOR_TOKEN, 'before reset drill')).status).toBe(200);
    const { page, problems } = await open('ENGAGED');
    await page.getByLabel('API token').fill(OPERATOR_TOKEN);
    await page.getByRole('button', { name: 'Use token' }).click();
    await page.getByRole('button', { name: 'Forget token' }).waitFor();
    await page.getByRole('button', { name: 'RESET', exact: true }).click();
    const dialog = page.getByRole('dialog');
    const tokenField = dialog.getByLabel('Token');
    expect(await tokenField.isHidden()).toBe(true); // a token is set: not asked up front
    await dialog.getByLabel('Reason').fill('reset drill');
    await dialog.getByLabel('Your name').fill('resetter');
    await dialog.getByRole('button', { name: 'Reset', exact: true }).click();
    await dialog.locator('#dialog-error', { hasText: 'HTTP 403' }).waitFor();
    // Asked again here; what was typed is still there.
    expect(await tokenField.isVisible()).toBe(true);
    expect(await dialog.locator('#dialog-error').textContent()).toContain(
      'Enter the admin token above',
    );
    expect(await dialog.getByLabel('Reason').inputValue()).toBe('reset drill');
    expect(await dialog.getByLabel('Your name').inputValue()).toBe('resetter');
    await tokenField.fill(ADMIN_TOKEN);
    await dialog.getByRole('button', { name: 'Reset', exact: true }).click();
    await page.locator('#state-banner[data-state="SAFE"]').waitFor({ timeout: 5_000 });
    expect(await page.locator('#state-reason').textContent()).toBe('reset drill');
    expect(problems().filter((line) => !/status of 403\b/.test(line))).toEqual([]);
    await page.close();
  }, 60_000);

  it('says in the dialog, before anything is typed, that a repeated KILL or a REDUCE while ENGAGED writes nothing', async () => {
    expect((await change('engage', OPERATOR_TOKEN, 'first kill')).status).toBe(200);
    const { page, problems } = await open('ENGAGED');
    await page.getByLabel('API token').fill(OPERATOR_TOKEN);
    await page.getByRole('button', { name: 'Use token' }).click();
    await page.getByRole('button', { name: 'Forget token' }).waitFor();
    for (const [button, confirm, stricter] of [
      ['KILL', 'Engage', false],
      ['REDUCE', 'Reduce', true],
    ] as const) {
      await page.getByRole('button', { name: button, exact: true }).click();
      const dialog = page.getByRole('dialog');
      const already = dialog.locator('#dialog-already');
      await already.waitFor({ state: 'visible' });
      const said = (await already.textContent()) ?? '';
      expect(said).toMatch(/^Already ENGAGED/);
      expect(said).toContain('first kill');
      expect(said).toContain('writes nothing');
      expect(said.includes('stricter than REDUCING')).toBe(stricter);
      await dialog.getByLabel('Reason').fill(`repeat ${button}`);
      await dialog.getByLabel('Your name').fill('repeater');
      await dialog.getByRole('button', { name: confirm, exact: true }).click();
      await dialog.waitFor({ state: 'hidden' });
      const result = (await page.locator('#action-result').textContent()) ?? '';
      expect(result).toContain('nothing written');
      expect(result).not.toMatch(/−|-\d[\d,.]* ms/); // no negative "applied … ms after"
    }
    // Neither repeat reached the audit trail: the first kill keeps its reason.
    const reasons = (await status()).audit.map((record) => record.reason);
    expect(reasons).toContain('first kill');
    expect(reasons.filter((reason) => reason.startsWith('repeat '))).toEqual([]);
    expect(problems()).toEqual([]);
    await page.close();
    expect((await change('reset', ADMIN_TOKEN, 'repeat done')).status).toBe(200);
    // SAFE again: the dialog no longer says anything is in force.
    const { page: safePage } = await open('SAFE');
    await safePage.getByRole('button', { name: 'KILL', exact: true }).click();
    expect(await safePage.locator('#dialog-already').isHidden()).toBe(true);
    await safePage.close();
  }, 60_000);
});
