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
    expect(later.current).toEqual({ generation: 'g1', revision: 5 });
    expect(regressionFrom(later.current, record(2))).toBe('backwards');
    expect(regressionFrom(later.current, record(1, 'g2'))).toBeUndefined(); // re-created state

    const otherScope = new RevisionMark();
    otherScope.persistTo(new RevisionMarkFile(stateDir, 'redis:desk', 'desk:fx'));
    expect(otherScope.current.revision).toBe(0);
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
