// The risk layers a what-if replay judges orders with: the engine's own pre-trade chain, risk
// monitor and kill switch (on an in-memory store), built from proposed limits as risk-wiring.ts
// builds them for a run, on a clock the replay moves to each journal entry's time.

import { MemoryKillSwitchStore } from '../adapters/stores/memory-kill-switch-store.js';
import type { LivegateConfig } from '../config/schema.js';
import { ManualClock } from '../core/clock.js';
import type { RiskLimitBreached } from '../core/events.js';
import { InstrumentCatalog } from '../core/instrument-catalog.js';
import { KillSwitch } from '../killswitch/kill-switch.js';
import { ConversionRates } from '../risk/conversion-rates.js';
import { RiskMonitor } from '../risk/monitor/risk-monitor.js';
import { TradingDay } from '../risk/monitor/trading-day.js';
import { PreTradeRiskEngine } from '../risk/pre-trade/pre-trade-risk-engine.js';
import type { JournalScan } from '../risk/what-if/journal-scan.js';
import { TradingWindows } from '../risk/windows/trading-windows.js';

/** Rules that need the live feed or process, which a journal does not hold. */
const UNREPLAYABLE_RULES = ['staleFeed', 'eventLoopStall'] as const;

export interface ProposedRisk {
  readonly clock: ManualClock;
  readonly killSwitch: KillSwitch;
  readonly preTrade: PreTradeRiskEngine | undefined;
  readonly monitor: RiskMonitor | undefined;
}

export async function createProposedRisk(
  risk: LivegateConfig['risk'],
  scan: JournalScan,
  onTrip: (event: RiskLimitBreached) => void,
): Promise<ProposedRisk> {
  const clock = new ManualClock(scan.firstTime ?? 0);
  const engineId = scan.engineId ?? 'what-if';
  const killSwitch = await KillSwitch.open(new MemoryKillSwitchStore(), {
    actor: `${engineId}/what-if`,
    clock,
  });
  const catalog = new InstrumentCatalog(risk.accountCurrency, risk.instruments);
  // Rates never expire here: between the few prices a journal holds, a live feed quoted on.
  const rates = new ConversionRates(catalog, risk.conversionRates, { clock });
  const { enabled: preTradeEnabled, ...limits } = risk.preTrade;
  const preTrade = preTradeEnabled
    ? new PreTradeRiskEngine(limits, {
        clock,
        rates,
        windows: new TradingWindows(risk.tradingWindows),
      })
    : undefined;
  const { enabled: monitorEnabled, ...options } = risk.monitor;
  const rules = { ...options.rules };
  for (const rule of UNREPLAYABLE_RULES) delete rules[rule];
  const monitor = monitorEnabled
    ? new RiskMonitor(
        { ...options, rules, flattenOnEngage: false },
        {
          killSwitch,
          engineId,
          clock,
          emit: (event) => {
            if (event.type === 'RiskLimitBreached') onTrip(event);
          },
          rates,
          symbols: [...scan.symbols, ...catalog.definedSymbols()],
          tradingDay: new TradingDay(risk.tradingDay),
        },
      )
    : undefined;
  return { clock, killSwitch, preTrade, monitor };
}
