// Redis store addresses: one server or a Sentinel group, and a named problem for anything malformed.

import { describe, expect, it } from 'vitest';
import { isLivegateError } from '../../src/core/errors.js';
import {
  parseRedisServerAddress,
  redisAddressProblem,
} from '../../src/core/redis-server-address.js';

describe('parseRedisServerAddress', () => {
  it('reads a Sentinel group: every sentinel, 26379 where no port is given, the master name and db', () => {
    const address = parseRedisServerAddress(
      'redis+sentinel://ops:s%40cret@10.0.0.1,10.0.0.2:26380,[::1]:26381/livegate-main?db=3',
    );
    expect(address).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: '10.0.0.2', port: 26380 },
        { host: '::1', port: 26381 },
      ],
      masterName: 'livegate-main',
      db: 3,
      username: 'ops',
      password: 's@cret',
      displayUrl: 'redis+sentinel://10.0.0.1:26379,10.0.0.2:26380,[::1]:26381/livegate-main?db=3',
      label: 'redis+sentinel:10.0.0.1:26379,10.0.0.2:26380,[::1]:26381/livegate-main',
    });
  });

  it('takes a password without a user, and defaults to db 0 without credentials', () => {
    const withPassword = parseRedisServerAddress('redis+sentinel://:pw@s1/main');
    expect(withPassword).toMatchObject({ username: undefined, password: 'pw', db: 0 });
    const bare = parseRedisServerAddress('redis+sentinel://s1:1/main');
    expect(bare).toMatchObject({ username: undefined, password: undefined, db: 0 });
    expect(bare.displayUrl).toBe('redis+sentinel://s1:1/main');
  });

  it('keeps a single server as given, naming it host:port without credentials', () => {
    const address = parseRedisServerAddress('redis://user:pw@cache.internal/2');
    expect(address).toEqual({
      kind: 'server',
      url: 'redis://user:pw@cache.internal/2',
      displayUrl: 'redis://cache.internal/2',
      label: 'redis:cache.internal:6379',
    });
  });

  it.each([
    ['redis+sentinel://s1:26379', /no master name/],
    ['redis+sentinel://s1:26379/', /no master name/],
    ['redis+sentinel:///main', /no sentinel host/],
    ['redis+sentinel://s1,,s2/main', /empty sentinel/],
    ['redis+sentinel://s1:0/main', /sentinel "s1:0" has no valid port/],
    ['redis+sentinel://s1:70000/main', /no valid port/],
    ['redis+sentinel://s1:/main', /no valid port/],
    ['redis+sentinel://s 1/main', /sentinel "s 1" is not HOST or HOST:PORT/],
    ['redis+sentinel://s1/main/extra', /master name "main\/extra"/],
    ['redis+sentinel://s1/main?db=x', /db must be a whole number/],
    ['redis+sentinel://s1/main?role=slave', /unknown parameter "role"/],
    ['redis+sentinel://secret@s1/main', /USER:PASS@/],
    ['rediss+sentinel://s1/main', /TLS to Redis Sentinel is not supported/],
    ['http://s1:6379', /unsupported scheme "http:"/],
    ['redis//s1', /is not a URL/],
  ])('names the problem in %s', (text, problem) => {
    expect(redisAddressProblem(text)).toMatch(problem);
    let thrown: unknown;
    try {
      parseRedisServerAddress(text);
    } catch (error) {
      thrown = error;
    }
    expect(isLivegateError(thrown, 'ERR_CONFIG_INVALID')).toBe(true);
    expect((thrown as Error).message).toMatch(problem);
  });

  it('never echoes a password in a problem', () => {
    expect(redisAddressProblem('redis+sentinel://u:hunter2@s1,,s2/main')).not.toMatch(/hunter2/);
    expect(redisAddressProblem('redis+sentinel://u:hunter2@/main')).not.toMatch(/hunter2/);
  });
});
