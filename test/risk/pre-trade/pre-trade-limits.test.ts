// Option validation lists every bad path at once; resolution merges symbol over defaults over built-ins.
import { describe, expect, it } from 'vitest';
import { isLivegateError, type LivegateError } from '../../../src/core/errors.js';
import {
  validatePreTradeLimits,
  type LimitsIssue,
} from '../../../src/risk/pre-trade/pre-trade-limits.js';
import { PreTradeRiskEngine } from '../../../src/risk/pre-trade/pre-trade-risk-engine.js';
import { resolveSymbolLimits } from '../../../src/risk/pre-trade/resolved-limits.js';

function failure(input: unknown): LivegateError {
  try {
    new PreTradeRiskEngine(input as never);
  } catch (error) {
    if (isLivegateError(error, 'ERR_CONFIG_INVALID')) return error;
    throw error;
  }
  throw new Error('expected ERR_CONFIG_INVALID');
}

function pathsOf(error: LivegateError): string[] {
  return (error.details?.issues as LimitsIssue[]).map((issue) => issue.path);
}

describe('pre-trade limit validation', () => {
  it('reports every bad path at once, by dotted path, in one ERR_CONFIG_INVALID', () => {
    const error = failure({
      defaults: { lotSize: 0, collarPercent: -1, burst: 0.5 },
      symbols: {
        EURUSD: { tickSize: 'tiny', maxQuantity: -5, colarPercent: 3 },
        'BRK.B': { maxOrdersPerSecond: Number.NaN },
        '': {},
      },
      restrictedSymbols: ['GBPUSD', ''],
      maxGrossExposure: 0,
      maxOpenOrders: 2.5,
      duplicateWindowMs: -1,
      surprise: true,
    });
    expect(pathsOf(error).sort()).toEqual(
      [
        'defaults.lotSize',
        'defaults.collarPercent',
        'defaults.burst',
        'symbols.EURUSD.tickSize',
        'symbols.EURUSD.maxQuantity',
        'symbols.EURUSD.colarPercent',
        'symbols["BRK.B"].maxOrdersPerSecond',
        'symbols[""]',
        'restrictedSymbols[1]',
        'maxGrossExposure',
        'maxOpenOrders',
        'duplicateWindowMs',
        'surprise',
      ].sort(),
    );
    expect(error.message).toMatch(/^invalid pre-trade limits \(13 problems\):\n/);
    expect(error.message).toContain('symbols.EURUSD.colarPercent: unknown key');
    expect(error.message).toContain('defaults.lotSize: must be > 0, received number 0');
    expect(error.message).toContain('symbols.EURUSD.maxQuantity: must be > 0, received number -5');
  });

  it('lists problems between fields alongside shape problems', () => {
    const error = failure({
      defaults: { minQuantity: 1, maxQuantity: 'lots' },
      symbols: {
        EURUSD: { lotSize: 1000 },
        GBPUSD: { minQuantity: 500, maxQuantity: 100 },
        USDJPY: { lotSize: 0.1, minQuantity: 0.3 },
      },
    });
    expect(error.details?.issues).toEqual([
      {
        path: 'defaults.maxQuantity',
        message: 'must be a number > 0 or Infinity (no limit), received string "lots"',
      },
      {
        path: 'symbols.EURUSD.minQuantity',
        message: 'must be a multiple of lotSize (1000), received 1 from defaults',
      },
      {
        path: 'symbols.GBPUSD.minQuantity',
        message: 'must be <= maxQuantity (100), received 500',
      },
    ]);
  });

  it('accepts an empty object, Infinity as "no limit", and returns the limits typed', () => {
    expect(validatePreTradeLimits({})).toEqual({});
    const limits = {
      defaults: { maxPosition: Infinity, collarPercent: Infinity, maxOrdersPerSecond: Infinity },
      maxOpenOrders: Infinity,
      maxGrossExposure: Infinity,
    };
    expect(validatePreTradeLimits(limits)).toEqual(limits);
    expect(() => validatePreTradeLimits({ defaults: { tickSize: Infinity } })).toThrow(
      /defaults\.tickSize/,
    );
  });

  it('says what is wrong when the limits are not an object at all', () => {
    expect(failure(null).message).toContain('(root): expected object, received null');
  });
});

describe('limit resolution', () => {
  it('fills every field from the symbol, then defaults, then built-ins', () => {
    expect(
      resolveSymbolLimits({ lotSize: 100, collarTicks: 20 }, { maxOrdersPerSecond: 2.5 }),
    ).toEqual({
      lotSize: 100,
      minQuantity: 100,
      maxQuantity: 1_000_000,
      tickSize: 0.00001,
      maxOrderNotional: Infinity,
      minOrderNotional: 0,
      maxPosition: Infinity,
      collarPercent: 5,
      collarTicks: 20,
      collarEnabled: true,
      maxOrdersPerSecond: 2.5,
      burst: 2.5,
    });
    expect(resolveSymbolLimits(undefined, { maxOrdersPerSecond: 0.2 }).burst).toBe(1);
    expect(resolveSymbolLimits(undefined, { collarPercent: Infinity }).collarEnabled).toBe(false);
  });
});
