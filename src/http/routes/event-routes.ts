// GET /api/events: a Server-Sent Events stream fed by the one shared ControlStream.

import type { FastifyInstance } from 'fastify';
import type { ControlStream } from '../control-stream.js';
import { errorBody } from './error-body.js';

export function registerEventRoutes(app: FastifyInstance, stream: ControlStream): void {
  // No HEAD twin: it would hold a stream slot open without ever reading from it.
  app.get('/api/events', { exposeHeadRoute: false }, (request, reply) => {
    if (!stream.hasRoom()) {
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
    if (!stream.add(response)) response.end();
    request.log.debug({ clients: stream.clientCount }, 'event stream opened');
  });
}
