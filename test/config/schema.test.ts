// The schema on its own: defaults, ranges, strictness, and every problem reported at once.

import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { LivegateError } from '../../src/core/errors.js';
import {
  BUILTIN_STRATEGY_NAMES,
  defaultConfig,
  validateConfig,
  type ConfigIssue,
} from '../../src/config/schema.js';
import { fixKillSessionProblem } from '../../src/config/venue-schema.js';
import { BUILTIN_STRATEGIES } from '../../src/strategies/load-strategy.js';

function problemsOf(input: unknown): { message: string; issues: ConfigIssue[] } {
  try {
    validateConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(LivegateError);
    const { code, message, details } = error as LivegateError;
    expect(code).toBe('ERR_CONFIG_INVALID');
    return { message, issues: details?.issues as ConfigIssue[] };
  }
  throw new Error('expected the config to be rejected');
}

function pathsOf(input: unknown): string[] {
  return problemsOf(input).issues.map((issue) => issue.path);
}

describe('configSchema', () => {
  it('fills every key with its documented default', () => {
    expect(defaultConfig()).toEqual({
      stateDir: './.livegate',
      engine: {
        id: `${hostname()}-${process.pid}`,
        maxConsecutiveErrors: 5,
        heartbeatIntervalMs: 1000,
        yieldIntervalMs: 1,
        cancelOpenOrdersOnShutdown: true,
        desk: null,
        cancelOpenOrdersOnEngage: true,
      },
      killSwitch: {
        store: 'file',
        directory: null,
        url: null,
        replicas: 1,
        redis: { replicasToAcknowledge: 0, replicaTimeoutMs: 500 },
        namespace: 'livegate',
        failClosedAfterMs: 1000,
        leaseMs: 500,
        tripScope: 'global',
        startEngaged: false,
        pollIntervalMs: 250,
        confirmTimeoutMs: 5000,
        engineStaleAfterMs: 5000,
      },
      feed: {
        kind: 'synthetic',
        synthetic: {
          ticks: 0,
          symbols: ['EURUSD', 'GBPUSD', 'USDJPY'],
          seed: 42,
          rate: 1000,
          startPrice: null,
        },
        csv: { path: null, strict: false, speed: 0, symbols: null },
        ccxt: { mode: 'stream', pollIntervalMs: 1000, staleAfterMs: 10_000 },
      },
      strategy: { module: 'ma-crossover', options: {} },
      broker: { kind: 'paper', paper: { feeRate: 0 } },
      venue: {
        id: null,
        sandbox: true,
        symbols: [],
        timeoutMs: 10_000,
        rateLimitMs: null,
        fillPollIntervalMs: 1000,
        deadMan: { countdownMs: 60_000, refreshEveryMs: 15_000 },
        cancelOrdersOnClose: true,
        cancelScope: { kill: 'account', shutdown: 'own' },
        urls: null,
        wsUrls: null,
      },
      gateway: {
        url: null,
        listen: null,
        tls: null,
        symbols: [],
        heartbeatIntervalMs: 1000,
        staleAfterMs: 5000,
        requestTimeoutMs: 5000,
        maxBufferedTicks: 10_000,
        cancelScope: { kill: 'account', shutdown: 'own' },
        reconnect: { initialDelayMs: 250, maxDelayMs: 10_000 },
      },
      fix: {
        host: null,
        port: null,
        tls: false,
        senderCompId: null,
        targetCompId: null,
        marketData: null,
        killSenderCompId: null,
        account: null,
        symbols: [],
        heartbeatSeconds: 30,
        resetSeqNumOnLogon: false,
        reconnectDelayMs: 1000,
        requestTimeoutMs: 5000,
        dictionary: null,
        cancelOnDisconnect: null,
        massCancel: true,
        cancelScope: { kill: 'account', shutdown: 'own' },
      },
      journal: {
        enabled: true,
        maxFileBytes: 67_108_864,
        maxFiles: 10,
        onFailure: 'engage',
        reserveBytes: 67_108_864,
      },
      log: { level: 'info', file: null },
      risk: {
        accountCurrency: 'USD',
        instruments: {},
        conversionRates: {},
        conversionRateMaxAgeMs: 60_000,
        tradingDay: { timeZone: 'UTC', startHour: 0 },
        desks: {},
        firm: null,
        deskView: { intervalMs: null, maxAgeMs: null },
        tradingWindows: { symbols: {}, alwaysOpen: [], desks: {} },
        preTrade: { enabled: true },
        monitor: {
          enabled: true,
          evaluationIntervalMs: 100,
          flattenOnEngage: false,
          flattenTimeoutMs: 5000,
          warnings: {
            levels: [0.5, 0.75, 0.9],
            rules: ['dailyLoss', 'maxDrawdown', 'grossExposure', 'positionLimit'],
          },
          rules: {
            staleFeed: { action: 'engage', limitMs: 10_000, perSymbol: false },
            eventLoopStall: { action: 'alert', limitMs: 1_000 },
            venueDisconnected: { action: 'engage', limitMs: 5_000 },
            feedGaps: { action: 'alert', limit: 1, windowMs: 60_000 },
            reconciliation: { action: 'reduce', limit: 1, windowMs: 60_000 },
          },
        },
      },
      streams: {
        kafka: { brokers: [], topic: 'livegate.events', clientId: 'livegate' },
        nats: { url: null, stream: 'LIVEGATE_EVENTS', subjectPrefix: 'livegate.events' },
        maxQueued: 10_000,
        maxBatch: 500,
        flushTimeoutMs: 10_000,
      },
      http: {
        enabled: true,
        host: '127.0.0.1',
        port: 8787,
        operatorTokenFile: null,
        adminTokenFile: null,
        maxAuthFailures: 5,
        authFailureWindowMs: 60_000,
        feedStaleAfterMs: 5_000,
        confirmTimeoutMs: 2_000,
      },
      alerts: {
        webhook: {
          url: null,
          timeoutMs: 5_000,
          maxAttempts: 5,
          initialBackoffMs: 500,
          maxBackoffMs: 30_000,
          maxQueued: 1_000,
        },
      },
    });
  });

  it('refuses a token written in the config in clear, and a webhook URL that is not http(s)', () => {
    const { issues } = problemsOf({
      http: { operatorToken: 'hunter2' },
      alerts: { webhook: { url: 'ftp://example.invalid/hook' } },
    });
    expect(issues.map((issue) => issue.path)).toEqual(['http.operatorToken', 'alerts.webhook.url']);
    expect(issues[0]?.message).toMatch(/never go in the config in clear.*LIVEGATE_OPERATOR_TOKEN/);
  });

  it('lists unknown keys at every depth and wrong types in one error, one line each', () => {
    const { message, issues } = problemsOf({
      colour: 'red',
      engine: { maxConsecutiveErrors: 'lots', extra: 1 },
      killSwitch: { store: 'etcd' },
      feed: { synthetic: { tiks: 5, rate: -1, symbols: ['EURUSD', 'EURUSD', ''] } },
      journal: { enabled: 'yes' },
    });
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: 'colour', message: 'unknown key' },
        { path: 'engine.extra', message: 'unknown key' },
        { path: 'feed.synthetic.tiks', message: 'unknown key' },
        { path: 'engine.maxConsecutiveErrors', message: 'expected number, received string "lots"' },
        {
          path: 'killSwitch.store',
          message: 'expected one of "file" | "memory" | "nats" | "redis", received string "etcd"',
        },
        { path: 'feed.synthetic.rate', message: 'must be >= 0, received number -1' },
        { path: 'feed.synthetic.symbols[1]', message: 'duplicate symbol "EURUSD"' },
        { path: 'feed.synthetic.symbols[2]', message: 'must not be empty' },
        { path: 'journal.enabled', message: 'expected boolean, received string "yes"' },
      ]),
    );
    expect(issues).toHaveLength(9);
    const lines = message.split('\n').slice(1);
    expect(lines).toEqual(issues.map((issue) => `${issue.path}: ${issue.message}`));
    expect(message.split('\n')[0]).toBe('invalid configuration (9 problems):');
  });

  it('requires a nats:// or redis:// url matching a shared store, and no url for the file store', () => {
    expect(pathsOf({ killSwitch: { store: 'nats' } })).toEqual(['killSwitch.url']);
    expect(pathsOf({ killSwitch: { store: 'redis', url: 'nats://127.0.0.1:4222' } })).toEqual([
      'killSwitch.url',
    ]);
    expect(pathsOf({ killSwitch: { url: 'redis://127.0.0.1:6379' } })).toEqual(['killSwitch.url']);
    expect(() =>
      validateConfig({ killSwitch: { store: 'redis', url: 'redis://127.0.0.1:6379' } }),
    ).not.toThrow();
    expect(pathsOf({ engine: { desk: 'fx desk' } })).toEqual(['engine.desk']);
    const cluster = 'nats://a:4222,nats://b:4222,nats://c:4222';
    expect(validateConfig({ killSwitch: { store: 'nats', url: cluster } }).killSwitch.url).toBe(
      cluster,
    );
    expect(pathsOf({ killSwitch: { store: 'nats', url: 'nats://a:4222,redis://b:1' } })).toEqual([
      'killSwitch.url',
    ]);
  });

  it('takes a redis+sentinel:// address for the redis store, and names what is wrong with a malformed one', () => {
    const url = 'redis+sentinel://127.0.0.1:26379,127.0.0.1:26380/livegate';
    expect(validateConfig({ killSwitch: { store: 'redis', url } }).killSwitch.url).toBe(url);
    const { issues } = problemsOf({
      killSwitch: { store: 'redis', url: 'redis+sentinel://127.0.0.1:26379' },
    });
    expect(issues).toEqual([
      {
        path: 'killSwitch.url',
        message: expect.stringMatching(/^no master name: expected redis\+sentinel:\/\//) as string,
      },
    ]);
    expect(pathsOf({ killSwitch: { store: 'nats', url } })).toEqual(['killSwitch.url']);
  });

  it('waits for no replica by default; replicasToAcknowledge needs the redis store and a timeout of 10-900 ms', () => {
    expect(validateConfig({}).killSwitch.redis).toEqual({
      replicasToAcknowledge: 0,
      replicaTimeoutMs: 500,
    });
    const redis = validateConfig({
      killSwitch: {
        store: 'redis',
        url: 'redis://a:6379',
        redis: { replicasToAcknowledge: 2, replicaTimeoutMs: 900 },
      },
    });
    expect(redis.killSwitch.redis).toEqual({ replicasToAcknowledge: 2, replicaTimeoutMs: 900 });
    const { issues } = problemsOf({
      killSwitch: {
        store: 'redis',
        url: 'redis://a:6379',
        redis: { replicasToAcknowledge: -1, replicaTimeoutMs: 901, extra: 1 },
      },
    });
    expect(issues).toEqual([
      {
        path: 'killSwitch.redis.replicasToAcknowledge',
        message: 'must be >= 0, received number -1',
      },
      { path: 'killSwitch.redis.replicaTimeoutMs', message: 'must be <= 900, received number 901' },
      { path: 'killSwitch.redis.extra', message: 'unknown key' },
    ]);
    expect(
      pathsOf({
        killSwitch: { store: 'nats', url: 'nats://a:4222', redis: { replicasToAcknowledge: 1 } },
      }),
    ).toEqual(['killSwitch.redis.replicasToAcknowledge']);
  });

  it('gives the shared stores a fail-closed bound that covers a cluster election, the embedded ones 1 s', () => {
    expect(validateConfig({}).killSwitch.failClosedAfterMs).toBe(1000);
    const nats = validateConfig({ killSwitch: { store: 'nats', url: 'nats://a:4222' } });
    expect(nats.killSwitch.failClosedAfterMs).toBe(15_000);
    expect(nats.killSwitch.leaseMs).toBe(500);
    const redis = validateConfig({
      killSwitch: { store: 'redis', url: 'redis://a:6379', failClosedAfterMs: 2000 },
    });
    expect(redis.killSwitch.failClosedAfterMs).toBe(2000);
  });

  it('checks the account currency, instruments and conversion rates with clear messages', () => {
    const { issues } = problemsOf({
      risk: {
        accountCurrency: 'US Dollar',
        instruments: { XAUUSD: { base: 'XAU', quote: 'USD', contractSize: 0, tick: 1 } },
        conversionRates: { JPY: -1 },
      },
    });
    expect(issues).toEqual([
      {
        path: 'risk.accountCurrency',
        message: 'must be a currency code of 2-12 letters or digits (USD, JPY, USDT)',
      },
      { path: 'risk.instruments.XAUUSD.contractSize', message: 'must be > 0, received number 0' },
      { path: 'risk.instruments.XAUUSD.tick', message: 'unknown key' },
      {
        path: 'risk.conversionRates.JPY',
        message: 'must be a rate > 0 (account currency per unit)',
      },
    ]);
    expect(
      problemsOf({ risk: { tradingDay: { timeZone: 'Mars/Olympus', startHour: 24 } } }).issues,
    ).toEqual([
      {
        path: 'risk.tradingDay.timeZone',
        message: 'must be an IANA time zone Intl knows (UTC, Europe/London, America/New_York)',
      },
      { path: 'risk.tradingDay.startHour', message: expect.stringContaining('24') as string },
    ]);
    expect(problemsOf({ risk: { conversionRates: { USD: 0.9 } } }).issues).toEqual([
      {
        path: 'risk.conversionRates.USD',
        message: 'USD is the account currency (risk.accountCurrency): its rate is always 1',
      },
    ]);
    expect(pathsOf({ broker: { paper: { feeRate: 0.5 } } })).toEqual(['broker.paper.feeRate']);
    expect(
      problemsOf({
        risk: {
          tradingWindows: {
            default: { timeZone: 'UTC', days: ['monday'], open: '9:30', close: '16:00' },
            symbols: { USDJPY: { timeZone: 'Asia/Tokyo', open: '10:00', close: '10:00' } },
          },
        },
      }).issues.map((issue) => issue.path),
    ).toEqual([
      'risk.tradingWindows.default.days[0]',
      'risk.tradingWindows.default.open',
      'risk.tradingWindows.symbols.USDJPY.close',
    ]);
    expect(
      problemsOf({
        risk: {
          preTrade: { enabled: false },
          tradingWindows: { default: { timeZone: 'UTC', open: '09:00', close: '17:00' } },
        },
      }).issues,
    ).toEqual([
      {
        path: 'risk.tradingWindows',
        message:
          'trading windows are enforced by the pre-trade chain: risk.preTrade.enabled must be true',
      },
    ]);
  });

  it('checks the venue and gateway settings where they are written', () => {
    expect(
      pathsOf({
        venue: { deadMan: { countdownMs: 10_000, refreshEveryMs: 10_000 } },
        gateway: { url: 'http://gw:9000', heartbeatIntervalMs: 1000, staleAfterMs: 1500 },
      }).sort(),
    ).toEqual(['gateway.staleAfterMs', 'gateway.url', 'venue.deadMan.refreshEveryMs']);
    expect(pathsOf({ gateway: { heartbeatIntervalMs: 1000, staleAfterMs: 1500 } })).toEqual([
      'gateway.staleAfterMs',
    ]);
    expect(pathsOf({ broker: { kind: 'binance' } })).toEqual(['broker.kind']);
  });

  it('takes a dial-in listen address instead of a url, never both, and TLS only with it', () => {
    expect(() => validateConfig({ gateway: { listen: '127.0.0.1:9100' } })).not.toThrow();
    expect(() => validateConfig({ gateway: { listen: '[::1]:9100' } })).not.toThrow();
    expect(() =>
      validateConfig({
        gateway: { listen: '0.0.0.0:9443', tls: { certFile: 'c.pem', keyFile: 'k.pem' } },
      }),
    ).not.toThrow();
    expect(pathsOf({ gateway: { listen: '9100' } })).toEqual(['gateway.listen']);
    expect(pathsOf({ gateway: { listen: 'host:70000' } })).toEqual(['gateway.listen']);
    expect(pathsOf({ gateway: { listen: 'host:9100', url: 'ws://gw:9000' } })).toEqual([
      'gateway.listen',
    ]);
    expect(pathsOf({ gateway: { tls: { certFile: 'c.pem', keyFile: 'k.pem' } } })).toEqual([
      'gateway.tls',
    ]);
    expect(problemsOf({ gateway: { listen: 'h:1', url: 'ws://gw:1' } }).issues[0]?.message).toMatch(
      /give url .* or listen .*, not both/,
    );
  });

  it('requires feed.csv.path when feed.kind is csv, reported at that path alongside other problems', () => {
    expect(problemsOf({ feed: { kind: 'csv' } }).issues).toEqual([
      { path: 'feed.csv.path', message: 'required when feed.kind is csv' },
    ]);
    expect(
      pathsOf({ feed: { kind: 'csv', csv: { speed: 'fast' } }, log: { level: 'loud' } }),
    ).toEqual(expect.arrayContaining(['feed.csv.path', 'feed.csv.speed', 'log.level']));
    expect(() =>
      validateConfig({ feed: { kind: 'csv', csv: { path: 'ticks.csv' } } }),
    ).not.toThrow();
  });

  it('loads a FIX config whatever its kill session: the key is checked by run, not by the schema', () => {
    const fix = { host: 'venue', port: 9878, senderCompId: 'DESK', targetCompId: 'VENUE' };
    // `kill`, `status`, `reset` must load it: a kill never refuses the kill over a venue setting.
    const missing = validateConfig({ broker: { kind: 'fix' }, fix });
    expect(fixKillSessionProblem(missing.broker.kind, missing.fix)).toMatch(
      /^fix\.killSenderCompId is not set: the kill cannot log on to the venue beside the trading session/,
    );
    for (const killSenderCompId of ['DESK', 'DESK-MD']) {
      const same = validateConfig({
        broker: { kind: 'fix' },
        fix: { ...fix, killSenderCompId, marketData: { senderCompId: 'DESK-MD' } },
      });
      expect(fixKillSessionProblem(same.broker.kind, same.fix)).toMatch(
        new RegExp(`^fix\\.killSenderCompId \\(${killSenderCompId}\\) is a trading session's`),
      );
    }
    const own = validateConfig({
      broker: { kind: 'fix' },
      fix: { ...fix, killSenderCompId: 'DESK-KILL' },
    });
    expect(fixKillSessionProblem(own.broker.kind, own.fix)).toBeUndefined();
    // A FIX feed alone places no orders: the kill opens no FIX session.
    const feedOnly = validateConfig({ feed: { kind: 'fix' }, fix });
    expect(fixKillSessionProblem(feedOnly.broker.kind, feedOnly.fix)).toBeUndefined();
  });

  it('enforces the documented ranges', () => {
    expect(
      pathsOf({
        engine: { maxConsecutiveErrors: 0, heartbeatIntervalMs: 49, yieldIntervalMs: 0 },
        killSwitch: { pollIntervalMs: 9, confirmTimeoutMs: -1, engineStaleAfterMs: 999 },
        feed: { synthetic: { ticks: 1.5, symbols: [], startPrice: 0 } },
        journal: { maxFileBytes: 1023, maxFiles: -1, reserveBytes: -1, onFailure: 'ignore' },
      }).sort(),
    ).toEqual(
      [
        'engine.maxConsecutiveErrors',
        'engine.heartbeatIntervalMs',
        'engine.yieldIntervalMs',
        'killSwitch.pollIntervalMs',
        'killSwitch.confirmTimeoutMs',
        'killSwitch.engineStaleAfterMs',
        'feed.synthetic.ticks',
        'feed.synthetic.symbols',
        'feed.synthetic.startPrice',
        'journal.maxFileBytes',
        'journal.maxFiles',
        'journal.reserveBytes',
        'journal.onFailure',
      ].sort(),
    );
    expect(pathsOf({ engine: { yieldIntervalMs: 100.5 } })).toEqual(['engine.yieldIntervalMs']);
    expect(validateConfig({ engine: { yieldIntervalMs: 0.25 } }).engine.yieldIntervalMs).toBe(0.25);
    expect(problemsOf({ engine: { maxConsecutiveErrors: 1.5 } }).issues).toEqual([
      { path: 'engine.maxConsecutiveErrors', message: 'expected integer, received number 1.5' },
    ]);
  });

  it('accepts free-form strategy options but nothing unknown around them', () => {
    const config = validateConfig({ strategy: { module: 'periodic', options: { every: 3 } } });
    expect(config.strategy.options).toEqual({ every: 3 });
    expect(pathsOf({ strategy: { modul: 'periodic' } })).toEqual(['strategy.modul']);
  });

  it('rejects a top-level value that is not a mapping', () => {
    expect(problemsOf(['a']).issues).toEqual([
      { path: '(root)', message: 'expected object, received a list' },
    ]);
  });

  it('knows the same builtin strategy names as the strategy loader', () => {
    expect([...BUILTIN_STRATEGY_NAMES].sort()).toEqual([...BUILTIN_STRATEGIES].sort());
  });
});

describe('killSwitch.leaseMs', () => {
  it('defaults to twice the poll interval, and refuses a lease shorter than the time between reads', () => {
    expect(validateConfig({ killSwitch: { pollIntervalMs: 100 } }).killSwitch.leaseMs).toBe(200);
    expect(() => validateConfig({ killSwitch: { pollIntervalMs: 250, leaseMs: 100 } })).toThrow(
      /killSwitch\.leaseMs: must be at least killSwitch\.pollIntervalMs/,
    );
  });
});

describe('risk.desks and risk.firm', () => {
  it('lists every problem of malformed desk and firm limits at once, by path', () => {
    const { issues } = problemsOf({
      risk: {
        desks: {
          fx: { dailyLoss: -5, orderRate: { limit: 10, windowMs: 10 }, bogus: 1 },
          'bad desk': { drawdown: 10 },
        },
        firm: {},
      },
    });
    expect(issues).toEqual([
      { path: 'risk.desks.fx.dailyLoss', message: 'must be an amount > 0' },
      { path: 'risk.desks.fx.orderRate.windowMs', message: 'must be >= 1000, received number 10' },
      { path: 'risk.desks.fx.bogus', message: 'unknown key' },
      {
        path: 'risk.desks.bad desk',
        message:
          'invalid key "bad desk": desk names are letters, digits, . _ and - (as in engine.desk)',
      },
      {
        path: 'risk.firm',
        message:
          'sets no limit: give at least one of dailyLoss, drawdown, grossExposure, maxPosition, symbols, orderRate',
      },
    ]);
  });

  it('accepts desk and firm limits, with the order-rate window defaulting to 5 s', () => {
    const config = validateConfig({
      risk: {
        desks: { fx: { dailyLoss: 1_500, orderRate: { limit: 50 } } },
        firm: { grossExposure: 1e7, maxPosition: 1e6, symbols: { USDJPY: { maxPosition: 5e5 } } },
      },
    });
    expect(config.risk.desks).toEqual({
      fx: { dailyLoss: 1_500, orderRate: { limit: 50, windowMs: 5_000 } },
    });
    expect(config.risk.firm?.symbols?.['USDJPY']).toEqual({ maxPosition: 5e5 });
  });
});
