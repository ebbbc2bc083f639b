import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/core/errors.js';

describe('error registry', () => {
  it('lists exactly the codes of src/core/errors.ts in docs/errors.md', () => {
    const documented = [
      ...readFileSync('docs/errors.md', 'utf8').matchAll(/^\| `(ERR_[A-Z_]+)` \|/gm),
    ].map((match) => match[1]);
    expect(documented.sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });
});
