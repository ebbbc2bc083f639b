// The FILE of `livegate limits what-if`: a config's `risk:` section, or a whole livegate config,
// validated by the same schema as `livegate run`'s, so a bad key is named as it would be there.

import { resolve } from 'node:path';
import { readConfigFile } from '../config/load-config.js';
import { validateConfig, type LivegateConfig } from '../config/schema.js';

/** ERR_CONFIG_UNREADABLE or ERR_CONFIG_INVALID (every problem, by `risk.` path) when it is not usable. */
export function loadProposedRisk(file: string, cwd = process.cwd()): LivegateConfig['risk'] {
  const content = readConfigFile(resolve(cwd, file)) ?? {};
  const wholeConfig = isPlainObject(content) && Object.hasOwn(content, 'risk');
  // A bare section is checked as the `risk:` of a config, so problems read `risk.preTrade...`.
  return validateConfig(wholeConfig ? content : { risk: content }).risk;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
