// Review 11: a limits key through __proto__ must be refused, not written onto Object.prototype of
// the process that parses it (the CLI, or an engine serving POST /api/limits to an operator).
import { afterEach, describe, expect, it } from 'vitest';
import { isLivegateError } from '../../../src/core/errors.js';
import { applyAssignments, parseAssignment } from '../../../src/risk/limits/live-limits.js';

afterEach(() => {
  delete (Object.prototype as Record<string, unknown>).maxQuantity;
  delete (Object.prototype as Record<string, unknown>).maxPosition;
});

describe('review 11: limits keys through __proto__', () => {
  it('refuses preTrade.__proto__.maxQuantity as ERR_USAGE and leaves Object.prototype alone', () => {
    let thrown: unknown;
    try {
      applyAssignments({ preTrade: {} }, [
        parseAssignment('preTrade.defaults.__proto__.maxQuantity=1000000'),
      ]);
    } catch (error) {
      thrown = error;
    }
    expect(({} as Record<string, unknown>).maxQuantity).toBeUndefined();
    expect(isLivegateError(thrown, 'ERR_USAGE')).toBe(true);
  });
});
