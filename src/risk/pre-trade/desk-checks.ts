// Desk and firm limits at gate 2: the rest of the desk as last listed (AggregateHeadroom, written
// off the hot path) plus this engine's live worst case plus the order. On the accept path this is
// a few comparisons per scope; an order that shrinks this engine's worst case always passes.

import { signedQuantity, type Signal } from '../../core/types.js';
import type { AggregateHeadroom, AggregateHeadrooms } from '../desk/aggregate-headroom.js';
import { reduces } from './exposure-checks.js';
import { exceeds } from './float-grid.js';
import { denial, type PreTradeDenialOf } from './pre-trade-codes.js';
import type { SymbolState } from './symbol-state.js';

/**
 * Per scope: a view too old (DESK_VIEW_STALE), a loss limit reached (DESK_LIMIT), then the desk's
 * net position in the symbol, |rest net + own worst case + order|, which may not exceed its limit
 * unless the order brings the desk's net toward zero without crossing it.
 */
export function deskDenial(
  signal: Signal,
  state: SymbolState,
  position: number,
  now: number,
  aggregates: AggregateHeadrooms,
): PreTradeDenialOf | null {
  const scopes = aggregates.scopes;
  const slots = state.aggregateSlots;
  const buy = signal.side === 'buy';
  const ownBefore = buy ? position + state.workingBuys : position - state.workingSells;
  const ownAfter = ownBefore + signedQuantity(signal.side, signal.quantity);
  for (let index = 0; index < scopes.length; index++) {
    const scope = scopes[index]!;
    if (now >= scope.acceptsUntil) {
      if (reduces(ownBefore, ownAfter)) return null;
      return now >= scope.staleAt ? staleDenial(scope, now) : blockedDenial(scope);
    }
    const slot = slots[index]!;
    if (ownAfter <= slot.high && ownAfter >= slot.low) continue;
    const before = slot.restNet + ownBefore;
    const after = slot.restNet + ownAfter;
    if (!exceeds(Math.abs(after), slot.limit) || reduces(before, after)) continue;
    if (reduces(ownBefore, ownAfter)) return null;
    return denial('DESK_LIMIT', {
      scope: scope.scope,
      rule: 'maxPosition',
      symbol: state.symbol,
      limit: slot.limit,
      actual: after,
      rest: slot.restNet,
      own: ownAfter,
      viewAgeMs: Math.round(now - scope.viewedAt),
    });
  }
  return null;
}

/**
 * The desk's gross exposure: rest (last listed) + this engine's worst case after the order, which
 * the gross-exposure check has just summed. Called only when that sum exceeds a scope's headroom.
 */
export function deskGrossDenial(
  scopes: readonly AggregateHeadroom[],
  gross: number,
  now: number,
): PreTradeDenialOf | null {
  for (let index = 0; index < scopes.length; index++) {
    const scope = scopes[index]!;
    if (!exceeds(gross, scope.grossHeadroom)) continue;
    return denial('DESK_LIMIT', {
      scope: scope.scope,
      rule: 'grossExposure',
      limit: scope.limits.grossExposure ?? Infinity,
      actual: scope.restGross + gross,
      rest: scope.restGross,
      own: gross,
      viewAgeMs: Math.round(now - scope.viewedAt),
    });
  }
  return null;
}

function staleDenial(scope: AggregateHeadroom, now: number): PreTradeDenialOf {
  const never = Number.isNaN(scope.viewedAt);
  return denial('DESK_VIEW_STALE', {
    scope: scope.scope,
    ageMs: never ? 'never listed' : Math.round(now - scope.viewedAt),
    maxAgeMs: scope.maxAgeMs,
  });
}

function blockedDenial(scope: AggregateHeadroom): PreTradeDenialOf {
  if (scope.blockedBy === 'unvalued')
    return denial('DESK_LIMIT', { scope: scope.scope, rule: 'unvalued', problem: scope.problem });
  return denial('DESK_LIMIT', {
    scope: scope.scope,
    rule: scope.blockedBy ?? 'unknown',
    limit: scope.blockLimit,
    actual: scope.blockValue,
  });
}
