// Probes and scrapes: /healthz (the process answers), /readyz (it can trade), /metrics.

import type { FastifyInstance } from 'fastify';
import type { EngineView } from '../engine-view.js';
import { errorBody } from './error-body.js';
import { describeError } from './status-views.js';

export interface MetricsSource {
  readonly contentType: string;
  render(): Promise<string>;
}

export function registerHealthRoutes(
  app: FastifyInstance,
  view: EngineView,
  metrics: MetricsSource | undefined,
): void {
  app.get('/healthz', () => ({ ok: true }));

  app.get('/readyz', async (_request, reply) => {
    const checks = view.readiness();
    const failing = checks.filter((check) => !check.ok);
    if (failing.length === 0) return { ready: true, checks };
    const reason = failing.map((check) => `${check.name}: ${check.detail}`).join('; ');
    return reply.code(503).send({ ready: false, checks, reason });
  });

  app.get('/metrics', async (request, reply) => {
    if (metrics === undefined) {
      return reply
        .code(404)
        .send(
          errorBody(
            'METRICS_DISABLED',
            'metrics are not enabled on this engine (no registry was given to the control server)',
          ),
        );
    }
    try {
      const text = await metrics.render();
      return reply.type(metrics.contentType).send(text);
    } catch (error) {
      request.log.error({ error: describeError(error) }, 'metrics rendering failed');
      return reply.code(500).send(errorBody('METRICS_FAILED', describeError(error)));
    }
  });
}
