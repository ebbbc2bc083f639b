// The config sections that connect livegate to a venue: `venue:` (ccxt) and `gateway:` (WebSocket).

import * as z from 'zod';
import { positiveInteger, symbolList } from './schema-parts.js';

/**
 * Whose orders a venue cancel-all cancels, per occasion: `account` (everything on the account,
 * livegate's or not) or `own` (only orders with livegate's client order ids).
 */
const cancelScopeSchema = z
  .strictObject({
    /** `livegate kill` (its venue step) and the engine's cancel-on-engage. */
    kill: z.enum(['account', 'own']).default('account'),
    /** An engine shutting down (cancelOrdersOnClose). */
    shutdown: z.enum(['account', 'own']).default('own'),
  })
  .prefault({});

/** A crypto venue through ccxt. Credentials come from LIVEGATE_VENUE_API_KEY / _SECRET / _PASSWORD only. */
export const venueSchema = z.strictObject({
  /** The ccxt exchange id (`livegate venues` lists them). */
  id: z.string().min(1).nullable().default(null),
  /** Trade the venue's test environment. On by default: going live is a deliberate `false`. */
  sandbox: z.boolean().default(true),
  /** ccxt unified symbols (`BTC/USD`); the engine trades exactly these. */
  symbols: z.array(z.string().min(1)).default(() => []),
  timeoutMs: positiveInteger().default(10_000),
  /** ms between two requests to the venue; null = ccxt's figure for that venue (polls queue behind it). */
  rateLimitMs: z.number().int().min(1).nullable().default(null),
  /** How often fills are polled. */
  fillPollIntervalMs: z.number().int().min(50).default(1000),
  /** The venue's own dead-man switch (cancel-all-after), refreshed by the engine heartbeat. */
  deadMan: z
    .strictObject({
      countdownMs: z.number().int().min(1000).default(60_000),
      refreshEveryMs: z.number().int().min(100).default(15_000),
    })
    .refine((deadMan) => deadMan.refreshEveryMs < deadMan.countdownMs, {
      path: ['refreshEveryMs'],
      message: 'must be below countdownMs, or the venue cancels everything between refreshes',
    })
    .prefault({}),
  cancelOrdersOnClose: z.boolean().default(true),
  cancelScope: cancelScopeSchema,
  /** Override ccxt's API endpoints (a proxy, or a test venue): `{ public: URL, private: URL }`. */
  urls: z.record(z.string(), z.url()).nullable().default(null),
  /** Override ccxt.pro's WebSocket endpoints (`urls.api.ws`), e.g. Kraken's `{ publicV2: URL }`. */
  wsUrls: z
    .record(z.string(), z.string().regex(/^wss?:\/\/\S+$/, 'must be a ws:// or wss:// URL'))
    .nullable()
    .default(null),
});

/** `HOST:PORT` or `[IPv6]:PORT`, the port 1-65535. */
const listenAddress = z
  .string()
  .regex(
    /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):([1-9]\d{0,4})$/,
    'must be HOST:PORT, e.g. 127.0.0.1:9100 or [::1]:9100',
  )
  .refine((value) => Number(value.slice(value.lastIndexOf(':') + 1)) <= 65_535, {
    message: 'the port must be at most 65535',
  });

/**
 * A JSON-over-WebSocket gateway (docs/gateway-protocol.md), for MT5 bridges and in-house gateways:
 * livegate dials it (`url`), or it dials in to livegate (`listen`, token in LIVEGATE_GATEWAY_TOKEN).
 */
export const gatewaySchema = z
  .strictObject({
    url: z
      .string()
      .regex(/^wss?:\/\/\S+$/, 'must be ws://HOST:PORT or wss://HOST:PORT')
      .nullable()
      .default(null),
    /** Listen here for the gateway to dial in (an MT5 Expert Advisor can only dial out). */
    listen: listenAddress.nullable().default(null),
    /** TLS for the dial-in listener (the gateway then dials wss://); PEM files. */
    tls: z
      .strictObject({ certFile: z.string().min(1), keyFile: z.string().min(1) })
      .nullable()
      .default(null),
    /** Symbols the feed subscribes to. */
    symbols: symbolList()
      .or(z.array(z.never()).length(0))
      .default(() => []),
    heartbeatIntervalMs: z.number().int().min(10).max(60_000).default(1000),
    staleAfterMs: z.number().int().min(20).max(600_000).default(5000),
    requestTimeoutMs: z.number().int().min(10).max(600_000).default(5000),
    maxBufferedTicks: positiveInteger().default(10_000),
    cancelScope: cancelScopeSchema,
    reconnect: z
      .strictObject({
        initialDelayMs: z.number().int().min(1).max(60_000).default(250),
        maxDelayMs: z.number().int().min(1).max(600_000).default(10_000),
      })
      .refine((reconnect) => reconnect.maxDelayMs >= reconnect.initialDelayMs, {
        path: ['maxDelayMs'],
        message: 'must not be below initialDelayMs',
      })
      .prefault({}),
  })
  .refine((gateway) => gateway.url === null || gateway.listen === null, {
    path: ['listen'],
    message: 'give url (livegate dials the gateway) or listen (the gateway dials in), not both',
  })
  .refine((gateway) => gateway.tls === null || gateway.listen !== null, {
    path: ['tls'],
    message:
      'is for the dial-in listener: set gateway.listen too (a dialled gateway uses wss:// in url)',
  })
  .refine((gateway) => gateway.staleAfterMs >= 2 * gateway.heartbeatIntervalMs, {
    path: ['staleAfterMs'],
    message: 'must be at least twice heartbeatIntervalMs (one lost heartbeat is not a dead stream)',
  })
  .refine((gateway) => gateway.maxBufferedTicks >= gateway.symbols.length, {
    path: ['maxBufferedTicks'],
    message: 'must be at least the number of symbols',
  });

/** A FIX comp id: printable ASCII without the field delimiter or spaces. */
const compId = () =>
  z.string().regex(/^[!-~]{1,64}$/, 'must be 1-64 printable ASCII characters without spaces');

/**
 * A FIX 4.4 venue (feed.kind / broker.kind `fix`) through jspurefix, an optional dependency.
 * Credentials come from LIVEGATE_FIX_USERNAME / _PASSWORD (a kill: LIVEGATE_KILL_FIX_*) only.
 */
export const fixSchema = z.strictObject({
  host: z.string().min(1).nullable().default(null),
  port: z.number().int().min(1).max(65_535).nullable().default(null),
  /** TLS to the venue (its certificate checked against the system's CAs). */
  tls: z.boolean().default(false),
  senderCompId: compId().nullable().default(null),
  targetCompId: compId().nullable().default(null),
  /** A market-data session of its own (many venues split them): comp ids and address; null = the order session's. */
  marketData: z
    .strictObject({
      host: z.string().min(1).nullable().default(null),
      port: z.number().int().min(1).max(65_535).nullable().default(null),
      senderCompId: compId().nullable().default(null),
      targetCompId: compId().nullable().default(null),
    })
    .nullable()
    .default(null),
  /**
   * The SenderCompID `livegate kill` logs on with: a session of its own beside a running engine's
   * (a second logon with the engine's comp ids would log the engine out, or be refused). `run`
   * requires it with broker.kind fix; see fixKillSessionProblem.
   */
  killSenderCompId: compId().nullable().default(null),
  /** Account (tag 1) on orders and mass requests; null = none sent. */
  account: z.string().min(1).nullable().default(null),
  /** Symbols the feed subscribes to (35=V) and the kill's mass status reads. */
  symbols: symbolList()
    .or(z.array(z.never()).length(0))
    .default(() => []),
  heartbeatSeconds: z.number().int().min(1).max(300).default(30),
  /**
   * false (a venue whose sessions last the trading day): sequence numbers are kept in the state
   * dir and a restart logs on where it left off (141=N). true: every process start logs on with
   * 141=Y (venues that reset per connection). Reconnects within a run never reset either way.
   */
  resetSeqNumOnLogon: z.boolean().default(false),
  reconnectDelayMs: z.number().int().min(50).max(600_000).default(1000),
  /** Longest wait for a logon, a cancel, a mass cancel or a mass status answer. */
  requestTimeoutMs: z.number().int().min(10).max(600_000).default(5000),
  /** A QuickFIX XML dictionary of the venue's dialect; null = jspurefix's FIX 4.4. */
  dictionary: z.string().min(1).nullable().default(null),
  /**
   * The venue's cancel-on-disconnect, sent in the Logon where it offers one: its tag and value
   * (Coinbase 8013=Y, Deribit 9001=Y). null = not sent (the venue's default applies).
   */
  cancelOnDisconnect: z
    .strictObject({
      tag: z.number().int().min(5000).max(49_999),
      value: z.string().min(1).max(16),
    })
    .nullable()
    .default(null),
  /** false: the venue has no OrderMassCancelRequest (35=q); cancel-all sends one 35=F per order. */
  massCancel: z.boolean().default(true),
  cancelScope: cancelScopeSchema,
});

/**
 * The kill's FIX session must be a session of its own: with broker.kind fix, killSenderCompId is
 * set and differs from the order and market-data sessions' SenderCompIDs. undefined when fine.
 * Not a schema rule: `run` refuses such a config (its preflight), but a kill never refuses the
 * kill itself over a venue setting; its venue step reports that venue not confirmed with this.
 */
export function fixKillSessionProblem(
  brokerKind: string,
  fix: z.output<typeof fixSchema>,
): string | undefined {
  if (brokerKind !== 'fix') return undefined;
  const kill = fix.killSenderCompId;
  if (kill === null) {
    return "fix.killSenderCompId is not set: the kill cannot log on to the venue beside the trading session (give it a SenderCompID of its own, such as DESK-KILL; the engine's would log the running engine out, or be refused)";
  }
  if (kill === fix.senderCompId || kill === fix.marketData?.senderCompId) {
    return `fix.killSenderCompId (${kill}) is a trading session's SenderCompID (fix.senderCompId or fix.marketData.senderCompId): the kill's logon would log that session out, or be refused; give the kill one of its own`;
  }
  return undefined;
}
