// `npm run screenshots`: the operator console in its three states (SAFE, ENGAGED, engine stopped),
// taken from a real `livegate run` in Debian's chromium, into docs/images/ for the README (or into
// the directory given as the first argument). Prints each file written, one a line.

import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'dist/cli/livegate.js');
const OUT = path.resolve(process.argv[2] ?? path.join(ROOT, 'docs/images'));
const CHROMIUM = process.env.LIVEGATE_CHROMIUM ?? '/usr/bin/chromium';
const OPERATOR_TOKEN = 'screenshots-operator-token-0123456789';

async function main(): Promise<void> {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'livegate-screenshots-'));
  const engine = spawn(
    process.execPath,
    [
      ...[CLI, 'run', '--state-dir', stateDir, '--http', '127.0.0.1:0', '--rate', '200'],
      ...['--ticks', '0', '--strategy', 'one-order-per-tick', '--engine-id', 'desk-fx-1'],
    ],
    { env: { ...process.env, LIVEGATE_OPERATOR_TOKEN: OPERATOR_TOKEN }, stdio: 'pipe' },
  );
  let stderr = '';
  engine.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  engine.stdout.resume();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
  try {
    const url = await until(() => /http:\/\/127\.0\.0\.1:\d+\//.exec(stderr)?.[0], 20_000);
    await mkdir(OUT, { recursive: true });
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(url);
    await page.locator('#state-banner[data-state="SAFE"]').waitFor({ timeout: 10_000 });
    await page.waitForTimeout(6_000); // charts fill
    await shoot(page, 'console-safe.png');

    const engaged = await fetch(new URL('/api/killswitch/engage', url), {
      method: 'POST',
      headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'desk closed for the day', by: 'alice' }),
    });
    if (engaged.status !== 200) throw new Error(`engage answered ${engaged.status}`);
    await page.locator('#state-banner[data-state="ENGAGED"]').waitFor({ timeout: 5_000 });
    await page.waitForTimeout(2_000);
    await shoot(page, 'console-engaged.png');

    engine.kill('SIGTERM');
    await page.locator('#state-banner[data-state="UNKNOWN"]').waitFor({ timeout: 10_000 });
    await page.waitForTimeout(2_000);
    await shoot(page, 'console-engine-stopped.png');
  } finally {
    await browser.close();
    engine.kill('SIGKILL');
    await rm(stateDir, { recursive: true, force: true });
  }
}

async function shoot(page: Page, name: string): Promise<void> {
  const file = path.join(OUT, name);
  await page.screenshot({ path: file });
  console.log(file);
}

async function until<T>(probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('screenshots: the engine did not start in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

await main();
