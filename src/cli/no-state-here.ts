// What every command says when it finds no kill-switch state where it looked: where that was, and
// how to point it at the right place, because a kill sent to the wrong store stops nothing.

import type { LivegateConfig } from '../config/schema.js';

export function noStateHere(config: LivegateConfig, storeName: string, engines: number): string {
  const where =
    config.killSwitch.store === 'file'
      ? `${config.killSwitch.directory ?? config.stateDir} (file store)`
      : storeName;
  const lines = [`livegate: ERR_STATE_MISSING: no kill-switch state at ${where}.`];
  if (engines === 0) {
    lines.push(
      '  No engine is registered there either: this is probably not where your engines run.',
      '  Point the command at their store: --state-dir DIR (or $LIVEGATE_STATE_DIR), --store URL, or -c CONFIG.',
      '  To create state for a new shared store: livegate init --store URL --reason TEXT --by NAME.',
    );
  } else {
    lines.push(
      `  ${engines} engine(s) registered there are failing closed (trigger state-missing) until it exists.`,
      '  The state was lost (a server restarted empty, a directory deleted): re-create and release with',
      '  livegate reset --reason TEXT --by NAME   (or livegate init to re-create it ENGAGED with --engaged).',
    );
  }
  return lines.join('\n');
}
