// The operator console in a real chromium against a real `livegate run`: an operator engages the
// kill switch from the page, the engine stops ordering, an admin resets it. Never downloads a browser.

import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJournal } from '../../src/adapters/sinks/journal-reader.js';
import type { StatusResponse } from '../../src/http/control-messages.js';
import { scratchDirectory, startCli, waitFor, type RunningCli } from '../support/cli-harness.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/chromium.js';

const ARTIFACTS = path.resolve('test-artifacts');
const ENGINE_ID = 'console-e2e';
const OPERATOR_TOKEN = 'console-e2e-operator-token';
const ADMIN_TOKEN = 'console-e2e-admin-token';
const OPERATOR = 'e2e operator';

const chromiumMissing = !existsSync(CHROMIUM);
const skip = chromiumMissing && process.env.CI === undefined;
if (skip)
  console.warn(
    `SKIPPED test/e2e/console.browser.test.ts (operator console in chromium): ${CHROMIUM} is ` +
      'missing. Install Debian chromium to run it; on CI (CI set) this fails instead.',
  );

describe.skipIf(skip)('operator console in chromium', () => {
  let stateDir: string;
  let engine: RunningCli | undefined;
  let baseUrl: string;
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (chromiumMissing)
      throw new Error(`${CHROMIUM} is missing: .ci/run must install Debian's chromium package`);
    stateDir = await scratchDirectory('livegate-console-');
    // one-order-per-tick orders on every tick, so "stopped ordering" cannot be a quiet strategy.
    engine = startCli(
      [
        'run',
        '--state-dir',
        stateDir,
        '--http',
        '127.0.0.1:0',
        '--feed',
        'synthetic',
        '--rate',
        '500',
        '--ticks',
        '0',
        '--strategy',
        'one-order-per-tick',
        '--engine-id',
        ENGINE_ID,
      ],
      { LIVEGATE_OPERATOR_TOKEN: OPERATOR_TOKEN, LIVEGATE_ADMIN_TOKEN: ADMIN_TOKEN },
    );
    baseUrl = await consoleAddress(engine);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    await mkdir(ARTIFACTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    if (engine !== undefined && engine.child.exitCode === null) {
      engine.child.kill('SIGTERM');
      await engine.exited;
    }
  });

  const status = async (): Promise<StatusResponse> => {
    const response = await fetch(new URL('/api/status', baseUrl));
    expect(response.status).toBe(200);
    return (await response.json()) as StatusResponse;
  };

  it('refuses a wrong token with the 401 message and leaves the switch SAFE', async () => {
    const { page, problems } = await openConsole(browser!, baseUrl);
    await setToken(page, 'not-the-token');
    await requestChange(page, 'KILL', 'Engage', 'wrong token drill');
    const error = page.locator('#dialog-error');
    await error.waitFor({ state: 'visible', timeout: 10_000 });
    expect(await error.textContent()).toMatch(/HTTP 401.*UNAUTHORIZED.*not valid/);
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden', timeout: 2_000 });
    expect(await page.locator('#state-name').textContent()).toBe('SAFE');
    expect((await status()).killSwitch.enforcedState).toBe('SAFE');
    expect(problems()).toEqual([]);
    await page.close();
  });

  it('fits a 375 px phone screen without horizontal scrolling', async () => {
    const { page, problems } = await openConsole(browser!, baseUrl, { width: 375, height: 812 });
    // Charts and tables filled with live figures: the widest the page gets.
    await page.locator('#latest-ticks', { hasText: 'now' }).waitFor({ timeout: 10_000 });
    await page.locator('#engines-table td', { hasText: ENGINE_ID }).first().waitFor();
    // A string: this project compiles without the DOM lib.
    const [scrollWidth, clientWidth] = await page.evaluate<[number, number]>(
      '[document.documentElement.scrollWidth, document.documentElement.clientWidth]',
    );
    expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-phone.png'), fullPage: true });
    expect(problems()).toEqual([]);
    await page.close();
  });

  it('engages from the KILL button within a second, stops the orders, and resets with the admin token', async () => {
    const { page, problems } = await openConsole(browser!, baseUrl);
    await waitFor('orders flowing before the kill', async () => {
      const before = (await status()).engine.ordersSubmitted;
      return before > 0 ? before : undefined;
    });
    await page.locator('#latest-ticks', { hasText: 'now' }).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-safe.png'), fullPage: true });

    await setToken(page, OPERATOR_TOKEN);
    await requestChange(page, 'KILL', 'Engage', 'console e2e: engage');
    await page.locator('#state-banner[data-state="ENGAGED"]').waitFor({ timeout: 1_000 });
    expect(await page.locator('#state-name').textContent()).toBe('ENGAGED');
    // The engine enforces ENGAGED before the record is durable; who and why follow with it.
    await page.locator('#state-by', { hasText: OPERATOR }).waitFor();
    // The API answers once the engine confirmed the revision at its gates.
    await page.locator('#action-result', { hasText: `Confirmed by: ${ENGINE_ID}` }).waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-engaged.png'), fullPage: true });

    const engaged = await status();
    expect(engaged.killSwitch.enforcedState).toBe('ENGAGED');
    await waitFor('250 more ticks while engaged', async () =>
      (await status()).engine.ticks >= engaged.engine.ticks + 250 ? true : undefined,
    );
    expect((await status()).engine.ordersSubmitted).toBe(engaged.engine.ordersSubmitted);

    // The operator token may not reset; the page says which token is needed.
    await requestChange(page, 'RESET', 'Reset', 'console e2e: operator tries reset');
    await page.locator('#dialog-error', { hasText: 'HTTP 403' }).waitFor();
    expect(await page.locator('#dialog-error').textContent()).toContain('admin token');
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();

    await page.getByRole('button', { name: 'Forget token' }).click();
    await setToken(page, ADMIN_TOKEN);
    await requestChange(page, 'RESET', 'Reset', 'console e2e: reset');
    await page.locator('#state-banner[data-state="SAFE"]').waitFor({ timeout: 5_000 });
    expect(await page.locator('#state-name').textContent()).toBe('SAFE');
    const newest = page.locator('#audit-table tbody tr').first();
    await newest.filter({ hasText: 'console e2e: reset' }).waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-reset.png'), fullPage: true });

    await expectNoOrdersWhileEngaged(stateDir);
    expect(problems()).toEqual([]);
    await page.close();
  }, 60_000);

  it('asks for the token inside the KILL dialog when none is set: a wrong one keeps the reason, the right one engages', async () => {
    const { page, problems } = await openConsole(browser!, baseUrl);
    await page.getByRole('button', { name: 'KILL', exact: true }).click();
    const dialog = page.getByRole('dialog');
    const tokenField = dialog.getByLabel('Token');
    expect(await tokenField.isVisible()).toBe(true);
    await dialog.getByLabel('Reason').fill('console e2e: token in the dialog');
    await dialog.getByLabel('Your name').fill(OPERATOR);
    await tokenField.fill('not-the-token');
    await dialog.getByRole('button', { name: 'Engage', exact: true }).click();
    await page.locator('#dialog-error', { hasText: 'HTTP 401' }).waitFor({ timeout: 10_000 });
    // Nothing to retype: the reason and the name are still there.
    expect(await dialog.getByLabel('Reason').inputValue()).toBe('console e2e: token in the dialog');
    await tokenField.fill(OPERATOR_TOKEN);
    await dialog.getByRole('button', { name: 'Engage', exact: true }).click();
    await page.locator('#state-banner[data-state="ENGAGED"]').waitFor({ timeout: 5_000 });
    // Kept for the session: the token form now offers to forget it.
    await page.getByRole('button', { name: 'Forget token' }).waitFor();
    const reset = await fetch(new URL('/api/killswitch/reset', baseUrl), {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'console e2e: after the dialog token test', by: OPERATOR }),
    });
    expect(reset.status).toBe(200);
    await page.locator('#state-banner[data-state="SAFE"]').waitFor({ timeout: 5_000 });
    expect(problems()).toEqual([]);
    await page.close();
  }, 30_000);

  it('says plainly that a repeated KILL changed nothing, and requests nothing that 404s (favicon)', async () => {
    const notFound: string[] = [];
    const { page, problems } = await openConsole(browser!, baseUrl);
    page.on('response', (response) => {
      if (response.status() === 404) notFound.push(response.url());
    });
    await page.reload();
    await page.locator('#state-banner[data-state="SAFE"]').waitFor({ timeout: 10_000 });
    const icon = await fetch(new URL('/favicon.svg', baseUrl));
    expect(icon.status).toBe(200);
    await setToken(page, OPERATOR_TOKEN);
    await requestChange(page, 'KILL', 'Engage', 'console e2e: first kill');
    await page.locator('#action-result', { hasText: 'durable after' }).waitFor();
    await requestChange(page, 'KILL', 'Engage', 'console e2e: second kill');
    const result = page.locator('#action-result', { hasText: 'Already ENGAGED since' });
    await result.waitFor();
    const text = (await result.textContent()) ?? '';
    expect(text).toContain('console e2e: first kill');
    expect(text).toContain('nothing written, your reason is not recorded');
    expect(text).not.toMatch(/−|-\d/); // no negative "applied … ms after the request"
    const reset = await fetch(new URL('/api/killswitch/reset', baseUrl), {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'console e2e: after the repeated kill', by: OPERATOR }),
    });
    expect(reset.status).toBe(200);
    await page.locator('#state-banner[data-state="SAFE"]').waitFor({ timeout: 5_000 });
    expect(notFound).toEqual([]);
    expect(problems()).toEqual([]);
    await page.close();
  }, 30_000);

  it('stays live on a stream slot kept for operators once a token is entered, with every shared slot taken', async () => {
    const { page, problems } = await openConsole(browser!, baseUrl);
    expect(await page.locator('#connection').getAttribute('data-slot')).toBe('shared');
    const squatters = new AbortController();
    try {
      // The page holds one shared slot; anonymous clients take all the others.
      expect(await squatStreams(baseUrl, squatters.signal)).toBe(31);
      await setToken(page, OPERATOR_TOKEN);
      await page
        .locator('#connection[data-connected="true"][data-slot="reserved"]')
        .waitFor({ timeout: 10_000 });
      // The shared slot the page left is squatted too: only the reserved one keeps it live.
      expect(await squatStreams(baseUrl, squatters.signal)).toBe(1);
      await page.locator('#state-banner[data-state="SAFE"]').waitFor();
      expect(await page.locator('#connection').textContent()).toBe('live');
    } finally {
      squatters.abort();
    }
    expect(problems()).toEqual([]);
    await page.close();
  }, 30_000);
});

/**
 * Opens anonymous event streams until the engine answers 503; resolves to how many it got. The open
 * responses are kept referenced until the signal aborts: fetch closes the connection of a response
 * the garbage collector reclaims, which freed slots mid-count on a loaded CI machine.
 */
const heldStreams = new Set<Response>();
async function squatStreams(baseUrl: string, signal: AbortSignal): Promise<number> {
  signal.addEventListener('abort', () => heldStreams.clear(), { once: true });
  for (let opened = 0; ; opened += 1) {
    const response = await fetch(new URL('/api/events', baseUrl), { signal });
    if (response.status === 503) {
      await response.body?.cancel();
      return opened;
    }
    heldStreams.add(response);
    expect(response.status).toBe(200);
    if (opened > 64) throw new Error('the engine never refused an anonymous stream');
  }
}

/** The engine prints its console address on stderr; fail with that stderr if it exits first. */
async function consoleAddress(engine: RunningCli): Promise<string> {
  return waitFor(
    'the console address on the engine stderr',
    () => {
      if (engine.child.exitCode !== null)
        throw new Error(`livegate run exited ${engine.child.exitCode}:\n${engine.stderr()}`);
      return /http:\/\/127\.0\.0\.1:\d+\//.exec(engine.stderr())?.[0];
    },
    20_000,
  );
}

/**
 * A fresh browser context (empty sessionStorage) on the console, once it shows live state.
 * `problems()` lists script errors and CSP refusals; expected HTTP refusals are not among them.
 */
async function openConsole(
  browser: Browser,
  baseUrl: string,
  viewport = { width: 1280, height: 900 },
): Promise<{ page: Page; problems: () => string[] }> {
  const page = await browser.newPage({ viewport });
  const seen: string[] = [];
  page.on('pageerror', (error) => seen.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    const text = message.text();
    if (message.type() === 'error' && !/status of (401|403|404)\b/.test(text)) seen.push(text);
  });
  await page.goto(baseUrl);
  await page.locator('#connection[data-connected="true"]').waitFor({ timeout: 10_000 });
  await page.locator('#state-banner[data-state="SAFE"]').waitFor({ timeout: 10_000 });
  return { page, problems: () => [...seen] };
}

async function setToken(page: Page, token: string): Promise<void> {
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Use token' }).click();
  await page.getByRole('button', { name: 'Forget token' }).waitFor();
}

/** Presses a control button, fills the confirmation and confirms. */
async function requestChange(
  page: Page,
  button: 'KILL' | 'REDUCE' | 'RESET',
  confirm: string,
  reason: string,
): Promise<void> {
  await page.getByRole('button', { name: button, exact: true }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Reason').fill(reason);
  await dialog.getByLabel('Your name').fill(OPERATOR);
  await dialog.getByRole('button', { name: confirm, exact: true }).click();
}

/** The journal is the engine's own record: no OrderSubmitted between engage and reset. */
async function expectNoOrdersWhileEngaged(stateDir: string): Promise<void> {
  const journal = path.join(stateDir, 'journal', ENGINE_ID);
  const changes = await waitFor('both changes and a later order in the journal', async () => {
    const { events } = await readJournal(journal);
    const engagedAt = events.findIndex(
      (event) => event.type === 'KillSwitchChanged' && event.record.by === OPERATOR,
    );
    const resetAt = events.findIndex(
      (event, index) =>
        index > engagedAt && event.type === 'KillSwitchChanged' && event.record.state === 'SAFE',
    );
    // An order after the reset proves the strategy kept trying all along.
    const orderedAgain = events.some(
      (event, index) => index > resetAt && event.type === 'OrderSubmitted',
    );
    return engagedAt >= 0 && resetAt > engagedAt && orderedAgain
      ? { events, engagedAt, resetAt }
      : undefined;
  });
  const { events, engagedAt, resetAt } = changes;
  expect(events[engagedAt]).toMatchObject({ record: { state: 'ENGAGED' } });
  const whileEngaged = events.slice(engagedAt + 1, resetAt);
  expect(whileEngaged.filter((event) => event.type === 'OrderSubmitted')).toEqual([]);
  expect(whileEngaged.some((event) => event.type === 'TickBlocked')).toBe(true);
}
