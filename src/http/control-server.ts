// The control API (fastify): probes, metrics, status, the SSE stream, authenticated kill-switch
// changes and the operator console, all reading one engine through its EngineView.

import type { AddressInfo } from 'node:net';
import {
  fastify,
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
} from 'fastify';
import { pino, type Logger } from 'pino';
import { LivegateError } from '../core/errors.js';
import { AuthFailureLimiter } from './auth-failure-limiter.js';
import type { Tokens } from './auth.js';
import { noControlCounters, type ControlCounters } from './control-counters.js';
import { ControlStream } from './control-stream.js';
import type { EngineView } from './engine-view.js';
import { registerConsoleRoutes, type ConsoleFiles } from './routes/console-routes.js';
import { errorBody } from './routes/error-body.js';
import { registerEventRoutes } from './routes/event-routes.js';
import { registerHealthRoutes, type MetricsSource } from './routes/health-routes.js';
import { registerKillSwitchRoutes } from './routes/kill-switch-routes.js';
import { registerLimitsRoutes } from './routes/limits-routes.js';
import type { NamedDesk } from '../risk/limits/desk-names.js';
import type { LiveLimits } from '../core/limits-record.js';
import type { VenueKillOutcome } from '../cli/venue-receipt-file.js';
import { unparsableBody } from './routes/mutation-body.js';
import { registerStatusRoutes } from './routes/status-routes.js';
import { SECURITY_HEADERS } from './security-headers.js';
import { StreamTickets } from './stream-tickets.js';

export interface ControlServerOptions {
  readonly view: EngineView;
  /** See KillSwitchRouteOptions.venueStep. */
  readonly venueStep?: (killWrittenAt: number, scope: string) => Promise<VenueKillOutcome>;
  readonly tokens: Tokens;
  /** GET/POST /api/limits: what engines enforce without a stored revision, and how long to wait. */
  readonly limits?: {
    readonly configLimits: LiveLimits;
    readonly confirmTimeoutMs: number;
    /** storeIdentityOf(config): engines registered on this host for it are waited for too. */
    readonly storeIdentity: string;
    readonly configDesks?: readonly NamedDesk[];
  };
  readonly maxAuthFailures: number;
  readonly authFailureWindowMs: number;
  /** GET /metrics; 404 with a clear message when absent. */
  readonly metrics?: MetricsSource;
  /** Default noControlCounters. */
  readonly counters?: ControlCounters;
  /** Default: no logging. */
  readonly logger?: Logger;
  /** Static console: `directory` served at /, each vendorFiles key (e.g. '/vendor/uPlot.iife.min.js') → absolute file. */
  readonly console?: ConsoleFiles;
  /** SSE stats/denials aggregation, default 1000. */
  readonly statsIntervalMs?: number;
  /** SSE clients anyone may open at once; beyond, /api/events answers 503. Default 32. */
  readonly maxEventClients?: number;
  /**
   * Further SSE slots only for clients with a stream ticket or a valid bearer token, so anonymous
   * clients can never take the operator's console off the air. Default 8.
   */
  readonly reservedEventClients?: number;
}

export interface RunningControlServer {
  /** Base URL with a trailing slash, like `new URL(...).href`: `http://127.0.0.1:8787/`. */
  readonly url: string;
  close(): Promise<void>;
}

const DEFAULT_STATS_INTERVAL_MS = 1_000;
const DEFAULT_MAX_EVENT_CLIENTS = 32;
const DEFAULT_RESERVED_EVENT_CLIENTS = 8;
/** Nothing the API accepts comes close; the mutation routes allow even less. */
const BODY_LIMIT_BYTES = 64 * 1024;

/** Builds the server without listening (fastify `inject` tests use it as is). */
export function buildControlServer(options: ControlServerOptions): FastifyInstance {
  const app = fastify({
    ...(options.logger === undefined ? {} : { loggerInstance: redactingLogger(options.logger) }),
    // GETs are polled (status, probes, scrapes); logging each would drown the changes that matter.
    logController: new LogController({
      disableRequestLogging: (request: { method?: string }) =>
        request.method === 'GET' || request.method === 'HEAD',
    }),
    bodyLimit: BODY_LIMIT_BYTES,
    frameworkErrors: answerFrameworkError,
  });
  const { view } = options;
  const stream = new ControlStream({
    view,
    statsIntervalMs: options.statsIntervalMs ?? DEFAULT_STATS_INTERVAL_MS,
    maxClients: options.maxEventClients ?? DEFAULT_MAX_EVENT_CLIENTS,
    maxReservedClients: options.reservedEventClients ?? DEFAULT_RESERVED_EVENT_CLIENTS,
    logger: app.log,
  });
  const limiter = new AuthFailureLimiter({
    maxFailures: options.maxAuthFailures,
    windowMs: options.authFailureWindowMs,
  });
  // On arrival, so refusals, 404s and the hijacked event stream (which copies them) carry them too.
  app.addHook('onRequest', async (request, reply) => {
    reply.headers(SECURITY_HEADERS);
    if (request.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
  });
  // Open event streams would keep close() waiting for ever: end them first.
  app.addHook('preClose', () => stream.close());
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(errorBody('NOT_FOUND', `no such route: ${request.method} ${pathOf(request.url)}`)),
  );
  registerHealthRoutes(app, view, options.metrics);
  registerStatusRoutes(app, view);
  // One limiter for every route that takes a token: a failure anywhere counts everywhere.
  const auth = { tokens: options.tokens, limiter, counters: options.counters ?? noControlCounters };
  registerEventRoutes(app, { ...auth, stream, tickets: new StreamTickets() });
  registerKillSwitchRoutes(app, {
    ...auth,
    view,
    ...(options.venueStep === undefined ? {} : { venueStep: options.venueStep }),
  });
  if (options.limits !== undefined) registerLimitsRoutes(app, { ...auth, view, ...options.limits });
  registerConsoleRoutes(app, options.console);
  return app;
}

/** Listens; rejects with LivegateError ERR_HTTP_FAILED naming host:port and the cause (EADDRINUSE...). */
export async function startControlServer(
  options: ControlServerOptions & { host: string; port: number },
): Promise<RunningControlServer> {
  const { host, port } = options;
  const app = buildControlServer(options);
  try {
    await app.listen({ host, port });
  } catch (error) {
    await app.close().catch(() => undefined);
    const cause = error as NodeJS.ErrnoException;
    const reason = cause.code === undefined ? cause.message : `${cause.code}: ${cause.message}`;
    const hint =
      cause.code === 'EADDRINUSE'
        ? ` (another process holds the port: pass --http ${host}:0 for any free port, another port, or --no-http)`
        : '';
    throw new LivegateError(
      'ERR_HTTP_FAILED',
      `control API cannot listen on ${host}:${port}: ${reason}${hint}`,
      { cause: error, details: { host, port } },
    );
  }
  let closing: Promise<void> | undefined;
  return {
    url: urlOf(app.server.address() as AddressInfo),
    close: () => (closing ??= app.close().then(() => undefined)),
  };
}

/**
 * The authorization header must never reach a log line: request serialisation leaves headers out
 * entirely, and redaction catches any object that carries one anyway.
 */
function redactingLogger(logger: Logger): FastifyBaseLogger {
  return logger.child(
    { component: 'http' },
    {
      serializers: {
        req: (request: { method?: string; url?: string; ip?: string }) => ({
          method: request.method,
          url: pathOf(request.url ?? ''),
          remoteAddress: request.ip,
        }),
        res: (reply: { statusCode?: number }) => ({ statusCode: reply.statusCode }),
        err: pino.stdSerializers.err,
      },
      redact: {
        paths: [
          'authorization',
          '*.authorization',
          'headers.authorization',
          '*.headers.authorization',
          'token',
          '*.token',
        ],
        censor: '[redacted]',
      },
    },
  );
}

/** A URL the router cannot even decode is answered before any hook runs: same headers, same shape. */
function answerFrameworkError(error: FastifyError, _request: unknown, reply: FastifyReply): void {
  void reply
    .code(error.statusCode ?? 400)
    .headers(SECURITY_HEADERS)
    .send(errorBody(error.code, error.message));
}

function handleError(
  error: FastifyError,
  request: Parameters<Parameters<FastifyInstance['setErrorHandler']>[0]>[1],
  reply: Parameters<Parameters<FastifyInstance['setErrorHandler']>[0]>[2],
): unknown {
  const status = error.statusCode ?? 500;
  if (error.code?.startsWith('FST_ERR_CTP_') === true) {
    // Bodies that are not JSON, empty or too large: the same shape as any other bad body.
    return reply.code(status === 413 ? 413 : 400).send(unparsableBody(error.message));
  }
  if (status < 500) {
    return reply.code(status).send(errorBody(error.code ?? 'BAD_REQUEST', error.message));
  }
  request.log.error({ err: error }, 'control API request failed');
  const code = error instanceof LivegateError ? error.code : 'INTERNAL_ERROR';
  return reply.code(500).send(errorBody(code, error.message));
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

function urlOf(address: AddressInfo): string {
  const wildcard = address.address === '0.0.0.0' || address.address === '::';
  const host = wildcard
    ? address.family === 'IPv6'
      ? '[::1]'
      : '127.0.0.1'
    : address.family === 'IPv6'
      ? `[${address.address}]`
      : address.address;
  return `http://${host}:${address.port}/`;
}
