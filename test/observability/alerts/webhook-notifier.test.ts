// The webhook notifier against a real local HTTP receiver: delivery, retries, give-ups, overflow, close.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { isLivegateError } from '../../../src/core/errors.js';
import type { LivegateEvent } from '../../../src/core/events.js';
import type { KillSwitchState } from '../../../src/core/kill-switch-record.js';
import type { AlertOutcome } from '../../../src/http/control-counters.js';
import {
  WebhookNotifier,
  type WebhookNotifierOptions,
} from '../../../src/observability/alerts/webhook-notifier.js';

type Reply = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

interface Received {
  readonly body: unknown;
  readonly contentType: string | undefined;
  readonly at: number;
}

/** A webhook receiver on a free port; `reply` decides each answer by the request's index. */
class Receiver {
  readonly received: Received[] = [];
  private readonly held: ServerResponse[] = [];
  private readonly server: Server;

  constructor(public reply: (index: number) => Reply = () => ({ status: 200, body: 'ok' })) {
    this.server = createServer((request, response) => this.handle(request, response));
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/secret-path`;
  }

  /** Answers every held request with 200, and every later one too. */
  release(): void {
    this.reply = () => ({ status: 200, body: 'ok' });
    for (const response of this.held.splice(0)) response.end('ok');
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const at = performance.now();
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const index = this.received.length;
      this.received.push({
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
        contentType: request.headers['content-type'],
        at,
      });
      const reply = this.reply(index);
      if (reply === 'hang') {
        this.held.push(response);
        return;
      }
      response.writeHead(reply.status, reply.headers).end(reply.body ?? '');
    });
  }
}

async function until(condition: () => boolean, what: string, deadlineMs = 15_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const base = { time: Date.UTC(2024, 0, 2, 12), engineId: 'engine-a' } as const;

function changed(revision: number, state: KillSwitchState = 'ENGAGED'): LivegateEvent {
  return {
    ...base,
    type: 'KillSwitchChanged',
    record: {
      revision,
      state,
      reason: 'fat finger',
      by: 'alice',
      trigger: 'manual',
      at: '2024-01-02T12:00:00.000Z',
      host: 'desk-1',
      pid: 1,
    },
    previousState: 'SAFE',
    enforcedState: state,
  };
}

function breached(rule: string): LivegateEvent {
  return {
    ...base,
    type: 'RiskLimitBreached',
    rule,
    action: 'alert',
    value: 2,
    threshold: 1,
    message: `${rule} over`,
  };
}

const NOISE: readonly LivegateEvent[] = [
  {
    ...base,
    type: 'TickBlocked',
    gate: 1,
    reason: 'KILL_SWITCH_ENGAGED',
    symbol: 'EURUSD',
    revision: 1,
  },
  {
    ...base,
    type: 'OrderSubmitted',
    order: {
      id: 'o-1',
      symbol: 'EURUSD',
      side: 'buy',
      quantity: 1,
      type: 'market',
      price: undefined,
      tag: undefined,
      createdAt: 0,
    },
    latencyNs: 1000,
    revision: 1,
  },
  {
    ...base,
    type: 'StrategyFailed',
    message: 'boom',
    tick: { symbol: 'EURUSD', bid: 1, ask: 1.1, time: 0 },
    consecutiveErrors: 1,
  },
];

interface LogLine {
  readonly level: number;
  readonly code?: string;
  readonly msg: string;
  readonly cause?: string;
  readonly alert?: { type: string };
}

let receiver: Receiver;
let url: string;
let logs: LogLine[];
let outcomes: AlertOutcome[];
let notifiers: WebhookNotifier[];
let unhandled: unknown[];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeEach(async () => {
  receiver = new Receiver();
  url = await receiver.start();
  logs = [];
  outcomes = [];
  notifiers = [];
  unhandled = [];
  process.on('unhandledRejection', onUnhandled);
});

afterEach(async () => {
  await Promise.all(notifiers.map((notifier) => notifier.close(0)));
  await receiver.stop();
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

function notifier(overrides: Partial<WebhookNotifierOptions> = {}): WebhookNotifier {
  const created = new WebhookNotifier({
    url,
    engineId: 'engine-a',
    timeoutMs: 5_000,
    maxAttempts: 3,
    initialBackoffMs: 1,
    maxBackoffMs: 5,
    maxQueued: 100,
    logger: pino(
      { level: 'info' },
      { write: (line: string) => logs.push(JSON.parse(line) as LogLine) },
    ),
    counters: {
      authFailure: () => undefined,
      mutation: () => undefined,
      alert: (outcome) => outcomes.push(outcome),
    },
    ...overrides,
  });
  notifiers.push(created);
  return created;
}

const errorLogs = () => logs.filter((line) => line.level === 50);

describe('WebhookNotifier delivery', () => {
  it('posts kill-switch and risk alerts as Slack-compatible JSON, in order, and nothing else', async () => {
    const alerts = notifier();
    for (const event of [NOISE[0]!, changed(7), NOISE[1]!, breached('dailyLoss'), NOISE[2]!]) {
      alerts.onEvent(event);
    }
    await until(() => alerts.stats().queued === 0, 'every alert settled');
    await alerts.close();

    expect(receiver.received.map((request) => request.contentType)).toEqual([
      'application/json',
      'application/json',
    ]);
    const [first, second] = receiver.received.map((request) => request.body);
    expect(first).toMatchObject({
      text: expect.stringContaining('kill switch ENGAGED (rev 7') as unknown,
      livegate: { type: 'KillSwitchChanged', engineId: 'engine-a', revision: 7, by: 'alice' },
    });
    expect(second).toMatchObject({
      text: expect.stringContaining('risk rule dailyLoss breached') as unknown,
      livegate: { type: 'RiskLimitBreached', rule: 'dailyLoss', value: 2, threshold: 1 },
    });
    expect(alerts.stats()).toEqual({ sent: 2, failed: 0, dropped: 0, retried: 0, queued: 0 });
    expect(outcomes).toEqual(['sent', 'sent']);
  });

  it('retries a 500 with backoff and delivers once the receiver recovers', async () => {
    receiver.reply = (index) => (index < 2 ? { status: 500 } : { status: 200 });
    const alerts = notifier({ maxAttempts: 5 });
    alerts.onEvent(changed(1));
    await until(() => alerts.stats().queued === 0, 'every alert settled');

    expect(receiver.received).toHaveLength(3);
    expect(alerts.stats()).toEqual({ sent: 1, failed: 0, dropped: 0, retried: 2, queued: 0 });
    expect(outcomes).toEqual(['retried', 'retried', 'sent']);
    expect(errorLogs()).toEqual([]);
  });

  it('waits as long as a 429 Retry-After says', async () => {
    receiver.reply = (index) =>
      index === 0 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 };
    // Jitter 0 would retry at once: only Retry-After can explain the wait.
    const alerts = notifier({ maxBackoffMs: 5_000, random: () => 0 });
    alerts.onEvent(changed(1));
    await until(() => alerts.stats().queued === 0, 'every alert settled');

    const [first, second] = receiver.received;
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
    expect(alerts.stats().retried).toBe(1);
  });

  it('caps Retry-After and the exponential backoff at maxBackoffMs', async () => {
    receiver.reply = (index) =>
      index === 0
        ? { status: 429, headers: { 'retry-after': '3600' } }
        : index === 1
          ? { status: 503 }
          : { status: 200 };
    // Uncapped, these would wait an hour and then an hour more; the poll deadline is 15 s.
    const alerts = notifier({ initialBackoffMs: 3_600_000, maxBackoffMs: 20, random: () => 1 });
    alerts.onEvent(changed(1));
    await until(() => alerts.stats().queued === 0, 'every alert settled');
    expect(alerts.stats().retried).toBe(2);
  });

  it('fails a 400 at once, without retrying, and logs ERR_ALERT_FAILED with the cause', async () => {
    receiver.reply = () => ({ status: 400, body: 'invalid_payload' });
    const alerts = notifier({ maxAttempts: 5 });
    alerts.onEvent(changed(1));
    await until(() => alerts.stats().queued === 0, 'every alert settled');
    await alerts.close();

    expect(receiver.received).toHaveLength(1);
    expect(alerts.stats()).toEqual({ sent: 0, failed: 1, dropped: 0, retried: 0, queued: 0 });
    expect(errorLogs()).toHaveLength(1);
    expect(errorLogs()[0]).toMatchObject({
      code: 'ERR_ALERT_FAILED',
      alert: { type: 'KillSwitchChanged' },
    });
    expect(errorLogs()[0]!.cause).toContain('400');
    // The URL's path is a secret for Slack: it never reaches the logs.
    expect(JSON.stringify(logs)).not.toContain('secret-path');
  });

  it('gives up after maxAttempts when nothing listens on the port', async () => {
    await receiver.stop();
    const alerts = notifier({ maxAttempts: 3 });
    alerts.onEvent(breached('orderRate'));
    await until(() => alerts.stats().queued === 0, 'every alert settled');

    expect(alerts.stats()).toEqual({ sent: 0, failed: 1, dropped: 0, retried: 2, queued: 0 });
    expect(errorLogs()).toHaveLength(1);
    expect(errorLogs()[0]).toMatchObject({
      code: 'ERR_ALERT_FAILED',
      alert: { type: 'RiskLimitBreached' },
    });
    receiver = new Receiver(); // afterEach stops a fresh one
    await receiver.start();
  });

  it("waits out a backoff on unref'd timers, so a pending retry never keeps the process alive", async () => {
    receiver.reply = () => ({ status: 503 });
    const timers = () =>
      process.getActiveResourcesInfo().filter((type) => type === 'Timeout').length;
    const alerts = notifier({
      maxAttempts: 2,
      initialBackoffMs: 60_000,
      maxBackoffMs: 60_000,
      random: () => 1,
    });
    const before = timers();
    alerts.onEvent(changed(1));
    await until(() => alerts.stats().retried === 1, 'the first retry scheduled');
    // Waiting a minute now, with the attempt's own timeout still pending: neither may hold the loop.
    expect(timers()).toBeLessThanOrEqual(before);
    expect(alerts.stats().queued).toBe(1);
  });

  it('times out each attempt against a receiver that never answers, while onEvent stays synchronous', async () => {
    receiver.reply = () => 'hang';
    const alerts = notifier({ timeoutMs: 100, maxAttempts: 2 });
    alerts.onEvent(changed(1));
    expect(alerts.stats().queued).toBe(1);
    alerts.onEvent(breached('dailyLoss'));
    expect(alerts.stats().queued).toBe(2);
    expect(receiver.received).toHaveLength(0);

    await until(() => alerts.stats().queued === 0, 'every alert settled');
    expect(alerts.stats()).toEqual({ sent: 0, failed: 2, dropped: 0, retried: 2, queued: 0 });
    expect(errorLogs().map((line) => line.code)).toEqual(['ERR_ALERT_FAILED', 'ERR_ALERT_FAILED']);
    expect(errorLogs()[0]!.cause).toMatch(/timeout/i);
  });
});

describe('WebhookNotifier queue and close', () => {
  it('drops the oldest non-ENGAGED alerts when the queue is full and keeps ENGAGED ones', async () => {
    receiver.reply = () => 'hang';
    const alerts = notifier({ maxQueued: 3, timeoutMs: 60_000, maxAttempts: 1 });
    const events = [changed(1), breached('r1'), breached('r2'), changed(2)];
    for (let rule = 3; rule <= 8; rule += 1) events.push(breached(`r${rule}`));
    for (const event of events) alerts.onEvent(event);
    expect(alerts.stats()).toMatchObject({ dropped: 7, queued: 3 });
    expect(outcomes.filter((outcome) => outcome === 'dropped')).toHaveLength(7);
    expect(logs.filter((line) => line.level === 40)).toHaveLength(7);

    await until(() => receiver.received.length === 1, 'the first alert to reach the receiver');
    receiver.release();
    await until(() => alerts.stats().queued === 0, 'every alert settled');
    expect(alerts.stats()).toMatchObject({ sent: 3, failed: 0, dropped: 7 });
    expect(receiver.received.map((request) => (request.body as { text: string }).text)).toEqual([
      expect.stringContaining('(rev 1'),
      expect.stringContaining('(rev 2'),
      expect.stringContaining('risk rule r8'),
    ]);
  });

  it('drops the oldest ENGAGED alert when nothing else is queued', async () => {
    receiver.reply = () => 'hang';
    const alerts = notifier({ maxQueued: 2, timeoutMs: 60_000, maxAttempts: 1 });
    for (const revision of [1, 2, 3]) alerts.onEvent(changed(revision));
    expect(alerts.stats()).toMatchObject({ dropped: 1, queued: 2 });
    await until(() => receiver.received.length === 1, 'the first alert to reach the receiver');
    receiver.release();
    await until(() => alerts.stats().queued === 0, 'every alert settled');
    expect(alerts.stats()).toMatchObject({ sent: 2, failed: 0, dropped: 1 });
    const revisions = receiver.received.map(
      (request) => (request.body as { livegate: { revision: number } }).livegate.revision,
    );
    expect(revisions).toEqual([2, 3]);
  });

  it('delivers what is queued on close when the receiver answers', async () => {
    const alerts = notifier();
    for (const revision of [1, 2, 3]) alerts.onEvent(changed(revision));
    await alerts.close(15_000);
    expect(alerts.stats()).toEqual({ sent: 3, failed: 0, dropped: 0, retried: 0, queued: 0 });
  });

  it('resolves close() within its timeout against a hanging receiver and counts what it gave up', async () => {
    receiver.reply = () => 'hang';
    // An attempt would outlive the test's own timeout: only close() giving up can end this test.
    const alerts = notifier({ timeoutMs: 120_000 });
    for (const revision of [1, 2, 3]) alerts.onEvent(changed(revision));
    await until(() => receiver.received.length === 1, 'the first alert to reach the receiver');

    await alerts.close(50);
    expect(alerts.stats()).toEqual({ sent: 0, failed: 1, dropped: 2, retried: 0, queued: 0 });
    expect(errorLogs()).toHaveLength(1);

    alerts.onEvent(changed(4));
    expect(alerts.stats()).toMatchObject({ dropped: 3, queued: 0 });
    await expect(alerts.close()).resolves.toBeUndefined();
  });

  it('never throws into the engine, even when the counters do', () => {
    const alerts = notifier({
      counters: {
        authFailure: () => undefined,
        mutation: () => undefined,
        alert: () => {
          throw new Error('counter broke');
        },
      },
      maxQueued: 1,
    });
    expect(() => {
      alerts.onEvent(changed(1));
      alerts.onEvent(changed(2));
      alerts.onEvent({
        ...base,
        time: Number.NaN,
        type: 'KillSwitchFailedClosed',
        trigger: 'store-unreachable',
        errorCode: 'E',
        message: 'm',
      });
    }).not.toThrow();
    expect(alerts.stats()).toMatchObject({ dropped: 2, queued: 1 });
  });
});

describe('WebhookNotifier options', () => {
  it('refuses a URL with credentials, which fetch would refuse on every attempt', () => {
    expect(() => notifier({ url: 'https://user:pass@example.com/hook' })).toThrow(
      /url: must not carry/,
    );
  });

  it('rejects bad options with ERR_CONFIG_INVALID naming each one', () => {
    let thrown: unknown;
    try {
      new WebhookNotifier({
        url: 'ftp://example.com/hook',
        engineId: '',
        timeoutMs: 0,
        maxAttempts: 1.5,
        initialBackoffMs: -1,
        maxBackoffMs: Number.NaN,
        maxQueued: 0,
        random: 0.5 as unknown as () => number,
        extra: true,
      } as WebhookNotifierOptions);
    } catch (error) {
      thrown = error;
    }
    expect(isLivegateError(thrown, 'ERR_CONFIG_INVALID')).toBe(true);
    const message = (thrown as Error).message;
    for (const name of [
      'url',
      'engineId',
      'timeoutMs',
      'maxAttempts',
      'initialBackoffMs',
      'maxBackoffMs',
      'maxQueued',
      'random',
      'extra',
    ]) {
      expect(message).toContain(`${name}:`);
    }
  });
});
