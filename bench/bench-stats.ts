// Percentiles over raw samples for the benchmark report (the engine itself uses LatencyHistogram).

export interface Percentiles {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

export function percentiles(samples: readonly number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (quantile: number): number =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(quantile * sorted.length) - 1))] ?? 0;
  return {
    count: sorted.length,
    p50: at(0.5),
    p99: at(0.99),
    p999: at(0.999),
    max: sorted.at(-1) ?? 0,
  };
}

export function formatRow(label: string, values: Percentiles, unit: string, digits = 2): string {
  const cell = (value: number): string => `${value.toFixed(digits)} ${unit}`.padStart(14);
  return `${label.padEnd(44)}${cell(values.p50)}${cell(values.p99)}${cell(values.p999)}${cell(values.max)}   n=${values.count}`;
}
