// Bearer tokens for the control API: where they come from, and a comparison that leaks nothing.

import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { LivegateError } from '../core/errors.js';
import type { MutationAction } from './control-counters.js';

export type Role = 'operator' | 'admin';

export interface Tokens {
  readonly operator: string | null;
  readonly admin: string | null;
}

/** Operators may only tighten the switch; loosening it (reset) takes an admin. */
export function mayPerform(role: Role, action: MutationAction): boolean {
  return action !== 'reset' || role === 'admin';
}

/** Said to every caller while no token is configured, so the fix is one read away. */
export const NO_TOKEN_CONFIGURED =
  'no control token is configured, so the HTTP API refuses every change: set ' +
  'LIVEGATE_OPERATOR_TOKEN (engage, reduce) and/or LIVEGATE_ADMIN_TOKEN (also reset) in the ' +
  "engine's environment, or point http.operatorTokenFile / http.adminTokenFile at a file " +
  'whose first line is the token, then restart the engine';

/**
 * LIVEGATE_OPERATOR_TOKEN / LIVEGATE_ADMIN_TOKEN win; else the first line of http.operatorTokenFile /
 * adminTokenFile; ERR_TOKEN_UNREADABLE naming the file if one is configured but unreadable or empty.
 */
export function loadTokens(
  env: NodeJS.ProcessEnv,
  files: { operatorTokenFile: string | null; adminTokenFile: string | null },
): Tokens {
  return {
    operator: tokenFrom(env.LIVEGATE_OPERATOR_TOKEN, files.operatorTokenFile, 'operator'),
    admin: tokenFrom(env.LIVEGATE_ADMIN_TOKEN, files.adminTokenFile, 'admin'),
  };
}

function tokenFrom(fromEnv: string | undefined, file: string | null, role: Role): string | null {
  const trimmed = fromEnv?.trim();
  if (trimmed !== undefined && trimmed.length > 0) return trimmed;
  if (file === null) return null;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new LivegateError('ERR_TOKEN_UNREADABLE', `${role} token file ${file}: ${reason}`, {
      cause: error,
      details: { file, role },
    });
  }
  const firstLine = (text.split(/\r?\n/, 1)[0] ?? '').trim();
  if (firstLine.length === 0) {
    throw new LivegateError(
      'ERR_TOKEN_UNREADABLE',
      `${role} token file ${file}: the first line is empty (it must hold the token)`,
      { details: { file, role } },
    );
  }
  return firstLine;
}

export type Authentication =
  | { readonly kind: 'authenticated'; readonly role: Role }
  | { readonly kind: 'missing-token' }
  | { readonly kind: 'invalid-token' };

/** True when at least one token is configured; without one, every change is refused. */
export function anyTokenConfigured(tokens: Tokens): boolean {
  return tokens.operator !== null || tokens.admin !== null;
}

/** Reads `Authorization: Bearer <token>` and says which role, if any, it proves. */
export function authenticate(authorization: string | undefined, tokens: Tokens): Authentication {
  if (authorization === undefined || authorization.trim().length === 0) {
    return { kind: 'missing-token' };
  }
  const presented = bearerToken(authorization);
  if (presented === null) return { kind: 'invalid-token' };
  // Both comparisons always run, so timing does not tell which token came close.
  const isAdmin = tokens.admin !== null && sameToken(presented, tokens.admin);
  const isOperator = tokens.operator !== null && sameToken(presented, tokens.operator);
  if (isAdmin) return { kind: 'authenticated', role: 'admin' };
  if (isOperator) return { kind: 'authenticated', role: 'operator' };
  return { kind: 'invalid-token' };
}

/** The token of a well-formed `Bearer <token>` header, else null (another scheme, no token). */
function bearerToken(authorization: string): string | null {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
  return match?.[1] ?? null;
}

/**
 * Constant time whatever the lengths: both sides are hashed to 32 bytes first, so neither the
 * comparison nor a length check can short-circuit on how much of the token was right.
 */
export function sameToken(presented: string, expected: string): boolean {
  return timingSafeEqual(sha256(presented), sha256(expected));
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
