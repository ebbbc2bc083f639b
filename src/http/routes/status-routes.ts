// GET /api/status: everything the console's first paint needs, in one read.

import type { FastifyInstance } from 'fastify';
import type { KillSwitchRecord } from '../../core/kill-switch-record.js';
import type { FleetEngine, StatusResponse } from '../control-messages.js';
import type { EngineView } from '../engine-view.js';
import { describeError, fleetOf, killSwitchViewOf } from './status-views.js';

/** The latest revisions shown as the audit trail. */
const AUDIT_LENGTH = 20;

/** A failed store read still answers 200 with what is known; `storeError` names what failed. */
export type StatusBody = StatusResponse & { readonly storeError?: string };

export function registerStatusRoutes(app: FastifyInstance, view: EngineView): void {
  app.get('/api/status', async (request): Promise<StatusBody> => {
    const [reports, audit] = await Promise.allSettled([
      view.store.listEngineReports(),
      view.store.history(AUDIT_LENGTH),
    ]);
    const now = Date.now();
    const problems: string[] = [];
    let engines: FleetEngine[] = [];
    if (reports.status === 'fulfilled')
      engines = fleetOf(reports.value, now, view.engineStaleAfterMs);
    else problems.push(`engine reports: ${describeError(reports.reason)}`);
    let history: KillSwitchRecord[] = [];
    if (audit.status === 'fulfilled') history = audit.value;
    else problems.push(`audit trail: ${describeError(audit.reason)}`);
    if (problems.length > 0) request.log.warn({ problems }, 'status: store read failed');
    return {
      engineId: view.engineId,
      runId: view.runId,
      startedAt: view.startedAt,
      killSwitch: killSwitchViewOf(view.killSwitch),
      engine: view.summary(),
      risk: view.riskSnapshot() ?? null,
      readiness: view.readiness(),
      engines,
      audit: history,
      ...(problems.length === 0 ? {} : { storeError: problems.join('; ') }),
    };
  });
}
