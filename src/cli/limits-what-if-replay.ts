// Replays a journal's order flow through a fresh pre-trade chain, risk monitor and kill switch
// built with proposed limits (the engine's own classes, wired as risk-wiring.ts wires them), on a
// clock driven by the journal's timestamps, and says what those limits would have changed.

import type { JournalEntry } from '../adapters/sinks/journal-reader.js';
import type { LivegateConfig } from '../config/schema.js';
import type { ManualClock } from '../core/clock.js';
import type {
  KillSwitchChanged,
  LivegateEvent,
  OrderDenied,
  OrderSubmitted,
} from '../core/events.js';
import { KillSwitchLevel } from '../core/kill-switch-record.js';
import type { Signal } from '../core/types.js';
import { PositionBook } from '../engine/position-book.js';
import type { KillSwitch } from '../killswitch/kill-switch.js';
import type { RiskMonitor } from '../risk/monitor/risk-monitor.js';
import type { PreTradeRiskEngine } from '../risk/pre-trade/pre-trade-risk-engine.js';
import type { PreTradeDenial } from '../risk/risk-ports.js';
import { recordedMarks, type JournalScan, type KnownPrice } from '../risk/what-if/journal-scan.js';
import type { OrderVerdict, WhatIfReport } from '../risk/what-if/what-if-report.js';
import { ruleTrip, WhatIfTally } from '../risk/what-if/what-if-tally.js';
import { createProposedRisk } from './limits-what-if-wiring.js';

/** Denials the limits had no part in: judging them again would say nothing about the limits. */
const NOT_REPLAYED_CODES = new Set([
  'INVALID_SIGNAL',
  'KILL_SWITCH_STATE_STALE',
  'LIMITS_STATE_STALE',
]);
/** Timer evaluations replayed within one gap between entries; a longer gap (a night) jumps. */
const MAX_EVALUATIONS_PER_GAP = 10_000;

export interface WhatIfInput {
  /** Journal directory and limits file, as named in the report. */
  readonly journal: string;
  readonly limits: string;
  readonly risk: LivegateConfig['risk'];
  /** The first pass over the journal (JournalScan.of). */
  readonly scan: JournalScan;
  /** The journal again from its start; the replay reads `scan.count` entries of it. */
  readonly entries: AsyncIterable<JournalEntry> | Iterable<JournalEntry>;
  readonly tornLines: number;
}

export async function replayJournal(input: WhatIfInput): Promise<WhatIfReport> {
  const { scan } = input;
  const replay = await Replay.open(input);
  try {
    let index = 0;
    for await (const entry of input.entries) {
      if (index === scan.count) break;
      await replay.apply(entry, index++);
    }
    return replay.tally.report({
      journal: input.journal,
      limits: input.limits,
      entries: index,
      firstTime: scan.firstTime,
      lastTime: scan.lastTime,
      tornLines: input.tornLines,
    });
  } finally {
    replay.close();
  }
}

class Replay {
  private readonly positions = new PositionBook();
  /** Submitted then, accepted by the replay: their fills and ends are replayed. */
  private readonly acceptedNow = new Set<string>();
  /** Submitted then, denied by the replay: their fills and ends are dropped. */
  private readonly dropped = new Set<string>();
  private fillsSeen = 0;
  /** The newest kill-switch revision the journal recorded. */
  private lastRevision = 0;
  private nextEvaluation: number;

  private constructor(
    private readonly prices: JournalScan,
    private readonly clock: ManualClock,
    private readonly killSwitch: KillSwitch,
    private readonly preTrade: PreTradeRiskEngine | undefined,
    private readonly monitor: RiskMonitor | undefined,
    /** Also filled by the monitor's RiskLimitBreached events. */
    readonly tally: WhatIfTally,
  ) {
    this.nextEvaluation = clock.now() + (monitor?.options.evaluationIntervalMs ?? Infinity);
  }

  static async open(input: WhatIfInput): Promise<Replay> {
    const tally = new WhatIfTally();
    const proposed = await createProposedRisk(input.risk, input.scan, (event) =>
      tally.tripsNow.push(ruleTrip(event)),
    );
    const { clock, killSwitch, preTrade, monitor } = proposed;
    return new Replay(input.scan, clock, killSwitch, preTrade, monitor, tally);
  }

  close(): void {
    this.monitor?.stop();
    this.killSwitch.close();
  }

  async apply(entry: JournalEntry, index: number): Promise<void> {
    await this.advanceTo(entry.time);
    this.observeMarks(recordedMarks(entry));
    switch (entry.type) {
      case 'OrderSubmitted':
        this.orderSubmitted(entry);
        break;
      case 'OrderDenied':
        this.orderDenied(entry);
        break;
      case 'OrderFilled': {
        if (this.dropped.has(entry.fill.orderId)) break;
        const { fill } = entry;
        this.observe(
          fill.symbol,
          this.prices.forFill(index) ?? { price: fill.price, source: 'fill' },
        );
        const position = this.positions.apply(entry.fill);
        this.fillsSeen++;
        this.forward({ ...entry, position });
        break;
      }
      case 'OrderRejected':
      case 'OrderDone':
        if (this.dropped.has(entry.orderId)) break;
        this.positions.orderDone(entry.orderId);
        this.forward(entry);
        break;
      case 'VenuePositionsAdopted':
        for (const { symbol, after } of entry.changes) this.positions.setPosition(symbol, after);
        this.forward(entry);
        break;
      case 'RiskStateRestored':
        this.restored(entry.state);
        break;
      case 'RunStarted':
        this.tally.runs++;
        // What the journal's first run found is where the replay starts; later runs inherit the replay's own.
        if (this.tally.runs === 1 && entry.state !== 'SAFE')
          await this.mirror(entry.state, 'recorded at start');
        this.monitor?.onEvent(entry);
        break;
      case 'KillSwitchChanged':
        await this.killSwitchChanged(entry);
        break;
      case 'RiskLimitBreached':
        this.tally.tripsThen.push(ruleTrip(entry));
        break;
      case 'StrategyFailed':
      case 'VenueReported':
        this.monitor?.onEvent(entry);
        break;
      // Facts of the recorded run alone: the replay makes its own warnings, states and stops, and
      // holds the proposed limits throughout (the run's own LimitsApplied are not replayed).
      case 'RunStopped':
      case 'TickBlocked':
      case 'OrdersCancelled':
      case 'BrokerFailed':
      case 'KillSwitchFailedClosed':
      case 'RiskLimitApproached':
      case 'RiskStateRecorded':
      case 'TradingWindowChanged':
      case 'JournalFailed':
      case 'Heartbeat':
      case 'LimitsApplied':
      case 'LimitsApplyFailed':
      case 'EarlierOrderCancelled':
        break;
    }
    await this.monitor?.settled();
  }

  /** Runs the monitor's timer evaluations that fell between the last entry and this one. */
  private async advanceTo(time: number): Promise<void> {
    const interval = this.monitor?.options.evaluationIntervalMs;
    if (this.monitor !== undefined && interval !== undefined) {
      if ((time - this.nextEvaluation) / interval > MAX_EVALUATIONS_PER_GAP) {
        this.nextEvaluation = time - interval * MAX_EVALUATIONS_PER_GAP;
      }
      while (this.nextEvaluation <= time) {
        this.moveClock(this.nextEvaluation);
        this.monitor.evaluate();
        await this.monitor.settled();
        this.nextEvaluation += interval;
      }
    }
    this.moveClock(time);
  }

  private moveClock(time: number): void {
    // Entries of one run are in time order; a later run on a stepped-back clock does not rewind it.
    if (time > this.clock.now()) this.clock.advance(time - this.clock.now());
  }

  private orderSubmitted(entry: OrderSubmitted): void {
    const { order } = entry;
    const signal: Signal = {
      symbol: order.symbol,
      side: order.side,
      quantity: order.quantity,
      type: order.type,
      price: order.price,
    };
    const verdict = this.judge(entry, signal, null, order.id);
    if (verdict.code !== null) {
      this.dropped.add(order.id);
      return;
    }
    this.acceptedNow.add(order.id);
    this.positions.orderSubmitted(order);
    this.forward(entry);
  }

  private orderDenied(entry: OrderDenied): void {
    if (NOT_REPLAYED_CODES.has(entry.code)) {
      this.tally.notReplayed++;
      return;
    }
    const signal: Signal = {
      symbol: entry.symbol,
      side: entry.side,
      quantity: entry.quantity,
      type: entry.price === undefined ? 'market' : 'limit',
      price: entry.price,
    };
    // Accepted now, its fill is unknown: it counts as accepted and done unfilled.
    this.judge(entry, signal, entry.code);
  }

  /** Gate 2 as the order router runs it: the kill switch first, then the pre-trade chain. */
  private judge(
    entry: OrderSubmitted | OrderDenied,
    signal: Signal,
    codeThen: string | null,
    orderId?: string,
  ): OrderVerdict {
    const known = this.prices.forOrder(entry);
    this.observe(signal.symbol, known);
    const denial = this.gate(signal);
    const verdict: OrderVerdict = {
      time: new Date(entry.time).toISOString(),
      symbol: signal.symbol,
      side: signal.side,
      quantity: signal.quantity,
      price: signal.price,
      ...(orderId === undefined ? {} : { orderId }),
      code: denial?.code ?? null,
      codeThen,
      ...(denial?.details === undefined ? {} : { details: denial.details }),
      referencePrice: known?.price ?? null,
      priceSource: known?.source ?? 'none',
    };
    this.tally.verdicts.push(verdict);
    return verdict;
  }

  private gate(signal: Signal): PreTradeDenial | null {
    const level = this.killSwitch.level;
    if (level === KillSwitchLevel.ENGAGED) return { code: 'KILL_SWITCH_ENGAGED' };
    if (
      level === KillSwitchLevel.REDUCING &&
      !this.positions.reducesExposure(signal.symbol, signal.side, signal.quantity)
    ) {
      return { code: 'KILL_SWITCH_REDUCING' };
    }
    return (
      this.preTrade?.check(signal, this.positions.position(signal.symbol), this.clock.now()) ?? null
    );
  }

  /** A change the monitor did not make (an operator's kill or reset) happens in the replay too. */
  private async killSwitchChanged(entry: KillSwitchChanged): Promise<void> {
    const { record } = entry;
    // Only a new revision is a decision; the same record again is the engine's own gates moving
    // (closing at once for a rule's engage, failing closed), which the replay decides for itself.
    const decided = record.revision > this.lastRevision;
    this.lastRevision = Math.max(this.lastRevision, record.revision);
    if (!decided || record.trigger.startsWith('risk:')) return;
    await this.mirror(record.state, `recorded: ${record.reason}`);
  }

  private async mirror(state: string, reason: string): Promise<void> {
    if (state === this.killSwitch.state) return;
    const by = 'what-if';
    try {
      if (state === 'ENGAGED') await this.killSwitch.engage(reason, by);
      else if (state === 'REDUCING') await this.killSwitch.reduce(reason, by);
      else await this.killSwitch.reset(reason, by);
    } catch {
      // A transition the replay's own state refuses (a reset of REDUCING...): its state stands.
      return;
    }
    // As the live monitor does on a reset: a rule still in breach trips again at once.
    if (this.killSwitch.state !== 'ENGAGED') this.monitor?.evaluate();
  }

  /** A journal that starts with a restart takes over what the engine restored then. */
  private restored(state: Extract<LivegateEvent, { type: 'RiskStateRestored' }>['state']): void {
    if (this.fillsSeen > 0) return;
    this.monitor?.restore(state);
    for (const { symbol, quantity } of state.positions)
      this.positions.setPosition(symbol, quantity);
    this.preTrade?.restorePositions(this.positions.positions());
  }

  private forward(event: LivegateEvent): void {
    this.preTrade?.onEvent(event);
    this.monitor?.onEvent(event);
  }

  private observeMarks(marks: ReadonlyMap<string, number>): void {
    for (const [symbol, price] of marks) this.observe(symbol, { price, source: 'mark' });
  }

  /** A price the journal knows becomes a quote with no spread, for both layers. */
  private observe(symbol: string, known: KnownPrice | undefined): void {
    if (known === undefined) return;
    const tick = { symbol, bid: known.price, ask: known.price, time: this.clock.now() };
    this.preTrade?.observeTick(tick);
    this.monitor?.observeTick(tick);
  }
}
