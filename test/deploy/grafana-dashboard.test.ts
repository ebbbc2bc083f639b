// deploy/grafana/livegate.json: the sections the issue asks for, every query valid PromQL (promtool
// parses them as recording rules) and reading only metrics the engine exports.

import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { exportedMetricNames } from '../support/exported-metric-names.js';
import { promqlMetricNames } from '../support/promql-metric-names.js';
import { requireTool, skipWithout } from '../support/prometheus-tools.js';

const DASHBOARD = 'deploy/grafana/livegate.json';

interface Query {
  readonly where: string;
  readonly expr: string;
}

interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly datasource?: { uid: string };
  readonly targets?: { expr: string; datasource: { uid: string } }[];
  readonly panels?: Panel[];
}

interface Dashboard {
  readonly uid: string;
  readonly panels: Panel[];
  readonly annotations: { list: { name: string; expr?: string }[] };
  readonly templating: { list: { name: string; definition?: string }[] };
}

async function dashboard(): Promise<Dashboard> {
  return JSON.parse(await readFile(DASHBOARD, 'utf8')) as Dashboard;
}

function allPanels(panels: readonly Panel[]): Panel[] {
  return panels.flatMap((panel) => [panel, ...allPanels(panel.panels ?? [])]);
}

/** Every PromQL query: panel targets, annotations, and the metric of each label_values() variable. */
function queriesOf(board: Dashboard): Query[] {
  const queries: Query[] = [];
  for (const panel of allPanels(board.panels)) {
    for (const target of panel.targets ?? []) {
      queries.push({ where: `panel "${panel.title}"`, expr: target.expr });
    }
  }
  for (const annotation of board.annotations.list) {
    if (annotation.expr !== undefined) {
      queries.push({ where: `annotation "${annotation.name}"`, expr: annotation.expr });
    }
  }
  for (const variable of board.templating.list) {
    const labelValues = /^label_values\(\s*(.+?)\s*,\s*\w+\s*\)$/.exec(variable.definition ?? '');
    if (variable.definition !== undefined) {
      expect(labelValues, `variable ${variable.name}: ${variable.definition}`).not.toBeNull();
    }
    if (labelValues?.[1] !== undefined) {
      queries.push({ where: `variable $${variable.name}`, expr: labelValues[1] });
    }
  }
  return queries;
}

/** What Grafana substitutes before the query reaches Prometheus. */
function asPrometheusSees(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__range', '1h')
    .replaceAll('$instance', '.*');
}

describe('deploy/grafana/livegate.json', () => {
  it('has the sections the issue asks for, each panel querying the chosen Prometheus', async () => {
    const board = await dashboard();
    expect(board.uid).toBe('livegate');
    const panels = allPanels(board.panels);
    expect(panels.filter((panel) => panel.type === 'row').map((panel) => panel.title)).toEqual([
      'State',
      'Ticks, orders and denials',
      'Latency',
      'P&L and exposure',
      'Kill confirmations',
    ]);
    const ids = panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of panels.filter((each) => each.type !== 'row')) {
      expect(panel.targets?.length, `panel "${panel.title}" has queries`).toBeGreaterThan(0);
      expect(panel.datasource?.uid).toBe('${datasource}');
      for (const target of panel.targets ?? []) expect(target.datasource.uid).toBe('${datasource}');
    }
    // The figures each section exists for.
    const read = new Set(queriesOf(board).flatMap((query) => promqlMetricNames(query.expr)));
    for (const name of [
      'livegate_kill_switch_state',
      'livegate_kill_switch_fail_closed',
      'livegate_ticks_received_total',
      'livegate_orders_submitted_total',
      'livegate_orders_denied_total',
      'livegate_tick_to_order_latency_seconds_bucket',
      'livegate_realized_profit_and_loss',
      'livegate_gross_exposure',
      'livegate_kill_switch_confirmed_revision',
    ]) {
      expect(read, name).toContain(name);
    }
  });

  it('reads only metrics the engine exports', async () => {
    const exported = await exportedMetricNames();
    const queries = queriesOf(await dashboard());
    expect(queries.length).toBeGreaterThan(20);
    const unknown = queries.flatMap((query) =>
      promqlMetricNames(query.expr)
        .filter((name) => !exported.has(name))
        .map((name) => `${query.where}: ${name}`),
    );
    expect(unknown).toEqual([]);
  });

  const noPromtool = skipWithout('promtool', 'the PromQL syntax check of the Grafana dashboard');
  it.skipIf(noPromtool)('has only queries Prometheus parses', async () => {
    requireTool('promtool');
    const queries = queriesOf(await dashboard());
    // promtool parses each query as the expression of a recording rule.
    const rules = {
      groups: [
        {
          name: 'dashboard',
          rules: queries.map((query, index) => ({
            record: `dashboard:query:${index}`,
            expr: asPrometheusSees(query.expr),
          })),
        },
      ],
    };
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'livegate-grafana-')), 'rules.yml');
    await writeFile(file, stringify(rules));
    const result = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    expect(result.error).toBeUndefined();
    expect({ status: result.status, output: result.stdout + result.stderr }).toMatchObject({
      status: 0,
    });
  });
});
