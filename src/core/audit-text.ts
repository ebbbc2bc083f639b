// What a kill-switch reason or name may hold: printable text that a terminal (`livegate status`), a
// log line and the console all show as it is. One rule for the HTTP API, the CLI and the switch.

/** The audit trail's bounds; the console's form and the API's body use the same. */
export const MAX_REASON_LENGTH = 500;
export const MAX_BY_LENGTH = 100;

/**
 * Why `text` (trimmed first, as it will be recorded) cannot be a reason or a name within
 * `maxLength` characters, or null when it can. The caller names the field: `reason ${problem}`.
 */
export function auditTextProblem(text: string, maxLength: number): string | null {
  const trimmed = text.trim();
  if (trimmed.length === 0) return 'must not be empty';
  if (trimmed.length > maxLength) return `must be at most ${maxLength} characters`;
  let position = 0;
  for (const character of trimmed) {
    position += 1;
    const code = character.codePointAt(0) ?? 0;
    if (isControl(code)) {
      return `must be printable: control character ${codePoint(code)} at position ${position}`;
    }
    if (isBidiControl(code)) {
      return `must not reorder text: bidirectional control character ${codePoint(code)} at position ${position}`;
    }
  }
  return null;
}

/**
 * For text the engine writes itself (an error message as the reason for an automatic engage): never
 * refused, since refusing it would leave the switch open, only made printable. Line breaks and tabs
 * become one space, any other control character U+FFFD; trimmed.
 */
export function printableAuditText(text: string): string {
  let printable = '';
  let inBreak = false;
  for (const character of text) {
    const code = character.codePointAt(0) ?? 0;
    const lineBreak = isLineBreak(code);
    if (lineBreak && inBreak) continue;
    inBreak = lineBreak;
    printable += lineBreak ? ' ' : isControl(code) || isBidiControl(code) ? '\ufffd' : character;
  }
  return printable.trim();
}

/**
 * C0 controls (NUL, ESC, line breaks...), DEL and C1 controls rewrite a terminal or split a log
 * line; U+2028 and U+2029 are line breaks to JavaScript and to some log viewers.
 */
function isControl(code: number): boolean {
  return code <= 0x1f || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
}

/** Embeddings, overrides and isolates: they make `alice\u202Egnp.exe` read as another name. */
function isBidiControl(code: number): boolean {
  return (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069);
}

function isLineBreak(code: number): boolean {
  return (code >= 0x09 && code <= 0x0d) || code === 0x85 || code === 0x2028 || code === 0x2029;
}

function codePoint(code: number): string {
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}
