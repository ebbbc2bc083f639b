// Who may change the switch: checked on request arrival, before the body is even parsed.

import type { FastifyRequest } from 'fastify';
import type { AuthFailureLimiter } from '../auth-failure-limiter.js';
import {
  anyTokenConfigured,
  authenticate,
  mayPerform,
  NO_TOKEN_CONFIGURED,
  type Role,
  type Tokens,
} from '../auth.js';
import type { ControlCounters, MutationAction } from '../control-counters.js';
import { errorBody, type ErrorBody } from './error-body.js';

export interface MutationAuthOptions {
  readonly tokens: Tokens;
  readonly limiter: AuthFailureLimiter;
  readonly counters: ControlCounters;
}

export type AuthDecision =
  | { readonly allowed: true; readonly role: Role }
  | {
      readonly allowed: false;
      readonly status: 401 | 403 | 429;
      readonly headers: Readonly<Record<string, string>>;
      readonly body: ErrorBody;
    };

/**
 * Order matters: with no token configured nothing can succeed, so say how to fix that first; a
 * limited address is refused even with a good token, so guessing stays slow.
 */
export function authorizeMutation(
  request: FastifyRequest,
  action: MutationAction,
  options: MutationAuthOptions,
): AuthDecision {
  const { tokens, limiter, counters } = options;
  if (!anyTokenConfigured(tokens)) {
    counters.authFailure('forbidden');
    return refuse(403, errorBody('NO_TOKEN_CONFIGURED', NO_TOKEN_CONFIGURED));
  }
  const address = request.ip;
  const retryAfterMs = limiter.retryAfterMs(address);
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
  const authentication = authenticate(request.headers.authorization, tokens);
  switch (authentication.kind) {
    case 'missing-token':
      limiter.recordFailure(address);
      counters.authFailure('missing-token');
      return refuse(
        401,
        errorBody('UNAUTHORIZED', 'an "Authorization: Bearer <token>" header is required'),
        { 'www-authenticate': 'Bearer' },
      );
    case 'invalid-token':
      limiter.recordFailure(address);
      counters.authFailure('invalid-token');
      return refuse(401, errorBody('UNAUTHORIZED', 'the bearer token is not valid'), {
        'www-authenticate': 'Bearer error="invalid_token"',
      });
    case 'authenticated':
      if (mayPerform(authentication.role, action)) {
        return { allowed: true, role: authentication.role };
      }
      counters.authFailure('forbidden');
      return refuse(
        403,
        errorBody(
          'FORBIDDEN',
          `the ${authentication.role} role may not ${action}: it needs the admin token`,
        ),
      );
  }
}

function refuse(
  status: 401 | 403 | 429,
  body: ErrorBody,
  headers: Readonly<Record<string, string>> = {},
): AuthDecision {
  return { allowed: false, status, headers, body };
}
