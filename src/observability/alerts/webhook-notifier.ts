// Posts kill-switch and risk alerts to a Slack-compatible webhook, one at a time and in order, off
// the engine's path: onEvent only queues, a bounded queue sheds the least important alerts, and a
// receiver that is slow, down or wrong can delay or lose alerts but never block or crash the engine.

import { setTimeout as delay } from 'node:timers/promises';
import { pino, type Logger } from 'pino';
import * as z from 'zod';
import { LivegateError } from '../../core/errors.js';
import type { LivegateEvent } from '../../core/events.js';
import {
  noControlCounters,
  type AlertOutcome,
  type ControlCounters,
} from '../../http/control-counters.js';
import { alertPayloadFor, type AlertPayload } from './alert-payload.js';
import { AlertQueue, type QueuedAlert } from './alert-queue.js';

export { alertPayloadFor, type AlertPayload } from './alert-payload.js';

export interface WebhookNotifierOptions {
  /** http(s) URL of the receiver. It is a secret for Slack, so logs show only its origin. */
  readonly url: string;
  readonly engineId: string;
  /** Longest wait for one attempt, response included. */
  readonly timeoutMs: number;
  /** Attempts per alert, the first included. */
  readonly maxAttempts: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  /** Alerts waiting to be sent; beyond this one is dropped (an ENGAGED one last). */
  readonly maxQueued: number;
  readonly logger?: Logger;
  /** Default noControlCounters. */
  readonly counters?: ControlCounters;
  /** Jitter source in [0, 1); default Math.random. */
  readonly random?: () => number;
}

export interface WebhookNotifierStats {
  readonly sent: number;
  readonly failed: number;
  readonly dropped: number;
  readonly retried: number;
  /** Accepted and not settled yet: waiting, or being delivered. sent + failed + dropped + queued = accepted. */
  readonly queued: number;
}

const positiveInteger = () => z.int().min(1);
const optionsSchema = z.strictObject({
  url: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    // fetch refuses such a URL on every attempt, and would quote it, secret included, in its error.
    .refine(withoutCredentials, 'must not carry user:password'),
  engineId: z.string().min(1),
  timeoutMs: positiveInteger(),
  maxAttempts: positiveInteger(),
  initialBackoffMs: positiveInteger(),
  maxBackoffMs: positiveInteger(),
  maxQueued: positiveInteger(),
  logger: z
    .custom<Logger>(hasMethods('error', 'warn', 'child'), 'must be a pino logger')
    .optional(),
  counters: z.custom<ControlCounters>(hasMethods('alert'), 'must have alert()').optional(),
  random: z
    .custom<() => number>((value) => typeof value === 'function', 'must be a function')
    .optional(),
});

type AttemptResult =
  | { readonly outcome: 'sent' }
  | { readonly outcome: 'retry'; readonly cause: unknown; readonly retryAfterMs?: number }
  | { readonly outcome: 'reject'; readonly cause: unknown };

export class WebhookNotifier {
  private readonly options: z.output<typeof optionsSchema>;
  private readonly logger: Logger;
  private readonly counters: ControlCounters;
  private readonly random: () => number;
  private readonly queue = new AlertQueue();
  /** Aborts the attempt or backoff in progress when close() gives up. */
  private readonly abandon = new AbortController();
  private readonly totals = { sent: 0, failed: 0, dropped: 0, retried: 0 };
  private inFlight: QueuedAlert | undefined;
  private draining: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: WebhookNotifierOptions) {
    const parsed = optionsSchema.safeParse(options);
    if (!parsed.success) throw invalidOptions(parsed.error);
    this.options = Object.freeze(parsed.data);
    this.logger = (parsed.data.logger ?? pino({ level: 'silent' })).child({
      component: 'webhook-notifier',
      receiver: new URL(parsed.data.url).origin,
    });
    this.counters = parsed.data.counters ?? noControlCounters;
    this.random = parsed.data.random ?? Math.random;
  }

  /** Subscribe with engine.on / view.on. Synchronous and cheap; never throws. */
  onEvent(event: LivegateEvent): void {
    try {
      const payload = alertPayloadFor(event, this.options.engineId);
      if (payload === null) return;
      if (this.closing !== undefined) {
        this.drop(payload, 'notifier closed');
        return;
      }
      const evicted = this.queue.push(payload, this.options.maxQueued);
      if (evicted !== undefined) this.drop(evicted.payload, 'queue full');
      this.startDraining();
    } catch (error) {
      this.logUnexpected(error);
    }
  }

  stats(): WebhookNotifierStats {
    const queued = this.queue.size + (this.inFlight === undefined ? 0 : 1);
    return { ...this.totals, queued };
  }

  /**
   * Stops taking alerts and delivers what is queued within `timeoutMs` (default: one attempt's
   * timeout); what is still undelivered then is given up and counted. Never rejects.
   */
  close(timeoutMs: number = this.options.timeoutMs): Promise<void> {
    this.closing ??= this.shutDown(Number.isFinite(timeoutMs) ? Math.max(0, timeoutMs) : 0);
    return this.closing;
  }

  private async shutDown(timeoutMs: number): Promise<void> {
    try {
      if (this.draining !== undefined) {
        const deadline = new AbortController();
        const gaveUp = delay(timeoutMs, undefined, { signal: deadline.signal }).catch(
          () => undefined,
        );
        await Promise.race([this.draining, gaveUp]);
        deadline.abort();
      }
      this.giveUp();
    } catch (error) {
      this.logUnexpected(error);
    }
  }

  /** Counts everything unsettled at once, so stats() add up as soon as close() resolves. */
  private giveUp(): void {
    if (this.draining === undefined) return;
    this.abandon.abort();
    const inFlight = this.inFlight;
    this.inFlight = undefined;
    if (inFlight !== undefined) {
      this.fail(inFlight, new Error('the notifier closed before the alert was delivered'));
    }
    for (let waiting = this.queue.shift(); waiting !== undefined; waiting = this.queue.shift()) {
      this.drop(waiting.payload, 'notifier closed');
    }
  }

  private startDraining(): void {
    if (this.draining !== undefined) return;
    this.draining = this.drain().catch((error: unknown) => this.logUnexpected(error));
  }

  private async drain(): Promise<void> {
    // Let the caller's synchronous burst of events land first: onEvent never does network work.
    await Promise.resolve();
    try {
      while (!this.abandon.signal.aborted) {
        const next = this.queue.shift();
        if (next === undefined) break;
        this.inFlight = next;
        try {
          await this.deliver(next);
        } catch (error) {
          // A bug here must cost this alert, not the queue: it is settled and the next one goes.
          if (!this.abandon.signal.aborted) this.fail(next, error);
        }
        if (this.inFlight === next) this.inFlight = undefined;
      }
    } finally {
      // Same synchronous step as the empty-queue check, so an alert queued later starts a new drain.
      this.draining = undefined;
    }
  }

  private async deliver(alert: QueuedAlert): Promise<void> {
    const body = JSON.stringify(alert.payload);
    const { maxAttempts, initialBackoffMs, maxBackoffMs } = this.options;
    for (let attempt = 1; ; attempt += 1) {
      const result = await this.attempt(body);
      // close() gave up meanwhile and already counted this alert.
      if (this.abandon.signal.aborted) return;
      if (result.outcome === 'sent') {
        this.count('sent');
        return;
      }
      if (result.outcome === 'reject' || attempt >= maxAttempts) {
        this.fail(alert, result.cause, attempt);
        return;
      }
      this.count('retried');
      const backoff = Math.min(maxBackoffMs, initialBackoffMs * 2 ** (attempt - 1));
      const wait =
        result.retryAfterMs === undefined
          ? backoff * clampUnit(this.random())
          : Math.min(maxBackoffMs, result.retryAfterMs);
      await delay(wait, undefined, { ref: false, signal: this.abandon.signal }).catch(
        () => undefined,
      );
      if (this.abandon.signal.aborted) return;
    }
  }

  /** One POST; never rejects. */
  private async attempt(body: string): Promise<AttemptResult> {
    const signal = AbortSignal.any([
      AbortSignal.timeout(this.options.timeoutMs),
      this.abandon.signal,
    ]);
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'livegate-alerts' },
        body,
        signal,
        // A webhook that redirects is misconfigured; following would turn the POST into a GET.
        redirect: 'manual',
      });
    } catch (error) {
      return { outcome: 'retry', cause: error };
    }
    if (response.ok) {
      await response.body?.cancel().catch(() => undefined);
      return { outcome: 'sent' };
    }
    const cause = new Error(
      `the receiver answered HTTP ${response.status}${await excerpt(response)}`,
    );
    if (response.status === 429) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      return retryAfterMs === undefined
        ? { outcome: 'retry', cause }
        : { outcome: 'retry', cause, retryAfterMs };
    }
    if (response.status >= 500) return { outcome: 'retry', cause };
    // Any other answer (4xx, 3xx) means a bad URL or payload, which retrying will not fix.
    return { outcome: 'reject', cause };
  }

  private fail(alert: QueuedAlert, cause: unknown, attempts?: number): void {
    this.count('failed');
    const fields = alert.payload.livegate;
    const error = new LivegateError(
      'ERR_ALERT_FAILED',
      `${fields.type} alert not delivered${attempts === undefined ? '' : ` after ${attempts} attempt(s)`}`,
      { cause, details: { alertType: fields.type, attempts } },
    );
    this.logger.error(
      { err: error, code: error.code, cause: describeCause(cause), alert: fields },
      error.message,
    );
  }

  private drop(payload: AlertPayload, why: string): void {
    this.count('dropped');
    this.logger.warn(
      { alert: payload.livegate, dropped: this.totals.dropped },
      `${payload.livegate.type} alert dropped: ${why}`,
    );
  }

  private count(outcome: AlertOutcome): void {
    this.totals[outcome] += 1;
    try {
      this.counters.alert(outcome);
    } catch (error) {
      this.logUnexpected(error);
    }
  }

  private logUnexpected(error: unknown): void {
    try {
      this.logger.error({ err: error }, 'webhook notifier: unexpected error');
    } catch {
      // Nothing is left to tell; the engine must not hear about it either.
    }
  }
}

/** Retry-After is delta-seconds or an HTTP date; undefined when absent or unreadable. */
function parseRetryAfter(header: string | null): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** The start of an error body (Slack says `invalid_payload`...), bounded by the attempt's signal. */
async function excerpt(response: Response): Promise<string> {
  try {
    const text = (await response.text()).trim();
    return text === '' ? '' : `: ${text.length > 200 ? `${text.slice(0, 200)}...` : text}`;
  } catch {
    return '';
  }
}

function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const inner = cause.cause instanceof Error ? `: ${cause.cause.message}` : '';
  return `${cause.message}${inner}`;
}

function clampUnit(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 1;
}

function withoutCredentials(url: string): boolean {
  const { username, password } = new URL(url);
  return username === '' && password === '';
}

function hasMethods(...names: string[]): (value: unknown) => boolean {
  return (value) =>
    typeof value === 'object' &&
    value !== null &&
    names.every((name) => typeof (value as Record<string, unknown>)[name] === 'function');
}

function invalidOptions(error: z.ZodError): LivegateError {
  const problems = error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: dotted([...issue.path, key]), message: 'unknown key' }))
      : [{ path: dotted(issue.path), message: issue.message }],
  );
  return new LivegateError(
    'ERR_CONFIG_INVALID',
    `Invalid WebhookNotifier options: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
    { cause: error, details: { problems } },
  );
}

function dotted(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(options)' : path.map(String).join('.');
}
