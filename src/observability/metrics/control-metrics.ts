// ControlCounters on prom-client counters: the HTTP API counts refused callers and state changes,
// the webhook notifier counts alert deliveries. These are incremented as they happen (they are
// rare and off the hot path), unlike the engine's counters, which are copied at scrape time.

import type {
  AlertOutcome,
  AuthFailureReason,
  ControlCounters,
  MutationAction,
} from '../../http/control-counters.js';
import type { MetricFactory } from './metric-factory.js';

/** Every value of each union, so rate() has a zero to start from; the Records keep them complete. */
const AUTH_FAILURE_REASONS = Object.keys({
  'missing-token': true,
  'invalid-token': true,
  forbidden: true,
  'rate-limited': true,
} satisfies Record<AuthFailureReason, true>) as AuthFailureReason[];
const ALERT_OUTCOMES = Object.keys({
  sent: true,
  retried: true,
  failed: true,
  dropped: true,
} satisfies Record<AlertOutcome, true>) as AlertOutcome[];

export function createControlMetrics(metrics: MetricFactory): ControlCounters {
  const authFailures = metrics.counter(
    'http_authentication_failures_total',
    'Control API requests refused before reaching a handler, by reason.',
    ['reason'],
  );
  const mutations = metrics.counter(
    'http_mutations_total',
    'Kill-switch changes requested through the control API, by action and caller role.',
    ['action', 'role'],
  );
  const alerts = metrics.counter('alerts_total', 'Webhook alert delivery attempts, by outcome.', [
    'outcome',
  ]);
  for (const reason of AUTH_FAILURE_REASONS) authFailures.inc({ reason }, 0);
  for (const outcome of ALERT_OUTCOMES) alerts.inc({ outcome }, 0);
  return {
    authFailure: (reason: AuthFailureReason) => authFailures.inc({ reason }),
    mutation: (action: MutationAction, role: string) => mutations.inc({ action, role }),
    alert: (outcome: AlertOutcome) => alerts.inc({ outcome }),
  };
}
