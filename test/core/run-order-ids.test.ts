// A restart tells its engine's earlier orders by their ids alone: the engine id must match exactly.

import { describe, expect, it } from 'vitest';
import { isRunOrderIdOf, runIdOf } from '../../src/core/run-order-ids.js';

const startedAt = Date.UTC(2026, 11, 6);

describe('isRunOrderIdOf', () => {
  it('knows an order of any run of the engine id', () => {
    expect(isRunOrderIdOf('gw', `${runIdOf('gw', startedAt)}-1`)).toBe(true);
    expect(isRunOrderIdOf('desk-2', `${runIdOf('desk-2', startedAt)}-9000`)).toBe(true);
  });

  it("never takes another engine's order whose id shares the prefix (engine ids may hold '-')", () => {
    expect(isRunOrderIdOf('desk', `${runIdOf('desk-2', startedAt)}-1`)).toBe(false);
    expect(isRunOrderIdOf('desk', `${runIdOf('desk-abcdefgh', startedAt)}-1`)).toBe(false);
    expect(isRunOrderIdOf('desk-2', `${runIdOf('desk', startedAt)}-1`)).toBe(false);
    expect(isRunOrderIdOf('desk', 'desk-by-hand')).toBe(false);
    expect(isRunOrderIdOf('desk', 'desk')).toBe(false);
  });
});
