// The high-water mark a state dir keeps per store and scope: what a new process starts from.
import { mkdtemp, readFile, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RevisionMarkFile } from '../../src/adapters/stores/revision-mark-file.js';
import { RevisionMark, regressionFrom } from '../../src/adapters/stores/revision-mark.js';
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

  it('says a damaged mark file is ignored, and rewrites it at the next revision', async () => {
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'livegate-marks-'));
    const warnings: string[] = [];
    const file = new RevisionMarkFile(stateDir, 'nats:desk', 'global', (m) => warnings.push(m));
    await mkdir(path.dirname(file.file), { recursive: true });
    await writeFile(file.file, '{"store": "nats:desk", "revision": "many"');
    const mark = new RevisionMark();
    mark.persistTo(file);
    expect(mark.current.revision).toBe(0);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('is not valid');
    mark.see(record(7));
    await mark.flush();
    expect(JSON.parse(await readFile(file.file, 'utf8'))).toMatchObject({ revision: 7 });
  });
});
