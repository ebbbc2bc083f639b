// Desk and firm `orderRate` overrides stored whole: every later revision carries each override, so
// one that is invalid over some engine's or guard's config (an orderRate without its `limit`, over
// a config with no orderRate for that desk) would block every later revision there.

import { LivegateError } from '../../core/errors.js';
import type { LiveLimits } from '../../core/limits-record.js';
import { isTree, removesOverride, type Tree } from './limits-overrides.js';
import type { LimitsAssignment } from './live-limits.js';

/**
 * The overrides with each desk's (and the firm's) `orderRate` holding its `limit`: a field written
 * alone takes the limit the writer enforces (the latest override's, else its config's). Removing
 * `orderRate.limit` removes the whole orderRate override (a window alone limits nothing). With no
 * limit known the change is refused: ERR_USAGE. The window is not filled in: the schema defaults
 * it, and imposing the writer's on engines with their own would change them unasked.
 */
export function wholeOrderRates(
  overrides: LiveLimits,
  before: LiveLimits,
  assignments: readonly LimitsAssignment[],
): LiveLimits {
  const desks = structuredClone(overrides.desks ?? {}) as Tree;
  for (const [desk, tree] of Object.entries(desks)) {
    if (!isTree(tree)) continue;
    const removed = removesOverride(assignments, 'desks', [desk, 'orderRate', 'limit']);
    completeOrderRate(tree, `desks.${desk}`, before.desks?.[desk], removed);
    if (Object.keys(tree).length === 0) delete desks[desk];
  }
  const firm = structuredClone(overrides.firm ?? {}) as Tree;
  completeOrderRate(
    firm,
    'firm',
    before.firm,
    removesOverride(assignments, 'firm', ['orderRate', 'limit']),
  );
  return {
    preTrade: overrides.preTrade,
    ...(overrides.monitor === undefined ? {} : { monitor: overrides.monitor }),
    ...(Object.keys(desks).length === 0 ? {} : { desks }),
    ...(Object.keys(firm).length === 0 ? {} : { firm }),
  };
}

function completeOrderRate(
  tree: Tree,
  prefix: string,
  inForce: unknown,
  limitWasRemoved: boolean,
): void {
  const rate = tree.orderRate;
  if (!isTree(rate) || Object.hasOwn(rate, 'limit')) return;
  // A misspelt field is left for the schema to name.
  if (Object.keys(rate).some((field) => field !== 'windowMs')) return;
  if (limitWasRemoved) {
    delete tree.orderRate;
    return;
  }
  const known = isTree(inForce) && isTree(inForce.orderRate) ? inForce.orderRate.limit : undefined;
  if (typeof known !== 'number') {
    throw new LivegateError(
      'ERR_USAGE',
      `${prefix}.orderRate has no limit in this config or in the overrides, and one without it is invalid wherever the config has no orderRate: set ${prefix}.orderRate as a whole: {"limit":N,"windowMs":M}`,
      { details: { key: `${prefix}.orderRate` } },
    );
  }
  tree.orderRate = { limit: known, ...rate };
}
