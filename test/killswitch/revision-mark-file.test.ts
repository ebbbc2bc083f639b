// The high-water mark a state dir keeps per store and scope: what a new process starts from.
import { mkdtemp, readFile, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RevisionMarkFile } from '../../src/adapters/stores/revision-mark-file.js';
import { RevisionMark, regressionFrom } from '../../src/adapters/stores/revision-mark.js';
import { LivegateError } from '../../src/core/errors.js';
import type { KillSwitchRecord } from '../../src/core/kill-switch-record.js';

const record = (revision: number, generation = 'g1') =>
  ({ revision, generation, state: 'SAFE' }) as KillSwitchRecord;

describe('RevisionMarkFile', () => {
  it('gives a new process the highest revision an earlier one saw, per store and scope', async () => {
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'livegate-marks-'));
    const first = new RevisionMark();
    const file = new RevisionMarkFile(stateDir, 'redis:desk', 'global');
    first.persistTo(file);
    for (const revision of [1, 2, 5, 3]) first.see(record(revision));
    await first.flush();

    const later = new RevisionMark();
    later.persistTo(new RevisionMarkFile(stateDir, 'redis:desk', 'global'));
    expect(later.current).toEqual({ generation: 'g1', revision: 5, superseded: [] });
    expect(regressionFrom(later.current, record(2))).toBe('backwards');
    expect(regressionFrom(later.current, record(1, 'g2'))).toBeUndefined(); // re-created state

    const otherScope = new RevisionMark();
    otherScope.persistTo(new RevisionMarkFile(stateDir, 'redis:desk', 'desk:fx'));
    expect(otherScope.current.revision).toBe(0);
  });

  it('keeps the generations it saw replaced: state in one of them again is an old copy', async () => {
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'livegate-marks-'));
    const first = new RevisionMark();
    first.persistTo(new RevisionMarkFile(stateDir, 'redis:desk', 'global'));
    first.see(record(2, 'g1'));
    first.see(record(3, 'g2')); // a reset over a rolled-back store: a new generation
    first.see(record(1, 'g1')); // a read that began before g2 was seen: no floor, no going back
    first.see(record(4, 'g2'));
    await first.flush();

    const later = new RevisionMark();
    later.persistTo(new RevisionMarkFile(stateDir, 'redis:desk', 'global'));
    expect(later.current).toEqual({ generation: 'g2', revision: 4, superseded: ['g1'] });
    expect(regressionFrom(later.current, record(1, 'g1'))).toBe('backwards');
    expect(regressionFrom(later.current, record(9, 'g1'))).toBe('backwards');
    expect(regressionFrom(later.current, record(1, 'g3'))).toBeUndefined(); // re-created again
    later.see(record(1, 'g3'));
    expect(later.current.superseded).toEqual(['g2', 'g1']);
  });

  it('reads a mark written before superseded generations were kept', async () => {
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'livegate-marks-'));
    const file = new RevisionMarkFile(stateDir, 'nats:desk', 'global');
    await mkdir(path.dirname(file.file), { recursive: true });
    await writeFile(
      file.file,
      JSON.stringify({ store: 'nats:desk', scope: 'global', generation: 'g1', revision: 3 }),
    );
    const mark = new RevisionMark();
    mark.persistTo(file);
    expect(mark.current).toEqual({ generation: 'g1', revision: 3, superseded: [] });
  });

  it('takes nothing as the truth after a damaged mark file, until a write after what it found', async () => {
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'livegate-marks-'));
    const warnings: string[] = [];
    const file = new RevisionMarkFile(stateDir, 'nats:desk', 'global', (m) => warnings.push(m));
    await mkdir(path.dirname(file.file), { recursive: true });
    await writeFile(file.file, '');
    const mark = new RevisionMark();
    mark.persistTo(file);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('is not valid (empty)');
    expect(warnings[0]).toContain('fail closed');
    const found = record(7);
    const floor = mark.current;
    expect(regressionFrom(floor, null)).toBeUndefined(); // no state: nothing to distrust
    expect(regressionFrom(floor, found)).toBe('backwards');
    const error = mark.rolledBack(new LivegateError('ERR_STATE_UNREADABLE', 'x'), floor, found);
    expect(error.details?.['rolledBackFrom']).toEqual({ generation: 'g1', revision: 7 });
    // Distrusted from now on, in this process and the next; a later write is the truth.
    expect(regressionFrom(mark.current, found)).toBe('backwards');
    await mark.flush();
    const later = new RevisionMark();
    later.persistTo(new RevisionMarkFile(stateDir, 'nats:desk', 'global'));
    expect(regressionFrom(later.current, found)).toBe('backwards');
    expect(regressionFrom(later.current, record(8))).toBeUndefined();
    later.see(record(8));
    expect(later.current).toEqual({ generation: 'g1', revision: 8, superseded: [] });
    await later.flush();
    expect(JSON.parse(await readFile(file.file, 'utf8'))).toMatchObject({ revision: 8 });
  });

  it('says once that a mark cannot be written, and keeps the mark in memory', async () => {
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'livegate-marks-'));
    const warnings: string[] = [];
    const mark = new RevisionMark();
    mark.persistTo(new RevisionMarkFile(stateDir, 'redis:desk', 'global', (m) => warnings.push(m)));
    // After the start (no mark yet): something takes the directory's place.
    await writeFile(path.join(stateDir, 'store-marks'), 'a file where the directory goes');
    mark.see(record(3));
    await mark.flush();
    mark.see(record(4));
    await mark.flush();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('cannot be written');
    expect(regressionFrom(mark.current, record(3))).toBe('backwards');
  });
});
