// The streaming sinks' shared core: versioned events in a bounded in-order queue, drained in batches by one retrying loop.

import { LivegateError } from '../../core/errors.js';
import type { LivegateEvent } from '../../core/events.js';
import type { EventSinkStats } from '../../core/ports.js';
import { InterruptibleSleep } from '../feeds/interruptible-sleep.js';
import {
  CRITICAL_EVENT_TYPES,
  MAX_EVENT_BYTES,
  toQueuedEvent,
  type QueuedEvent,
} from './streamed-event.js';

export { CRITICAL_EVENT_TYPES, MAX_EVENT_BYTES, toQueuedEvent, type QueuedEvent };
export { invalidSinkOptions, queueOptionsShape } from './streaming-sink-options.js';

/** What a broker adapter supplies: one batch at a time, never concurrently. */
export interface EventTransport {
  /** Names the destination in messages: `kafka topic "events"`. */
  readonly target: string;
  /** Resolves once the broker acknowledged every event of the batch; a rejection retries the whole batch. */
  deliver(batch: readonly QueuedEvent[]): Promise<void>;
  /** Called once; should also make a delivery still in flight settle. */
  close(): Promise<void>;
}

export type { EventSinkStats };

export interface RetryPolicy {
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  /** Failed attempts of one batch before onError hears about it (then again every as many attempts). */
  readonly attemptsBeforeAlarm: number;
}

export interface BoundedEventQueueOptions {
  readonly runId: string;
  readonly maxQueued: number;
  readonly maxBatch: number;
  readonly flushTimeoutMs: number;
  readonly onError: (error: LivegateError) => void;
  readonly retry?: RetryPolicy;
}

export const DEFAULT_RETRY: RetryPolicy = {
  initialBackoffMs: 100,
  maxBackoffMs: 5000,
  attemptsBeforeAlarm: 5,
};
/** Kafka's default message.max.bytes applies to a whole record batch; stay well under it. */
const MAX_BATCH_BYTES = 512 * 1024;
/** How many critical events an alarm names in its message (all of them are in details). */
const NAMED_IN_MESSAGE = 20;

interface FlushWaiter {
  readonly throughSeq: number;
  /** Resolves without an error, rejects with one; either way the timer is cleared. */
  readonly settle: (error?: LivegateError) => void;
}

export class BoundedEventQueue {
  private readonly options: BoundedEventQueueOptions;
  private readonly retry: RetryPolicy;
  private readonly transport: EventTransport;
  private readonly sleeper = new InterruptibleSleep();
  /** items[head..] are queued, oldest first; the in-flight batch is the front of it. */
  private items: QueuedEvent[] = [];
  private head = 0;
  private seq = 0;
  private lastQueuedSeq = 0;
  private deliveredThroughSeq = 0;
  private delivered = 0;
  private dropped = 0;
  private failedBatches = 0;
  private retries = 0;
  private waiters = new Set<FlushWaiter>();
  private wakeLoop: (() => void) | undefined;
  private lastError: unknown;
  /** Critical events up to this seq have been named in an alarm already. */
  private namedCriticalThroughSeq = 0;
  private overloaded = false;
  private stopped = false;
  private closing: Promise<void> | undefined;
  private reportedWriteAfterClose = false;

  constructor(transport: EventTransport, options: BoundedEventQueueOptions) {
    this.transport = transport;
    this.options = options;
    this.retry = options.retry ?? DEFAULT_RETRY;
    void this.run();
  }

  /** O(1) apart from serialising the event; never awaits, never throws. */
  write(event: LivegateEvent): void {
    // A seq is consumed even when the event is lost, so the gap shows the loss downstream.
    const seq = ++this.seq;
    if (this.closing !== undefined) {
      this.dropped++;
      if (!this.reportedWriteAfterClose) {
        this.reportedWriteAfterClose = true;
        this.report(
          sinkError(`events written after close() are dropped (first: ${event.type} ${seq})`),
        );
      }
      return;
    }
    if (!CRITICAL_EVENT_TYPES.has(event.type) && this.size() >= this.options.maxQueued) {
      this.dropOnOverload(event, seq);
      return;
    }
    let queued: QueuedEvent;
    try {
      queued = toQueuedEvent(event, this.options.runId, seq);
    } catch (error) {
      this.dropped++;
      this.report(
        sinkError(`event ${this.options.runId}:${seq} (${event.type}) ${messageOf(error)}`, error),
      );
      return;
    }
    this.items.push(queued);
    this.lastQueuedSeq = seq;
    const wake = this.wakeLoop;
    this.wakeLoop = undefined;
    wake?.();
  }

  /** Resolves once everything written so far is acknowledged; ERR_JOURNAL_FAILED after flushTimeoutMs. */
  flush(): Promise<void> {
    return this.waitFor(this.lastQueuedSeq, this.options.flushTimeoutMs, 'flush()');
  }

  /** Flushes (bounded by flushTimeoutMs), then stops and closes the transport; rejects naming what was lost. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  stats(): EventSinkStats {
    return {
      queued: this.size(),
      delivered: this.delivered,
      dropped: this.dropped,
      failedBatches: this.failedBatches,
      retries: this.retries,
    };
  }

  /** Drops the newest non-critical event: what is queued keeps its order and nothing older is lost. */
  private dropOnOverload(event: LivegateEvent, seq: number): void {
    this.dropped++;
    if (this.overloaded) return;
    this.overloaded = true;
    this.report(
      sinkError(
        `${this.transport.target}: ${this.options.maxQueued} events waiting; dropping non-critical events ` +
          `(first: ${event.type} ${this.options.runId}:${seq}) until the queue drains`,
        this.lastError,
      ),
    );
  }

  private async run(): Promise<void> {
    try {
      while (!this.stopped) {
        if (this.size() === 0) {
          await new Promise<void>((resolve) => {
            this.wakeLoop = resolve;
          });
          continue;
        }
        await this.deliverWithRetry(this.nextBatch());
      }
    } catch (error) {
      this.report(sinkError(`${this.transport.target}: the delivery loop stopped`, error));
    }
  }

  private nextBatch(): QueuedEvent[] {
    const end = Math.min(this.items.length, this.head + this.options.maxBatch);
    let bytes = 0;
    let index = this.head;
    // At least one event, so a batch always makes progress.
    while (
      index < end &&
      (index === this.head || bytes + (this.items[index] as QueuedEvent).bytes <= MAX_BATCH_BYTES)
    ) {
      bytes += (this.items[index] as QueuedEvent).bytes;
      index++;
    }
    return this.items.slice(this.head, index);
  }

  /**
   * The whole batch, in order, until acknowledged: splitting it or dropping part of it on failure
   * could reorder a key or lose events while the queue still has room. The bound on the queue is
   * what limits memory during an outage; the bound on attempts only decides when to raise the alarm.
   */
  private async deliverWithRetry(batch: readonly QueuedEvent[]): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await this.transport.deliver(batch);
        if (!this.stopped) this.acknowledge(batch);
        return;
      } catch (error) {
        this.lastError = error;
        if (this.stopped) return;
        if (attempt % this.retry.attemptsBeforeAlarm === 0) this.alarm(attempt, error);
        const backoff = this.retry.initialBackoffMs * 2 ** Math.min(attempt - 1, 30);
        await this.sleeper.sleep(
          Math.min(backoff, this.retry.maxBackoffMs) * (0.8 + Math.random() * 0.4),
        );
        if (!this.stopped) this.retries++;
      }
    }
  }

  private acknowledge(batch: readonly QueuedEvent[]): void {
    this.head += batch.length;
    this.delivered += batch.length;
    this.deliveredThroughSeq = (batch.at(-1) as QueuedEvent).seq;
    this.lastError = undefined;
    // Compact now and then so the array does not grow forever; amortised O(1) per event.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    if (this.overloaded && this.size() <= this.options.maxQueued / 2) this.overloaded = false;
    for (const waiter of this.waiters) {
      if (waiter.throughSeq <= this.deliveredThroughSeq) waiter.settle();
    }
  }

  /** Fails loudly: the first alarm of a batch, and every critical event not named before. */
  private alarm(attempt: number, cause: unknown): void {
    if (attempt === this.retry.attemptsBeforeAlarm) this.failedBatches++;
    const critical = this.unnamedCritical();
    if (attempt !== this.retry.attemptsBeforeAlarm && critical.length === 0) return;
    const waiting =
      critical.length === 0 ? '' : `; critical events waiting: ${describeEvents(critical)}`;
    this.report(
      sinkError(
        `${this.transport.target}: a batch of ${this.nextBatchSize()} events failed ${attempt} attempts ` +
          `(still retrying, ${this.size()} events queued)${waiting}: ${messageOf(cause)}`,
        cause,
        { criticalEvents: critical.map((event) => `${event.type} ${event.id}`) },
      ),
    );
  }

  private unnamedCritical(): QueuedEvent[] {
    const found: QueuedEvent[] = [];
    for (let index = this.head; index < this.items.length; index++) {
      const event = this.items[index] as QueuedEvent;
      if (event.critical && event.seq > this.namedCriticalThroughSeq) found.push(event);
    }
    if (found.length > 0) this.namedCriticalThroughSeq = (found.at(-1) as QueuedEvent).seq;
    return found;
  }

  private async shutdown(): Promise<void> {
    let failure: LivegateError | undefined;
    try {
      await this.waitFor(this.lastQueuedSeq, this.options.flushTimeoutMs, 'close()');
    } catch (error) {
      failure = error as LivegateError;
    }
    this.stopped = true;
    this.sleeper.wakeAll();
    this.wakeLoop?.();
    const abandoned = this.items.slice(this.head);
    const stranded = sinkError(
      `${this.transport.target}: closed before these events were delivered`,
    );
    for (const waiter of this.waiters) waiter.settle(abandoned.length === 0 ? undefined : stranded);
    this.dropped += abandoned.length;
    this.items = [];
    this.head = 0;
    try {
      await this.transport.close();
    } catch (error) {
      failure ??= sinkError(`${this.transport.target}: cannot disconnect`, error);
    }
    if (failure === undefined) return;
    const critical = abandoned.filter((event) => event.critical);
    throw sinkError(
      `${failure.message}; ${abandoned.length} events were not delivered` +
        (critical.length === 0 ? '' : `, critical among them: ${describeEvents(critical)}`),
      failure.cause ?? failure,
      { undeliveredCriticalEvents: critical.map((event) => `${event.type} ${event.id}`) },
    );
  }

  private waitFor(throughSeq: number, timeoutMs: number, what: string): Promise<void> {
    if (this.deliveredThroughSeq >= throughSeq || this.size() === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: FlushWaiter = {
        throughSeq,
        settle: (error) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          if (error === undefined) resolve();
          else reject(error);
        },
      };
      const timer = setTimeout(() => {
        waiter.settle(
          sinkError(
            `${what} timed out after ${timeoutMs} ms: ${this.transport.target} has not acknowledged ` +
              `events up to ${this.options.runId}:${throughSeq} (${this.size()} queued)`,
            this.lastError,
          ),
        );
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  private size(): number {
    return this.items.length - this.head;
  }

  private nextBatchSize(): number {
    return Math.min(this.size(), this.options.maxBatch);
  }

  /** A reporter that throws must not break write() or the delivery loop. */
  private report(error: LivegateError): void {
    try {
      this.options.onError(error);
    } catch {
      // Nothing sensible left to tell.
    }
  }
}

function describeEvents(events: readonly QueuedEvent[]): string {
  const named = events.slice(0, NAMED_IN_MESSAGE).map((event) => `${event.type} ${event.id}`);
  const more = events.length - named.length;
  return more > 0 ? `${named.join(', ')} and ${more} more` : named.join(', ');
}

function messageOf(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

function sinkError(
  message: string,
  cause?: unknown,
  details?: Record<string, unknown>,
): LivegateError {
  return new LivegateError('ERR_JOURNAL_FAILED', message, {
    ...(cause === undefined ? {} : { cause }),
    ...(details === undefined ? {} : { details }),
  });
}
