// The sum of several engines' last known figures, in one account currency, against desk or firm
// limits: pure, so the guard, its tests and the docs' examples agree on every number.

import type { AggregateLimits } from './aggregate-limits.js';
import type { EngineStanding, KnownEngine } from './engine-ledger.js';

/** One engine's share of the sum, as the audit reason lists it. */
export interface Contribution {
  readonly engineId: string;
  readonly standing: EngineStanding;
  /** ms since its report last changed (guard clock). */
  readonly ageMs: number;
  /** In the guard's account currency (converted when the engine reports another). */
  readonly dailyPnl: number;
  readonly drawdown: number;
  readonly grossExposure: number;
  /** Orders since the guard first saw it. */
  readonly orders: number;
  /** The engine publishes no risk figures (its monitor is off): it counts as 0 and is named. */
  readonly noRiskFigures?: true;
}

/** A limit and what the engines add up to; `rule` is dailyLoss, drawdown, grossExposure, orderRate or position:<symbol>. */
export interface Measure {
  readonly rule: string;
  readonly value: number;
  readonly limit: number;
  /** value has reached (loss, drawdown, exposure) or passed (position, order rate) the limit. */
  readonly breached: boolean;
}

export interface Aggregate {
  readonly contributions: readonly Contribution[];
  readonly measures: readonly Measure[];
  /** Signed net position per symbol over the engines (their own units), for the engines' desk check. */
  readonly netPositions: ReadonlyMap<string, number>;
  /** Figures that cannot be summed (a currency with no rate): the guard fails closed on them. */
  readonly problems: readonly string[];
}

export interface AggregateOptions {
  readonly accountCurrency: string;
  /** risk.conversionRates: account currency per unit of another currency. */
  readonly conversionRates: Readonly<Record<string, number>>;
  /** Orders per second over the limit's window, null until the window has history. */
  readonly orderRate: number | null;
}

export function aggregate(
  engines: readonly KnownEngine[],
  limits: AggregateLimits,
  options: AggregateOptions,
): Aggregate {
  const contributions: Contribution[] = [];
  const problems: string[] = [];
  const netPositions = new Map<string, number>();
  for (const engine of engines) {
    const risk = engine.report.risk;
    const base = {
      engineId: engine.engineId,
      standing: engine.standing,
      ageMs: engine.ageMs,
      orders: engine.orders,
    };
    if (risk === undefined) {
      contributions.push({
        ...base,
        dailyPnl: 0,
        drawdown: 0,
        grossExposure: 0,
        noRiskFigures: true,
      });
      continue;
    }
    const currency = risk.accountCurrency ?? 'USD';
    const rate = currency === options.accountCurrency ? 1 : options.conversionRates[currency];
    if (rate === undefined) {
      problems.push(
        `engine ${engine.engineId} reports in ${currency}: no risk.conversionRates.${currency} to value it in ${options.accountCurrency}`,
      );
      continue;
    }
    contributions.push({
      ...base,
      dailyPnl: risk.dailyPnl * rate,
      drawdown: risk.drawdown * rate,
      grossExposure: risk.grossExposure * rate,
    });
    for (const position of risk.positions)
      netPositions.set(
        position.symbol,
        (netPositions.get(position.symbol) ?? 0) + position.quantity,
      );
  }
  return {
    contributions,
    measures: measuresOf(contributions, netPositions, limits, options.orderRate),
    netPositions,
    problems,
  };
}

function measuresOf(
  contributions: readonly Contribution[],
  netPositions: ReadonlyMap<string, number>,
  limits: AggregateLimits,
  orderRate: number | null,
): Measure[] {
  const sum = (pick: (contribution: Contribution) => number): number =>
    contributions.reduce((total, contribution) => total + pick(contribution), 0);
  const measures: Measure[] = [];
  const reaching = (rule: string, value: number, limit: number | undefined): void => {
    if (limit !== undefined) measures.push({ rule, value, limit, breached: value >= limit });
  };
  reaching('dailyLoss', -sum((c) => c.dailyPnl), limits.dailyLoss);
  reaching(
    'drawdown',
    sum((c) => c.drawdown),
    limits.drawdown,
  );
  reaching(
    'grossExposure',
    sum((c) => c.grossExposure),
    limits.grossExposure,
  );
  const symbols = new Set([...netPositions.keys(), ...Object.keys(limits.symbols ?? {})]);
  for (const symbol of [...symbols].sort()) {
    const limit = limits.symbols?.[symbol]?.maxPosition ?? limits.maxPosition;
    if (limit === undefined) continue;
    const value = Math.abs(netPositions.get(symbol) ?? 0);
    measures.push({ rule: `position:${symbol}`, value, limit, breached: value > limit });
  }
  if (limits.orderRate !== undefined && orderRate !== null) {
    const limit = limits.orderRate.limit;
    measures.push({ rule: 'orderRate', value: orderRate, limit, breached: orderRate > limit });
  }
  return measures;
}
