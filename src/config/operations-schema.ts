// The config sections that operate a running engine: `http:`, `streams:` and `alerts:`.

import * as z from 'zod';
import { nonNegativeInteger, positiveInteger } from './schema-parts.js';

/** Tokens are secrets: they come from the environment or from files, never from this file in clear. */
export const httpSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Loopback by default: exposing the control API is a deliberate choice. */
  host: z.string().min(1).default('127.0.0.1'),
  /** 0 picks a free port (printed at start). Strings are accepted for LIVEGATE_HTTP_PORT. */
  port: z.coerce.number().int().min(0).max(65535).default(8787),
  /** Files holding the bearer tokens (first line); LIVEGATE_OPERATOR_TOKEN / LIVEGATE_ADMIN_TOKEN win. */
  operatorTokenFile: z.string().min(1).nullable().default(null),
  adminTokenFile: z.string().min(1).nullable().default(null),
  /** Failed authentications per client address within the window before it gets 429. */
  maxAuthFailures: positiveInteger().default(5),
  authFailureWindowMs: positiveInteger().default(60_000),
  /** /readyz reports the feed as not delivering after this long without a tick. */
  feedStaleAfterMs: positiveInteger().default(5_000),
  /** How long an HTTP kill waits for the engines on the store to confirm, like `livegate kill`. */
  confirmTimeoutMs: nonNegativeInteger().default(2_000),
});

/** Event streams beside the journal; each is off until its server is named. */
export const streamsSchema = z.strictObject({
  kafka: z
    .strictObject({
      /** host:port of the Kafka or Redpanda brokers; empty = off. */
      brokers: z.array(z.string().regex(/^[^\s:/]+:\d+$/, 'must be host:port')).default([]),
      /** Must exist or be auto-created: livegate never creates topics. */
      topic: z.string().min(1).default('livegate.events'),
      clientId: z.string().min(1).default('livegate'),
    })
    .prefault({}),
  nats: z
    .strictObject({
      /** nats://HOST:PORT of a JetStream server; null = off. */
      url: z
        .string()
        .regex(/^nats:\/\/\S+$/, 'must be nats://HOST:PORT')
        .nullable()
        .default(null),
      /** Created if missing (file storage). */
      stream: z
        .string()
        .regex(/^[A-Za-z0-9_-]+$/)
        .default('LIVEGATE_EVENTS'),
      subjectPrefix: z
        .string()
        .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/)
        .default('livegate.events'),
    })
    .prefault({}),
  /** Events waiting per stream before non-critical ones are dropped (critical ones never are). */
  maxQueued: positiveInteger().default(10_000),
  maxBatch: positiveInteger().default(500),
  /** How long a flush (and the flush at shutdown) waits for acknowledgements. */
  flushTimeoutMs: positiveInteger().default(10_000),
});

export const webhookSchema = z.strictObject({
  /** null disables the webhook. */
  url: z
    .url({ protocol: /^https?$/ })
    .nullable()
    .default(null),
  timeoutMs: positiveInteger().default(5_000),
  maxAttempts: positiveInteger().default(5),
  initialBackoffMs: positiveInteger().default(500),
  maxBackoffMs: positiveInteger().default(30_000),
  /** Alerts waiting to be sent; beyond this the oldest are dropped and counted. */
  maxQueued: positiveInteger().default(1_000),
});
