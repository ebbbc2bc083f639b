// `livegate run`'s flags as config overrides, and the parts of the config the run derives itself
// (the primary kill-switch scope, the venue's instrument rules as pre-trade limits).

import path from 'node:path';
import type { TradingAdapters } from '../adapters/index.js';
import type { LivegateConfig } from '../config/schema.js';
import { LivegateError } from '../core/errors.js';
import type { CommonOptions } from './command-options.js';

export interface RunOptions extends CommonOptions {
  readonly feed?: string;
  readonly ticks?: string;
  readonly rate?: string;
  readonly strict?: boolean;
  readonly strategy?: string;
  readonly engineId?: string;
  readonly desk?: string;
  readonly logLevel?: string;
  readonly statusLine?: boolean;
  /** A HOST:PORT string, false for --no-http, undefined to keep the config. */
  readonly http?: string | false;
  readonly json?: boolean;
}

export function overridesFrom(options: RunOptions): Record<string, unknown> {
  const feed: Record<string, unknown> = {};
  const synthetic: Record<string, unknown> = {};
  if (options.feed !== undefined) {
    if (options.feed === 'synthetic') feed.kind = 'synthetic';
    else if (options.feed.startsWith('csv:') && options.feed.length > 4) {
      feed.kind = 'csv';
      feed.csv = { path: path.resolve(options.feed.slice(4)) };
    } else {
      throw new LivegateError(
        'ERR_USAGE',
        `--feed must be "synthetic" or "csv:PATH", got "${options.feed}"`,
      );
    }
  }
  if (options.strict === true) {
    const csv = (feed.csv ?? {}) as Record<string, unknown>;
    feed.csv = { ...csv, strict: true };
  }
  if (options.ticks !== undefined) synthetic.ticks = numberFlag('--ticks', options.ticks);
  if (options.rate !== undefined) synthetic.rate = numberFlag('--rate', options.rate);
  if (Object.keys(synthetic).length > 0) feed.synthetic = synthetic;
  const overrides: Record<string, unknown> = {};
  if (Object.keys(feed).length > 0) overrides.feed = feed;
  if (options.strategy !== undefined) overrides.strategy = { module: options.strategy };
  const engine: Record<string, unknown> = {};
  if (options.engineId !== undefined) engine.id = options.engineId;
  if (options.desk !== undefined) engine.desk = options.desk;
  if (Object.keys(engine).length > 0) overrides.engine = engine;
  if (options.logLevel !== undefined) overrides.log = { level: options.logLevel };
  if (options.http === false) overrides.http = { enabled: false };
  else if (options.http !== undefined)
    overrides.http = { enabled: true, ...hostAndPort(options.http) };
  return overrides;
}

function hostAndPort(text: string): { host: string; port: number } {
  // The last colon splits, so a bracketed IPv6 host ([::1]:8787) works too.
  const colon = text.lastIndexOf(':');
  const host = text.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = Number(text.slice(colon + 1));
  if (colon <= 0 || host === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new LivegateError(
      'ERR_USAGE',
      `--http must be HOST:PORT (for example 127.0.0.1:8787, or port 0 for any free port), got "${text}"`,
    );
  }
  return { host, port };
}

function numberFlag(name: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) {
    throw new LivegateError('ERR_USAGE', `${name} must be a number, got "${text}"`);
  }
  return value;
}

/**
 * The venue's instrument rules (lot, tick, minimum size) become the pre-trade per-symbol limits;
 * what the config says for a symbol wins, key by key.
 */
export function withVenueLimits(
  config: LivegateConfig,
  adapters: TradingAdapters,
): LivegateConfig['risk'] {
  const risk = withVenueInstruments(config.risk, adapters);
  const venue = adapters.venueSymbolLimits;
  if (venue === undefined) return risk;
  const configured = (config.risk.preTrade.symbols ?? {}) as Readonly<Record<string, object>>;
  const symbols: Record<string, object> = {};
  for (const [symbol, limits] of Object.entries(venue)) {
    symbols[symbol] = { ...(limits as object), ...configured[symbol] };
  }
  for (const [symbol, limits] of Object.entries(configured)) symbols[symbol] ??= limits;
  return {
    ...risk,
    preTrade: { ...config.risk.preTrade, symbols },
  };
}

/** The venue's markets say what each symbol is; a `risk.instruments` entry overrides its symbol. */
function withVenueInstruments(
  risk: LivegateConfig['risk'],
  adapters: TradingAdapters,
): LivegateConfig['risk'] {
  const venue = adapters.venueInstruments;
  if (venue === undefined) return risk;
  return { ...risk, instruments: { ...venue, ...risk.instruments } };
}

/** The scope this engine's own trips and API changes go to (`killSwitch.tripScope`). */
export function primaryScopeOf(config: LivegateConfig, engineId: string): string {
  const { tripScope } = config.killSwitch;
  if (tripScope === 'engine') return `engine:${engineId}`;
  if (tripScope === 'desk') {
    if (config.engine.desk === null) {
      throw new LivegateError(
        'ERR_CONFIG_INVALID',
        'killSwitch.tripScope: "desk" needs engine.desk to name the desk',
      );
    }
    return `desk:${config.engine.desk}`;
  }
  return 'global';
}
