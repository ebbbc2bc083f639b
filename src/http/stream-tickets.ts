// Short-lived, single-use tickets that let a browser's EventSource prove it holds a valid token.

import { createHash, randomBytes } from 'node:crypto';
import type { Role } from './auth.js';
import type { StreamTicketResponse } from './control-messages.js';

export interface StreamTicketsOptions {
  /** How long a ticket may wait for its stream. Default 30 s. */
  readonly ttlMs?: number;
  /** Tickets waiting at most; beyond, the oldest are forgotten. Default 256. */
  readonly maxOutstanding?: number;
  /** Monotonic ms; injectable for tests. */
  readonly now?: () => number;
}

const DEFAULT_TTL_MS = 30_000;
const DEFAULT_MAX_OUTSTANDING = 256;

/**
 * EventSource cannot send an Authorization header, and a long-lived token in `?token=` would end
 * up in proxy logs and browser history. A ticket may show up there too, but it is spent the moment
 * its stream opens, and worthless 30 s after it was issued if it never does; all it ever buys is a
 * stream slot. A cookie would have needed a server-side session and a way to end it; a ticket is
 * asked for with the token the console already holds.
 */
export class StreamTickets {
  private readonly ttlMs: number;
  private readonly maxOutstanding: number;
  private readonly now: () => number;
  /**
   * sha256(ticket) → who asked and until when. Only digests are kept and looked up, so neither the
   * map nor the time a lookup takes holds anything about a ticket's text. Insertion order is
   * issue order, which makes forgetting the oldest cheap.
   */
  private readonly outstanding = new Map<string, { role: Role; expiresAt: number }>();

  constructor(options: StreamTicketsOptions = {}) {
    this.ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    this.maxOutstanding = options.maxOutstanding ?? DEFAULT_MAX_OUTSTANDING;
    this.now = options.now ?? (() => performance.now());
  }

  issue(role: Role): StreamTicketResponse {
    const ticket = randomBytes(32).toString('base64url');
    this.outstanding.set(digest(ticket), { role, expiresAt: this.now() + this.ttlMs });
    for (const key of this.outstanding.keys()) {
      if (this.outstanding.size <= this.maxOutstanding) break;
      this.outstanding.delete(key);
    }
    return { ticket, expiresInMs: this.ttlMs };
  }

  /** The role the ticket was issued to, once; null when unknown, spent or expired. */
  redeem(ticket: string): Role | null {
    const key = digest(ticket);
    const entry = this.outstanding.get(key);
    if (entry === undefined) return null;
    this.outstanding.delete(key);
    return entry.expiresAt > this.now() ? entry.role : null;
  }
}

function digest(ticket: string): string {
  return createHash('sha256').update(ticket, 'utf8').digest('base64url');
}
