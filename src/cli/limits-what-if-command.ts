// `livegate limits what-if FILE --journal DIR`: what proposed limits would have done to a recorded run.

import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { streamJournal, type JournalProblems } from '../adapters/sinks/journal-reader.js';
import { LivegateError } from '../core/errors.js';
import { JournalScan } from '../risk/what-if/journal-scan.js';
import { formatWhatIfText } from '../risk/what-if/what-if-report.js';
import { describeError, EXIT_OK, EXIT_USAGE } from './exit-codes.js';
import { replayJournal } from './limits-what-if-replay.js';
import { loadProposedRisk } from './proposed-limits.js';

interface WhatIfOptions {
  readonly journal: string;
  readonly json?: boolean;
}

export function registerLimitsWhatIf(limits: Command): void {
  limits
    .command('what-if')
    .description(
      "replay a recorded journal against proposed limits: which orders they would have denied or let through, and which rules would have tripped (a counterfactual on the same order stream; see docs/risk.md, 'What-if')",
    )
    .argument(
      '<file>',
      "proposed limits: a config's risk: section or a whole livegate config (YAML or JSON)",
    )
    .requiredOption(
      '-j, --journal <dir>',
      "an engine's journal directory (<stateDir>/journal/<engine id>)",
    )
    .option('--json', 'print the report as JSON')
    .action(async (file: string, options: WhatIfOptions) => {
      process.exitCode = await whatIf(file, options);
    });
}

async function whatIf(file: string, options: WhatIfOptions): Promise<number> {
  const risk = loadProposedRisk(file);
  const directory = options.journal;
  const problems: JournalProblems = { tornLines: 0, corruptLines: [] };
  let scan: JournalScan;
  try {
    await assertDirectory(directory);
    // Two passes, one entry at a time: the prices first, then the replay.
    scan = await JournalScan.of(streamJournal(directory, problems));
    assertReadable(directory, scan, problems);
  } catch (error) {
    // A bad journal is bad input to this command, not a failure of it.
    process.stderr.write(`${describeError(error)}\n`);
    return EXIT_USAGE;
  }
  const report = await replayJournal({
    journal: directory,
    limits: file,
    risk,
    scan,
    entries: streamJournal(directory),
    tornLines: problems.tornLines,
  });
  process.stdout.write(
    options.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatWhatIfText(report),
  );
  return EXIT_OK;
}

async function assertDirectory(directory: string): Promise<void> {
  const found = await stat(directory).catch(() => undefined);
  if (found === undefined || !found.isDirectory()) {
    throw new LivegateError(
      'ERR_USAGE',
      `--journal ${directory}: no such directory (an engine's journal is <stateDir>/journal/<engine id>)`,
    );
  }
}

function assertReadable(directory: string, scan: JournalScan, problems: JournalProblems): void {
  const corrupt = problems.corruptLines[0];
  if (corrupt !== undefined) {
    const more = problems.corruptLines.length - 1;
    throw new LivegateError(
      'ERR_JOURNAL_CORRUPT',
      `journal ${corrupt.file} line ${corrupt.line} is not a journal entry${more > 0 ? ` (and ${more} more lines)` : ''}: a replay past it would judge orders without what the line said. Fix or remove the line`,
      { details: { file: corrupt.file, line: corrupt.line, corruptLines: problems.corruptLines } },
    );
  }
  if (scan.count === 0) {
    throw new LivegateError(
      'ERR_USAGE',
      `--journal ${directory}: no journal entries in ${path.resolve(directory)} (is it <stateDir>/journal/<engine id>?)`,
    );
  }
}
