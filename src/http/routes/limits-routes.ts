// GET /api/limits (the revision in force and its history) and POST /api/limits (a change, confirmed
// by every engine like a kill). Operators may only tighten; a change that loosens needs the admin.

import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import * as z from 'zod';
import { MAX_BY_LENGTH, MAX_REASON_LENGTH, auditTextProblem } from '../../core/audit-text.js';
import { isLivegateError } from '../../core/errors.js';
import { encodeInfinity, type LiveLimits } from '../../core/limits-record.js';
import { confirmLimitsRevision } from '../../risk/limits/limits-confirmations.js';
import { changeLimits } from '../../risk/limits/limits-writer.js';
import { limitsInForce } from '../../risk/limits/limits-overrides.js';
import { parseAssignment, type LimitsAssignment } from '../../risk/limits/live-limits.js';
import { desksOfReports, type NamedDesk } from '../../risk/limits/desk-names.js';
import type { EngineView } from '../engine-view.js';
import { errorBody } from './error-body.js';
import { authenticateRequest, type RequestAuthOptions } from './request-auth.js';

export interface LimitsRouteOptions extends RequestAuthOptions {
  readonly view: EngineView;
  /** What engines enforce while no revision is stored (this engine's risk.preTrade, monitor rules). */
  readonly configLimits: LiveLimits;
  readonly confirmTimeoutMs: number;
  /**
   * The store as the local engine registry names it (storeIdentityOf): engines registered on this
   * host for it that are still starting are waited for, as `limits set` waits for them.
   */
  readonly storeIdentity: string;
  /** The desks this engine's config names (risk.desks, risk.tradingWindows.desks): see NamedDesk. */
  readonly configDesks?: readonly NamedDesk[];
}

const auditText = (maxLength: number) =>
  z.string().superRefine((text, context) => {
    const problem = auditTextProblem(text, maxLength);
    if (problem !== null) context.addIssue({ code: 'custom', message: problem });
  });

/** `set`: dotted keys under preTrade or monitor.rules to a value (a number, "Infinity", a list; null unsets). */
const limitsBodySchema = z.strictObject({
  reason: auditText(MAX_REASON_LENGTH),
  by: auditText(MAX_BY_LENGTH),
  set: z.record(z.string().min(1), z.unknown()).refine((set) => Object.keys(set).length > 0, {
    message: 'must name at least one limit',
  }),
  timeoutMs: z.number().int().min(0).max(600_000).optional(),
});

export function registerLimitsRoutes(app: FastifyInstance, options: LimitsRouteOptions): void {
  const limitsStore = options.view.store.limits;
  app.get('/api/limits', async (_request, reply) => {
    if (limitsStore === undefined) return reply.code(404).send(noLimits());
    const history = await limitsStore.history();
    const latest = history.at(-1) ?? null;
    return reply.send(
      encodeInfinity({
        revision: latest?.revision ?? 0,
        limits: limitsInForce(latest, options.configLimits),
        overrides: latest?.overrides === true ? latest.limits : undefined,
        history,
      }),
    );
  });
  app.post('/api/limits', { bodyLimit: 64 * 1024 }, async (request, reply) => {
    const decision = authenticateRequest(request, options);
    if (!decision.allowed) {
      return reply.code(decision.status).headers(decision.headers).send(decision.body);
    }
    if (limitsStore === undefined) return reply.code(404).send(noLimits());
    const parsed = limitsBodySchema.safeParse(request.body);
    if (!parsed.success) {
      const message = parsed.error.issues
        .map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`)
        .join('; ');
      return reply.code(400).send(errorBody('INVALID_BODY', message));
    }
    const { reason, by, set, timeoutMs } = parsed.data;
    const role = decision.role;
    try {
      const assignments = Object.entries(set).map(([key, value]) => assignmentOf(key, value));
      const reports = await options.view.store.listEngineReports();
      const result = await changeLimits(limitsStore, {
        assignments,
        namedDesks: [...(options.configDesks ?? []), ...desksOfReports(reports)],
        reason: reason.trim(),
        by: by.trim(),
        mayLoosen: role === 'admin',
        configLimits: options.configLimits,
        host: hostname(),
        pid: process.pid,
        origin: {
          channel: 'http',
          role,
          ...(request.ip.length > 0 ? { address: request.ip } : {}),
        },
      });
      request.log.info(
        { role, by, reason, revision: result.record?.revision, changed: result.changed },
        'limits change via http',
      );
      const confirmations =
        result.changed && result.record !== null
          ? await confirmLimitsRevision(
              options.view.store,
              result.record.revision,
              timeoutMs ?? options.confirmTimeoutMs,
              options.storeIdentity,
              result.record.at,
            )
          : undefined;
      const confirmed = confirmations === undefined || confirmations.missing.length === 0;
      return reply.code(confirmed ? 200 : 202).send(encodeInfinity({ ...result, confirmations }));
    } catch (error) {
      if (isLivegateError(error, 'ERR_LIMITS_LOOSENING_REFUSED')) {
        return reply
          .code(403)
          .send(
            errorBody('FORBIDDEN', `the ${role} role may only tighten limits: ${error.message}`),
          );
      }
      if (isLivegateError(error, 'ERR_USAGE')) {
        return reply.code(400).send(errorBody('INVALID_LIMITS', error.message));
      }
      const code = isLivegateError(error) ? error.code : 'INTERNAL';
      return reply
        .code(500)
        .send(errorBody(code, error instanceof Error ? error.message : String(error)));
    }
  });
}

/** A JSON value as the CLI's KEY=VALUE would give it: null unsets, "Infinity" is no limit. */
function assignmentOf(key: string, value: unknown): LimitsAssignment {
  const parsed = parseAssignment(`${key}=`);
  return { ...parsed, value: value === null ? undefined : value === 'Infinity' ? Infinity : value };
}

function noLimits() {
  return errorBody('NOT_FOUND', 'this store keeps no live limits');
}
