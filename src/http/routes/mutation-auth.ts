// Who may change the switch: checked on request arrival, before the body is even parsed.

import type { FastifyRequest } from 'fastify';
import { mayPerform } from '../auth.js';
import type { MutationAction } from '../control-counters.js';
import { errorBody } from './error-body.js';
import {
  authenticateRequest,
  refuse,
  type AuthDecision,
  type RequestAuthOptions,
} from './request-auth.js';

export type MutationAuthOptions = RequestAuthOptions;
export type { AuthDecision };

/** Authenticated first (see authenticateRequest), then the role must allow the action. */
export function authorizeMutation(
  request: FastifyRequest,
  action: MutationAction,
  options: MutationAuthOptions,
): AuthDecision {
  const decision = authenticateRequest(request, options);
  if (!decision.allowed || mayPerform(decision.role, action)) return decision;
  options.counters.authFailure('forbidden');
  return refuse(
    403,
    errorBody('FORBIDDEN', `the ${decision.role} role may not ${action}: it needs the admin token`),
  );
}
