// `livegate status`: the kill-switch state with its metadata, recent history and the engines using it.

import type { Command } from 'commander';
import { systemClock } from '../core/clock.js';
import { isLivegateError } from '../core/errors.js';
import type { EngineReport, KillSwitchRecord } from '../core/kill-switch-record.js';
import type { RiskSnapshot, TradingWindowSnapshot } from '../core/risk-snapshot.js';
import { createSharedKillSwitchStore } from '../adapters/kill-switch-store-factory.js';
import type { LivegateConfig } from '../config/schema.js';
import { GLOBAL_SCOPE } from '../core/scopes.js';
import { isKnownGone } from '../killswitch/confirmations.js';
import { addCommonOptions, resolveConfig, type CommonOptions } from './command-options.js';
import { EXIT_FAILURE, EXIT_OK } from './exit-codes.js';
import { noStateHere } from './no-state-here.js';
import { formatVenueOutcome } from './venue-kill-step.js';
import { readVenueReceipt, type VenueKillOutcome } from './venue-receipt-file.js';

export interface StatusOptions extends CommonOptions {
  readonly json?: boolean;
  readonly history?: string;
}

export function registerStatusCommand(program: Command): void {
  const command = program
    .command('status')
    .description(
      'show the kill-switch state, its recent history and the engines on this state dir (exit 1 if the state is unreadable)',
    );
  addCommonOptions(command)
    .option('--json', 'print as JSON')
    .option('--history <n>', 'how many past revisions to show', '5')
    .action(async (options: StatusOptions) => {
      process.exitCode = await showStatus(options);
    });
}

interface ScopeStatus {
  readonly scope: string;
  readonly state: string;
  readonly record: KillSwitchRecord | null;
  readonly unreadable: { code: string; message: string } | null;
}

/** Every scope below global that a reporting engine obeys (desk:..., engine:...), read from its own key. */
async function readScopes(
  config: LivegateConfig,
  engines: readonly EngineReport[],
): Promise<ScopeStatus[]> {
  const names = new Set<string>();
  for (const engine of engines) {
    for (const scope of Object.keys(engine.scopes ?? {}))
      if (scope !== GLOBAL_SCOPE) names.add(scope);
  }
  const scopes: ScopeStatus[] = [];
  for (const scope of [...names].sort()) {
    const store = await createSharedKillSwitchStore(config, scope);
    try {
      const record = await store.read();
      scopes.push({ scope, state: record?.state ?? 'NONE', record, unreadable: null });
    } catch (error) {
      if (!isLivegateError(error)) throw error;
      const unreadable = { code: error.code, message: error.message };
      scopes.push({ scope, state: 'ENGAGED', record: null, unreadable });
    } finally {
      await store.close();
    }
  }
  return scopes;
}

interface EngineStatus extends EngineReport {
  readonly live: boolean;
  /**
   * `gone`: its process exited (this host); `silent`: no report for 3 heartbeats by the reported
   * time (hung, partitioned, or another host's clock); `live` otherwise.
   */
  readonly condition: 'live' | 'silent' | 'gone';
  readonly reportAgeMs: number;
}

export async function showStatus(options: StatusOptions): Promise<number> {
  const config = await resolveConfig(options);
  const store = await createSharedKillSwitchStore(config);
  try {
    let record: KillSwitchRecord | null = null;
    let unreadable: { code: string; message: string } | null = null;
    try {
      record = await store.read();
    } catch (error) {
      if (!isLivegateError(error)) throw error;
      unreadable = { code: error.code, message: error.message };
    }
    const historyLength = Math.max(0, Number(options.history ?? 5) || 0);
    const history =
      unreadable === null && historyLength > 0 ? await store.history(historyLength) : [];
    const now = systemClock.now();
    const silentAfterMs = 3 * config.engine.heartbeatIntervalMs;
    const engines: EngineStatus[] = (await store.listEngineReports()).map((report) => {
      const reportAgeMs = Math.round(now - report.reportedAt);
      const gone = isKnownGone(report);
      const condition = gone ? 'gone' : reportAgeMs > silentAfterMs ? 'silent' : 'live';
      return { ...report, live: !gone, condition, reportAgeMs };
    });
    const scopes = await readScopes(config, engines);
    const venueReceipt = await readVenueReceipt(config.stateDir).catch(() => null);
    const status = {
      stateDir: config.stateDir,
      store: store.name,
      state: unreadable === null ? (record?.state ?? 'NONE') : 'ENGAGED',
      failClosed: unreadable !== null,
      unreadable,
      record,
      history,
      scopes,
      engines,
      venueReceipt,
    };
    if (options.json === true) process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
    else process.stdout.write(formatStatus(status));
    const anyUnreadable = unreadable !== null || scopes.some((scope) => scope.unreadable !== null);
    if (record === null && unreadable === null) {
      process.stderr.write(`${noStateHere(config, store.name, engines.length)}\n`);
      return EXIT_FAILURE;
    }
    return anyUnreadable ? EXIT_FAILURE : EXIT_OK;
  } finally {
    await store.close();
  }
}

function formatStatus(status: {
  store: string;
  stateDir: string;
  state: string;
  unreadable: { code: string; message: string } | null;
  record: KillSwitchRecord | null;
  history: KillSwitchRecord[];
  scopes: ScopeStatus[];
  engines: EngineStatus[];
  venueReceipt: VenueKillOutcome | null;
}): string {
  const lines = [`store: ${status.store}`, `state dir: ${status.stateDir}`];
  if (status.unreadable !== null) {
    lines.push(
      `kill switch: UNREADABLE -> engines fail closed (ENGAGED)`,
      `  ${status.unreadable.code}: ${status.unreadable.message}`,
      `  repair with: livegate reset --reason "..." --by NAME`,
    );
  } else if (status.record === null) {
    lines.push('kill switch: NO STATE at this store (see below)');
  } else {
    const record = status.record;
    lines.push(
      `kill switch: ${record.state} (revision ${record.revision})`,
      `  by ${record.by}, trigger ${record.trigger}, at ${record.at} on ${record.host} pid ${record.pid}`,
      `  reason: ${record.reason}`,
    );
  }
  if (status.history.length > 0) {
    lines.push('history:');
    for (const entry of status.history) {
      lines.push(
        `  ${String(entry.revision).padStart(5)} ${entry.at} ${entry.state.padEnd(8)} ${entry.trigger} by ${entry.by}: ${entry.reason}`,
      );
    }
  }
  if (status.scopes.length > 0) lines.push('scopes:');
  for (const scope of status.scopes) {
    const record = scope.record;
    const detail =
      scope.unreadable !== null
        ? `UNREADABLE (${scope.unreadable.code}) -> its engines fail closed`
        : record === null
          ? 'no state yet'
          : `rev ${record.revision} by ${record.by}, trigger ${record.trigger}: ${record.reason}`;
    lines.push(`  ${scope.scope.padEnd(24)} ${scope.state.padEnd(8)} ${detail}`);
  }
  if (status.engines.length === 0) lines.push('engines: none reporting');
  else lines.push('engines:');
  for (const engine of status.engines) {
    const stats = engine.stats;
    lines.push(
      `  ${engine.condition.padEnd(6)} ${engine.engineId} pid ${engine.pid} enforcing ${engine.enforcedState}${engine.failClosed ? ' (fail-closed)' : ''} rev ${engine.observedRevision}${engine.limitsRevision === undefined ? '' : `, limits rev ${engine.limitsRevision}`}, report ${engine.reportAgeMs} ms ago, ticks ${String(stats.ticks ?? 0)} (${String(stats.ticksPerSecond ?? 0)}/s), orders ${String(stats.ordersSubmitted ?? 0)}, p99 ${(Number(stats.latencyP99Ns ?? 0) / 1000).toFixed(1)}µs`,
    );
    for (const key of [
      'venueFeed',
      'venueBroker',
      'venueReconciliation',
      'venueDeadMan',
    ] as const) {
      const value = stats[key];
      if (value !== undefined) lines.push(`      ${VENUE_LABELS[key]}: ${String(value)}`);
    }
    const onVenue = stats.venueFeed !== undefined || stats.venueBroker !== undefined;
    if (stats.lastTickAgeMs !== undefined && onVenue) {
      lines.push(`      last tick: ${String(stats.lastTickAgeMs)} ms ago`);
    }
    if (stats.venueBrokerLastMessageAgeMs !== undefined) {
      lines.push(
        `      last message from the broker's venue: ${String(stats.venueBrokerLastMessageAgeMs)} ms ago`,
      );
    }
    if (engine.risk !== undefined) lines.push(...formatRisk(engine.risk));
  }
  if (status.venueReceipt !== null) {
    lines.push(`last venue receipt (kill written at ${status.venueReceipt.killWrittenAt}):`);
    lines.push(...formatVenueOutcome(status.venueReceipt).map((line) => `  ${line}`));
  }
  return `${lines.join('\n')}\n`;
}

const VENUE_LABELS = {
  venueFeed: 'feed',
  venueBroker: 'broker',
  venueReconciliation: 'reconciliation',
  venueDeadMan: 'venue dead-man',
} as const;

/** `trading window default (America/New_York): OPEN until 2026-03-09T20:00:00.000Z ...` */
function windowLine(window: TradingWindowSnapshot): string {
  const at = (epochMs: number | null) =>
    epochMs === null ? 'further than a week' : new Date(epochMs).toISOString();
  const head = `trading window ${window.window} (${window.timeZone}):`;
  switch (window.phase) {
    case 'open':
      return `${head} OPEN until ${at(window.nextClose)}${window.flattenAt === null ? '' : `, flattening from ${at(window.flattenAt)}`}`;
    case 'flattening':
      return `${head} FLATTENING (no new exposure, positions being closed) until the close at ${at(window.nextClose)}`;
    case 'closed':
      return `${head} CLOSED (no new exposure: OUTSIDE_TRADING_WINDOW) until ${at(window.nextOpen)}`;
  }
}

/** Positions, PnL and the rules closest to their limits, for one engine. */
export function formatRisk(risk: RiskSnapshot): string[] {
  const money = (value: number): string => value.toFixed(2);
  const currency = risk.accountCurrency === undefined ? '' : ` (${risk.accountCurrency})`;
  const lines = [
    `      PnL${currency}: daily ${money(risk.dailyPnl)}, realized ${money(risk.realizedPnl)}, unrealized ${money(risk.unrealizedPnl)}; drawdown ${money(risk.drawdown)} from peak ${money(risk.equityPeak)}; gross exposure ${money(risk.grossExposure)}`,
  ];
  const missing = risk.missingConversionRates ?? [];
  if (missing.length > 0) {
    lines.push(
      `      NO CONVERSION RATE for ${missing.join(', ')}: positions in it are left out of the totals above; orders that need one are denied (NO_CONVERSION_RATE)`,
    );
  }
  for (const stale of risk.staleConversionRates ?? []) {
    const age =
      stale.ageMs === null ? 'after a bad quote' : `${(stale.ageMs / 1000).toFixed(1)} s old`;
    lines.push(
      `      STALE CONVERSION RATE for ${stale.currency} (${age}): valued at the last rate ${stale.lastRate}; new exposure is denied (NO_CONVERSION_RATE)`,
    );
  }
  for (const position of risk.positions) {
    if (position.quantity === 0) continue;
    lines.push(
      `      ${position.symbol.padEnd(8)} ${String(position.quantity).padStart(12)} @ ${position.averagePrice} mark ${position.markPrice} unrealized ${money(position.unrealizedPnl)}${position.conversionRate === undefined ? '' : ` (${position.quoteCurrency ?? ''} rate ${position.conversionRate})`}`,
    );
  }
  for (const window of risk.tradingWindows ?? []) lines.push(`      ${windowLine(window)}`);
  const closest = [...risk.rules].sort((a, b) => b.utilization - a.utilization).slice(0, 3);
  for (const rule of closest) {
    lines.push(
      `      rule ${rule.rule.padEnd(15)} ${(rule.utilization * 100).toFixed(0).padStart(4)}% of limit (${rule.value.toFixed(2)} / ${rule.threshold}) -> ${rule.action}${rule.tripped ? (rule.utilization >= 1 ? ' TRIPPED, still in breach: a reset re-trips it' : ' TRIPPED') : ''}`,
    );
  }
  return lines;
}
