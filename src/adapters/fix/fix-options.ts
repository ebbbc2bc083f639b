// Options of the FIX feed, broker and kill canceller, validated once against strict schemas.

import * as z from 'zod';
import { LivegateError } from '../../core/errors.js';
import type { FixSessionSettings } from './fix-session-link.js';

const compId = z.string().regex(/^[!-~]{1,64}$/, 'must be 1-64 printable ASCII characters');

const sessionShape = {
  name: z.string().min(1).default('livegate'),
  host: z.string().min(1),
  port: z.int().min(1).max(65_535),
  tls: z.boolean().default(false),
  senderCompId: compId,
  targetCompId: compId,
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  heartbeatSeconds: z.int().min(1).max(300).default(30),
  /** Without a sequenceFile the numbers die with the process: reset them at its first logon. */
  resetSeqNumOnLogon: z.boolean().default(true),
  /** A file the session's sequence numbers outlive the process in (fix-sequence-file.ts). */
  sequenceFile: z.string().min(1).nullable().default(null),
  reconnectDelayMs: z.int().min(10).max(600_000).default(1000),
  dictionary: z.string().min(1).nullable().default(null),
  cancelOnDisconnect: z
    .strictObject({ tag: z.int().min(5000).max(49_999), value: z.string().min(1) })
    .nullable()
    .default(null),
  trace: z.custom<FixSessionSettings['trace']>((value) => typeof value === 'function').optional(),
  /** Longest wait for the logon, a cancel, a mass cancel or a mass status answer. */
  requestTimeoutMs: z.int().min(10).max(600_000).default(5000),
};

export const fixBrokerOptionsSchema = z.strictObject({
  ...sessionShape,
  account: z.string().min(1).nullable().default(null),
  /** false: the venue has no OrderMassCancelRequest; cancel-all sends one cancel per order. */
  massCancel: z.boolean().default(true),
  /** Whose orders cancelAll() cancels: the venue's mass cancel (`account`) or this broker's (`own`). */
  cancelScopeOnKill: z.enum(['account', 'own']).default('account'),
  /** Keeps engines' client order ids apart (the engine id). */
  clientOrderIdNamespace: z.string().min(1).default('livegate'),
});

export const fixFeedOptionsSchema = z.strictObject({
  ...sessionShape,
  symbols: z.array(z.string().min(1)).min(1),
  /** Ticks held for a slow consumer, shared among the symbols. */
  maxBufferedTicks: z.int().min(1).default(10_000),
  /** End after this many ticks (tests, bounded replays); undefined = until closed. */
  maxTicks: z.int().min(0).optional(),
});

export type FixBrokerOptions = z.input<typeof fixBrokerOptionsSchema>;
export type FixBrokerSettings = z.output<typeof fixBrokerOptionsSchema>;
export type FixFeedOptions = z.input<typeof fixFeedOptionsSchema>;
export type FixFeedSettings = z.output<typeof fixFeedOptionsSchema>;

export function parseFixOptions<Schema extends z.ZodType>(
  what: string,
  schema: Schema,
  options: unknown,
): z.output<Schema> {
  const parsed = schema.safeParse(options);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues
    .map((issue) => `${issue.path.join('.') || '(options)'}: ${issue.message}`)
    .join('; ');
  throw new LivegateError('ERR_USAGE', `${what}: invalid options: ${problems}`);
}

/** The session part of validated options, as the link takes it. */
export function sessionSettingsOf(
  settings: FixBrokerSettings | FixFeedSettings,
): FixSessionSettings {
  return {
    name: settings.name,
    host: settings.host,
    port: settings.port,
    tls: settings.tls,
    senderCompId: settings.senderCompId,
    targetCompId: settings.targetCompId,
    username: settings.username,
    password: settings.password,
    heartbeatSeconds: settings.heartbeatSeconds,
    resetSeqNumOnLogon: settings.resetSeqNumOnLogon,
    sequenceFile: settings.sequenceFile,
    lockWaitMs: settings.requestTimeoutMs,
    reconnectDelayMs: settings.reconnectDelayMs,
    dictionary: settings.dictionary,
    cancelOnDisconnect: settings.cancelOnDisconnect,
    ...(settings.trace === undefined ? {} : { trace: settings.trace }),
  };
}
