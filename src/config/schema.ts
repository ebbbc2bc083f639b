// The configuration's one source of truth: shape, defaults and ranges, strict at every level.

import { hostname } from 'node:os';
import * as z from 'zod';
import { LivegateError } from '../core/errors.js';
import { redisAddressProblem } from '../core/redis-server-address.js';
import { riskSchema } from './risk-schema.js';
import { describeInput } from '../core/describe-input.js';
import { httpSchema, streamsSchema, webhookSchema } from './operations-schema.js';
import { nonNegativeInteger, positiveInteger, symbolList } from './schema-parts.js';
import { fixSchema, gatewaySchema, venueSchema } from './venue-schema.js';
import { DEFAULT_STATE_DIR, deepFreeze } from './config-constants.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

// Shared with the zod-free path of kill/reduce/reset/status (config-constants.ts), re-exported.
export { BUILTIN_STRATEGY_NAMES, DEFAULT_STATE_DIR, deepFreeze } from './config-constants.js';

const engineSchema = z.strictObject({
  /**
   * loadConfig fills a stable default (config/default-engine-id.ts: host, config file, state dir),
   * so restarts find their journal; a config validated without it falls back to `<hostname>-<pid>`.
   */
  id: z
    .string()
    .min(1)
    .nullable()
    .default(null)
    .transform((id) => id ?? `${hostname()}-${process.pid}`),
  maxConsecutiveErrors: positiveInteger().default(5),
  heartbeatIntervalMs: z.number().int().min(50).default(1000),
  yieldIntervalMs: z.number().gt(0).max(100).default(1),
  /** The desk this engine belongs to: it then also obeys the desk:<name> kill-switch scope. */
  desk: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, . _ and - only')
    .nullable()
    .default(null),
  cancelOpenOrdersOnShutdown: z.boolean().default(true),
});

const killSwitchSchema = z.strictObject({
  /** file (embedded default), memory (one process only), nats or redis (shared across hosts). */
  store: z.enum(['file', 'memory', 'nats', 'redis']).default('file'),
  /** The file store's directory; null = stateDir. */
  directory: z.string().min(1).nullable().default(null),
  /**
   * Server for the nats and redis stores: nats://HOST:PORT or redis://HOST:PORT. NATS takes a
   * comma-separated list (nats://a:4222,nats://b:4222), so a node down at start-up is skipped;
   * Redis takes redis+sentinel://HOST:26379,HOST:26379/MASTER_NAME to follow a Sentinel failover.
   */
  url: z.string().min(1).nullable().default(null),
  /** Redis only: how far a state write must have travelled before it counts as written. */
  redis: z
    .strictObject({
      /** Replicas that must have a state write (Redis WAIT) before it is acknowledged; 0 = the primary's word. */
      replicasToAcknowledge: nonNegativeInteger().default(0),
      /** How long a write waits for them before failing as not durable; below the 1000 ms call deadline. */
      replicaTimeoutMs: z.number().int().min(10).max(900).default(500),
    })
    .prefault({}),
  /** NATS only: stream replicas when init (or the first reset) creates the bucket; 3 on a 3-node cluster. */
  replicas: z.number().int().min(1).max(5).default(1),
  /** Prefix of every key/bucket on a shared server, so deployments can share one. */
  namespace: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only')
    .default('livegate'),
  /**
   * No valid read of the state for this long (any store) makes engines fail closed (ENGAGED,
   * latched). null = 1000 ms on the embedded stores; 15000 ms on nats and redis, which covers a
   * cluster's leader election (a fleet trading again 5.1-9.3 s after the stream leader's node
   * died, nats-server 2.9): an outage shorter than that latches nothing, and the lease keeps
   * orders out while the state is unknown.
   */
  failClosedAfterMs: z.number().int().min(100).max(600_000).nullable().default(null),
  /**
   * How long one read vouches for the state at gate 3 (null = 2 x pollIntervalMs); after it an
   * order is denied KILL_SWITCH_STATE_STALE until the next read. At most failClosedAfterMs.
   */
  leaseMs: z.number().int().min(10).max(600_000).nullable().default(null),
  /** Where this engine's own trips (risk monitor, strategy, errors) and API changes go by default. */
  tripScope: z.enum(['global', 'desk', 'engine']).default('global'),
  startEngaged: z.boolean().default(false),
  pollIntervalMs: z.number().int().min(10).max(60_000).default(250),
  confirmTimeoutMs: nonNegativeInteger().default(5000),
  engineStaleAfterMs: z.number().int().min(1000).default(5000),
});

const syntheticFeedSchema = z.strictObject({
  /** 0 = endless. */
  ticks: nonNegativeInteger().default(0),
  symbols: symbolList().default(() => ['EURUSD', 'GBPUSD', 'USDJPY']),
  seed: z.number().int().default(42),
  /** Ticks per second; 0 = as fast as possible. */
  rate: z.number().min(0).default(1000),
  /** null: near real levels per symbol (EURUSD 1.08, GBPUSD 1.27, USDJPY 150; others 1.1). */
  startPrice: z.number().gt(0).nullable().default(null),
});

const csvFeedSchema = z.strictObject({
  path: z.string().min(1).nullable().default(null),
  strict: z.boolean().default(false),
  /** Replay speed relative to the recorded timestamps; 0 = as fast as possible. */
  speed: z.number().min(0).default(0),
  symbols: symbolList().nullable().default(null),
});

const feedSchema = z
  .strictObject({
    kind: z.enum(['synthetic', 'csv', 'websocket', 'ccxt', 'fix']).default('synthetic'),
    synthetic: syntheticFeedSchema.prefault({}),
    csv: csvFeedSchema.prefault({}),
    /** The ccxt feed polls the venue's tickers (the venue itself is `venue:`). */
    ccxt: z
      .strictObject({
        /** stream: the venue's WebSocket tickers (ccxt.pro watchTicker); poll: REST tickers. */
        mode: z.enum(['stream', 'poll']).default('stream'),
        pollIntervalMs: z.number().int().min(50).default(1000),
        staleAfterMs: z.number().int().min(100).default(10_000),
      })
      .prefault({}),
  })
  .refine((feed) => feed.csv.path !== null, {
    path: ['csv', 'path'],
    message: 'required when feed.kind is csv',
    // Run even when other keys are wrong, so this problem is listed with the rest.
    when: (payload) => isCsvFeedWithoutPath(payload.value),
  });

function isCsvFeedWithoutPath(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const feed = value as { kind?: unknown; csv?: unknown };
  if (feed.kind !== 'csv') return false;
  const csv = feed.csv as { path?: unknown } | null | undefined;
  return typeof csv === 'object' && csv !== null && (csv.path === null || csv.path === undefined);
}

/** A shared store rides through a cluster election; an embedded one has no election to wait for. */
const DEFAULT_FAIL_CLOSED_AFTER_MS = { file: 1_000, memory: 1_000, nats: 15_000, redis: 15_000 };

export const configSchema = z.strictObject({
  /** Kill-switch state, engine reports, journal and logs. */
  stateDir: z.string().min(1).default(DEFAULT_STATE_DIR),
  engine: engineSchema
    .extend({
      /** Cancel every open order as soon as the kill switch becomes ENGAGED. */
      cancelOpenOrdersOnEngage: z.boolean().default(true),
    })
    .prefault({}),
  killSwitch: killSwitchSchema
    .transform((killSwitch) => {
      const failClosedAfterMs =
        killSwitch.failClosedAfterMs ?? DEFAULT_FAIL_CLOSED_AFTER_MS[killSwitch.store];
      return {
        ...killSwitch,
        failClosedAfterMs,
        leaseMs: Math.min(killSwitch.leaseMs ?? 2 * killSwitch.pollIntervalMs, failClosedAfterMs),
      };
    })
    .refine(
      (killSwitch) =>
        killSwitch.leaseMs >= Math.min(killSwitch.pollIntervalMs, killSwitch.failClosedAfterMs),
      {
        path: ['leaseMs'],
        message:
          'must be at least killSwitch.pollIntervalMs: a lease shorter than the time between reads denies orders (KILL_SWITCH_STATE_STALE) between every two reads',
      },
    )
    .refine(
      (killSwitch) =>
        killSwitch.store === 'file' || killSwitch.store === 'memory' || killSwitch.url !== null,
      {
        path: ['url'],
        message:
          'required when killSwitch.store is nats or redis (nats://HOST:PORT, redis://HOST:PORT, redis+sentinel://HOST:PORT/MASTER_NAME)',
      },
    )
    .refine(
      (killSwitch) =>
        killSwitch.url === null ||
        // A Redis address gets its own check below, which names what is wrong with it.
        killSwitch.store === 'redis' ||
        (killSwitch.store === 'nats' &&
          killSwitch.url.split(',').every((server) => /^nats:\/\/[^\s,]+$/.test(server))),
      {
        path: ['url'],
        message:
          'must be nats://HOST:PORT for store nats, redis://HOST:PORT or redis+sentinel://HOST:PORT/MASTER_NAME for store redis, and unset otherwise',
      },
    )
    .superRefine((killSwitch, context) => {
      if (killSwitch.store !== 'redis' || killSwitch.url === null) return;
      const problem = redisAddressProblem(killSwitch.url);
      if (problem !== undefined)
        context.addIssue({ code: 'custom', path: ['url'], message: problem });
    })
    .refine(
      (killSwitch) => killSwitch.store === 'redis' || killSwitch.redis.replicasToAcknowledge === 0,
      {
        path: ['redis', 'replicasToAcknowledge'],
        message:
          'only the redis store waits for replicas; set killSwitch.store to redis or leave this 0',
      },
    )
    .prefault({}),
  feed: feedSchema.prefault({}),
  strategy: z
    .strictObject({
      /** A builtin name or a module path. */
      module: z.string().min(1).default('ma-crossover'),
      /** Free-form: each strategy validates its own options. */
      options: z.record(z.string(), z.unknown()).default(() => ({})),
    })
    .prefault({}),
  broker: z
    .strictObject({
      /** paper (simulated fills), websocket (a gateway: `gateway:`), ccxt (a venue: `venue:`), fix (`fix:`). */
      kind: z.enum(['paper', 'websocket', 'ccxt', 'fix']).default('paper'),
      paper: z
        .strictObject({
          /** Fee per fill as a fraction of its value (0.0001 = 1 bp), in the quote currency. */
          feeRate: z.number().min(0).max(0.1).default(0),
        })
        .prefault({}),
    })
    .prefault({}),
  venue: venueSchema.prefault({}),
  gateway: gatewaySchema.prefault({}),
  fix: fixSchema.prefault({}),
  journal: z
    .strictObject({
      enabled: z.boolean().default(true),
      maxFileBytes: z
        .number()
        .int()
        .min(1024)
        .default(64 * 1024 * 1024),
      maxFiles: nonNegativeInteger().default(10),
      /** A journal that stops (disk full, write error): engage the kill switch, or only alert. */
      onFailure: z.enum(['engage', 'alert']).default('engage'),
      /** Free bytes the journal leaves on its filesystem for the kill-switch state; 0 disables. */
      reserveBytes: nonNegativeInteger().default(64 * 1024 * 1024),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(LOG_LEVELS).default('info'),
      /**
       * JSON logs to this file instead of stdout (null: stdout, or <stateDir>/logs/livegate.log when
       * the status line owns the terminal). SIGHUP reopens it, for logrotate.
       */
      file: z.string().min(1).nullable().default(null),
    })
    .prefault({}),
  risk: riskSchema.prefault({}),
  streams: streamsSchema.prefault({}),
  http: httpSchema.prefault({}),
  alerts: z.strictObject({ webhook: webhookSchema.prefault({}) }).prefault({}),
});

/** What the file and overrides may contain: every key optional. */
export type LivegateConfigInput = z.input<typeof configSchema>;
/** What the loader returns: every key present, deep-frozen, paths absolute. */
export type LivegateConfig = z.output<typeof configSchema>;

let defaults: LivegateConfig | undefined;

/**
 * The defaults, as the loader would produce them with no file, env or overrides (paths still
 * relative). Built on first call, not at import: a first parse costs a `kill` ~20 ms.
 */
export function defaultConfig(): LivegateConfig {
  defaults ??= deepFreeze(configSchema.parse({}));
  return defaults;
}

export interface ConfigIssue {
  /** Dotted, with array indices in brackets: `feed.synthetic.symbols[1]`. */
  readonly path: string;
  readonly message: string;
}

/**
 * Parses raw input into a config, or throws ERR_CONFIG_INVALID listing every problem, one per
 * line. `sourceOf` names where a value came from when it was not the file (an env variable...).
 */
export function validateConfig(
  input: unknown,
  sourceOf: (path: readonly PropertyKey[]) => string | undefined = () => undefined,
): LivegateConfig {
  const result = configSchema.safeParse(input, { error: describeIssue });
  if (result.success) return result.data;
  const issues = result.error.issues.flatMap((issue) => toConfigIssues(issue, sourceOf));
  const lines = issues.map((issue) => `${issue.path}: ${issue.message}`);
  throw new LivegateError(
    'ERR_CONFIG_INVALID',
    `invalid configuration (${issues.length} ${issues.length === 1 ? 'problem' : 'problems'}):\n${lines.join('\n')}`,
    { details: { issues } },
  );
}

function toConfigIssues(
  issue: z.core.$ZodIssue,
  sourceOf: (path: readonly PropertyKey[]) => string | undefined,
): ConfigIssue[] {
  const withSource = (path: readonly PropertyKey[], message: string): ConfigIssue => {
    const source = sourceOf(path);
    return {
      path: formatPath(path),
      message: source === undefined ? message : `${message} (from ${source})`,
    };
  };
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) =>
      withSource([...issue.path, key], /token/i.test(key) ? TOKEN_IN_CLEAR : 'unknown key'),
    );
  }
  return [withSource(issue.path, issue.message)];
}

const TOKEN_IN_CLEAR =
  'unknown key: tokens never go in the config in clear; set LIVEGATE_OPERATOR_TOKEN / LIVEGATE_ADMIN_TOKEN or http.operatorTokenFile / http.adminTokenFile';

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((segment, index) =>
      typeof segment === 'number' ? `[${segment}]` : `${index === 0 ? '' : '.'}${String(segment)}`,
    )
    .join('');
}

/** Messages that say what was expected and what was found; undefined falls back to zod's own. */
function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  const received = describeInput(issue.input);
  if (issue.code === 'invalid_type') {
    return `expected ${issue.expected === 'int' ? 'integer' : issue.expected}, received ${received}`;
  }
  if (issue.code === 'invalid_value') {
    const allowed = issue.values.map((value) => JSON.stringify(value)).join(' | ');
    return `expected one of ${allowed}, received ${received}`;
  }
  if (issue.code === 'too_small') {
    if (issue.origin === 'array') return `must have at least ${issue.minimum} item(s)`;
    if (issue.origin === 'string') return 'must not be empty';
    return `must be ${issue.inclusive === false ? '>' : '>='} ${issue.minimum}, received ${received}`;
  }
  if (issue.code === 'invalid_key') {
    // A record key (a desk name...) that its own schema refused: say why, not only "invalid key".
    const why = issue.issues.map((inner) => inner.message).join('; ');
    return `invalid key ${JSON.stringify(issue.input)}${why === '' ? '' : `: ${why}`}`;
  }
  if (issue.code === 'too_big') {
    return `must be ${issue.inclusive === false ? '<' : '<='} ${issue.maximum}, received ${received}`;
  }
  return undefined;
}
