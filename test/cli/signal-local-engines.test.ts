// Which engines a kill without the store reaches: this host's, under the scope, still the same process.

import { describe, expect, it } from 'vitest';
import type { EngineReport } from '../../src/core/kill-switch-record.js';
import type { ProcessIdentity } from '../../src/core/process-identity.js';
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

const OWN: ProcessIdentity = { bootId: 'boot-1', pidNamespace: 'pid:[4026531836]', startTicks: 50 };

/** This host's processes by pid with their start ticks; records every signal sent. */
function fakeHost(processes: Record<number, number>, refuse: Record<number, string> = {}) {
  const signalled: number[] = [];
  const host: HostProcesses = {
    hostname: 'this-host',
    own: OWN,
    exists: (pid) => pid in processes,
    startTicks: (pid) => processes[pid],
    signal: (pid) => {
      const code = refuse[pid];
      if (code !== undefined) throw Object.assign(new Error(code), { code });
      signalled.push(pid);
    },
  };
  return { host, signalled };
}

/** The identity an engine started at `startTicks` in this host's boot and namespace reports. */
function startedAt(
  startTicks: number,
  extra: Partial<ProcessIdentity> = {},
): Partial<EngineReport> {
  return { process: { ...OWN, startTicks, ...extra } };
}

describe('signalLocalEngines', () => {
  it('signals every engine on this host whose process still runs, however old its report', () => {
    const { host, signalled } = fakeHost({ 101: 7000, 102: 7100 });
    const result = signalLocalEngines(
      [report('a', 101, startedAt(7000)), report('b', 102, startedAt(7100))],
      'global',
      host,
    );
    expect(signalled).toEqual([101, 102]);
    expect(result.signalled).toEqual([
      { engineId: 'a', pid: 101 },
      { engineId: 'b', pid: 102 },
    ]);
    expect(result.skipped).toEqual([]);
  });

  it('skips, and names, engines on other hosts, in other pid namespaces or boots, gone, or whose pid was reused', () => {
    const { host, signalled } = fakeHost({ 201: 10, 203: 9000, 204: 10, 205: 10, 206: 10 });
    const result = signalLocalEngines(
      [
        report('remote', 201, { host: 'other-host', ...startedAt(10) }),
        report('crashed', 202, startedAt(10)),
        report('reused', 203, startedAt(10)),
        report('pod', 204, startedAt(10, { pidNamespace: 'pid:[4026532999]' })),
        report('before-reboot', 205, startedAt(10, { bootId: 'boot-0' })),
        report('no-identity', 206),
      ],
      'global',
      host,
    );
    expect(signalled).toEqual([]);
    expect(result.skipped.map(({ engineId, why }) => [engineId, why])).toEqual([
      ['remote', 'not on this host'],
      ['crashed', 'not running'],
      ['reused', 'pid reused by a later process'],
      [
        'pod',
        'in another pid namespace or kernel boot of this host name: its pid is not ours to signal',
      ],
      [
        'before-reboot',
        'in another pid namespace or kernel boot of this host name: its pid is not ours to signal',
      ],
      [
        'no-identity',
        'its report has no process identity (an older livegate or another system): cannot tell it from a reused pid',
      ],
    ]);
  });

  it('signals only the engines under a narrower scope', () => {
    const { host, signalled } = fakeHost({ 301: 1, 302: 1 });
    const fx = report('fx-1', 301, {
      scopes: { global: 1, 'desk:fx': 1, 'engine:fx-1': 1 },
      ...startedAt(1),
    });
    const rates = report('rates-1', 302, {
      scopes: { global: 1, 'engine:rates-1': 1 },
      ...startedAt(1),
    });
    signalLocalEngines([fx, rates], 'desk:fx', host);
    signalLocalEngines([fx, rates], 'engine:rates-1', host);
    expect(signalled).toEqual([301, 302]);
  });

  it('reports a signal the OS refuses instead of throwing', () => {
    const { host } = fakeHost({ 401: 1 }, { 401: 'EPERM' });
    const result = signalLocalEngines([report('other-user', 401, startedAt(1))], 'global', host);
    expect(result.signalled).toEqual([]);
    expect(result.skipped[0]?.why).toBe('signal failed: EPERM');
  });

  it('where neither side has /proc (not Linux), signals a running pid of this host name', () => {
    const signalled: number[] = [];
    const host: HostProcesses = {
      hostname: 'this-host',
      own: undefined,
      exists: (pid) => pid === 501,
      startTicks: () => undefined,
      signal: (pid) => signalled.push(pid),
    };
    signalLocalEngines([report('a', 501), report('b', 502)], 'global', host);
    expect(signalled).toEqual([501]);
  });
});
