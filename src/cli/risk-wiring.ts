// Builds the pre-trade chain and the risk monitor from the `risk:` config and binds them to an engine.

import type { LivegateConfig } from '../config/schema.js';
import { systemClock, type Clock } from '../core/clock.js';
import { InstrumentCatalog } from '../core/instrument-catalog.js';
import type { RiskStateRestored } from '../core/events.js';
import type { RiskSnapshot } from '../core/risk-snapshot.js';
import type { LiveEngine } from '../engine/live-engine.js';
import type { EnforcedKillSwitch } from '../killswitch/enforced-kill-switch.js';
import { ConversionRates } from '../risk/conversion-rates.js';
import { RiskMonitor } from '../risk/monitor/risk-monitor.js';
import { PreTradeRiskEngine } from '../risk/pre-trade/pre-trade-risk-engine.js';
import { TradingDay } from '../risk/monitor/trading-day.js';
import type { PreTradeRisk, TickObserver } from '../risk/risk-ports.js';
import type { PreTradeLimits } from '../risk/pre-trade/pre-trade-limits.js';
import { TradingWindowWatch } from '../risk/windows/trading-window-watch.js';
import { TradingWindows } from '../risk/windows/trading-windows.js';
import { DeskView } from '../risk/desk/desk-view.js';
import { resolveDeskView } from '../risk/desk/desk-view-options.js';
import type { AggregateLimitsInForce } from '../risk/limits/desk-limits.js';
import type { JournalRiskState } from './journal-risk-state.js';
import { restoredEvent } from './risk-restore.js';

/** Without a risk monitor (whose evaluation runs the sweep), rates expire on this period. */
const RATE_SWEEP_INTERVAL_MS = 100;

export interface RiskWiring {
  readonly preTradeRisk: PreTradeRisk | undefined;
  /** Swaps the chain's limits for a live limits revision; undefined when the chain is off. */
  readonly applyPreTradeLimits: ((limits: PreTradeLimits, now: number) => void) | undefined;
  readonly monitor: RiskMonitor | undefined;
  readonly rates: ConversionRates;
  readonly tickObservers: readonly TickObserver[];
  readonly riskSnapshot: (() => RiskSnapshot) | undefined;
  /** Phase changes and the flatten phase of risk.tradingWindows; undefined when none is configured. */
  readonly windowWatch: TradingWindowWatch | undefined;
  /**
   * The rest of the desk and firm, when risk.desks / risk.firm can limit this engine (pre-trade on,
   * run under a desk wiring): made without limits too, since a limits revision may add them.
   */
  readonly deskView: DeskView | undefined;
  /** Swaps the desk and firm limits of the desk check (live limits); undefined without one. */
  readonly applyAggregateLimits: ((limits: AggregateLimitsInForce) => void) | undefined;
  /**
   * Takes over what the journal recorded (before the engine exists); returns the positions the
   * engine starts with and the event that says so, or undefined when there was nothing.
   */
  restore(
    found: JournalRiskState | null,
  ): { positions: Map<string, number>; event: RiskStateRestored } | undefined;
  /** Connects the monitor to the engine's events, bus and flatten, and starts its timer. */
  bind(engine: LiveEngine): void;
  stop(): void;
}

export interface DeskWiring {
  /** engine.desk; null: only risk.firm can apply. */
  readonly name: string | null;
  readonly heartbeatIntervalMs: number;
  /** A listing of the reports failed (message) or works again (null). */
  readonly onProblem?: (message: string | null) => void;
}

/** `symbols`: what the engine may trade, so a currency with no rate is named before any tick. */
export function createRiskWiring(
  risk: LivegateConfig['risk'],
  killSwitch: EnforcedKillSwitch,
  engineId: string,
  clock?: Clock,
  symbols: readonly string[] = [],
  /** Journal the monitor's state for the next start (an engine with a journal). */
  recordState = false,
  /** The engine's desk (engine.desk) and heartbeat: desk and firm limits are checked pre-trade. */
  desk?: DeskWiring,
): RiskWiring {
  const { enabled: preTradeEnabled, ...limits } = risk.preTrade;
  const catalog = new InstrumentCatalog(risk.accountCurrency, risk.instruments);
  // One set of rates for both layers: a rate is stale or fresh for both at once. Each keeps the
  // symbol's pair beside its own per-symbol state, so a tick costs no extra lookup in either.
  const rates = new ConversionRates(catalog, risk.conversionRates, {
    maxAgeMs: risk.conversionRateMaxAgeMs ?? Infinity,
    clock: clock ?? systemClock,
  });
  const windows = new TradingWindows(risk.tradingWindows, desk?.name ?? null);
  const { enabled: monitorEnabled, ...monitorOptions } = risk.monitor;
  const deskView =
    preTradeEnabled && desk !== undefined
      ? DeskView.following({
          engineId,
          desk: desk.name,
          desks: risk.desks,
          firm: risk.firm,
          reports: killSwitch.store,
          accountCurrency: risk.accountCurrency,
          conversionRates: risk.conversionRates,
          tradingDay: new TradingDay(risk.tradingDay),
          ...resolveDeskView(risk.deskView, desk.heartbeatIntervalMs),
          staleAfterMs: 3 * desk.heartbeatIntervalMs,
          // Called from the first listing on, when the monitor exists.
          ...(monitorEnabled ? { ownFigures: () => monitor!.lossFigures() } : {}),
          lossIntervalMs: monitorOptions.evaluationIntervalMs ?? 100,
          ...(clock === undefined ? {} : { clock }),
          ...(desk.onProblem === undefined ? {} : { onProblem: desk.onProblem }),
        })
      : undefined;
  const preTradeRisk = preTradeEnabled
    ? new PreTradeRiskEngine(limits, {
        ...(clock === undefined ? {} : { clock }),
        rates,
        windows,
        ...(deskView === undefined || deskView.headrooms.scopes.length === 0
          ? {}
          : { aggregates: deskView.headrooms }),
      })
    : undefined;
  const windowWatch = windows.any
    ? new TradingWindowWatch({
        windows,
        clock: clock ?? systemClock,
        engineId,
        emit: (event) => boundEngine?.emit(event),
        flatten: (reason, only) => boundEngine?.flatten(reason, only) ?? 0,
      })
    : undefined;
  let boundEngine: LiveEngine | undefined;
  let sweep: NodeJS.Timeout | undefined;
  const monitor = monitorEnabled
    ? new RiskMonitor(monitorOptions, {
        killSwitch,
        engineId,
        ...(clock === undefined ? {} : { clock }),
        emit: (event) => boundEngine?.emit(event),
        flatten: (reason) => boundEngine?.flatten(reason) ?? 0,
        flattenOrdersWorking: () => boundEngine?.flattenOrdersWorking() ?? 0,
        rates,
        symbols: [...new Set([...symbols, ...catalog.definedSymbols()])],
        tradingDay: new TradingDay(risk.tradingDay),
        recordState,
      })
    : undefined;
  return {
    preTradeRisk,
    applyPreTradeLimits:
      preTradeRisk === undefined ? undefined : (next, now) => preTradeRisk.applyLimits(next, now),
    monitor,
    rates,
    tickObservers: monitor === undefined ? [] : [monitor],
    riskSnapshot:
      monitor === undefined
        ? undefined
        : windows.any
          ? () => ({
              ...monitor.snapshot(),
              tradingWindows: windows.snapshot((clock ?? systemClock).now()),
            })
          : () => monitor.snapshot(),
    windowWatch,
    deskView,
    applyAggregateLimits:
      deskView === undefined || preTradeRisk === undefined
        ? undefined
        : ({ desks, firm }) => {
            // Off the hot path (the limits poll): the new scopes are built, then swapped in whole.
            if (deskView.applyLimits(desks, firm)) preTradeRisk.applyAggregates(deskView.headrooms);
          },
    restore(found) {
      if (found === null) return undefined;
      let positions: Map<string, number>;
      if (monitor === undefined) {
        // No monitor, no P&L to carry: only the positions, which the gates need.
        positions = new Map(found.state?.positions.map((p) => [p.symbol, p.quantity]) ?? []);
        for (const { fill, position } of found.fills) positions.set(fill.symbol, position);
      } else {
        if (found.state !== null) monitor.restore(found.state, found.fills);
        else monitor.restore(emptyState(), found.fills);
        positions = monitor.positions();
      }
      if (preTradeRisk !== undefined) preTradeRisk.restorePositions(positions);
      const today = monitor?.tradingDay() ?? '';
      const state = monitor?.state() ?? { ...emptyState(), positions: [] };
      return {
        positions,
        event: restoredEvent(found, state, today, engineId, monitor?.snapshot(), clock),
      };
    },
    bind(engine) {
      boundEngine = engine;
      if (windowWatch !== undefined) {
        // The phases at the start go into the journal right after RunStarted.
        engine.on((event) => {
          if (event.type === 'RunStarted') windowWatch.check();
        });
        windowWatch.start();
      }
      if (monitor === undefined) {
        if (preTradeRisk !== undefined && rates.maxAgeMs !== Infinity) {
          sweep = setInterval(() => rates.expire(), RATE_SWEEP_INTERVAL_MS);
          sweep.unref();
        }
        return;
      }
      engine.on((event) => monitor.onEvent(event));
      // After the monitor has applied a fill: the desk's loss with it, at once.
      if (deskView !== undefined)
        engine.on((event) => {
          if (event.type === 'OrderFilled') deskView.judgeLosses();
        });
      monitor.start();
    },
    stop() {
      deskView?.stop();
      monitor?.stop();
      windowWatch?.stop();
      if (sweep !== undefined) clearInterval(sweep);
    },
  };
}

function emptyState() {
  return {
    tradingDay: '',
    dayStartEquity: 0,
    equityPeak: 0,
    balances: {},
    positions: [],
    openRules: [],
  };
}

/** The symbols a config says the engine may trade (feed, venue, gateway and risk sections). */
export function configuredSymbols(config: LivegateConfig): string[] {
  const symbols = new Set<string>(Object.keys(config.risk.preTrade.symbols ?? {}));
  if (config.feed.kind === 'synthetic')
    config.feed.synthetic.symbols.forEach((s) => symbols.add(s));
  if (config.feed.kind === 'csv') config.feed.csv.symbols?.forEach((s) => symbols.add(s));
  if (config.feed.kind === 'ccxt') config.venue.symbols.forEach((s) => symbols.add(s));
  if (config.feed.kind === 'websocket') config.gateway.symbols.forEach((s) => symbols.add(s));
  return [...symbols];
}
