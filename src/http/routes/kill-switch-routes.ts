// POST /api/killswitch/{engage,reduce,reset}: authenticated, validated, durable, then confirmed by
// every live engine on the store, the way `livegate kill` does it.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isLivegateError } from '../../core/errors.js';
import type { KillSwitchOrigin, KillSwitchRecord } from '../../core/kill-switch-record.js';
import { awaitConfirmations, type ConfirmationResult } from '../../killswitch/confirmations.js';
import type { Role } from '../auth.js';
import type { MutationAction } from '../control-counters.js';
import type { VenueKillOutcome } from '../../cli/venue-receipt-file.js';
import type { MutationResponse } from '../control-messages.js';
import type { EngineView } from '../engine-view.js';
import { errorBody } from './error-body.js';
import { authorizeMutation, type MutationAuthOptions } from './mutation-auth.js';
import { parseMutationBody, type MutationBody } from './mutation-body.js';
import { describeError } from './status-views.js';

export interface KillSwitchRouteOptions extends MutationAuthOptions {
  readonly view: EngineView;
  /**
   * Goes to the venues themselves after an engage is durable (cancel-all, read back until flat);
   * absent when the engine trades on no venue (paper).
   */
  readonly venueStep?: (killWrittenAt: number, scope: string) => Promise<VenueKillOutcome>;
}

const ACTIONS: readonly MutationAction[] = ['engage', 'reduce', 'reset'];
/** A reason and a name fit in far less; anything bigger is not a legitimate request. */
const BODY_LIMIT_BYTES = 16 * 1024;

interface Applied {
  readonly record: KillSwitchRecord;
  readonly changed: boolean;
}

/** Set when the change is durable but the confirmations could not be read. */
type MutationBodyOut = MutationResponse & { readonly error?: { code: string; message: string } };

export function registerKillSwitchRoutes(
  app: FastifyInstance,
  options: KillSwitchRouteOptions,
): void {
  const roles = new WeakMap<FastifyRequest, Role>();
  for (const action of ACTIONS) {
    app.post(
      `/api/killswitch/${action}`,
      {
        bodyLimit: BODY_LIMIT_BYTES,
        // onRequest runs before the body is read: a caller without the right token learns nothing
        // about what the body should look like, and changes nothing.
        onRequest: async (request, reply) => {
          const decision = authorizeMutation(request, action, options);
          if (decision.allowed) {
            roles.set(request, decision.role);
            return;
          }
          request.log.warn(
            {
              action,
              status: decision.status,
              code: decision.body.error.code,
              address: request.ip,
            },
            `kill switch ${action} via http refused`,
          );
          return reply.code(decision.status).headers(decision.headers).send(decision.body);
        },
      },
      async (request, reply) => {
        const role = roles.get(request);
        if (role === undefined) throw new Error('mutation reached its handler unauthenticated');
        const parsed = parseMutationBody(request.body);
        if (!parsed.ok) return reply.code(400).send(parsed.error);
        return mutate(request, reply, { action, role, body: parsed.body, options });
      },
    );
  }
}

interface Mutation {
  readonly action: MutationAction;
  readonly role: Role;
  readonly body: MutationBody;
  readonly options: KillSwitchRouteOptions;
}

async function mutate(
  request: FastifyRequest,
  reply: FastifyReply,
  { action, role, body, options }: Mutation,
): Promise<FastifyReply> {
  const { view, counters } = options;
  const address = request.ip;
  const origin: KillSwitchOrigin = {
    channel: 'http',
    role,
    ...(address.length > 0 ? { address } : {}),
  };
  const issuedAt = Date.now();
  let applied: Applied;
  try {
    applied = await apply(view, action, body, origin);
  } catch (error) {
    return storeFailure(request, reply, view, action, error);
  }
  const acknowledgedAt = Date.now();
  const { record, changed } = applied;
  counters.mutation(action, role);
  request.log.info(
    { action, role, address, by: body.by, reason: body.reason, revision: record.revision, changed },
    `kill switch ${action} via http`,
  );
  const durableAfterMs = acknowledgedAt - issuedAt;
  // The market is reached while the engines confirm: neither waits for the other, and the state
  // write above never waited for a venue.
  const venueStep =
    action === 'engage'
      ? options.venueStep?.(acknowledgedAt, view.killSwitch.primaryScope)
      : undefined;
  const venuesPart = async () => {
    const venues = await venueStep;
    return venues === undefined ? {} : { venues };
  };
  let confirmations: ConfirmationResult;
  try {
    confirmations = await awaitConfirmations(view.store, record.revision, {
      timeoutMs: view.confirmTimeoutMs,
      expectedState: record.state,
      issuedAt,
      acknowledgedAt,
      scope: view.killSwitch.primaryScope,
    });
  } catch (error) {
    request.log.warn({ error: describeError(error) }, 'confirmations unreadable');
    const response: MutationBodyOut = {
      ok: false,
      changed,
      record,
      durableAfterMs,
      ...(await venuesPart()),
      confirmations: {
        revision: record.revision,
        confirmed: [],
        missing: [],
        departed: [],
        waitedMs: 0,
      },
      error: {
        code: isLivegateError(error) ? error.code : 'ERR_STORE_UNREACHABLE',
        message: `revision ${record.revision} is durable, but engine confirmations could not be read: ${describeError(error)}`,
      },
    };
    return reply.code(202).send(response);
  }
  const venues = await venuesPart();
  const ok = confirmations.missing.length === 0 && (venues.venues?.ok ?? true);
  if (venues.venues?.ok === false) {
    request.log.error(
      { venues: venues.venues.receipts.filter((receipt) => !receipt.confirmed) },
      'engage via http: a venue could not confirm it is flat',
    );
  }
  const response: MutationBodyOut = {
    ok,
    changed,
    record,
    durableAfterMs,
    confirmations,
    ...venues,
  };
  return reply.code(ok ? 200 : 202).send(response);
}

/** Engage and reduce tighten this engine's gates synchronously, before the store is asked. */
async function apply(
  view: EngineView,
  action: MutationAction,
  { reason, by }: MutationBody,
  origin: KillSwitchOrigin,
): Promise<Applied> {
  const { killSwitch } = view;
  switch (action) {
    case 'reset':
      return killSwitch.reset(reason, by, origin);
    case 'engage': {
      const before = killSwitch.revision;
      const record = await killSwitch.engage(reason, by, 'manual', origin);
      return { record, changed: isOurs(record, before, 'ENGAGED', reason, by, origin) };
    }
    case 'reduce': {
      const before = killSwitch.revision;
      const record = await killSwitch.reduce(reason, by, 'manual', origin);
      return { record, changed: isOurs(record, before, 'REDUCING', reason, by, origin) };
    }
  }
}

/**
 * engage() and reduce() return the stored record whether or not they wrote it; a newer revision
 * carrying exactly what was asked is the one written.
 */
function isOurs(
  record: KillSwitchRecord,
  revisionBefore: number,
  state: KillSwitchRecord['state'],
  reason: string,
  by: string,
  origin: KillSwitchOrigin,
): boolean {
  return (
    record.revision > revisionBefore &&
    record.state === state &&
    record.reason === reason &&
    record.by === by &&
    record.origin?.channel === origin.channel &&
    record.origin.role === origin.role &&
    record.origin.address === origin.address
  );
}

function storeFailure(
  request: FastifyRequest,
  reply: FastifyReply,
  view: EngineView,
  action: MutationAction,
  error: unknown,
): FastifyReply {
  const code = isLivegateError(error) ? error.code : 'ERR_STATE_WRITE_FAILED';
  const status = code === 'ERR_TRANSITION_REFUSED' || code === 'ERR_USAGE' ? 409 : 500;
  const cause = error instanceof Error ? error.message : String(error);
  const message =
    action === 'reset'
      ? `reset not made durable: ${cause}; nothing changed, this engine's gates still enforce ${view.killSwitch.state}`
      : `${action} not made durable: ${cause}; this engine's gates enforce it anyway (now ${view.killSwitch.state}, failing closed), but other engines on the store did not get it`;
  request.log.error({ action, code, error: cause }, `kill switch ${action} via http failed`);
  return reply.code(status).send(errorBody(code, message));
}
