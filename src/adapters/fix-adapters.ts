// The FIX feed, broker and kill canceller from the config (docs/trading-for-real.md). Imported on
// demand, and jspurefix itself only when a session starts: nothing here loads it.

import type { LivegateConfig } from '../config/schema.js';
import { fixKillSessionProblem } from '../config/venue-schema.js';
import { sequenceFilePath } from './fix/fix-sequence-file.js';
import { LivegateError } from '../core/errors.js';
import type { Broker, MarketFeed, VenueCanceller } from '../core/ports.js';
import { FixBroker } from './fix/fix-broker.js';
import { loadFixEngine } from './fix/fix-engine-loader.js';
import { FixFeed } from './fix/fix-feed.js';
import { FixVenueCanceller } from './fix/fix-venue-canceller.js';

/** Credentials only ever come from the environment. */
export const FIX_CREDENTIAL_VARIABLES = {
  username: 'LIVEGATE_FIX_USERNAME',
  password: 'LIVEGATE_FIX_PASSWORD',
} as const;

/** A kill's own logon (a cancel-only user where the venue offers one); the trading one otherwise. */
export const FIX_KILL_CREDENTIAL_VARIABLES = {
  username: 'LIVEGATE_KILL_FIX_USERNAME',
  password: 'LIVEGATE_KILL_FIX_PASSWORD',
} as const;

type Variables = typeof FIX_CREDENTIAL_VARIABLES | typeof FIX_KILL_CREDENTIAL_VARIABLES;

function credentials(env: NodeJS.ProcessEnv, variables: Variables) {
  const value = (name: keyof Variables) => {
    const set = env[variables[name]];
    return set === undefined || set === '' ? {} : { [name]: set };
  };
  return { ...value('username'), ...value('password') };
}

/** Loads jspurefix now; ERR_DEPENDENCY_MISSING when it is not installed. */
export async function ensureFixEngine(): Promise<void> {
  await loadFixEngine();
}

/** The order session's address and settings; every missing key named at once. */
function orderSession(config: LivegateConfig) {
  const { fix } = config;
  const missing = (['host', 'port', 'senderCompId', 'targetCompId'] as const).filter(
    (key) => fix[key] === null,
  );
  if (missing.length > 0) {
    throw new LivegateError(
      'ERR_CONFIG_INVALID',
      `${missing.map((key) => `fix.${key}`).join(', ')}: required when feed.kind or broker.kind is fix`,
    );
  }
  return {
    host: fix.host!,
    port: fix.port!,
    tls: fix.tls,
    senderCompId: fix.senderCompId!,
    targetCompId: fix.targetCompId!,
    heartbeatSeconds: fix.heartbeatSeconds,
    resetSeqNumOnLogon: fix.resetSeqNumOnLogon,
    reconnectDelayMs: fix.reconnectDelayMs,
    requestTimeoutMs: fix.requestTimeoutMs,
    dictionary: fix.dictionary,
    cancelOnDisconnect: fix.cancelOnDisconnect === null ? null : { ...fix.cancelOnDisconnect },
  };
}

/** The session's numbers, kept in the state dir per pair of comp ids. */
function sequenceFileOf(config: LivegateConfig, senderCompId: string, targetCompId: string) {
  return sequenceFilePath(config.stateDir, senderCompId, targetCompId);
}

export function createFixFeed(
  config: LivegateConfig,
  env: NodeJS.ProcessEnv,
): MarketFeed | undefined {
  if (config.feed.kind !== 'fix') return undefined;
  const { fix } = config;
  if (fix.symbols.length === 0) {
    throw new LivegateError('ERR_CONFIG_INVALID', 'fix.symbols: the fix feed needs at least one');
  }
  const session = orderSession(config);
  const marketData = fix.marketData;
  const sameSession =
    (marketData?.senderCompId ?? session.senderCompId) === session.senderCompId &&
    (marketData?.targetCompId ?? session.targetCompId) === session.targetCompId;
  if (config.broker.kind === 'fix' && sameSession) {
    // A venue allows one session per pair of comp ids: a second logon would throw the first out.
    throw new LivegateError(
      'ERR_CONFIG_INVALID',
      'fix.marketData.senderCompId: required when both feed.kind and broker.kind are fix (the feed needs a FIX session of its own, such as DESK-MD)',
    );
  }
  const feedSender = marketData?.senderCompId ?? session.senderCompId;
  const feedTarget = marketData?.targetCompId ?? session.targetCompId;
  return new FixFeed({
    ...session,
    name: 'livegate-market-data',
    sequenceFile: sequenceFileOf(config, feedSender, feedTarget),
    // Market data does not cancel orders: its own session never asks for cancel-on-disconnect.
    cancelOnDisconnect: null,
    ...(marketData?.host == null ? {} : { host: marketData.host }),
    ...(marketData?.port == null ? {} : { port: marketData.port }),
    ...(marketData?.senderCompId == null ? {} : { senderCompId: marketData.senderCompId }),
    ...(marketData?.targetCompId == null ? {} : { targetCompId: marketData.targetCompId }),
    ...credentials(env, FIX_CREDENTIAL_VARIABLES),
    symbols: [...fix.symbols],
  });
}

export function createFixBroker(
  config: LivegateConfig,
  engineId: string,
  env: NodeJS.ProcessEnv,
): Broker | undefined {
  if (config.broker.kind !== 'fix') return undefined;
  const session = orderSession(config);
  return new FixBroker({
    ...session,
    name: 'livegate-orders',
    sequenceFile: sequenceFileOf(config, session.senderCompId, session.targetCompId),
    ...credentials(env, FIX_CREDENTIAL_VARIABLES),
    account: config.fix.account,
    massCancel: config.fix.massCancel,
    cancelScopeOnKill: config.fix.cancelScope.kill,
    clientOrderIdNamespace: engineId,
  });
}

/** The venue as a kill reaches it: a session of its own (fix.killSenderCompId), no engine needed. */
export function createFixCanceller(
  config: LivegateConfig,
  env: NodeJS.ProcessEnv,
): { canceller: VenueCanceller; credentials: string } {
  const session = orderSession(config);
  const killSenderCompId = config.fix.killSenderCompId;
  // `run` refuses such a config; a kill gets here and reports the venue not confirmed with why.
  const problem = fixKillSessionProblem(config.broker.kind, config.fix);
  if (problem !== undefined || killSenderCompId === null) {
    throw new LivegateError(
      'ERR_CONFIG_INVALID',
      `${problem ?? 'fix.killSenderCompId is not set'}; the venue was not reached`,
    );
  }
  const ownLogon = Object.values(FIX_KILL_CREDENTIAL_VARIABLES).some(
    (name) => (env[name] ?? '') !== '',
  );
  const variables = ownLogon ? FIX_KILL_CREDENTIAL_VARIABLES : FIX_CREDENTIAL_VARIABLES;
  const logon = credentials(env, variables);
  const open = () =>
    new FixBroker({
      ...session,
      name: 'livegate-kill',
      senderCompId: killSenderCompId,
      // Its numbers are kept like the trading sessions' (in this state dir), and it asks for
      // nothing on disconnect: it places nothing.
      sequenceFile: sequenceFileOf(config, killSenderCompId, session.targetCompId),
      cancelOnDisconnect: null,
      ...logon,
      account: config.fix.account,
      massCancel: config.fix.massCancel,
    });
  const used =
    'username' in logon
      ? `${variables.username.replace(/_USERNAME$/, '_*')}`
      : 'none (no logon user set)';
  return { canceller: new FixVenueCanceller(open), credentials: used };
}
