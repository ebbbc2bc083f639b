// The KillSwitchStore contract: every adapter (memory, file, later Redis and NATS) runs this suite.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isLivegateError, type LivegateError } from '../../src/core/errors.js';
import type {
  EngineReport,
  KillSwitchChange,
  KillSwitchRecord,
} from '../../src/core/kill-switch-record.js';
import type { KillSwitchStore, KillSwitchWatcher } from '../../src/core/ports.js';
import { KillSwitch } from '../../src/killswitch/kill-switch.js';
import { awaitConfirmations } from '../../src/killswitch/confirmations.js';
import { engageDecision, initDecision } from '../../src/killswitch/transitions.js';

export interface KillSwitchStoreUnderTest {
  store: KillSwitchStore;
  cleanup(): Promise<void>;
  /**
   * Optional: another client of the same backing state, as a second process would open it.
   * Shared backends (file, Redis, NATS) provide it; the in-process memory store cannot.
   */
  openPeer?(): Promise<KillSwitchStore>;
}

const WAIT_MS = 5_000;

/** Polls until `condition` holds; fails with `what` when the deadline passes. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = WAIT_MS) {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

export function change(overrides: Partial<KillSwitchChange> = {}): KillSwitchChange {
  return {
    state: 'ENGAGED',
    reason: 'contract test',
    by: 'tester',
    trigger: 'manual',
    ...overrides,
  };
}

/** Records everything a watcher is told, for assertions. */
export function recordingWatcher(): KillSwitchWatcher & {
  records: KillSwitchRecord[];
  errors: LivegateError[];
} {
  const records: KillSwitchRecord[] = [];
  const errors: LivegateError[] = [];
  return {
    records,
    errors,
    onRecord: (record) => records.push(record),
    onError: (error) => errors.push(error),
  };
}

function report(engineId: string, overrides: Partial<EngineReport> = {}): EngineReport {
  return {
    engineId,
    host: 'host-a',
    pid: 4242,
    startedAt: '2024-05-01T12:00:00.000Z',
    reportedAt: 1_714_564_800_123.5,
    observedRevision: 3,
    observedAt: 1_714_564_800_100.25,
    enforcedState: 'ENGAGED',
    failClosed: false,
    stats: { ticks: 12, mode: 'paper' },
    ...overrides,
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

export function runKillSwitchStoreContract(
  name: string,
  makeStore: () => Promise<KillSwitchStoreUnderTest>,
): void {
  describe(`KillSwitchStore contract: ${name}`, () => {
    let subject: KillSwitchStoreUnderTest;
    let store: KillSwitchStore;
    const peers: KillSwitchStore[] = [];
    const stops: (() => void)[] = [];

    beforeEach(async () => {
      subject = await makeStore();
      store = subject.store;
    });

    afterEach(async () => {
      for (const stop of stops.splice(0)) stop();
      for (const peer of peers.splice(0)) await peer.close();
      await subject.cleanup();
    });

    const watch = (target: KillSwitchStore, watcher: KillSwitchWatcher) => {
      const stop = target.watch(watcher);
      stops.push(stop);
      return stop;
    };

    const peer = async (): Promise<KillSwitchStore | undefined> => {
      const opened = await subject.openPeer?.();
      if (opened !== undefined) peers.push(opened);
      return opened;
    };

    describe('read and update', () => {
      it('reads null before any state exists', async () => {
        expect(await store.read()).toBeNull();
      });

      it('stamps revisions 1, 2, 3 with time, host and pid', async () => {
        const before = Date.now();
        const results = [];
        for (const state of ['ENGAGED', 'SAFE', 'REDUCING'] as const) {
          results.push(await store.update(() => change({ state, reason: `to ${state}` })));
        }
        expect(results.map((result) => [result.changed, result.record.revision])).toEqual([
          [true, 1],
          [true, 2],
          [true, 3],
        ]);
        for (const { record } of results) {
          expect(new Date(record.at).toISOString()).toBe(record.at);
          expect(Date.parse(record.at)).toBeGreaterThanOrEqual(before - 60_000);
          expect(record.host.length).toBeGreaterThan(0);
          expect(record.pid).toBe(process.pid);
          expect(record).toMatchObject({ by: 'tester', trigger: 'manual' });
        }
        expect(await store.read()).toEqual(results[2]?.record);
        expect(results[2]?.record).toMatchObject({ state: 'REDUCING', reason: 'to REDUCING' });
      });

      it('keeps where a change came from (channel, role, address) in the record and the audit trail', async () => {
        const origin = { channel: 'http', role: 'operator', address: '127.0.0.1' };
        const { record } = await store.update(() => change({ origin }));
        expect(record.origin).toEqual(origin);
        expect(await store.read()).toEqual(record);
        expect(await store.history()).toEqual([record]);
        const { record: plain } = await store.update(() => change());
        expect(plain).not.toHaveProperty('origin');
      });

      it('shows decide the current record and no error while the state is readable', async () => {
        const seen: [KillSwitchRecord | null, LivegateError | undefined][] = [];
        const decide = (current: KillSwitchRecord | null, unreadable?: LivegateError) => {
          seen.push([current, unreadable]);
          return change();
        };
        await store.update(decide);
        const { record: first } = await store.update(decide);
        expect(seen[0]).toEqual([null, undefined]);
        expect(seen.at(-1)?.[0]?.revision).toBe(1);
        expect(seen.at(-1)?.[1]).toBeUndefined();
        expect(first.revision).toBe(2);
      });

      it('writes nothing and returns the current record when decide returns null', async () => {
        const { record } = await store.update(() => change());
        const result = await store.update(() => null);
        expect(result).toEqual({ record, changed: false });
        expect(await store.read()).toEqual(record);
        expect(await store.history()).toEqual([record]);
      });

      it('refuses with ERR_TRANSITION_REFUSED when decide returns null and no state exists', async () => {
        const error = await rejection(store.update(() => null));
        expect(isLivegateError(error, 'ERR_TRANSITION_REFUSED')).toBe(true);
        expect(await store.read()).toBeNull();
      });

      it('writes nothing when decide throws', async () => {
        await store.update(() => change());
        const thrown = new Error('strategy bug');
        await expect(
          store.update(() => {
            throw thrown;
          }),
        ).rejects.toBe(thrown);
        expect((await store.history()).map((record) => record.revision)).toEqual([1]);
      });

      it('refuses a change no reader could validate, and writes nothing', async () => {
        const bad = { ...change(), state: 'MAYBE' } as unknown as KillSwitchChange;
        const error = await rejection(store.update(() => bad));
        expect(isLivegateError(error, 'ERR_TRANSITION_REFUSED')).toBe(true);
        expect(await store.read()).toBeNull();
      });

      it('serialises concurrent updates without losing or duplicating a revision', async () => {
        const writers = Array.from({ length: 20 }, (_, index) =>
          store.update((current) =>
            change({ reason: `writer ${index} after ${current?.revision ?? 0}` }),
          ),
        );
        const results = await Promise.all(writers);
        const history = await store.history();
        expect(history.map((record) => record.revision)).toEqual(
          Array.from({ length: 20 }, (_, index) => index + 1),
        );
        // Each revision was decided on its predecessor, and every writer landed exactly once.
        history.forEach((record) => expect(record.reason).toMatch(` after ${record.revision - 1}`));
        const writersSeen = history.map((record) => /writer (\d+)/.exec(record.reason)?.[1]);
        expect(new Set(writersSeen).size).toBe(20);
        expect(results.every((result) => result.changed)).toBe(true);
      });
    });

    describe('watch', () => {
      it('delivers the current record soon after watch starts', async () => {
        await store.update(() => change({ reason: 'before watch' }));
        const watcher = recordingWatcher();
        watch(store, watcher);
        await waitFor(() => watcher.records.length > 0, 'the current record');
        expect(watcher.records[0]).toMatchObject({ revision: 1, reason: 'before watch' });
        expect(watcher.errors).toEqual([]);
      });

      it('delivers newer records in increasing revision order, never one twice', async () => {
        const watcher = recordingWatcher();
        watch(store, watcher);
        for (let index = 0; index < 5; index += 1) {
          await store.update(() => change({ state: index % 2 === 0 ? 'ENGAGED' : 'SAFE' }));
        }
        await waitFor(() => watcher.records.at(-1)?.revision === 5, 'revision 5');
        const revisions = watcher.records.map((record) => record.revision);
        revisions.slice(1).forEach((revision, index) => {
          expect(revision).toBeGreaterThan(revisions[index] ?? 0);
        });
        expect(watcher.records.at(-1)).toEqual(await store.read());
        expect(watcher.errors).toEqual([]);
      });

      it('stops delivering once its stop function is called', async () => {
        const stopped = recordingWatcher();
        const witness = recordingWatcher();
        const stop = watch(store, stopped);
        watch(store, witness);
        await store.update(() => change());
        await waitFor(
          () => stopped.records.length === 1 && witness.records.length === 1,
          'revision 1',
        );
        stop();
        await store.update(() => change({ state: 'SAFE' }));
        await waitFor(() => witness.records.length === 2, 'revision 2 at the witness');
        expect(stopped.records.map((record) => record.revision)).toEqual([1]);
      });
    });

    describe('history', () => {
      it('is empty before any state exists', async () => {
        expect(await store.history()).toEqual([]);
      });

      it('lists every revision oldest first, and only the last `limit` when asked', async () => {
        const written: KillSwitchRecord[] = [];
        for (let index = 0; index < 5; index += 1) {
          written.push((await store.update(() => change({ reason: `change ${index}` }))).record);
        }
        expect(await store.history()).toEqual(written);
        expect(await store.history(2)).toEqual(written.slice(3));
        expect(await store.history(50)).toEqual(written);
        expect(await store.history(0)).toEqual([]);
      });
    });

    describe('engine reports', () => {
      it('lists nothing before any engine has published', async () => {
        expect(await store.listEngineReports()).toEqual([]);
      });

      it('lists what engines published, the latest report per engine', async () => {
        await store.publishEngineReport(report('engine-a'));
        await store.publishEngineReport(report('engine-b', { enforcedState: 'SAFE' }));
        await store.publishEngineReport(report('engine-a', { observedRevision: 4 }));
        const listed = await store.listEngineReports();
        expect(listed.sort((a, b) => a.engineId.localeCompare(b.engineId))).toEqual([
          report('engine-a', { observedRevision: 4 }),
          report('engine-b', { enforcedState: 'SAFE' }),
        ]);
      });

      it('keeps engine ids apart even when they contain path or odd characters', async () => {
        const ids = ['desk/1', 'desk_1', '../escape', 'desk 1', 'désk.1', '.hidden'];
        for (const id of ids) await store.publishEngineReport(report(id));
        const listed = (await store.listEngineReports()).map((entry) => entry.engineId);
        expect(listed.sort()).toEqual([...ids].sort());
      });

      it('removes a report, and tolerates removing one that does not exist', async () => {
        await store.publishEngineReport(report('engine-a'));
        await store.publishEngineReport(report('engine-b'));
        await store.removeEngineReport('engine-a');
        await store.removeEngineReport('engine-a');
        await store.removeEngineReport('never-published');
        expect((await store.listEngineReports()).map((entry) => entry.engineId)).toEqual([
          'engine-b',
        ]);
      });

      it('reads one engine report by id, the latest, and nothing for an id without one', async () => {
        expect(await store.readEngineReport('engine-a')).toBeUndefined();
        await store.publishEngineReport(report('engine-a'));
        await store.publishEngineReport(report('engine-b'));
        await store.publishEngineReport(report('engine-a', { observedRevision: 9 }));
        expect(await store.readEngineReport('engine-a')).toEqual(
          report('engine-a', { observedRevision: 9 }),
        );
        expect(await store.readEngineReport('desk/1')).toBeUndefined();
        await store.removeEngineReport('engine-a');
        expect(await store.readEngineReport('engine-a')).toBeUndefined();
        expect(await store.readEngineReport('engine-b')).toEqual(report('engine-b'));
      });

      it('never leaves out an engine that republishes while the listing runs', async () => {
        // Engines heartbeat all the time: a listing that reads entries in the order they were
        // written used to lose an engine whose old report was replaced before it was reached.
        const ids = Array.from({ length: 12 }, (_, index) => `engine-${index}`);
        for (const id of ids) await store.publishEngineReport(report(id));
        let publishing = true;
        const publishers = ids.map(async (id, index) => {
          for (let beat = 0; publishing; beat++) {
            await store.publishEngineReport(report(id, { observedRevision: beat + index }));
          }
        });
        const short: string[][] = [];
        try {
          for (let listing = 0; listing < 60; listing++) {
            const listed = (await store.listEngineReports()).map((entry) => entry.engineId);
            if (listed.length !== ids.length) short.push(listed);
          }
        } finally {
          publishing = false;
          await Promise.all(publishers);
        }
        expect(short).toEqual([]);
      });

      it('refuses a report that would not validate', async () => {
        const bad = { ...report('engine-a'), enforcedState: 'MAYBE' } as unknown as EngineReport;
        const error = await rejection(store.publishEngineReport(bad));
        expect(isLivegateError(error, 'ERR_STATE_WRITE_FAILED')).toBe(true);
        expect(await store.listEngineReports()).toEqual([]);
      });
    });

    describe('shared state (when the backend has other clients)', () => {
      it('shows one client the writes of another, by read and by watch', async (context) => {
        const other = await peer();
        if (other === undefined) return context.skip();
        const watcher = recordingWatcher();
        watch(other, watcher);
        const { record } = await store.update(() => change({ reason: 'from the first client' }));
        expect(await other.read()).toEqual(record);
        await waitFor(() => watcher.records.at(-1)?.revision === 1, 'the peer watcher');
        expect(watcher.records.at(-1)).toEqual(record);
      });

      it('serialises concurrent updates from two clients into one gap-free sequence', async (context) => {
        const other = await peer();
        if (other === undefined) return context.skip();
        const writes = Array.from({ length: 20 }, (_, index) =>
          (index % 2 === 0 ? store : other).update(() => change({ reason: `write ${index}` })),
        );
        await Promise.all(writes);
        const history = await other.history();
        expect(history.map((record) => record.revision)).toEqual(
          Array.from({ length: 20 }, (_, index) => index + 1),
        );
        expect(new Set(history.map((record) => record.reason)).size).toBe(20);
      });
    });

    // The fail-closed policy lives in one place (KillSwitch + StoreContact) and is tested here
    // once against every backend: the store supplies facts, the policy decides.
    describe('under the kill switch policy', () => {
      const CONTACT = { failClosedAfterMs: 400, leaseMs: 150, pollIntervalMs: 25 };
      const open = async (createIfMissing = false) => {
        const killSwitch = await KillSwitch.open(store, {
          actor: 'contract-engine',
          createIfMissing,
          contact: CONTACT,
        });
        stops.push(() => killSwitch.close());
        killSwitch.watch();
        return killSwitch;
      };

      it('fails closed with state-missing on a store without state, and an init written after releases it', async () => {
        const killSwitch = await open();
        expect(killSwitch.state).toBe('ENGAGED');
        expect(killSwitch.failClosedReason?.code).toBe('ERR_STATE_MISSING');
        await store.update(initDecision('new desk', 'ops', false));
        await waitFor(() => killSwitch.state === 'SAFE', 'SAFE after init');
        expect(killSwitch.record?.generation).toMatch(/^[A-Za-z0-9._-]+$/);
      });

      it('keeps the lease fresh while reads succeed', async () => {
        await store.update(initDecision('new desk', 'ops', false));
        const killSwitch = await open();
        const until = performance.now() + 3 * CONTACT.leaseMs;
        while (performance.now() < until) {
          expect(killSwitch.leaseExpiresAt).toBeGreaterThan(
            performance.now() - CONTACT.pollIntervalMs * 4,
          );
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        expect(killSwitch.failClosedReason).toBeNull();
      });

      it('confirms a kill only by the engines registered when it was written that enforce it', async () => {
        await store.update(initDecision('new desk', 'ops', false));
        await store.publishEngineReport(
          report('silent-remote', {
            host: 'another-host',
            reportedAt: Date.now() - 3_600_000,
            observedRevision: 1,
            enforcedState: 'SAFE',
          }),
        );
        const issuedAt = Date.now();
        const { record } = await store.update(engageDecision('drill', 'ops', 'manual'));
        const result = await awaitConfirmations(store, record.revision, {
          timeoutMs: 200,
          expectedState: 'ENGAGED',
          issuedAt,
          acknowledgedAt: Date.now(),
        });
        expect(result.confirmed).toEqual([]);
        expect(result.missing).toMatchObject([
          { engineId: 'silent-remote', reason: 'not-applied' },
        ]);
      });
      it('names a member whose engine id another process takes over during the wait', async () => {
        await store.update(initDecision('new desk', 'ops', false));
        const member = report('dup', {
          host: 'another-host',
          pid: 41,
          observedRevision: 1,
          enforcedState: 'SAFE',
        });
        await store.publishEngineReport(member);
        const issuedAt = Date.now();
        const { record } = await store.update(engageDecision('drill', 'ops', 'manual'));
        const waiting = awaitConfirmations(store, record.revision, {
          timeoutMs: 800,
          expectedState: 'ENGAGED',
          issuedAt,
          acknowledgedAt: Date.now(),
        });
        // After the membership is fixed (its first listing), a newcomer under the same id
        // enforces the kill; the member itself never did.
        await new Promise((resolve) => setTimeout(resolve, 150));
        await store.publishEngineReport(
          report('dup', {
            host: 'another-host',
            pid: 42,
            observedRevision: record.revision,
            enforcedState: 'ENGAGED',
          }),
        );
        const result = await waiting;
        expect(result.confirmed).toEqual([]);
        expect(result.missing).toMatchObject([{ engineId: 'dup', pid: 41, reason: 'replaced' }]);
      });
    });

    describe('close', () => {
      it('can be called twice, after which a stop function is still safe to call', async () => {
        const stop = watch(store, recordingWatcher());
        await store.close();
        await store.close();
        expect(stop).not.toThrow();
      });

      it('stops every watcher of the closed client', async (context) => {
        const other = await peer();
        if (other === undefined) return context.skip();
        const closed = recordingWatcher();
        const witness = recordingWatcher();
        watch(store, closed);
        watch(other, witness);
        await other.update(() => change());
        await waitFor(() => closed.records.length === 1, 'revision 1 before close');
        await store.close();
        await other.update(() => change({ state: 'SAFE' }));
        await waitFor(() => witness.records.at(-1)?.revision === 2, 'revision 2 at the witness');
        expect(closed.records.map((record) => record.revision)).toEqual([1]);
      });
    });
  });
}
