// The ccxt.pro exchange a CcxtStreamFeed watches: its options validated once against a strict
// schema, the pro class of the venue's id, the sandbox and the REST and WebSocket URL overrides.

import ccxt, { pro, type Exchange } from 'ccxt';
import * as z from 'zod';
import type { Clock } from '../../core/clock.js';
import { LivegateError } from '../../core/errors.js';
import type { CcxtVenueOptions } from './ccxt-venue.js';

export interface CcxtStreamFeedOptions {
  /** The same options a CcxtVenue takes (venue id, sandbox, symbols, urls, credentials...). */
  readonly venue: CcxtVenueOptions;
  /**
   * Replaces entries of ccxt.pro's `urls.api.ws` (tests, proxies). Kraken's ticker stream is
   * `publicV2` (ccxt.pro speaks Kraken's WebSocket API v2): `{ publicV2: 'ws://127.0.0.1:9000/v2' }`.
   */
  readonly wsUrls?: Readonly<Record<string, string>>;
  /** A symbol without a usable update for this long is reported `stale`. Default 10 000. */
  readonly staleAfterMs?: number;
  /** Upper bound of the first pause after a failed watch, doubling up to `retryMaxDelayMs` (full jitter). Defaults 250 / 10 000. */
  readonly retryInitialDelayMs?: number;
  readonly retryMaxDelayMs?: number;
  /** Ticks held for a slow consumer, shared equally among the symbols. Default 10 000. */
  readonly maxBufferedTicks?: number;
  /** Stop after this many ticks (drills, tests). Default Infinity. */
  readonly maxTicks?: number;
  readonly clock?: Clock;
}

const httpUrl = z.string().regex(/^https?:\/\/\S+$/, 'must be an http(s) URL');
const wsUrl = z.string().regex(/^wss?:\/\/\S+$/, 'must be a ws:// or wss:// URL');
const credential = z.string().min(1, 'must be a non-empty string when given').optional();

/** CcxtVenue's rules, as a schema: the stream feed builds its own (pro) exchange from them. */
const venueSchema = z.strictObject({
  venue: z.string().refine((id) => ccxt.exchanges.includes(id), 'is not a ccxt exchange id'),
  sandbox: z.boolean(),
  symbols: z
    .array(z.string().min(1))
    .min(1)
    .refine((symbols) => new Set(symbols).size === symbols.length, 'must not repeat a symbol'),
  apiKey: credential,
  secret: credential,
  password: credential,
  urls: z.record(z.string(), httpUrl).optional(),
  timeoutMs: z.number().gt(0),
  rateLimit: z.number().gt(0).optional(),
});

const schema = z
  .strictObject({
    venue: venueSchema,
    wsUrls: z.record(z.string(), wsUrl).optional(),
    staleAfterMs: z.number().min(1).default(10_000),
    retryInitialDelayMs: z.number().min(1).default(250),
    retryMaxDelayMs: z.number().min(1).default(10_000),
    maxBufferedTicks: z.int().min(1).default(10_000),
    maxTicks: z
      .union([z.literal(Infinity), z.int().min(1)], {
        error: 'must be a positive integer or Infinity',
      })
      .default(Infinity),
    clock: z
      .custom<Clock>(
        (value) =>
          typeof value === 'object' &&
          value !== null &&
          typeof (value as Clock).now === 'function' &&
          typeof (value as Clock).monotonic === 'function',
        { message: 'must be a Clock (now() and monotonic())' },
      )
      .optional(),
  })
  .superRefine((settings, context) => {
    if (settings.retryMaxDelayMs < settings.retryInitialDelayMs) {
      context.addIssue({
        code: 'custom',
        path: ['retryMaxDelayMs'],
        message: `must not be below retryInitialDelayMs (${settings.retryInitialDelayMs})`,
      });
    }
    if (settings.maxBufferedTicks < settings.venue.symbols.length) {
      context.addIssue({
        code: 'custom',
        path: ['maxBufferedTicks'],
        message: `must be at least the number of symbols (${settings.venue.symbols.length})`,
      });
    }
  });

export type CcxtStreamFeedSettings = z.output<typeof schema>;

/**
 * Parses and freezes the options. A bad venue setting (the config file's `venue:` section) is
 * ERR_CONFIG_INVALID; otherwise a bad feed option is ERR_USAGE, as for CcxtFeed. Every problem is named.
 */
export function parseStreamFeedOptions(options: CcxtStreamFeedOptions): CcxtStreamFeedSettings {
  const result = schema.safeParse(options);
  if (result.success) return Object.freeze(result.data);
  const problems = result.error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => `${[...issue.path, key].join('.')}: unknown option`)
      : [`${issue.path.length > 0 ? issue.path.join('.') : '(options)'}: ${issue.message}`],
  );
  const venueProblem = result.error.issues.some(
    (issue) => issue.path[0] === 'venue' || issue.path[0] === 'wsUrls',
  );
  return failWith(
    venueProblem ? 'ERR_CONFIG_INVALID' : 'ERR_USAGE',
    `CcxtStreamFeed: invalid options (${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}): ${problems.join('; ')}`,
    { problems },
    result.error,
  );
}

/** The venue's ccxt.pro exchange, configured as CcxtVenue configures the REST one. */
export function buildStreamExchange(settings: CcxtStreamFeedSettings): Exchange {
  const { venue: options } = settings;
  const constructors = pro as unknown as Record<
    string,
    (new (config: object) => Exchange) | undefined
  >;
  const ExchangeClass = Object.hasOwn(constructors, options.venue)
    ? constructors[options.venue]
    : undefined;
  const exchange =
    ExchangeClass === undefined ? undefined : new ExchangeClass(exchangeConfig(options));
  if (exchange === undefined || exchange.has.watchTicker !== true) {
    return failWith(
      'ERR_CONFIG_INVALID',
      `${options.venue} has no streaming tickers in ccxt.pro (watchTicker); use the REST polling feed (CcxtFeed) for it`,
      { venue: options.venue },
    );
  }
  if (options.sandbox) useSandbox(exchange, options.venue);
  observeSendFailures(exchange);
  const api = exchange.urls.api as unknown;
  if (typeof api !== 'object' || api === null) {
    if (options.urls !== undefined || settings.wsUrls !== undefined) {
      failWith('ERR_CONFIG_INVALID', `${options.venue}: ccxt lists no API map to override`, {});
    }
    return exchange;
  }
  const apiMap = api as Record<string, unknown>;
  // ccxt types `urls.api` loosely; for pro exchanges it holds a `ws` map beside the REST entries.
  exchange.urls = {
    ...exchange.urls,
    api: {
      ...apiMap,
      ...options.urls,
      ...(settings.wsUrls === undefined
        ? {}
        : { ws: overrideWsUrls(options.venue, apiMap.ws, settings.wsUrls) }),
    },
  };
  return exchange;
}

/** True when a WebSocket URL is plain ws://, for which ccxt needs its HTTP agent loaded first. */
export function usesPlainWebSocket(settings: CcxtStreamFeedSettings): boolean {
  return Object.values(settings.wsUrls ?? {}).some((url) => url.startsWith('ws://'));
}

function exchangeConfig(options: CcxtStreamFeedSettings['venue']): object {
  return {
    apiKey: options.apiKey,
    secret: options.secret,
    password: options.password,
    timeout: options.timeoutMs,
    enableRateLimit: true,
    ...(options.rateLimit === undefined ? {} : { rateLimit: options.rateLimit }),
    options: {
      maxRetriesOnFailure: 0,
      // The feed paces its own re-dials (backoff with full jitter); ccxt's would add to it.
      ws: { backoff: { base: 0 } },
    },
  };
}

/**
 * ccxt's watchMultiple (4.5.x) sends a rate-limited subscribe without observing the send, so a
 * socket that closes in between (close(), a drop) leaves an unhandled rejection, which ends a
 * Node process. The close already rejects every pending watch, so the failed send is only marked
 * handled here; callers that await it still see it fail.
 */
function observeSendFailures(exchange: Exchange): void {
  const makeClient = exchange.client.bind(exchange);
  const observed = new WeakSet<object>();
  exchange.client = (url) => {
    const client = makeClient(url);
    if (!observed.has(client)) {
      observed.add(client);
      const send = client.send.bind(client);
      client.send = (message: unknown) => {
        const sent = send(message);
        sent.catch(() => undefined);
        return sent;
      };
    }
    return client;
  };
}

function useSandbox(exchange: Exchange, venue: string): void {
  try {
    // ccxt does not refuse every venue without a test environment, so check first.
    if (exchange.urls.test === undefined) throw new Error('no urls.test');
    exchange.setSandboxMode(true);
  } catch (error) {
    throw new LivegateError(
      'ERR_CONFIG_INVALID',
      `${venue} has no sandbox (test) environment in ccxt`,
      {
        cause: error,
        details: { venue },
      },
    );
  }
}

/** Only entries ccxt already has can be replaced, so a misspelt key is an error, not ignored. */
function overrideWsUrls(
  venue: string,
  current: unknown,
  overrides: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const known =
    typeof current === 'object' && current !== null ? (current as Record<string, unknown>) : {};
  const unknown = Object.keys(overrides).filter((key) => typeof known[key] !== 'string');
  if (unknown.length > 0) {
    failWith(
      'ERR_CONFIG_INVALID',
      `CcxtStreamFeed: wsUrls: ${venue} has no WebSocket URL named ${unknown.map((key) => `"${key}"`).join(', ')} (it has ${Object.keys(known).join(', ') || 'none'})`,
      { venue, unknownKeys: unknown },
    );
  }
  return { ...known, ...overrides };
}

function failWith(
  code: 'ERR_CONFIG_INVALID' | 'ERR_USAGE',
  message: string,
  details: Record<string, unknown>,
  cause?: unknown,
): never {
  throw new LivegateError(code, message, { details, ...(cause === undefined ? {} : { cause }) });
}
