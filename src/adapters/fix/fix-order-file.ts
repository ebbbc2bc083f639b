// The orders a FIX session sent, one line each beside its sequence numbers, written before the
// NewOrderSingle leaves (as its number is). A process restarted after a crash then knows the
// ClOrdIDs the venue's resend reports on, even when the engine journal lost its last lines.

import {
  closeSync,
  constants,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { messageOf } from '../../core/message-of.js';
import type { Order } from '../../core/types.js';

/** The last orders kept; a file twice as long is cut back to these when it is opened. */
const KEPT_ORDERS = 10_000;

export interface SentOrder {
  readonly clientOrderId: string;
  readonly order: Order;
}

/** `<stateDir>/fix/<SenderCompID>-<TargetCompID>.orders`, next to the `.seqnums` file. */
export function orderFilePath(sequenceFile: string): string {
  return sequenceFile.replace(/\.seqnums$/, '') + '.orders';
}

export class FixOrderFile {
  private descriptor: number | undefined;
  /** Why the earlier orders could not be read or cut back (the restart may not know them all). */
  writeFailure: string | undefined;

  constructor(readonly path: string) {}

  /** The orders earlier processes wrote, oldest first (a torn or foreign line is skipped). */
  readEarlier(): SentOrder[] {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      this.writeFailure = messageOf(error);
      return [];
    }
    const lines = text.split('\n').filter((line) => line !== '');
    const sent = lines.flatMap((line) => parseLine(line) ?? []);
    if (lines.length > 2 * KEPT_ORDERS) this.cutBack(lines.slice(-KEPT_ORDERS));
    return sent.slice(-KEPT_ORDERS);
  }

  /**
   * Appends one order; never throws (it runs on the order's way out). Returns why the line could
   * not be written: the order must then not leave, as a restart could not know it.
   */
  record(clientOrderId: string, order: Order): string | undefined {
    try {
      if (this.descriptor === undefined) {
        mkdirSync(dirname(this.path), { recursive: true });
        const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT;
        this.descriptor = openSync(this.path, flags, 0o600);
      }
      writeSync(this.descriptor, `${JSON.stringify({ clientOrderId, order })}\n`);
      return undefined;
    } catch (error) {
      return messageOf(error);
    }
  }

  close(): void {
    if (this.descriptor !== undefined) closeSync(this.descriptor);
    this.descriptor = undefined;
  }

  private cutBack(lines: readonly string[]): void {
    const temporary = `${this.path}.${process.pid}.tmp`;
    try {
      writeFileSync(temporary, `${lines.join('\n')}\n`, { mode: 0o600 });
      renameSync(temporary, this.path);
    } catch (error) {
      this.writeFailure = messageOf(error);
    }
  }
}

function parseLine(line: string): SentOrder | undefined {
  try {
    const parsed = JSON.parse(line) as Partial<SentOrder>;
    const { clientOrderId, order } = parsed;
    if (typeof clientOrderId !== 'string' || typeof order?.id !== 'string') return undefined;
    return { clientOrderId, order };
  } catch {
    return undefined;
  }
}
