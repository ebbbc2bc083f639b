// Kill-switch scopes, like an exchange's kill-switch levels: global > desk:<name> > engine:<id>.
// An engine is blocked when any scope above it (or its own) is ENGAGED; REDUCING likewise.

export const GLOBAL_SCOPE = 'global';

/** Desk names and engine ids inside a scope name: what every backend can key on once encoded. */
export const SCOPE_PATTERN = /^(global|desk:[A-Za-z0-9._-]+|engine:[^\s]+)$/;

export const SCOPE_NAME_RULE =
  'must be "global", "desk:<name>" (letters, digits, . _ -) or "engine:<id>"';

export function isScopeName(text: string): boolean {
  return SCOPE_PATTERN.test(text);
}

/** The scopes that govern one engine, widest first. */
export function scopesOfEngine(engineId: string, desk: string | null): string[] {
  return [GLOBAL_SCOPE, ...(desk === null ? [] : [`desk:${desk}`]), `engine:${engineId}`];
}

/** The desk an engine report names in its scopes (`desk:<name>`), or null: run under no desk. */
export function deskOfScopes(scopes: Readonly<Record<string, number>> | undefined): string | null {
  for (const scope of Object.keys(scopes ?? {})) {
    if (scope.startsWith('desk:')) return scope.slice('desk:'.length);
  }
  return null;
}
