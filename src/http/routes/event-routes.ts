// GET /api/events: a Server-Sent Events stream fed by the one shared ControlStream, with slots kept
// for clients that prove a token; POST /api/events/ticket: how a browser proves it.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Role } from '../auth.js';
import type { StreamTicketResponse } from '../control-messages.js';
import type { ControlStream, StreamAccess } from '../control-stream.js';
import type { StreamTickets } from '../stream-tickets.js';
import { errorBody } from './error-body.js';
import {
  authenticateRequest,
  refuse,
  type AuthRefusal,
  type RequestAuthOptions,
} from './request-auth.js';

export interface EventRouteOptions extends RequestAuthOptions {
  readonly stream: ControlStream;
  readonly tickets: StreamTickets;
}

/** Nothing is read from a ticket request's body. */
const TICKET_BODY_LIMIT_BYTES = 1024;

export function registerEventRoutes(app: FastifyInstance, options: EventRouteOptions): void {
  const { stream, tickets } = options;
  const roles = new WeakMap<FastifyRequest, Role>();
  app.post(
    '/api/events/ticket',
    {
      bodyLimit: TICKET_BODY_LIMIT_BYTES,
      // The same check as a change to the switch, so a failed token counts the same way.
      onRequest: async (request, reply) => {
        const decision = authenticateRequest(request, options);
        if (decision.allowed) roles.set(request, decision.role);
        else return refused(request, reply, decision, 'stream ticket');
      },
    },
    (request): StreamTicketResponse => {
      const role = roles.get(request);
      if (role === undefined) throw new Error('stream ticket reached its handler unauthenticated');
      return tickets.issue(role);
    },
  );

  // No HEAD twin: it would hold a stream slot open without ever reading from it.
  app.get('/api/events', { exposeHeadRoute: false }, (request, reply) => {
    const access = streamAccess(request, options);
    if (typeof access !== 'string') {
      void refused(request, reply, access, 'event stream');
      return;
    }
    if (!stream.hasRoom(access)) {
      void reply
        .code(503)
        .header('retry-after', '5')
        .send(
          errorBody('TOO_MANY_CLIENTS', 'too many event-stream clients are connected; retry later'),
        );
      return;
    }
    // From here the socket is ours: fastify's serialisation and onSend hooks no longer apply,
    // so the security headers set on arrival are copied by hand.
    reply.hijack();
    const response = reply.raw;
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (value !== undefined) response.setHeader(name, value);
    }
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // An SSE socket is never reused; closing it with the stream lets server close() finish.
      connection: 'close',
      // Reverse proxies (nginx) would otherwise buffer the stream.
      'x-accel-buffering': 'no',
    });
    if (!stream.add(response, access)) response.end();
    request.log.debug({ clients: stream.clientCount, access }, 'event stream opened');
  });
}

/**
 * `?ticket=` (a browser's EventSource) or an Authorization header (curl, scripts) claims a reserved
 * slot, and a claim that fails is refused rather than quietly given a shared slot, so a console
 * learns to fetch a fresh ticket. Neither: a shared slot. Spent or made-up tickets are not counted
 * as failed logins: a ticket is 256 random bits, and a console reconnecting with a spent one is no
 * guesser.
 */
function streamAccess(
  request: FastifyRequest,
  options: EventRouteOptions,
): StreamAccess | AuthRefusal {
  const { ticket } = request.query as { ticket?: unknown };
  if (ticket !== undefined) {
    if (typeof ticket === 'string' && options.tickets.redeem(ticket) !== null) {
      return 'authenticated';
    }
    return refuse(
      401,
      errorBody(
        'INVALID_TICKET',
        'the stream ticket is unknown, spent or expired: POST /api/events/ticket with a bearer token for a new one, or connect without one for a shared slot',
      ),
    );
  }
  if (request.headers.authorization === undefined) return 'anonymous';
  const decision = authenticateRequest(request, options);
  return decision.allowed ? 'authenticated' : decision;
}

function refused(
  request: FastifyRequest,
  reply: FastifyReply,
  decision: AuthRefusal,
  what: string,
): FastifyReply {
  request.log.warn(
    { status: decision.status, code: decision.body.error.code, address: request.ip },
    `${what} refused`,
  );
  return reply.code(decision.status).headers(decision.headers).send(decision.body);
}
