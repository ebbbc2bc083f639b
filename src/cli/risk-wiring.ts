// Builds the pre-trade chain and the risk monitor from the `risk:` config and binds them to an engine.

import type { LivegateConfig } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { InstrumentCatalog } from '../core/instrument-catalog.js';
import type { RiskSnapshot } from '../core/risk-snapshot.js';
import type { LiveEngine } from '../engine/live-engine.js';
import type { EnforcedKillSwitch } from '../killswitch/enforced-kill-switch.js';
import { ConversionRates } from '../risk/conversion-rates.js';
import { RiskMonitor } from '../risk/monitor/risk-monitor.js';
import { PreTradeRiskEngine } from '../risk/pre-trade/pre-trade-risk-engine.js';
import type { PreTradeRisk, TickObserver } from '../risk/risk-ports.js';

export interface RiskWiring {
  readonly preTradeRisk: PreTradeRisk | undefined;
  readonly monitor: RiskMonitor | undefined;
  readonly tickObservers: readonly TickObserver[];
  readonly riskSnapshot: (() => RiskSnapshot) | undefined;
  /** Connects the monitor to the engine's events, bus and flatten, and starts its timer. */
  bind(engine: LiveEngine): void;
  stop(): void;
}

export function createRiskWiring(
  risk: LivegateConfig['risk'],
  killSwitch: EnforcedKillSwitch,
  engineId: string,
  clock?: Clock,
): RiskWiring {
  const { enabled: preTradeEnabled, ...limits } = risk.preTrade;
  const catalog = new InstrumentCatalog(risk.accountCurrency, risk.instruments);
  // One ConversionRates each: both find a symbol's rate route beside their own per-symbol state,
  // so a tick costs no extra lookup in either.
  const ratesFor = () => new ConversionRates(catalog, risk.conversionRates);
  const preTradeRisk = preTradeEnabled
    ? new PreTradeRiskEngine(limits, {
        ...(clock === undefined ? {} : { clock }),
        rates: ratesFor(),
      })
    : undefined;
  const { enabled: monitorEnabled, ...monitorOptions } = risk.monitor;
  let boundEngine: LiveEngine | undefined;
  const monitor = monitorEnabled
    ? new RiskMonitor(monitorOptions, {
        killSwitch,
        engineId,
        ...(clock === undefined ? {} : { clock }),
        emit: (event) => boundEngine?.emit(event),
        flatten: (reason) => boundEngine?.flatten(reason) ?? 0,
        flattenOrdersWorking: () => boundEngine?.flattenOrdersWorking() ?? 0,
        rates: ratesFor(),
      })
    : undefined;
  return {
    preTradeRisk,
    monitor,
    tickObservers: monitor === undefined ? [] : [monitor],
    riskSnapshot: monitor === undefined ? undefined : () => monitor.snapshot(),
    bind(engine) {
      boundEngine = engine;
      if (monitor === undefined) return;
      engine.on((event) => monitor.onEvent(event));
      monitor.start();
    },
    stop() {
      monitor?.stop();
    },
  };
}
