// The zod-free config of kill/reduce/reset/status on the defaults: what loadConfig returns, or nothing.

import { describe, expect, it } from 'vitest';
import { defaultsOnlyConfig } from '../../src/config/defaults-only-config.js';
import { loadConfig, type LoadConfigOptions } from '../../src/config/load-config.js';
import { configSchema } from '../../src/config/schema.js';

/** What scripts/bundle-cli.mjs puts into the bundle. */
const BUILT_DEFAULTS = JSON.stringify(configSchema.parse({ engine: { id: 'set-per-run' } }));
const CWD = '/srv/desk';

function both(options: LoadConfigOptions) {
  const full = { cwd: CWD, env: {}, ...options };
  return { shortcut: defaultsOnlyConfig(full, BUILT_DEFAULTS), schema: loadConfig(full) };
}

describe('defaultsOnlyConfig', () => {
  it.each<[string, LoadConfigOptions]>([
    ['nothing set', {}],
    ['--state-dir', { overrides: { stateDir: 'state' } }],
    ['LIVEGATE_STATE_DIR', { env: { LIVEGATE_STATE_DIR: '/var/lib/livegate' } }],
    [
      '--state-dir over LIVEGATE_STATE_DIR',
      { env: { LIVEGATE_STATE_DIR: '/a' }, overrides: { stateDir: 'b' } },
    ],
    ['LIVEGATE_ENGINE_ID', { env: { LIVEGATE_ENGINE_ID: 'desk-7' } }],
    [
      'blank variables, which count as unset',
      { env: { LIVEGATE_CONFIG: ' ', LIVEGATE_LOG_LEVEL: '' } },
    ],
  ])('returns exactly what loadConfig returns with %s', (_, options) => {
    const { shortcut, schema } = both(options);
    expect(shortcut).toStrictEqual(schema);
    expect(Object.isFrozen(shortcut?.killSwitch.redis)).toBe(true);
  });

  it.each<[string, LoadConfigOptions]>([
    ['a config file', { path: '/nonexistent/livegate.yaml' }],
    ['LIVEGATE_CONFIG', { env: { LIVEGATE_CONFIG: '/nonexistent/livegate.yaml' } }],
    ['LIVEGATE_LOG_LEVEL', { env: { LIVEGATE_LOG_LEVEL: 'loud' } }],
    ['LIVEGATE_HTTP_PORT', { env: { LIVEGATE_HTTP_PORT: '80' } }],
    ['an empty --state-dir', { overrides: { stateDir: '' } }],
    ['a non-string state dir', { overrides: { stateDir: 7 } }],
    ['--store', { overrides: { killSwitch: { store: 'nats', url: 'nats://h:4222' } } }],
  ])('leaves %s to the schema, which names its problems', (_, options) => {
    expect(defaultsOnlyConfig({ cwd: CWD, env: {}, ...options }, BUILT_DEFAULTS)).toBeUndefined();
  });

  it('leaves everything to the schema when not bundled (no built defaults)', () => {
    expect(defaultsOnlyConfig({ cwd: CWD, env: {} })).toBeUndefined();
  });
});
