// The zod-free checks `kill` and `status` use (kill-switch-record-check.ts, the local engine
// registry, the file store's options) give the zod schemas' verdict on valid records and on every
// corrupt variant of them: each field missing, of a wrong type, out of range, an unknown key, a
// `__proto__` key, at every depth.
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import {
  checkEngineReport,
  checkKillSwitchRecord,
  ENGINE_REPORT_SHAPE,
  ISO_DATETIME_PATTERN,
  KILL_SWITCH_RECORD_SHAPE,
} from '../../src/adapters/stores/kill-switch-record-check.js';
import {
  engineReportSchema,
  killSwitchRecordSchema,
  readableEngineReportSchema,
} from '../../src/adapters/stores/kill-switch-record-schema.js';
import { resolveFileStoreOptions } from '../../src/adapters/stores/file-kill-switch-options.js';
import { checkRegistration } from '../../src/killswitch/local-engine-registry.js';
import { scopeNameSchema } from '../../src/core/scope-name-schema.js';
import { GLOBAL_SCOPE } from '../../src/core/scopes.js';
import { shapeKeys } from '../../src/core/shape-check.js';
import { ManualClock } from '../../src/core/clock.js';

const record = {
  revision: 3,
  generation: 'mabc12-0a1b2c3d4e5f',
  state: 'ENGAGED',
  reason: 'desk over limit',
  by: 'ops@host',
  trigger: 'manual',
  at: '2026-12-06T04:22:53.815Z',
  host: 'vm',
  pid: 4242,
  origin: { channel: 'http', role: 'operator', address: '10.0.0.1' },
};
const minimalRecord = {
  revision: 1,
  state: 'SAFE',
  reason: '',
  by: '',
  trigger: 'init',
  at: '2024-02-29T23:59:59Z',
  host: 'h',
  pid: 0,
};
const report = {
  engineId: 'engine-a',
  host: 'vm',
  pid: 77,
  process: { bootId: 'b0', pidNamespace: 'pid:[4026531836]', startTicks: 123 },
  startedAt: '2026-12-06T04:00:00.000Z',
  reportedAt: 1_765_000_000_000.5,
  observedRevision: 3,
  scopes: { global: 3, 'desk:fx': 1 },
  observedAt: 1_765_000_000_001,
  enforcedState: 'ENGAGED',
  failClosed: false,
  stats: { ticks: 10, venue: 'paper' },
  limitsRevision: 2,
  limitsAt: '2026-12-06T03:00:00.000Z',
  risk: {
    positions: [
      {
        symbol: 'BTC-USD',
        quantity: -1.5,
        averagePrice: 100,
        markPrice: 101,
        unrealizedPnl: -1.5,
        quoteCurrency: 'USD',
        conversionRate: 'stale',
      },
    ],
    realizedPnl: 0,
    unrealizedPnl: -1.5,
    dailyPnl: -1.5,
    equityPeak: 10,
    drawdown: 1.5,
    grossExposure: 151.5,
    accountCurrency: 'USD',
    missingConversionRates: ['JPY'],
    staleConversionRates: [{ currency: 'EUR', lastRate: 1.1, ageMs: null }],
    rules: [
      {
        rule: 'dailyLoss',
        action: 'engage',
        value: 1.5,
        threshold: 100,
        utilization: 0.015,
        tripped: false,
        warningLevel: 0.8,
      },
    ],
    tradingWindows: [
      {
        window: 'ldn',
        timeZone: 'Europe/London',
        phase: 'open',
        nextOpen: null,
        nextClose: 1,
        flattenAt: null,
      },
    ],
  },
};
const minimalReport = {
  engineId: 'e',
  host: '',
  pid: 0,
  startedAt: '2026-01-01T00:00:00Z',
  reportedAt: 0,
  observedRevision: 0,
  observedAt: 0,
  enforcedState: 'SAFE',
  failClosed: true,
  stats: {},
};
const registration = {
  engineId: 'engine-a',
  store: 'file:/var/lib/livegate',
  scopes: ['global', 'engine:engine-a'],
  host: 'vm',
  pid: 77,
  process: { bootId: 'b0', pidNamespace: 'ns', startTicks: 123 },
  startedAt: '2026-12-06T04:00:00.000Z',
};

/** The registry's schema before it was hand-written (it has no other user). */
const registrationSchema = z.object({
  engineId: z.string().min(1),
  store: z.string().min(1),
  scopes: z.array(z.string()),
  host: z.string(),
  pid: z.number().int().positive(),
  process: z
    .object({ bootId: z.string(), pidNamespace: z.string(), startTicks: z.number() })
    .optional(),
  startedAt: z.string(),
});

const WRONG_VALUES: readonly unknown[] = [
  undefined,
  null,
  '',
  'x',
  ' ',
  'ENGAGED',
  'engage',
  'stale',
  'open',
  '2026-12-06T04:22:53.815Z',
  '2026-12-06T04:22:53+01:00',
  '2026-02-30T00:00:00Z',
  '2026-12-06 04:22:53Z',
  '2026-12-06T24:00:00Z',
  'bad generation!',
  'a'.repeat(65),
  'desk:fx',
  0,
  1,
  -1,
  1.5,
  -0,
  2 ** 53,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  true,
  false,
  [],
  ['x'],
  [1],
  {},
  { '': 1 },
  { a: -1 },
  { a: 'x' },
  { a: true },
  new Date(0),
  Object.create(null) as unknown,
];

type Json = Record<string, unknown> | unknown[];

/** Every path to a value inside `value` (objects and arrays), the root included. */
function paths(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  const found = [at];
  if (Array.isArray(value)) value.forEach((item, i) => found.push(...paths(item, [...at, i])));
  else if (typeof value === 'object' && value !== null)
    for (const [key, item] of Object.entries(value)) found.push(...paths(item, [...at, key]));
  return found;
}

function withChange(
  value: unknown,
  path: (string | number)[],
  change: (parent: Json, key: string | number) => void,
): unknown {
  const copy = structuredClone(value) as Json;
  let parent: Json = copy;
  for (const key of path.slice(0, -1)) parent = (parent as Record<string, unknown>)[key] as Json;
  change(parent, path.at(-1)!);
  return copy;
}

/** The corrupt variants of a valid value: replaced, deleted, extra and `__proto__` keys. */
function variants(valid: unknown): unknown[] {
  const out: unknown[] = [];
  for (const path of paths(valid)) {
    if (path.length > 0) {
      for (const wrong of WRONG_VALUES) {
        out.push(
          withChange(valid, path, (parent, key) => {
            (parent as Record<string | number, unknown>)[key] = wrong;
          }),
        );
      }
      out.push(
        withChange(valid, path, (parent, key) => {
          if (Array.isArray(parent)) parent.splice(Number(key), 1);
          else delete parent[key];
        }),
      );
    }
    const target = path.reduce<unknown>((v, key) => (v as Record<string, unknown>)[key], valid);
    if (typeof target === 'object' && target !== null && !Array.isArray(target)) {
      const json = JSON.stringify(target);
      const extra = json === '{}' ? '{"extra":1}' : json.replace(/^\{/, '{"extra":1,');
      const proto =
        json === '{}' ? '{"__proto__":{"x":1}}' : json.replace(/^\{/, '{"__proto__":{"x":1},');
      for (const text of [extra, proto]) {
        const replaced = JSON.parse(text) as unknown;
        out.push(
          path.length === 0
            ? replaced
            : withChange(valid, path, (parent, key) => {
                (parent as Record<string | number, unknown>)[key] = replaced;
              }),
        );
      }
    }
  }
  for (const wrong of WRONG_VALUES) out.push(wrong);
  return out;
}

function describeCase(value: unknown): string {
  try {
    return JSON.stringify(value)?.slice(0, 300) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Runs both judges over the valid values and all their variants; returns the disagreements. */
function disagreements(
  valid: readonly unknown[],
  zodJudge: (value: unknown) => { success: boolean; data?: unknown },
  handJudge: (value: unknown) => { ok: boolean; value?: unknown },
): { cases: number; rejected: number; differ: string[] } {
  const differ: string[] = [];
  let cases = 0;
  let rejected = 0;
  for (const value of [...valid, ...valid.flatMap(variants)]) {
    cases += 1;
    const byZod = zodJudge(value);
    const byHand = handJudge(value);
    if (!byZod.success) rejected += 1;
    if (byZod.success !== byHand.ok) differ.push(`zod ${byZod.success}: ${describeCase(value)}`);
    else if (byZod.success) {
      try {
        expect(byHand.value).toEqual(byZod.data);
      } catch {
        differ.push(`output differs: ${describeCase(value)}`);
      }
    }
  }
  return { cases, rejected, differ };
}

const verdict = (check: { ok: true; value: unknown } | { ok: false }) =>
  check.ok ? { ok: true, value: check.value } : { ok: false };

describe('zod-free checks on the kill path', () => {
  it('judge kill-switch records as the zod schema does', () => {
    const result = disagreements(
      [record, minimalRecord],
      (v) => killSwitchRecordSchema.safeParse(v),
      (v) => verdict(checkKillSwitchRecord(v)),
    );
    expect(result.differ).toEqual([]);
    expect(result.cases).toBeGreaterThan(850);
    expect(result.rejected).toBeGreaterThan(result.cases * 0.7);
  });

  it('judge published and read engine reports as the zod schemas do', () => {
    for (const [schema, mode] of [
      [engineReportSchema, 'strict'],
      [readableEngineReportSchema, 'readable'],
    ] as const) {
      const result = disagreements(
        [report, minimalReport],
        (v) => schema.safeParse(v),
        (v) => verdict(checkEngineReport(v, mode)),
      );
      expect(result.differ).toEqual([]);
      expect(result.cases).toBeGreaterThan(2500);
    }
  });

  it('judge local engine registrations as the zod schema did', () => {
    const result = disagreements(
      [registration],
      (v) => registrationSchema.safeParse(v),
      (v) => {
        const kept = checkRegistration(v);
        return kept === undefined ? { ok: false } : { ok: true, value: kept };
      },
    );
    expect(result.differ).toEqual([]);
  });

  it('judge the file store options as its zod schema did', () => {
    const clock = new ManualClock(0);
    const optionsSchema = z.strictObject({
      stateDirectory: z.string().min(1),
      pollIntervalMs: z.int().min(1).max(60_000).default(250),
      useFsWatch: z.boolean().default(true),
      clock: z.custom((v) => v === clock).optional(),
      host: z.string().min(1).optional(),
      scope: scopeNameSchema.default(GLOBAL_SCOPE),
      readTimeoutMs: z.int().min(1).max(60_000).default(1000),
    });
    const valid = {
      stateDirectory: '/s',
      pollIntervalMs: 60_000,
      useFsWatch: false,
      host: 'h',
      scope: 'desk:fx',
      readTimeoutMs: 1,
    };
    const result = disagreements(
      [valid, { stateDirectory: 'x' }],
      (v) => optionsSchema.safeParse(v),
      (v) => {
        try {
          return { ok: true, value: resolveFileStoreOptions(v as never) };
        } catch {
          return { ok: false };
        }
      },
    );
    expect(result.differ).toEqual([]);
    expect(resolveFileStoreOptions({ stateDirectory: '/s', clock }).clock).toBe(clock);
    expect(() => resolveFileStoreOptions({ stateDirectory: '/s', scope: 'desk:' })).toThrow(
      /Invalid FileKillSwitchStore options: scope: must be "global"/,
    );
  });

  it('keep the zod schemas and the checks to the same keys and the same date format', () => {
    const zodKeys = (schema: { shape: Record<string, { _zod: { optin?: string } }> }) =>
      Object.entries(schema.shape).map(([key, field]) =>
        field._zod.optin === 'optional' ? `${key}?` : key,
      );
    expect(shapeKeys(KILL_SWITCH_RECORD_SHAPE)).toEqual(zodKeys(killSwitchRecordSchema));
    expect(shapeKeys(ENGINE_REPORT_SHAPE)).toEqual(zodKeys(engineReportSchema));
    const datetime = z.iso.datetime()._zod.def as { pattern?: RegExp };
    expect(ISO_DATETIME_PATTERN.source).toBe(datetime.pattern?.source);
  });

  it('name every problem of a corrupt record, path first', () => {
    const checked = checkKillSwitchRecord({ ...record, revision: 0, at: 'yesterday', extra: 1 });
    expect(checked.ok).toBe(false);
    expect(checked.ok ? [] : checked.problems).toEqual([
      'revision: 0 is below 1',
      expect.stringMatching(/^at: does not match/),
      '(record): unknown keys extra',
    ]);
    const missing = checkKillSwitchRecord({
      ...minimalRecord,
      pid: undefined,
      revision: Number.NaN,
    });
    expect(missing.ok ? [] : missing.problems).toEqual([
      'revision: expected safe integer, got NaN',
      'pid: missing (expected safe integer)',
    ]);
    const report = checkEngineReport({ ...minimalReport, scopes: { global: -1 } }, 'readable');
    expect(report.ok ? [] : report.problems).toEqual(['scopes.global: -1 is below 0']);
  });
});
