// Which engine events reach the JSON log, and at what level. Per-order events only at debug.

import type { LiveEngine } from '../engine/live-engine.js';
import type { Logger } from '../observability/logger.js';

export function logEngineEvents(engine: LiveEngine, logger: Logger): void {
  const perOrder = logger.isLevelEnabled('debug');
  // One line a second all day is ~150 MB of log: the first heartbeat says the engine reports, the
  // rest go to debug (the journal and /metrics keep them all).
  let heartbeatLevel: 'info' | 'debug' = 'info';
  engine.on((event) => {
    switch (event.type) {
      case 'KillSwitchChanged':
        logger[event.enforcedState === 'SAFE' ? 'info' : 'warn'](
          { event: event.type, record: event.record, enforcedState: event.enforcedState },
          `kill switch ${event.enforcedState} (revision ${event.record.revision}, by ${event.record.by}: ${event.record.reason})`,
        );
        return;
      case 'KillSwitchFailedClosed':
        logger.error(
          { event: event.type, code: event.errorCode },
          `kill switch failing closed: ${event.message}`,
        );
        return;
      case 'JournalFailed':
        logger.error(
          { event: event.type, code: event.errorCode, action: event.action },
          event.action === 'engage'
            ? `journal stopped, engaging the kill switch (journal.onFailure: engage): ${event.message}`
            : `journal stopped, TRADING WITHOUT AN AUDIT TRAIL (journal.onFailure: alert): ${event.message}`,
        );
        return;
      case 'RiskLimitBreached':
        logger[event.action === 'alert' ? 'warn' : 'error'](
          { event: event.type, detail: event },
          `risk rule ${event.rule} breached (${event.action}): ${event.message}`,
        );
        return;
      case 'RiskLimitApproached':
        logger.warn(
          { event: event.type, detail: event },
          `risk rule ${event.rule} at ${Math.round(event.level * 100)} % of its limit: ${event.message}`,
        );
        return;
      case 'TradingWindowChanged':
        logger.info({ event: event.type, detail: event }, event.message);
        return;
      case 'StrategyFailed':
      case 'OrderRejected':
        logger.warn({ event: event.type, detail: event }, event.type);
        return;
      case 'BrokerFailed':
        logger.error({ event: event.type, detail: event }, event.type);
        return;
      case 'VenueReported':
        if (event.kind === 'connected' || event.kind === 'dead-man-armed') {
          logger.info({ event: event.type, detail: event }, `${event.source} ${event.kind}`);
        } else {
          logger.warn(
            { event: event.type, detail: event },
            `${event.source} ${event.kind}: ${event.detail}`,
          );
        }
        return;
      case 'RunStarted':
      case 'RunStopped':
      case 'OrdersCancelled':
        logger.info({ event: event.type, detail: event }, event.type);
        return;
      case 'Heartbeat':
        logger[heartbeatLevel]({ event: event.type, report: event.report }, event.type);
        heartbeatLevel = 'debug';
        return;
      case 'RiskStateRestored':
      case 'VenuePositionsAdopted':
      case 'EarlierOrderCancelled':
      case 'LimitsApplied':
      case 'LimitsApplyFailed':
        logger.warn({ event: event.type, detail: event }, event.message);
        return;
      case 'RiskStateRecorded':
      case 'OrderSubmitted':
      case 'OrderFilled':
      case 'OrderDone':
      case 'OrderDenied':
      case 'TickBlocked':
        if (perOrder) logger.debug({ event: event.type, detail: event }, event.type);
        return;
    }
  });
}
