// `livegate drill`: proves the gates on the real engine and prints the original system's table.

import type { Command } from 'commander';
import { runDrillScenario, SEED_SCENARIOS, type DrillResult } from './drill-scenarios.js';
import { EXIT_FAILURE, EXIT_OK } from './exit-codes.js';

export function registerDrillCommand(program: Command): void {
  program
    .command('drill')
    .description(
      'run the dry-run scenarios through the real engine in a scratch state dir; exit 1 if any safety outcome differs',
    )
    .option('--json', 'print the results as JSON')
    .action(async (options: { json?: boolean }) => {
      const results: DrillResult[] = [];
      for (const scenario of SEED_SCENARIOS) results.push(await runDrillScenario(scenario));
      if (options.json === true) {
        process.stdout.write(
          `${JSON.stringify(
            results.map(({ summary: _summary, ...rest }) => rest),
            null,
            2,
          )}\n`,
        );
      } else {
        process.stdout.write(formatDrillTable(results));
      }
      const failed = results.filter((result) => !result.passed);
      if (failed.length > 0) {
        process.stderr.write(
          `livegate: ERR_DRILL_FAILED: ${failed.map((result) => result.scenario.name).join(', ')}\n`,
        );
      }
      process.exitCode = failed.length === 0 ? EXIT_OK : EXIT_FAILURE;
    });
}

export function formatDrillTable(results: readonly DrillResult[]): string {
  const lines: string[] = [];
  results.forEach((result, index) => {
    const { scenario } = result;
    const blockRate =
      scenario.killAtTick === null
        ? ''
        : `\n   - Block Rate: ${((result.blocked / (scenario.ticks - scenario.killAtTick + 1)) * 100).toFixed(0)}%`;
    lines.push(
      `[${result.passed ? 'ok' : 'FAILED'}] Scenario ${index + 1}: ${scenario.name}`,
      `   - Ticks: ${scenario.ticks}`,
      `   - Orders Generated: ${result.orders} (expected ${scenario.expectedOrders})`,
      `   - Ticks Blocked: ${result.blocked} (expected ${scenario.expectedBlocked})${blockRate}`,
      `   - Status: ${result.passed ? 'PASSED' : 'FAILED'}`,
      '',
    );
  });
  const passed = results.filter((result) => result.passed).length;
  lines.push(
    `Overall Result: ${passed === results.length ? '[ok] ALL TESTS PASSED' : '[FAILED]'} (${passed}/${results.length})`,
  );
  return `${lines.join('\n')}\n`;
}
