// Options of the WebSocket feed and broker, validated once against strict schemas and frozen.

import * as z from 'zod';
import { LivegateError } from '../../core/errors.js';
import { DiallingSocketSource, type GatewaySocketSource } from './gateway-socket-source.js';

export interface ReconnectOptions {
  /** Upper bound of the first wait after a lost connection (default 250). */
  readonly initialDelayMs?: number;
  /** The bound doubles per failed attempt up to this (default 10000). */
  readonly maxDelayMs?: number;
}

export interface GatewayConnectionOptions {
  /**
   * `ws://` or `wss://` address of the gateway; credentials in it are never echoed. Required
   * unless the adapter is given a socket source (the gateway dials in to livegate's listener).
   */
  readonly url?: string;
  readonly reconnect?: ReconnectOptions;
  /** livegate sends a heartbeat this often; the gateway answers each (default 1000). */
  readonly heartbeatIntervalMs?: number;
  /** Nothing received for this long: the stream is stale and the connection is dropped (default 5000). */
  readonly staleAfterMs?: number;
  /** Longest wait for a hello, a cancel, cancel-all, open-orders or positions answer (default 5000). */
  readonly requestTimeoutMs?: number;
}

export interface WebSocketFeedOptions extends GatewayConnectionOptions {
  /** Every symbol to subscribe to; ticks of any other symbol are malformed. */
  readonly symbols: readonly string[];
  /** Ticks held for a slow consumer, shared equally among the symbols (default 10000). */
  readonly maxBufferedTicks?: number;
}

export interface WebSocketBrokerOptions extends GatewayConnectionOptions {
  /**
   * Whose orders cancelAll() (the kill switch engaging) cancels: `account`, the gateway's
   * cancel-all (every order on the account), or `own`, this broker's live orders one by one.
   */
  readonly cancelScopeOnKill?: 'account' | 'own';
  /**
   * The engine id whose earlier runs' orders a restart cancels even when the journal lost them:
   * they are recognised by their ids, `<engineId>-<runId>-<n>`.
   */
  readonly engineId?: string;
}

const connectionShape = {
  url: z
    .string()
    .refine((value) => parseGatewayUrl(value) !== undefined, {
      message: 'expected a ws:// or wss:// URL such as ws://127.0.0.1:9000',
    })
    .optional(),
  reconnect: z
    .strictObject({
      initialDelayMs: z.int().min(1).max(60_000).default(250),
      maxDelayMs: z.int().min(1).max(600_000).default(10_000),
    })
    .refine((reconnect) => reconnect.maxDelayMs >= reconnect.initialDelayMs, {
      message: 'maxDelayMs must not be below initialDelayMs',
      path: ['maxDelayMs'],
    })
    .default({ initialDelayMs: 250, maxDelayMs: 10_000 }),
  heartbeatIntervalMs: z.int().min(10).max(60_000).default(1000),
  staleAfterMs: z.int().min(20).max(600_000).default(5000),
  requestTimeoutMs: z.int().min(10).max(600_000).default(5000),
};

/** A stale limit below two heartbeats would drop healthy connections whenever one answer is late. */
function checkStaleLimit(
  settings: { heartbeatIntervalMs: number; staleAfterMs: number },
  context: z.RefinementCtx,
): void {
  if (settings.staleAfterMs < 2 * settings.heartbeatIntervalMs) {
    context.addIssue({
      code: 'custom',
      path: ['staleAfterMs'],
      message: `must be at least twice heartbeatIntervalMs (${2 * settings.heartbeatIntervalMs})`,
    });
  }
}

export const brokerOptionsSchema = z
  .strictObject({
    ...connectionShape,
    cancelScopeOnKill: z.enum(['account', 'own']).default('account'),
    engineId: z.string().min(1).optional(),
  })
  .superRefine(checkStaleLimit);

export const feedOptionsSchema = z
  .strictObject({
    ...connectionShape,
    symbols: z
      .array(z.string().min(1))
      .min(1)
      .refine((symbols) => new Set(symbols).size === symbols.length, {
        message: 'must not repeat a symbol',
      }),
    maxBufferedTicks: z.int().min(1).max(10_000_000).default(10_000),
  })
  .superRefine((settings, context) => {
    checkStaleLimit(settings, context);
    if (settings.maxBufferedTicks < settings.symbols.length) {
      context.addIssue({
        code: 'custom',
        path: ['maxBufferedTicks'],
        message: `must be at least the number of symbols (${settings.symbols.length})`,
      });
    }
  });

/** The connection alone (what the feed and the broker share). */
export const connectionSchema = z.strictObject(connectionShape);
export type GatewayConnectionSettings = z.output<typeof connectionSchema>;
export type WebSocketBrokerSettings = z.output<typeof brokerOptionsSchema>;
export type WebSocketFeedSettings = z.output<typeof feedOptionsSchema>;

/**
 * The sockets an adapter speaks over: the given source (dial-in), else a dialler of `url`. Exactly
 * one of the two: a URL beside a listening source would be silently ignored.
 */
export function socketSourceOf(
  adapter: string,
  settings: GatewayConnectionSettings,
  sockets: GatewaySocketSource | undefined,
): GatewaySocketSource {
  if (sockets !== undefined && settings.url === undefined) return sockets;
  if (sockets === undefined && settings.url !== undefined) {
    return new DiallingSocketSource(settings.url, displayGatewayUrl(settings.url), settings);
  }
  const problem =
    sockets === undefined
      ? 'url: required (the gateway address livegate dials)'
      : 'url: not allowed when the gateway dials in (gateway.listen)';
  throw new LivegateError('ERR_CONFIG_INVALID', `Invalid ${adapter} options: ${problem}`, {
    details: { problems: [problem] },
  });
}

/** Parses and freezes options, or throws ERR_CONFIG_INVALID naming every bad one. */
export function parseGatewayOptions<Schema extends z.ZodType>(
  adapter: string,
  schema: Schema,
  options: unknown,
): Readonly<z.output<Schema>> {
  const result = schema.safeParse(options);
  if (!result.success) throw invalidOptions(adapter, result.error);
  return Object.freeze(result.data);
}

function invalidOptions(adapter: string, error: z.ZodError): LivegateError {
  const problems = error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => `${[...issue.path, key].join('.')}: unknown option`)
      : [`${issue.path.length > 0 ? issue.path.join('.') : '(options)'}: ${issue.message}`],
  );
  return new LivegateError(
    'ERR_CONFIG_INVALID',
    `Invalid ${adapter} options: ${problems.join('; ')}`,
    { cause: error, details: { problems } },
  );
}

function parseGatewayUrl(value: string): URL | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'ws:' || url.protocol === 'wss:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** The URL without credentials or query (tokens travel there): the venue name in reports. */
export function displayGatewayUrl(value: string): string {
  const url = parseGatewayUrl(value);
  if (url === undefined) return value;
  url.username = '';
  url.password = '';
  url.search = '';
  url.hash = '';
  return url.href.replace(/\/$/, '');
}
