// What a venue says when it will not take a session's sequence numbers, read into one sentence a
// desk can act on: such a session cannot be fixed by logging on again with the same numbers.

/** A Logout (35=5) that refuses our numbers: QuickFIX-style "MsgSeqNum too low, expecting N". */
const TOO_LOW = /seq(uence)?\s*num(ber)?\w*\s+(is\s+)?(too\s+low|lower than expected)|too low/i;

const REMEDY =
  'the venue and this session disagree on sequence numbers (kept in the state dir, fix/*.seqnums): agree the numbers with the venue, or set fix.resetSeqNumOnLogon if it takes ResetSeqNumFlag=Y';

/** The problem a Logout states, or undefined for an ordinary logout. */
export function sequenceProblemOfLogout(
  text: string | undefined,
  nextExpected: string | undefined,
  lastSent: number,
): string | undefined {
  const expected = nextExpected === undefined ? Number.NaN : Number(nextExpected);
  const tooLow = (text !== undefined && TOO_LOW.test(text)) || expected > lastSent + 1;
  if (!tooLow) return undefined;
  const what = Number.isFinite(expected) ? `, NextExpectedMsgSeqNum (789) ${expected}` : '';
  return `the venue logged the session out for a sequence number too low ("${text ?? ''}"${what}; livegate's last was ${lastSent}): ${REMEDY}`;
}

/** The problem with a venue Logon numbered at or below the last one this session received. */
export function sequenceProblemOfLogon(
  seqNum: number,
  resets: boolean,
  lastReceived: number,
): string | undefined {
  if (resets || !Number.isFinite(seqNum) || seqNum > lastReceived) return undefined;
  return `the venue's Logon carried MsgSeqNum ${seqNum}, not above the ${lastReceived} this session last received (the venue reset its numbers, a new trading day?): ${REMEDY}`;
}
