// Debian's `prometheus` and `promtool` for the tests that run them: found once, and a test that
// needs one is skipped with a clear message when it is missing, except in CI, where it fails.

import { spawnSync } from 'node:child_process';

export type PrometheusTool = 'prometheus' | 'promtool';

const IN_CI = Boolean(process.env.CI);

export function installed(tool: PrometheusTool): boolean {
  return spawnSync(tool, ['--version']).error === undefined;
}

/**
 * True when a test needing `tool` should be skipped: it is missing outside CI (said once, on
 * stderr). In CI a missing tool is not a reason to skip; the test fails through requireTool().
 */
export function skipWithout(tool: PrometheusTool, what: string): boolean {
  if (installed(tool) || IN_CI) return false;
  console.warn(`${tool} not found: skipping ${what} (install the Debian package prometheus)`);
  return true;
}

/** Throws unless `tool` is on PATH: the first line of a test that must not pass without it. */
export function requireTool(tool: PrometheusTool): void {
  if (!installed(tool)) {
    throw new Error(
      `${tool} is not installed: .ci/run must install the Debian package \`prometheus\` (it provides ${tool})`,
    );
  }
}
