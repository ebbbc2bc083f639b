// The one-line live status an operator watches in a terminal, refreshed in place.

import type { RunSummary } from '../core/events.js';

const REFRESH_MS = 250;

export function formatStatusLine(
  summary: RunSummary,
  engineId: string,
  killSwitch: string = summary.state,
): string {
  const latency = summary.latencyNs;
  const blocked = summary.ticksBlocked + summary.ordersDenied;
  const figures = [
    `ticks ${summary.ticks.toLocaleString('en-US')} (${Math.round(summary.ticksPerSecond).toLocaleString('en-US')}/s)`,
    `orders ${summary.ordersSubmitted.toLocaleString('en-US')}`,
    `blocked ${blocked.toLocaleString('en-US')}`,
    `p99 ${(latency.p99 / 1000).toFixed(1)}µs max ${(latency.max / 1000).toFixed(1)}µs`,
    `errors ${summary.strategyErrors + summary.brokerErrors}`,
  ];
  // A closed gate leads with its trigger and reason; the line is cut at the terminal's width.
  const state =
    summary.state === 'SAFE'
      ? `SAFE rev ${summary.revision}`
      : `${killSwitch} (rev ${summary.revision})`;
  return [`livegate ${engineId}`, state, ...figures].join(' | ');
}

/** Starts refreshing; the returned function stops it and ends the line. */
export function startStatusLine(
  stream: NodeJS.WriteStream,
  summary: () => RunSummary,
  engineId: string,
  killSwitch?: () => string,
): () => void {
  const draw = (): void => {
    const line = formatStatusLine(summary(), engineId, killSwitch?.());
    stream.write(`\r\x1b[2K${line.slice(0, stream.columns || 200)}`);
  };
  draw();
  const timer = setInterval(draw, REFRESH_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    draw();
    stream.write('\n');
  };
}
