// Starts what `livegate run` serves beside the engine: metrics, the webhook notifier and the HTTP
// control API with its console. Started before the first tick, so a bad token file or a taken port
// stops the run before it can trade.

import type { LivegateConfig } from '../config/schema.js';
import type { EventSink } from '../core/ports.js';
import type { RiskSnapshot } from '../core/risk-snapshot.js';
import type { LiveEngine } from '../engine/live-engine.js';
import { loadTokens } from '../http/auth.js';
import { consoleAssets } from '../http/console-assets.js';
import { startControlServer, type RunningControlServer } from '../http/control-server.js';
import { storeIdentityOf } from '../killswitch/local-engine-registry.js';
import { liveLimitsOfRisk } from '../risk/limits/live-limits.js';
import { engineViewOf } from '../http/engine-view.js';
import type { EnforcedKillSwitch } from '../killswitch/enforced-kill-switch.js';
import { WebhookNotifier } from '../observability/alerts/webhook-notifier.js';
import type { Logger } from '../observability/logger.js';
import type { VenueKillOutcome } from './venue-receipt-file.js';
import { runVenueStepOnDemand } from './venue-step-on-demand.js';
import { createEngineMetrics } from '../observability/metrics/engine-metrics.js';
import { desksOfConfig } from '../risk/limits/desk-names.js';

export interface ControlPlane {
  /** Base URL of the console and API, when the server runs. */
  readonly url: string | undefined;
  /** Stops the server and flushes pending alerts (bounded). */
  close(): Promise<void>;
}

export interface ControlPlaneParts {
  readonly config: LivegateConfig;
  readonly engine: LiveEngine;
  readonly killSwitch: EnforcedKillSwitch;
  readonly riskSnapshot: (() => RiskSnapshot) | undefined;
  readonly logger: Logger;
  /** Sinks whose delivery figures /metrics exports. */
  readonly eventSinks?: readonly EventSink[];
  readonly env?: NodeJS.ProcessEnv;
}

/** How long pending webhook alerts may hold up shutdown. */
const ALERT_DRAIN_MS = 2_000;

export async function startControlPlane(parts: ControlPlaneParts): Promise<ControlPlane> {
  const { config, engine, killSwitch, logger } = parts;
  // Tokens first: an unreadable token file is a configuration error, before anything listens.
  const tokens = config.http.enabled
    ? loadTokens(parts.env ?? process.env, config.http)
    : { operator: null, admin: null };
  const view = engineViewOf({
    engine,
    killSwitch,
    ...(parts.riskSnapshot === undefined ? {} : { riskSnapshot: parts.riskSnapshot }),
    feedStaleAfterMs: config.http.feedStaleAfterMs,
    confirmTimeoutMs: config.http.confirmTimeoutMs,
    engineStaleAfterMs: config.killSwitch.engineStaleAfterMs,
  });
  const metrics = createEngineMetrics(view, { eventSinks: parts.eventSinks ?? [] });
  const notifier = startNotifier(config, engine, logger, metrics.counters);
  let server: RunningControlServer | undefined;
  try {
    if (config.http.enabled) {
      const startedAt = performance.now();
      server = await startControlServer({
        view,
        ...venueStepOf(config),
        tokens,
        limits: {
          configLimits: liveLimitsOfRisk(config.risk),
          confirmTimeoutMs: config.killSwitch.confirmTimeoutMs,
          storeIdentity: storeIdentityOf(config),
          configDesks: desksOfConfig(config.risk),
        },
        host: config.http.host,
        port: config.http.port,
        maxAuthFailures: config.http.maxAuthFailures,
        authFailureWindowMs: config.http.authFailureWindowMs,
        metrics,
        counters: metrics.counters,
        logger,
        console: consoleAssets(),
      });
      announce(server.url, performance.now() - startedAt, tokens, logger);
    }
  } catch (error) {
    await notifier?.close(0);
    metrics.close();
    throw error;
  }
  return {
    url: server?.url,
    close: async () => {
      await server?.close();
      await notifier?.close(ALERT_DRAIN_MS);
      metrics.close();
    },
  };
}

function startNotifier(
  config: LivegateConfig,
  engine: LiveEngine,
  logger: Logger,
  counters: ReturnType<typeof createEngineMetrics>['counters'],
): WebhookNotifier | undefined {
  const { url, ...webhook } = config.alerts.webhook;
  if (url === null) return undefined;
  const notifier = new WebhookNotifier({ ...webhook, url, engineId: engine.id, logger, counters });
  engine.on((event) => notifier.onEvent(event));
  logger.info({ url: redactedUrl(url) }, 'webhook alerts enabled');
  return notifier;
}

function announce(
  url: string,
  startMs: number,
  tokens: { operator: string | null; admin: string | null },
  logger: Logger,
): void {
  process.stderr.write(
    `livegate: console and control API on ${url} (metrics at ${url}metrics; listening after ${startMs.toFixed(0)} ms)\n`,
  );
  logger.info({ url, startMs: Math.round(startMs) }, 'control API listening');
  if (tokens.operator === null && tokens.admin === null) {
    const hint =
      'no operator or admin token configured: the API refuses every state change; set LIVEGATE_OPERATOR_TOKEN / LIVEGATE_ADMIN_TOKEN or http.operatorTokenFile / http.adminTokenFile';
    process.stderr.write(`livegate: ${hint}\n`);
    logger.warn(hint);
  }
}

/** Webhook URLs often carry a secret in their path (Slack's do): log the host only. */
function redactedUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}/…`;
}

/**
 * An engage through the API goes to the market too, as `livegate kill` does, with the kill's own
 * credentials (LIVEGATE_KILL_VENUE_*, else the venue's); loaded only when a venue is configured.
 */
function venueStepOf(config: LivegateConfig): {
  venueStep?: (killWrittenAt: number, scope: string) => Promise<VenueKillOutcome>;
} {
  if (config.broker.kind === 'paper') return {};
  return {
    venueStep: (killWrittenAt, scope) =>
      runVenueStepOnDemand(config, {
        skip: false,
        killWrittenAt,
        timeoutMs: config.http.confirmTimeoutMs,
        scope,
      }),
  };
}
