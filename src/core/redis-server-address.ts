// Where a Redis kill-switch store lives: one server (redis://, rediss://) or a group whose primary
// Redis Sentinel names (redis+sentinel://). Plain facts, no client types: config and adapters share it.

import { LivegateError } from './errors.js';

export const SENTINEL_DEFAULT_PORT = 26379;

export interface RedisEndpoint {
  readonly host: string;
  readonly port: number;
}

/** Said in every problem, so a malformed address comes back with the form it should have. */
export const SENTINEL_ADDRESS_FORM =
  'redis+sentinel://[USER:PASS@]HOST[:26379][,HOST[:PORT]...]/MASTER_NAME[?db=N]';

interface AddressCommon {
  /** For store names and messages: never contains credentials. */
  readonly displayUrl: string;
  /** `redis:HOST:PORT` or `redis+sentinel:HOST:PORT,.../MASTER_NAME`: the start of a store's name. */
  readonly label: string;
}

export interface SingleServerAddress extends AddressCommon {
  readonly kind: 'server';
  /** As given (credentials included): the client parses it itself. */
  readonly url: string;
}

export interface SentinelGroupAddress extends AddressCommon {
  readonly kind: 'sentinel';
  readonly sentinels: readonly RedisEndpoint[];
  /** The name the sentinels monitor the primary under (`sentinel monitor NAME ...`). */
  readonly masterName: string;
  readonly db: number;
  /** Used for the Redis servers and for the sentinels alike. */
  readonly username: string | undefined;
  readonly password: string | undefined;
}

export type RedisServerAddress = SingleServerAddress | SentinelGroupAddress;

/** The address, or ERR_CONFIG_INVALID naming what is wrong with it. */
export function parseRedisServerAddress(text: string): RedisServerAddress {
  const parsed = tryParse(text);
  if (typeof parsed === 'string') {
    throw new LivegateError('ERR_CONFIG_INVALID', `invalid Redis address: ${parsed}`, {
      details: { problem: parsed },
    });
  }
  return parsed;
}

/** What is wrong with the address, or undefined when it is usable (for the config schema). */
export function redisAddressProblem(text: string): string | undefined {
  const parsed = tryParse(text);
  return typeof parsed === 'string' ? parsed : undefined;
}

function tryParse(text: string): RedisServerAddress | string {
  if (/^rediss\+sentinel:/i.test(text)) {
    return `TLS to Redis Sentinel is not supported: use ${SENTINEL_ADDRESS_FORM}`;
  }
  if (text.startsWith('redis+sentinel:')) return parseSentinelAddress(text);
  return parseSingleServer(text);
}

function parseSingleServer(text: string): SingleServerAddress | string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `"${withoutCredentials(text)}" is not a URL: expected redis://HOST:PORT, rediss://HOST:PORT or ${SENTINEL_ADDRESS_FORM}`;
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    return `unsupported scheme "${url.protocol}": expected redis://HOST:PORT, rediss://HOST:PORT or ${SENTINEL_ADDRESS_FORM}`;
  }
  if (url.hostname === '') return `no host in "${withoutCredentials(text)}"`;
  const hostAndPort = url.port === '' ? `${url.hostname}:6379` : url.host;
  const path = url.pathname === '/' ? '' : url.pathname;
  return {
    kind: 'server',
    url: text,
    displayUrl: `${url.protocol}//${url.host}${path}`,
    label: `redis:${hostAndPort}`,
  };
}

const SENTINEL_SHAPE =
  /^redis\+sentinel:\/\/(?:([^@/?#]*)@)?([^/?#]*)(?:\/([^?#]*))?(?:\?([^#]*))?$/;

function parseSentinelAddress(text: string): SentinelGroupAddress | string {
  const shape = SENTINEL_SHAPE.exec(text);
  if (shape === null)
    return `"${withoutCredentials(text)}" is not of the form ${SENTINEL_ADDRESS_FORM}`;
  const [, userInfo, hostList = '', path = '', query] = shape;
  const credentials = parseCredentials(userInfo);
  if (typeof credentials === 'string') return credentials;
  const sentinels = parseSentinels(hostList);
  if (typeof sentinels === 'string') return sentinels;
  const masterName = parseMasterName(path);
  if (masterName.problem !== undefined) return masterName.problem;
  const db = parseQuery(query);
  if (typeof db === 'string') return db;
  const hosts = sentinels.map(formatEndpoint).join(',');
  const database = db === 0 ? '' : `?db=${db}`;
  return {
    kind: 'sentinel',
    sentinels,
    masterName: masterName.name,
    db,
    ...credentials,
    displayUrl: `redis+sentinel://${hosts}/${masterName.name}${database}`,
    label: `redis+sentinel:${hosts}/${masterName.name}`,
  };
}

type Credentials = Pick<SentinelGroupAddress, 'username' | 'password'>;

function parseCredentials(userInfo: string | undefined): Credentials | string {
  if (userInfo === undefined) return { username: undefined, password: undefined };
  const colon = userInfo.indexOf(':');
  // A bare word could be a user or a password; guessing wrong sends the password as a user name.
  if (colon < 0) return 'credentials must be USER:PASS@ or :PASS@ (a password without a user)';
  try {
    const username = decodeURIComponent(userInfo.slice(0, colon));
    const password = decodeURIComponent(userInfo.slice(colon + 1));
    return { username: username === '' ? undefined : username, password };
  } catch {
    return 'credentials are not valid percent-encoding';
  }
}

function parseSentinels(hostList: string): RedisEndpoint[] | string {
  if (hostList === '') return `no sentinel host: expected ${SENTINEL_ADDRESS_FORM}`;
  const endpoints: RedisEndpoint[] = [];
  for (const item of hostList.split(',')) {
    const endpoint = parseEndpoint(item);
    if (typeof endpoint === 'string') return endpoint;
    endpoints.push(endpoint);
  }
  return endpoints;
}

const ENDPOINT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.-]*)(?::([0-9]*))?$/;

function parseEndpoint(item: string): RedisEndpoint | string {
  const match = ENDPOINT.exec(item);
  if (match === null) {
    return item === ''
      ? 'an empty sentinel in the host list (two commas, or one at an end)'
      : `sentinel "${item}" is not HOST or HOST:PORT`;
  }
  const [, rawHost = '', portText] = match;
  const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost;
  if (portText === undefined) return { host, port: SENTINEL_DEFAULT_PORT };
  const port = Number(portText);
  if (portText === '' || !Number.isInteger(port) || port < 1 || port > 65_535) {
    return `sentinel "${item}" has no valid port (1-65535)`;
  }
  return { host, port };
}

function parseMasterName(
  path: string,
): { name: string; problem?: undefined } | { problem: string } {
  if (path === '') {
    return {
      problem: `no master name: expected ${SENTINEL_ADDRESS_FORM} (the name in "sentinel monitor NAME ...")`,
    };
  }
  // Sentinel names are words; a slash or space here is a typo, not a name.
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(path)) {
    return { problem: `master name "${path}" must be letters, digits, . _ - (at most 128)` };
  }
  return { name: path };
}

function parseQuery(query: string | undefined): number | string {
  if (query === undefined || query === '') return 0;
  let db = 0;
  for (const parameter of query.split('&')) {
    const [key, value, ...rest] = parameter.split('=');
    if (key !== 'db') return `unknown parameter "${key}": only ?db=N is understood`;
    if (value === undefined || rest.length > 0 || !/^[0-9]{1,9}$/.test(value)) {
      return `db must be a whole number >= 0, got "${parameter}"`;
    }
    db = Number(value);
  }
  return db;
}

function formatEndpoint({ host, port }: RedisEndpoint): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** For messages about an address that did not parse: the password must not be echoed. */
function withoutCredentials(text: string): string {
  return text.replace(/\/\/[^@/]*@/, '//***@');
}
