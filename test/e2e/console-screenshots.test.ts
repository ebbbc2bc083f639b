// `npm run screenshots` as it runs (the built script): three real PNGs of the console, SAFE,
// ENGAGED and engine stopped, each a different picture of the full 1280 px page width.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { assertBuilt, scratchDirectory } from '../support/cli-harness.js';
import { CHROMIUM } from '../support/chromium.js';

const SCRIPT = path.resolve('dist/scripts/console-screenshots.js');
const skip = !existsSync(CHROMIUM) && process.env.CI === undefined;
if (skip) console.warn(`SKIPPED test/e2e/console-screenshots.test.ts: ${CHROMIUM} is missing.`);

describe.skipIf(skip)('console screenshots script', () => {
  it('writes SAFE, ENGAGED and engine-stopped PNGs, 1280 px wide and all different', async () => {
    assertBuilt();
    const outDir = await scratchDirectory('livegate-screenshots-');
    const { stdout } = await promisify(execFile)(process.execPath, [SCRIPT, outDir], {
      timeout: 90_000,
    });
    const names = ['console-safe.png', 'console-engaged.png', 'console-engine-stopped.png'];
    expect(stdout.trim().split('\n')).toEqual(names.map((name) => path.join(outDir, name)));
    const digests = new Set<string>();
    for (const name of names) {
      const png = await readFile(path.join(outDir, name));
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect(png.readUInt32BE(16)).toBe(1280); // IHDR width
      digests.add(createHash('sha256').update(png).digest('hex'));
    }
    expect(digests.size).toBe(3);
  }, 120_000);
});
