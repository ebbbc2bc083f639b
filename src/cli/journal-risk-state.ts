// At start, the risk state this engine recorded in its journal before it stopped: the last
// RiskStateRecorded and the fills journaled after it. Read newest file first, stopping at the
// file that holds a recorded state, so a long journal costs one file's read, not all of them.
// The same files name the orders the earlier runs sent, for the broker to know their late fills.

import path from 'node:path';
import {
  journalFiles,
  streamJournalFile,
  type JournalProblems,
} from '../adapters/sinks/journal-reader.js';
import { LivegateError } from '../core/errors.js';
import type { OrderFilled } from '../core/events.js';
import type { EarlierOrders } from '../core/ports.js';
import type { RiskState } from '../core/risk-state.js';
import type { Order } from '../core/types.js';

export interface JournalRiskState {
  /** The last recorded state, or null when the journal has none (fills alone are replayed). */
  readonly state: RiskState | null;
  readonly from: { readonly file: string; readonly seq: number; readonly time: number } | null;
  /** Journaled after that state, oldest first. */
  readonly fills: readonly OrderFilled[];
  readonly tornLines: number;
}

export interface JournalOnStart {
  /** Null when the journal does not exist or holds neither a state nor a fill. */
  readonly risk: JournalRiskState | null;
  /** Orders submitted and fills journaled in the files read (the whole of each). */
  readonly earlier: EarlierOrders;
}

export async function readJournalOnStart(directory: string): Promise<JournalOnStart> {
  const files = await journalFiles(directory);
  let fills: OrderFilled[] = [];
  let orders: Order[] = [];
  let executionIds: string[] = [];
  let tornLines = 0;
  for (let index = files.length - 1; index >= 0; index--) {
    const file = path.join(directory, files[index]!);
    const found = await readFile(file);
    tornLines += found.tornLines;
    fills = [...found.fills, ...fills];
    orders = [...found.orders, ...orders];
    executionIds = [...found.executionIds, ...executionIds];
    if (found.state !== null) {
      const risk = { state: found.state, from: found.from, fills, tornLines };
      return { risk, earlier: { orders, executionIds } };
    }
  }
  const risk = fills.length === 0 ? null : { state: null, from: null, fills, tornLines };
  return { risk, earlier: { orders, executionIds } };
}

interface FileFindings {
  state: RiskState | null;
  from: JournalRiskState['from'];
  /** After the file's last state (all of them when it has none). */
  fills: OrderFilled[];
  tornLines: number;
  /** The whole file's. */
  orders: Order[];
  executionIds: string[];
}

async function readFile(file: string): Promise<FileFindings> {
  const problems: JournalProblems = { tornLines: 0, corruptLines: [] };
  const findings: FileFindings = {
    state: null,
    from: null,
    fills: [],
    tornLines: 0,
    orders: [],
    executionIds: [],
  };
  for await (const entry of streamJournalFile(file, problems)) {
    if (entry.type === 'RiskStateRecorded') {
      findings.state = entry.state;
      findings.from = { file, seq: entry.seq, time: entry.time };
      findings.fills = [];
    } else if (entry.type === 'OrderFilled') {
      findings.fills.push(entry);
      const { executionId } = entry.fill;
      if (executionId !== undefined) findings.executionIds.push(executionId);
    } else if (entry.type === 'OrderSubmitted') {
      findings.orders.push(entry.order);
    }
  }
  const corrupt = problems.corruptLines[0];
  if (corrupt !== undefined) {
    const more = problems.corruptLines.length - 1;
    throw new LivegateError(
      'ERR_JOURNAL_CORRUPT',
      `journal ${corrupt.file} line ${corrupt.line} is not a journal entry${more > 0 ? ` (and ${more} more lines)` : ''}: the risk state (positions, the day's P&L, equity peak, open rules) cannot be restored past it, and starting from nothing would forget the day's losses. Fix or remove the line, or move the journal directory aside to start from nothing knowingly`,
      { details: { file: corrupt.file, line: corrupt.line, corruptLines: problems.corruptLines } },
    );
  }
  findings.tornLines = problems.tornLines;
  return findings;
}
