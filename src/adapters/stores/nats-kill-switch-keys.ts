// Where the NATS store keeps one namespace's state in JetStream KV, and how names become keys.

/** Twelve digits sort lexically in revision order, like the file store's revision files. */
const REVISION_DIGITS = 12;
const REVISION_TOKEN = /^\d{12}$/;
/** Characters kept as they are in a key token; everything else is escaped byte by byte. */
const PLAIN_CHARACTER = /^[A-Za-z0-9-]$/;
const ESCAPED_TOKEN = /^(?:[A-Za-z0-9-]|_[0-9A-F]{2})+$/;

/**
 * KV keys allow only [-/_=.A-Za-z0-9] and '.' separates subject tokens, so scope names
 * (`desk:fx`) and engine ids (`desk/1`, `désk.1`) are encoded into one token: every UTF-8 byte
 * outside [A-Za-z0-9-] becomes _XX. Reversible, so no two names share a key.
 */
export function encodeKeyToken(text: string): string {
  let encoded = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const character = String.fromCharCode(byte);
    encoded += PLAIN_CHARACTER.test(character)
      ? character
      : `_${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

/** The name a token stands for, or undefined when it is not one encodeKeyToken could produce. */
export function decodeKeyToken(token: string): string | undefined {
  if (!ESCAPED_TOKEN.test(token)) return undefined;
  const bytes: number[] = [];
  for (let index = 0; index < token.length;) {
    if (token[index] === '_') {
      bytes.push(Number.parseInt(token.slice(index + 1, index + 3), 16));
      index += 3;
    } else {
      bytes.push(token.charCodeAt(index));
      index += 1;
    }
  }
  const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  try {
    const decoded = text.decode(Uint8Array.from(bytes));
    return encodeKeyToken(decoded) === token ? decoded : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One bucket per namespace; inside it, one scope's state and the namespace's engine reports:
 *
 *   state.<scope>.rev.<revision, 12 digits>   one record per revision (the audit trail)
 *   state.<scope>.head                        copy of the latest record (a fast hint)
 *   state.<scope>.unreadable.<time>_<random>  an unreadable head, kept when a repair replaces it
 *   engines.<engine id>                       engine reports (per namespace, not per scope)
 */
export class NatsKillSwitchKeys {
  readonly bucket: string;
  /** The prefix of every key of the scope's state, named when the state as a whole is wrong. */
  readonly state: string;
  readonly head: string;
  /** Matches every revision key of the scope (one subject token per revision). */
  readonly revisions: string;
  readonly engines = 'engines.*';

  constructor(namespace: string, scope: string) {
    this.bucket = `${namespace}_killswitch`;
    this.state = `state.${encodeKeyToken(scope)}`;
    this.head = `${this.state}.head`;
    this.revisions = `${this.state}.rev.*`;
  }

  revision(revision: number): string {
    return `${this.state}.rev.${String(revision).padStart(REVISION_DIGITS, '0')}`;
  }

  /** The revision a key stands for, or undefined for any other key. */
  parseRevision(key: string): number | undefined {
    const prefix = `${this.state}.rev.`;
    if (!key.startsWith(prefix)) return undefined;
    const token = key.slice(prefix.length);
    if (!REVISION_TOKEN.test(token)) return undefined;
    const revision = Number(token);
    return revision >= 1 ? revision : undefined;
  }

  unreadable(suffix: string): string {
    return `${this.state}.unreadable.${suffix}`;
  }

  engine(engineId: string): string {
    return `engines.${encodeKeyToken(engineId)}`;
  }

  /** The engine id a key stands for, or undefined for any other key. */
  parseEngine(key: string): string | undefined {
    return key.startsWith('engines.') ? decodeKeyToken(key.slice('engines.'.length)) : undefined;
  }
}
