// The FIX dictionary a session loads, with the venue's cancel-on-disconnect field declared on Logon:
// jspurefix encodes only fields its dictionary declares on a message, and FIX 4.4 has no such field.

import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LivegateError } from '../../core/errors.js';

export interface LogonField {
  readonly tag: number;
  readonly value: string;
}

export interface SessionDictionary {
  /** Absolute path of the QuickFIX XML to load. */
  readonly path: string;
  /** The name the dictionary gives the Logon field (undefined when none was asked for). */
  readonly logonFieldName: string | undefined;
}

/**
 * `base` as is when no Logon field is asked for or it already declares it; otherwise a copy with
 * the field added (named from the dictionary when it defines the tag, else `CancelOnDisconnect`),
 * kept under the OS temporary directory and named by its content.
 */
export async function sessionDictionary(
  base: string,
  field: LogonField | null,
): Promise<SessionDictionary> {
  if (field === null) return { path: base, logonFieldName: undefined };
  let xml: string;
  try {
    xml = await readFile(base, 'utf8');
  } catch (error) {
    throw new LivegateError('ERR_CONFIG_INVALID', `fix.dictionary: cannot read ${base}`, {
      cause: error,
    });
  }
  const defined = new RegExp(`<field\\s+number=['"]${field.tag}['"]\\s+name=['"]([^'"]+)['"]`).exec(
    xml,
  );
  const name = defined?.[1] ?? 'CancelOnDisconnect';
  const logon = /<message\s+name=['"]Logon['"][^>]*>/.exec(xml);
  const fields = /<fields>/.exec(xml);
  if (logon === null || fields === null) {
    throw new LivegateError(
      'ERR_CONFIG_INVALID',
      `fix.dictionary: ${base} is not a QuickFIX dictionary with a Logon message and a <fields> section`,
    );
  }
  const logonEnd = xml.indexOf('</message>', logon.index);
  if (new RegExp(`<field\\s+name=['"]${name}['"]`).test(xml.slice(logon.index, logonEnd))) {
    return { path: base, logonFieldName: name };
  }
  let patched =
    xml.slice(0, logon.index + logon[0].length) +
    `\n   <field name='${name}' required='N' />` +
    xml.slice(logon.index + logon[0].length);
  if (defined === null) {
    const at = patched.indexOf('<fields>') + '<fields>'.length;
    patched =
      patched.slice(0, at) +
      `\n  <field number='${field.tag}' name='${name}' type='STRING' />` +
      patched.slice(at);
  }
  const digest = createHash('sha256').update(patched).digest('hex').slice(0, 16);
  const path = join(tmpdir(), `livegate-fix-dictionary-${digest}.xml`);
  const partial = `${path}.${process.pid}.tmp`;
  await writeFile(partial, patched);
  await rename(partial, path);
  return { path, logonFieldName: name };
}
