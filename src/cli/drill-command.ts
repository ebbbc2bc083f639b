// `livegate drill [scenario...]`: proves the safety outcomes on the real engine; exit 1 if any differs.

import type { Command } from 'commander';
import { LivegateError } from '../core/errors.js';
import { runDrillScenario, SEED_SCENARIOS, type DrillResult } from './drill-scenarios.js';
import { EXIT_FAILURE, EXIT_OK } from './exit-codes.js';
import { RISK_DRILLS, type RiskDrillResult } from './risk-drills.js';

const SCENARIOS = ['seed', ...Object.keys(RISK_DRILLS)];

export function registerDrillCommand(program: Command): void {
  program
    .command('drill')
    .argument('[scenario...]', `${SCENARIOS.join(' | ')} (default: all)`)
    .description(
      'run safety drills through the real engine in a scratch state dir; exit 1 if any safety outcome differs',
    )
    .option('--json', 'print the results as JSON')
    .action(async (names: string[], options: { json?: boolean }) => {
      const chosen = names.length === 0 ? SCENARIOS : names;
      const unknown = chosen.filter((name) => !SCENARIOS.includes(name));
      if (unknown.length > 0) {
        throw new LivegateError(
          'ERR_USAGE',
          `unknown drill ${unknown.join(', ')}; choose from ${SCENARIOS.join(', ')}`,
        );
      }
      const failed: string[] = [];
      const output: unknown[] = [];
      for (const name of chosen) {
        if (name === 'seed') {
          const results: DrillResult[] = [];
          for (const scenario of SEED_SCENARIOS) results.push(await runDrillScenario(scenario));
          failed.push(
            ...results.filter((entry) => !entry.passed).map((entry) => entry.scenario.name),
          );
          if (options.json === true) {
            output.push(...results.map(({ summary: _summary, ...rest }) => rest));
          } else process.stdout.write(formatDrillTable(results));
          continue;
        }
        const result = await RISK_DRILLS[name]!();
        if (!result.passed) failed.push(name);
        if (options.json === true) output.push(result);
        else process.stdout.write(formatRiskDrill(result));
      }
      if (options.json === true) process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
      if (failed.length > 0) {
        process.stderr.write(`livegate: ERR_DRILL_FAILED: ${failed.join(', ')}\n`);
      }
      process.exitCode = failed.length === 0 ? EXIT_OK : EXIT_FAILURE;
    });
}

export function formatRiskDrill(result: RiskDrillResult): string {
  const lines = [`\n[${result.passed ? 'ok' : 'FAILED'}] Drill: ${result.name}`];
  for (const fact of result.facts) lines.push(`   - ${fact}`);
  for (const check of result.checks)
    lines.push(`   ${check.held ? '[ok]' : '[FAILED]'} ${check.expectation}`);
  return `${lines.join('\n')}\n`;
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
