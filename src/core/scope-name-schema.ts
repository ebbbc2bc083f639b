// A scope name in zod options (NATS store); the rule itself lives in scopes.ts, without zod.
import * as z from 'zod';
import { SCOPE_NAME_RULE, SCOPE_PATTERN } from './scopes.js';

export const scopeNameSchema = z.string().regex(SCOPE_PATTERN, SCOPE_NAME_RULE);
