// Who is asking: the bearer token of a request, checked on arrival, failed attempts limited per
// address. A valid token always passes: the limiter may refuse a guesser, never an operator's KILL.

import type { FastifyRequest } from 'fastify';
import type { AuthFailureLimiter } from '../auth-failure-limiter.js';
import {
  anyTokenConfigured,
  authenticate,
  NO_TOKEN_CONFIGURED,
  type Role,
  type Tokens,
} from '../auth.js';
import type { ControlCounters } from '../control-counters.js';
import { errorBody, type ErrorBody } from './error-body.js';

export interface RequestAuthOptions {
  readonly tokens: Tokens;
  readonly limiter: AuthFailureLimiter;
  readonly counters: ControlCounters;
}

export interface AuthRefusal {
  readonly allowed: false;
  readonly status: 401 | 403 | 429;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: ErrorBody;
}

export type AuthDecision = { readonly allowed: true; readonly role: Role } | AuthRefusal;

/**
 * Order matters. With no token configured nothing can succeed, so say how to fix that first. The
 * token is checked before the limiter is consulted: any local process can fail logins from the
 * operator's own address, and refusing the valid token then would let it lock out the kill switch.
 * So only failing requests are counted, and only they get 429 once their address is over the limit.
 */
export function authenticateRequest(
  request: FastifyRequest,
  options: RequestAuthOptions,
): AuthDecision {
  const { tokens, limiter, counters } = options;
  if (!anyTokenConfigured(tokens)) {
    counters.authFailure('forbidden');
    return refuse(403, errorBody('NO_TOKEN_CONFIGURED', NO_TOKEN_CONFIGURED));
  }
  const authentication = authenticate(request.headers.authorization, tokens);
  if (authentication.kind === 'authenticated') {
    return { allowed: true, role: authentication.role };
  }
  const address = request.ip;
  const retryAfterMs = limiter.retryAfterMs(address);
  // Counted even while limited, so a steady guesser stays limited instead of getting a fresh window.
  limiter.recordFailure(address);
  if (retryAfterMs > 0) {
    counters.authFailure('rate-limited');
    const seconds = Math.ceil(retryAfterMs / 1000);
    return refuse(
      429,
      errorBody(
        'RATE_LIMITED',
        `too many failed authentications from ${address}; retry in ${seconds} s`,
        { retryAfterSeconds: seconds },
      ),
      { 'retry-after': String(seconds) },
    );
  }
  counters.authFailure(authentication.kind);
  return authentication.kind === 'missing-token'
    ? refuse(
        401,
        errorBody('UNAUTHORIZED', 'an "Authorization: Bearer <token>" header is required'),
        { 'www-authenticate': 'Bearer' },
      )
    : refuse(401, errorBody('UNAUTHORIZED', 'the bearer token is not valid'), {
        'www-authenticate': 'Bearer error="invalid_token"',
      });
}

export function refuse(
  status: 401 | 403 | 429,
  body: ErrorBody,
  headers: Readonly<Record<string, string>> = {},
): AuthRefusal {
  return { allowed: false, status, headers, body };
}
