// Where the file store keeps everything under its state directory, and how files are named.
import { dirname, join } from 'node:path';
import { GLOBAL_SCOPE } from '../../core/scopes.js';

/** Twelve digits sort lexically in revision order and outlast any realistic number of changes. */
const REVISION_DIGITS = 12;
const REVISION_FILE = /^(\d{12})\.json$/;

export class FileKillSwitchLayout {
  readonly killSwitchDirectory: string;
  readonly revisionsDirectory: string;
  readonly temporaryDirectory: string;
  readonly statePath: string;
  readonly enginesDirectory: string;
  /** The directory whose entries announce that killswitch/ appeared (watched). */
  readonly watchRoot: string;

  /** `global` lives in <stateDir>/killswitch; other scopes in <stateDir>/scopes/<encoded scope>/killswitch. */
  constructor(
    readonly stateDirectory: string,
    scope: string = GLOBAL_SCOPE,
  ) {
    this.killSwitchDirectory =
      scope === GLOBAL_SCOPE
        ? join(stateDirectory, 'killswitch')
        : join(stateDirectory, 'scopes', encodeFileName(scope), 'killswitch');
    this.watchRoot = dirname(this.killSwitchDirectory);
    this.revisionsDirectory = join(this.killSwitchDirectory, 'revisions');
    this.temporaryDirectory = join(this.killSwitchDirectory, 'tmp');
    this.statePath = join(this.killSwitchDirectory, 'state.json');
    this.enginesDirectory = join(stateDirectory, 'engines');
  }

  revisionPath(revision: number): string {
    return join(this.revisionsDirectory, revisionFileName(revision));
  }
}

export function revisionFileName(revision: number): string {
  return `${String(revision).padStart(REVISION_DIGITS, '0')}.json`;
}

/** The revision a file name stands for, or undefined for anything else (set-aside files, strays). */
export function parseRevisionFileName(name: string): number | undefined {
  const match = REVISION_FILE.exec(name);
  if (match?.[1] === undefined) return undefined;
  const revision = Number(match[1]);
  return revision >= 1 ? revision : undefined;
}

/**
 * Engine ids come from configuration, so they are encoded rather than trusted as file names:
 * bytes outside [A-Za-z0-9_-] become %XX, which is reversible (no two ids share a file) and
 * leaves no '.', '/' or '..' to escape the directory.
 */
export function engineReportFileName(engineId: string): string {
  return `${encodeFileName(engineId)}.json`;
}

function encodeFileName(name: string): string {
  let encoded = '';
  for (const byte of Buffer.from(name, 'utf8')) {
    const character = String.fromCharCode(byte);
    encoded += /[A-Za-z0-9_-]/.test(character)
      ? character
      : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}
