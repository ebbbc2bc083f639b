import { describe, expect, it } from 'vitest';
import { StreamTickets } from '../../src/http/stream-tickets.js';

describe('StreamTickets', () => {
  it('redeems a ticket once, for the role it was issued to', () => {
    const tickets = new StreamTickets();
    const { ticket } = tickets.issue('admin');
    expect(tickets.redeem(ticket)).toBe('admin');
    expect(tickets.redeem(ticket)).toBeNull();
  });

  it('refuses a ticket presented after its time to live, even if never used', () => {
    let now = 1_000;
    const tickets = new StreamTickets({ ttlMs: 30_000, now: () => now });
    const early = tickets.issue('operator');
    const late = tickets.issue('operator');
    now += 29_999;
    expect(tickets.redeem(early.ticket)).toBe('operator');
    now += 1;
    expect(tickets.redeem(late.ticket)).toBeNull();
  });

  it('issues unguessable tickets that differ every time', () => {
    const tickets = new StreamTickets();
    const seen = new Set(Array.from({ length: 100 }, () => tickets.issue('operator').ticket));
    expect(seen.size).toBe(100);
    for (const ticket of seen) expect(ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(tickets.redeem('A'.repeat(43))).toBeNull();
  });

  it('forgets the oldest waiting tickets beyond its capacity', () => {
    const tickets = new StreamTickets({ maxOutstanding: 2 });
    const first = tickets.issue('operator');
    const second = tickets.issue('operator');
    const third = tickets.issue('admin');
    expect(tickets.redeem(first.ticket)).toBeNull();
    expect(tickets.redeem(second.ticket)).toBe('operator');
    expect(tickets.redeem(third.ticket)).toBe('admin');
  });
});
