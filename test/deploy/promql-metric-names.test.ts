// The PromQL name reader the rules and dashboard tests rely on: it must find every metric, and
// nothing that is a function, keyword, label, number or Grafana variable.

import { describe, expect, it } from 'vitest';
import { namesIn } from '../support/exported-metric-names.js';
import { promqlMetricNames } from '../support/promql-metric-names.js';

describe('promqlMetricNames', () => {
  it('finds the metrics of selectors, functions, aggregations and binary operations', () => {
    expect(
      promqlMetricNames(
        'histogram_quantile(0.99, sum by (job, instance, le) (rate(latency_seconds_bucket{job="a"}[5m])))',
      ),
    ).toEqual(['latency_seconds_bucket']);
    expect(
      promqlMetricNames('up == 0 and on (job, instance) last_over_time(engine_info[1h])'),
    ).toEqual(['engine_info', 'up']);
    expect(
      promqlMetricNames('confirmed_revision < bool revision offset 1m or vector(0) * ratio_2xx'),
    ).toEqual(['confirmed_revision', 'ratio_2xx', 'revision']);
  });

  it('ignores Grafana variables, label values, numbers and grouping labels', () => {
    expect(
      promqlMetricNames(
        'sum without (symbol) (increase(orders_total{instance=~"$instance", code!="a b"}[$__rate_interval])) / 1e3',
      ),
    ).toEqual(['orders_total']);
    expect(promqlMetricNames('topk(5, x_total) * on (a) group_left (b) y')).toEqual([
      'x_total',
      'y',
    ]);
  });
});

describe('namesIn', () => {
  it('reads family names from TYPE lines, histograms as their three sample names', () => {
    const text = [
      '# HELP a_total A.',
      '# TYPE a_total counter',
      '# TYPE b_seconds histogram',
      '# TYPE c gauge',
    ].join('\n');
    expect([...namesIn(text)].sort()).toEqual([
      'a_total',
      'b_seconds_bucket',
      'b_seconds_count',
      'b_seconds_sum',
      'c',
    ]);
  });
});
