import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RISK_DRILLS } from '../../src/cli/risk-drills.js';
import { riskSchema } from '../../src/config/risk-schema.js';
import { PRE_TRADE_CODES } from '../../src/risk/pre-trade/pre-trade-codes.js';

const doc = readFileSync('docs/risk.md', 'utf8');

describe('docs/risk.md', () => {
  it('lists exactly the pre-trade denial codes', () => {
    const documented = [...doc.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((match) => match[1]);
    expect(documented.sort()).toEqual(Object.keys(PRE_TRADE_CODES).sort());
  });

  it('documents every monitor rule and every drill', () => {
    const rules = Object.keys(riskSchema.shape.monitor.unwrap().shape.rules.unwrap().shape);
    for (const rule of rules) expect(doc).toContain(`| \`${rule}\` |`);
    for (const drill of Object.keys(RISK_DRILLS)) expect(doc).toContain(`| \`${drill}\` |`);
  });
});
