import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLivegateError } from '../../src/core/errors.js';
import { AuthFailureLimiter } from '../../src/http/auth-failure-limiter.js';
import { authenticate, loadTokens, mayPerform, sameToken } from '../../src/http/auth.js';

const NO_FILES = { operatorTokenFile: null, adminTokenFile: null };

describe('loadTokens', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'livegate-tokens-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('has no tokens when nothing is configured', () => {
    expect(loadTokens({}, NO_FILES)).toEqual({ operator: null, admin: null });
  });

  it('reads the first line of each token file, trimmed', async () => {
    const operatorFile = path.join(directory, 'operator');
    const adminFile = path.join(directory, 'admin');
    await writeFile(operatorFile, '  op-secret  \nignored second line\n');
    await writeFile(adminFile, 'admin-secret\r\n');
    expect(loadTokens({}, { operatorTokenFile: operatorFile, adminTokenFile: adminFile })).toEqual({
      operator: 'op-secret',
      admin: 'admin-secret',
    });
  });

  it('lets the environment win over the files', async () => {
    const adminFile = path.join(directory, 'admin-env');
    await writeFile(adminFile, 'from-file\n');
    const tokens = loadTokens(
      { LIVEGATE_OPERATOR_TOKEN: 'op-env', LIVEGATE_ADMIN_TOKEN: 'admin-env' },
      { operatorTokenFile: null, adminTokenFile: adminFile },
    );
    expect(tokens).toEqual({ operator: 'op-env', admin: 'admin-env' });
  });

  it('does not even open a configured file when the environment provides the token', () => {
    const missing = path.join(directory, 'never-created');
    const tokens = loadTokens(
      { LIVEGATE_ADMIN_TOKEN: 'admin-env' },
      { operatorTokenFile: null, adminTokenFile: missing },
    );
    expect(tokens.admin).toBe('admin-env');
  });

  it('fails with ERR_TOKEN_UNREADABLE naming a configured file that cannot be read', () => {
    const missing = path.join(directory, 'does-not-exist');
    const error = captureError(() =>
      loadTokens({}, { operatorTokenFile: missing, adminTokenFile: null }),
    );
    expect(isLivegateError(error, 'ERR_TOKEN_UNREADABLE')).toBe(true);
    expect((error as Error).message).toContain(missing);
    expect((error as Error).message).toContain('ENOENT');
  });

  it('fails with ERR_TOKEN_UNREADABLE when the first line of the file is empty', async () => {
    const empty = path.join(directory, 'empty');
    await writeFile(empty, '\nsecret-on-line-two\n');
    const error = captureError(() =>
      loadTokens({}, { operatorTokenFile: null, adminTokenFile: empty }),
    );
    expect(isLivegateError(error, 'ERR_TOKEN_UNREADABLE')).toBe(true);
    expect((error as Error).message).toContain(empty);
    expect((error as Error).message).not.toContain('secret-on-line-two');
  });
});

describe('authenticate', () => {
  const tokens = { operator: 'operator-token', admin: 'admin-token' };

  it('maps each token to its role', () => {
    expect(authenticate('Bearer operator-token', tokens)).toEqual({
      kind: 'authenticated',
      role: 'operator',
    });
    expect(authenticate('bearer admin-token', tokens)).toEqual({
      kind: 'authenticated',
      role: 'admin',
    });
  });

  it('tells a missing token from a wrong one', () => {
    expect(authenticate(undefined, tokens).kind).toBe('missing-token');
    expect(authenticate('  ', tokens).kind).toBe('missing-token');
    expect(authenticate('Bearer admin-token-but-longer', tokens).kind).toBe('invalid-token');
    expect(authenticate('Bearer admin', tokens).kind).toBe('invalid-token');
    expect(authenticate('Basic YWRtaW46YWRtaW4=', tokens).kind).toBe('invalid-token');
    expect(authenticate('Bearer ', tokens).kind).toBe('invalid-token');
  });

  it('never matches a role whose token is not configured', () => {
    const operatorOnly = { operator: 'operator-token', admin: null };
    expect(authenticate('Bearer admin-token', operatorOnly).kind).toBe('invalid-token');
    expect(authenticate('Bearer ', operatorOnly).kind).toBe('invalid-token');
  });

  it('compares tokens of any length without throwing', () => {
    expect(sameToken('a', 'a')).toBe(true);
    expect(sameToken('a', 'a'.repeat(1_000))).toBe(false);
    expect(sameToken('', 'x')).toBe(false);
  });

  it('lets operators tighten only and admins do everything', () => {
    expect(mayPerform('operator', 'engage')).toBe(true);
    expect(mayPerform('operator', 'reduce')).toBe(true);
    expect(mayPerform('operator', 'reset')).toBe(false);
    expect(mayPerform('admin', 'reset')).toBe(true);
  });
});

describe('AuthFailureLimiter', () => {
  it('limits an address after maxFailures within the window, until the window slides past', () => {
    let now = 1_000_000;
    const limiter = new AuthFailureLimiter({ maxFailures: 3, windowMs: 10_000, now: () => now });
    limiter.recordFailure('10.0.0.1');
    now += 1_000;
    limiter.recordFailure('10.0.0.1');
    expect(limiter.retryAfterMs('10.0.0.1')).toBe(0);
    now += 1_000;
    limiter.recordFailure('10.0.0.1');
    // The oldest failure leaves the window 8 s from now.
    expect(limiter.retryAfterMs('10.0.0.1')).toBe(8_000);
    expect(limiter.retryAfterMs('10.0.0.2')).toBe(0);
    now += 7_999;
    expect(limiter.retryAfterMs('10.0.0.1')).toBe(1);
    now += 1;
    expect(limiter.retryAfterMs('10.0.0.1')).toBe(0);
  });

  it('keeps counting inside a sliding window, not a fixed one', () => {
    let now = 0;
    const limiter = new AuthFailureLimiter({ maxFailures: 2, windowMs: 1_000, now: () => now });
    limiter.recordFailure('a');
    now = 900;
    limiter.recordFailure('a');
    expect(limiter.retryAfterMs('a')).toBe(100);
    now = 1_000;
    expect(limiter.retryAfterMs('a')).toBe(0);
    now = 1_500;
    limiter.recordFailure('a');
    // 900 and 1500 are both inside the window ending at 1500.
    expect(limiter.retryAfterMs('a')).toBe(400);
  });

  it('forgets the least recently failing addresses beyond its capacity', () => {
    const now = 0;
    const limiter = new AuthFailureLimiter({
      maxFailures: 1,
      windowMs: 60_000,
      now: () => now,
      maxAddresses: 2,
    });
    limiter.recordFailure('first');
    limiter.recordFailure('second');
    limiter.recordFailure('third');
    expect(limiter.retryAfterMs('first')).toBe(0);
    expect(limiter.retryAfterMs('second')).toBeGreaterThan(0);
    expect(limiter.retryAfterMs('third')).toBeGreaterThan(0);
  });

  it('refuses options that would disable it', () => {
    const error = captureError(() => new AuthFailureLimiter({ maxFailures: 0, windowMs: 1 }));
    expect(isLivegateError(error, 'ERR_CONFIG_INVALID')).toBe(true);
  });
});

function captureError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
