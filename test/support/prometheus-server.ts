// A real Prometheus server (Debian's `prometheus`) of a test's own: a free port, a temp dir for its
// TSDB, scraping one target every second and evaluating the given rule files every second.

import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { freePort, ServerProcess } from './server-process.js';

export interface PrometheusOptions {
  /** `host:port` serving /metrics. */
  readonly target: string;
  readonly job: string;
  readonly ruleFiles: readonly string[];
}

export interface Alert {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly state: 'pending' | 'firing';
  readonly value: string;
}

export interface ScrapeTarget {
  readonly labels: Readonly<Record<string, string>>;
  readonly health: 'up' | 'down' | 'unknown';
  readonly lastError: string;
}

export interface AlertingRule {
  readonly name: string;
  readonly health: 'ok' | 'err' | 'unknown';
  /** RFC 3339. */
  readonly lastEvaluation: string;
}

export interface RunningPrometheus {
  readonly url: string;
  readonly server: ServerProcess;
  readonly alerts: () => Promise<Alert[]>;
  readonly targets: () => Promise<ScrapeTarget[]>;
  readonly rules: () => Promise<AlertingRule[]>;
  /** An instant query's samples, as [labels, value]. */
  readonly query: (expression: string) => Promise<[Record<string, string>, number][]>;
}

export async function startPrometheus(options: PrometheusOptions): Promise<RunningPrometheus> {
  const directory = await mkdtemp(path.join(tmpdir(), 'livegate-prometheus-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = path.join(directory, 'prometheus.yml');
  await writeFile(
    config,
    stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s', scrape_timeout: '900ms' },
      rule_files: options.ruleFiles.map((file) => path.resolve(file)),
      scrape_configs: [{ job_name: options.job, static_configs: [{ targets: [options.target] }] }],
    }),
  );
  const server = new ServerProcess({
    command: 'prometheus',
    port,
    directory,
    startDeadlineMs: 20_000,
    answers: () => ready(url),
  });
  const args = [
    `--config.file=${config}`,
    `--storage.tsdb.path=${path.join(directory, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ];
  try {
    await server.start(args);
  } catch (error) {
    await server.dispose();
    throw error;
  }
  return {
    url,
    server,
    alerts: async () => (await api<{ alerts: Alert[] }>(url, 'alerts')).alerts,
    targets: async () =>
      (await api<{ activeTargets: ScrapeTarget[] }>(url, 'targets')).activeTargets,
    rules: async () =>
      (await api<{ groups: { rules: AlertingRule[] }[] }>(url, 'rules')).groups.flatMap(
        (group) => group.rules,
      ),
    query: async (expression) => {
      const data = await api<{
        result: { metric: Record<string, string>; value: [number, string] }[];
      }>(url, `query?query=${encodeURIComponent(expression)}`);
      return data.result.map((sample) => [sample.metric, Number(sample.value[1])]);
    },
  };
}

async function ready(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) });
    return response.status === 200;
  } catch {
    return false;
  }
}

async function api<T>(url: string, endpoint: string): Promise<T> {
  const response = await fetch(`${url}/api/v1/${endpoint}`, { signal: AbortSignal.timeout(5_000) });
  const body = (await response.json()) as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`Prometheus /api/v1/${endpoint}: ${body.error}`);
  return body.data;
}
