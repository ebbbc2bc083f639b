// Example user strategy: fades moves away from a running mean. Load it with `strategy.module: ./examples/my-strategy.mjs`.
//
// How livegate loads a strategy module (src/strategies/load-strategy.ts):
//   - `export function createStrategy(options)` is called if present; otherwise
//   - a default-exported class is constructed with `new Class(options)` (this file); or
//   - a default-exported plain function is called as a factory, or a default-exported object is used as is.
// `options` is `strategy.options` from the config file. The result needs a `name` string and an
// `onTick(tick, context)` method; `close()` is optional and awaited on shutdown.
//
// onTick receives a tick `{ symbol, bid, ask, time, bidSize?, askSize? }` (time in epoch ms) and a
// context with `position(symbol)`, `killSwitchState()`, `engageKillSwitch(reason)`, `now()` and
// `engineId`. It returns nothing, one signal or an array of signals:
//   { symbol, side: 'buy' | 'sell', quantity, type: 'market' | 'limit', price?, tag? }
// A signal is a wish, not an order: the kill-switch gates and risk checks still decide.
// onTick runs for every tick, so keep it synchronous and cheap; throwing counts as a strategy error.

const DEFAULTS = Object.freeze({
  /** Relative distance from the mean that triggers a trade (0.0005 = 5 basis points). */
  threshold: 0.0005,
  /** Size of each order. */
  quantity: 1,
  /** Largest absolute position this strategy builds per symbol. */
  maxPosition: 3,
  /** Ticks over which the mean forgets half of an old price. */
  halfLife: 50,
  /** A relative spread wider than this looks like a broken market: stop everything. */
  maxSpread: 0.001,
});

export default class MeanReversionStrategy {
  name = 'mean-reversion-example';
  #settings;
  #smoothing;
  /** Exponentially weighted mean mid price per symbol. */
  #means = new Map();

  constructor(options = {}) {
    for (const key of Object.keys(options)) {
      // Rejecting unknown keys turns a typo in the config into an error instead of a silent default.
      if (!(key in DEFAULTS))
        throw new Error(`unknown option "${key}" (accepted: ${Object.keys(DEFAULTS).join(', ')})`);
    }
    this.#settings = { ...DEFAULTS, ...options };
    for (const [key, value] of Object.entries(this.#settings)) {
      if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
        throw new Error(`option "${key}" must be a positive number (got ${String(value)})`);
      }
    }
    this.#smoothing = 1 - Math.pow(0.5, 1 / this.#settings.halfLife);
  }

  onTick(tick, context) {
    const { threshold, quantity, maxPosition, maxSpread } = this.#settings;
    const mid = (tick.bid + tick.ask) / 2;
    if ((tick.ask - tick.bid) / mid > maxSpread) {
      // Returns a promise; the engine awaits it, and the gates are closed before it resolves.
      return context.engageKillSwitch(
        `${tick.symbol} spread ${tick.ask - tick.bid} is wider than ${maxSpread} of the price`,
      );
    }
    const previousMean = this.#means.get(tick.symbol) ?? mid;
    const mean = previousMean + this.#smoothing * (mid - previousMean);
    this.#means.set(tick.symbol, mean);

    const deviation = (mid - mean) / mean;
    const position = context.position(tick.symbol);
    if (deviation > threshold && position - quantity >= -maxPosition) {
      return { symbol: tick.symbol, side: 'sell', quantity, type: 'market', tag: 'fade-up' };
    }
    if (deviation < -threshold && position + quantity <= maxPosition) {
      return { symbol: tick.symbol, side: 'buy', quantity, type: 'market', tag: 'fade-down' };
    }
    return null;
  }

  async close() {
    this.#means.clear();
  }
}
