// `livegate run`'s journal, and what its failure does: a desk may not trade without its audit trail,
// so a journal that stops engages the kill switch unless the config opts out (`journal.onFailure: alert`).

import path from 'node:path';
import type { LivegateConfig } from '../config/schema.js';
import { systemClock } from '../core/clock.js';
import type { LivegateError } from '../core/errors.js';
import type { JournalFailed } from '../core/events.js';
import { JsonlJournalSink } from '../adapters/sinks/jsonl-journal-sink.js';
import type { LiveEngine } from '../engine/live-engine.js';
import type { EnforcedKillSwitch } from '../killswitch/enforced-kill-switch.js';
import type { Logger } from '../observability/logger.js';

export interface EngineJournal {
  readonly sink: JsonlJournalSink;
  /** Failures are evented on this engine's bus from now on. */
  bind(engine: LiveEngine): void;
  /** The run is over: a failure while closing is logged, not acted on. */
  stop(): void;
}

export interface EngineJournalContext {
  readonly engineId: string;
  readonly runId: string;
  readonly killSwitch: EnforcedKillSwitch;
  readonly logger: Logger;
}

export function createEngineJournal(
  config: LivegateConfig,
  context: EngineJournalContext,
): EngineJournal {
  const { engineId, killSwitch, logger } = context;
  const action = config.journal.onFailure;
  let engine: LiveEngine | undefined;
  let running = true;
  const failed = (error: LivegateError): void => {
    if (!running) {
      logger.error({ err: error, code: error.code }, 'journal stopped while shutting down');
      return;
    }
    const event: JournalFailed = {
      type: 'JournalFailed',
      time: systemClock.now(),
      engineId,
      action,
      errorCode: error.code,
      message: error.message,
    };
    // Evented first, so logs and streams show the cause before the kill-switch change it causes.
    if (engine === undefined) logger.error({ err: error, action }, 'journal stopped');
    else engine.emit(event);
    if (action === 'engage') {
      // The gates close inside engage(), before the store is asked; a store that cannot be written
      // either is already fail-closed and evented (KillSwitchFailedClosed), so the rejection is spent.
      killSwitch
        .engage(`journal cannot be written: ${error.message}`, engineId, 'journal-failed')
        .catch(() => undefined);
    }
  };
  const sink = new JsonlJournalSink({
    directory: journalDirectory(config.stateDir, engineId),
    runId: context.runId,
    maxFileBytes: config.journal.maxFileBytes,
    maxFiles: config.journal.maxFiles,
    reserveBytes: config.journal.reserveBytes,
    onError: (error) => logger.error({ err: error }, 'journal write failed'),
    onFailure: failed,
  });
  return {
    sink,
    bind(bound) {
      engine = bound;
    },
    stop() {
      running = false;
      if (sink.droppedEvents > 0) {
        logger.error(
          { droppedEvents: sink.droppedEvents },
          `the journal lost ${sink.droppedEvents} events after it stopped`,
        );
      }
    },
  };
}

/**
 * One journal directory per engine id: engines share a state dir for the kill switch, but two
 * writers rotating one file would rename and prune each other's data.
 */
export function journalDirectory(stateDir: string, engineId: string): string {
  return path.join(stateDir, 'journal', engineId.replace(/[^A-Za-z0-9._-]/g, '_'));
}
