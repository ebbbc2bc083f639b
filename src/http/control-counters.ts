// Counters the HTTP API and the webhook notifier bump and /metrics exports. A port, so neither
// depends on prom-client and tests can count with a plain object.

export type AuthFailureReason = 'missing-token' | 'invalid-token' | 'forbidden' | 'rate-limited';
export type MutationAction = 'engage' | 'reduce' | 'reset';
export type AlertOutcome = 'sent' | 'retried' | 'failed' | 'dropped';

export interface ControlCounters {
  authFailure(reason: AuthFailureReason): void;
  mutation(action: MutationAction, role: string): void;
  alert(outcome: AlertOutcome): void;
}

export const noControlCounters: ControlCounters = {
  authFailure: () => undefined,
  mutation: () => undefined,
  alert: () => undefined,
};
