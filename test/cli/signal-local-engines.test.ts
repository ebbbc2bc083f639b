// Which engines a kill without the store reaches: this host's, under the scope, still the same process.

import { describe, expect, it } from 'vitest';
import type { EngineReport } from '../../src/core/kill-switch-record.js';
import { signalLocalEngines, type HostProcesses } from '../../src/cli/signal-local-engines.js';

const STARTED_AT = Date.parse('2026-12-05T10:00:00.000Z');

function report(engineId: string, pid: number, extra: Partial<EngineReport> = {}): EngineReport {
  return {
    engineId,
    host: 'this-host',
    pid,
    startedAt: new Date(STARTED_AT).toISOString(),
    // Stale on purpose: on a full disk no engine can refresh its report.
    reportedAt: STARTED_AT,
    observedRevision: 1,
    scopes: { global: 1, [`engine:${engineId}`]: 1 },
    observedAt: STARTED_AT,
    enforcedState: 'SAFE',
    failClosed: false,
    stats: {},
    ...extra,
  };
}

/** Processes by pid with their start times; records every signal sent. */
function fakeHost(processes: Record<number, number>, refuse: Record<number, string> = {}) {
  const signalled: number[] = [];
  const host: HostProcesses = {
    hostname: 'this-host',
    exists: (pid) => pid in processes,
    startedAt: (pid) => processes[pid],
    signal: (pid) => {
      const code = refuse[pid];
      if (code !== undefined) throw Object.assign(new Error(code), { code });
      signalled.push(pid);
    },
  };
  return { host, signalled };
}

describe('signalLocalEngines', () => {
  it('signals every engine on this host whose process still runs, however old its report', () => {
    const { host, signalled } = fakeHost({ 101: STARTED_AT - 500, 102: STARTED_AT - 900 });
    const result = signalLocalEngines([report('a', 101), report('b', 102)], 'global', host);
    expect(signalled).toEqual([101, 102]);
    expect(result.signalled).toEqual([
      { engineId: 'a', pid: 101 },
      { engineId: 'b', pid: 102 },
    ]);
    expect(result.skipped).toEqual([]);
  });

  it('skips, and names, engines on other hosts, engines that are gone and pids reused since', () => {
    const { host, signalled } = fakeHost({ 201: STARTED_AT - 500, 203: STARTED_AT + 60_000 });
    const result = signalLocalEngines(
      [
        report('remote', 201, { host: 'other-host' }),
        report('crashed', 202),
        report('reused', 203),
      ],
      'global',
      host,
    );
    expect(signalled).toEqual([]);
    expect(result.skipped.map(({ engineId, why }) => [engineId, why])).toEqual([
      ['remote', 'not on this host'],
      ['crashed', 'not running'],
      ['reused', 'pid reused by a process started after this engine'],
    ]);
  });

  it('signals only the engines under a narrower scope', () => {
    const { host, signalled } = fakeHost({ 301: STARTED_AT, 302: STARTED_AT });
    const fx = report('fx-1', 301, { scopes: { global: 1, 'desk:fx': 1, 'engine:fx-1': 1 } });
    const rates = report('rates-1', 302, { scopes: { global: 1, 'engine:rates-1': 1 } });
    signalLocalEngines([fx, rates], 'desk:fx', host);
    signalLocalEngines([fx, rates], 'engine:rates-1', host);
    expect(signalled).toEqual([301, 302]);
  });

  it('reports a signal the OS refuses instead of throwing', () => {
    const { host } = fakeHost({ 401: STARTED_AT }, { 401: 'EPERM' });
    const result = signalLocalEngines([report('other-user', 401)], 'global', host);
    expect(result.signalled).toEqual([]);
    expect(result.skipped[0]?.why).toBe('signal failed: EPERM');
  });

  it('still signals where the start time cannot be read (no /proc)', () => {
    const signalled: number[] = [];
    const host: HostProcesses = {
      hostname: 'this-host',
      exists: () => true,
      startedAt: () => undefined,
      signal: (pid) => signalled.push(pid),
    };
    signalLocalEngines([report('a', 501)], 'global', host);
    expect(signalled).toEqual([501]);
  });
});
