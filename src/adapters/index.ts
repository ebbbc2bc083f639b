// Configuration kind -> adapter: with kill-switch-store-factory.ts and kill-venues.ts, the only
// place that maps config names to concrete classes.

import { LivegateError } from '../core/errors.js';
import { InstrumentCatalog, type Instrument } from '../core/instrument-catalog.js';
import type { Broker, MarketFeed } from '../core/ports.js';
import type { LivegateConfig } from '../config/schema.js';
import { PaperBroker } from './brokers/paper-broker.js';
import { CsvReplayMarketFeed } from './feeds/csv-replay-market-feed.js';
import { SyntheticMarketFeed } from './feeds/synthetic-market-feed.js';

// Their own modules, so that `kill` and `status` load neither the feeds nor the paper broker.
export { createKillSwitchStore, createSharedKillSwitchStore } from './kill-switch-store-factory.js';
export { createKillVenues, type KillVenue } from './kill-venues.js';

export interface FeedCallbacks {
  readonly onBadLine?: (problem: {
    path: string;
    line: number;
    message: string;
    text: string;
  }) => void;
}

/** What `livegate run` trades with: a feed, a broker, and the venue's instrument rules when it has some. */
export interface TradingAdapters {
  readonly feed: MarketFeed;
  readonly broker: Broker;
  /** Pre-trade per-symbol limits from the venue's metadata (ccxt); config values override them. */
  readonly venueSymbolLimits: Readonly<Record<string, unknown>> | undefined;
  /** Instruments from the venue's markets (ccxt); `risk.instruments` entries override them. */
  readonly venueInstruments: Readonly<Record<string, Instrument>> | undefined;
  /** Releases what the feed and broker share (a ccxt venue), after both have closed. */
  close(): Promise<void>;
}

/**
 * Venue adapters are imported on demand: a paper run never loads ccxt or the WebSocket client.
 * Credentials come from `env` only.
 */
export async function createTradingAdapters(
  config: LivegateConfig,
  engineId: string,
  callbacks: FeedCallbacks = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<TradingAdapters> {
  const usesCcxt = config.feed.kind === 'ccxt' || config.broker.kind === 'ccxt';
  const usesGateway = config.feed.kind === 'websocket' || config.broker.kind === 'websocket';
  const usesFix = config.feed.kind === 'fix' || config.broker.kind === 'fix';
  const ccxt = usesCcxt
    ? await (await import('./ccxt-adapters.js')).openCcxtAdapters(config, engineId, env)
    : undefined;
  const gateway = usesGateway
    ? await (await import('./gateway-adapters.js')).openGatewayAdapters(config, engineId, env)
    : undefined;
  // The FIX engine (optional jspurefix) loads when a session starts, never for other venues.
  const fix = usesFix ? await import('./fix-adapters.js') : undefined;
  // Before anything starts: a missing jspurefix is a setup error (exit 2), not a failed run.
  await fix?.ensureFixEngine();
  const feed =
    ccxt?.feed ??
    gateway?.feed ??
    fix?.createFixFeed(config, env) ??
    createMarketFeed(config, callbacks);
  const broker =
    ccxt?.broker ??
    gateway?.broker ??
    fix?.createFixBroker(config, engineId, env) ??
    createBroker(config);
  return {
    feed,
    broker,
    venueSymbolLimits: ccxt?.symbolLimits,
    venueInstruments: ccxt?.instruments,
    close: async () => {
      await ccxt?.close();
      await gateway?.close();
    },
  };
}

function createMarketFeed(config: LivegateConfig, callbacks: FeedCallbacks): MarketFeed {
  switch (config.feed.kind) {
    case 'synthetic': {
      const synthetic = config.feed.synthetic;
      return new SyntheticMarketFeed({
        count: synthetic.ticks,
        symbols: [...synthetic.symbols],
        seed: synthetic.seed,
        rate: synthetic.rate,
        ...(synthetic.startPrice === null ? {} : { startPrice: synthetic.startPrice }),
      });
    }
    case 'csv': {
      const csv = config.feed.csv;
      if (csv.path === null) {
        throw new LivegateError(
          'ERR_CONFIG_INVALID',
          'feed.csv.path: required when feed.kind is csv',
        );
      }
      return new CsvReplayMarketFeed({
        path: csv.path,
        strict: csv.strict,
        speed: csv.speed,
        ...(csv.symbols === null ? {} : { symbols: [...csv.symbols] }),
        ...(callbacks.onBadLine === undefined ? {} : { onBadLine: callbacks.onBadLine }),
      });
    }
    case 'websocket':
    case 'ccxt':
    case 'fix':
      throw new LivegateError('ERR_USAGE', `feed.kind ${config.feed.kind} is opened by its venue`);
  }
}

function createBroker(config: LivegateConfig): Broker {
  switch (config.broker.kind) {
    case 'paper':
      return new PaperBroker({
        feeRate: config.broker.paper.feeRate,
        instruments: new InstrumentCatalog(config.risk.accountCurrency, config.risk.instruments),
      });
    case 'websocket':
    case 'ccxt':
    case 'fix':
      throw new LivegateError(
        'ERR_USAGE',
        `broker.kind ${config.broker.kind} is opened by its venue`,
      );
  }
}
