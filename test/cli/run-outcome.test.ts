// What a person sees of a run's state: the status line and the summary after Ctrl-C.
import { describe, expect, it } from 'vitest';
import { formatRunSummary } from '../../src/cli/run-outcome.js';
import { formatStatusLine } from '../../src/cli/status-line.js';
import type { RunSummary } from '../../src/core/events.js';

const summary: RunSummary = {
  ticks: 12_345,
  ticksProcessed: 12_000,
  ticksBlocked: 345,
  ordersSubmitted: 800,
  ordersDenied: 12,
  fills: 790,
  strategyErrors: 5,
  brokerErrors: 0,
  blocks: { 'gate1:KILL_SWITCH_ENGAGED': 345, 'gate2:MAX_POSITION': 12 },
  elapsedMs: 24_690,
  ticksPerSecond: 500,
  latencyNs: { count: 800, p50: 1_200, p90: 2_000, p99: 4_500, p999: 9_000, max: 15_000 },
  state: 'ENGAGED',
  revision: 3,
};

describe('run state for a person', () => {
  it('leads the status line with a closed gate, its trigger and its reason', () => {
    const line = formatStatusLine(
      summary,
      'fx-1',
      'ENGAGED (strategy-errors, by fx-1): 5 consecutive strategy errors',
    );
    // The code before this showed `ENGAGED rev 3` with no reason.
    expect(line).toMatch(
      /^livegate fx-1 \| ENGAGED \(strategy-errors, by fx-1\): 5 consecutive strategy errors \(rev 3\) \| ticks 12,345/,
    );
    expect(formatStatusLine({ ...summary, state: 'SAFE' }, 'fx-1')).toMatch(
      /^livegate fx-1 \| SAFE rev 3 \| ticks/,
    );
  });

  it('prints the summary in microseconds and counts, not raw JSON nanoseconds', () => {
    const text = formatRunSummary(summary, 'ENGAGED (manual, by alice): desk closed');
    expect(text).toContain('kill switch   ENGAGED (manual, by alice): desk closed (revision 3)');
    expect(text).toContain('p50 1.2 µs  p99 4.5 µs  p99.9 9.0 µs  max 15.0 µs');
    expect(text).toContain('gate1:KILL_SWITCH_ENGAGED 345, gate2:MAX_POSITION 12');
    expect(text).not.toContain('{');
  });
});
