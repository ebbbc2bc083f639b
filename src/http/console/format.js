// How the console writes figures, one way everywhere: no "-0", money in cents, prices with the
// decimals of their size, ages in seconds. A plain ES module, loaded by app.js (and by the tests).

/** Rounded as shown: what the page colours and sums is what it prints (no red "-0"). */
export const shown = (value, digits = 2) => {
  const rounded = Math.round(value * 10 ** digits) / 10 ** digits;
  return rounded === 0 ? 0 : rounded; // -0 becomes 0
};

const finite = (value) => typeof value === 'number' && Number.isFinite(value);

export const number = (value, digits = 2) =>
  finite(value)
    ? shown(value, digits).toLocaleString(undefined, { maximumFractionDigits: digits })
    : '–';

/** Below this an amount is floating-point noise, not money: shown as 0.00. */
const NOISE = 1e-9;

/**
 * Money with two decimals. An amount that is not zero but rounds to it reads "< 0.01" (a gain)
 * or "> −0.01" (a loss), so rows of "0" never sit over a total of "0.01".
 */
export function money(value) {
  if (!finite(value)) return '–';
  const rounded = shown(value);
  if (rounded === 0 && Math.abs(value) >= NOISE) return value > 0 ? '< 0.01' : '> −0.01';
  const text = Math.abs(rounded).toLocaleString(undefined, {
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  });
  return rounded < 0 ? `−${text}` : text;
}

/** Prices with the decimals of their size, so one instrument's column never mixes 1.1 and 1.09936. */
export const price = (value) =>
  finite(value)
    ? value.toLocaleString(undefined, {
        minimumFractionDigits: priceDecimals(value),
        maximumFractionDigits: priceDecimals(value),
      })
    : '–';
const priceDecimals = (value) => (Math.abs(value) >= 1_000 ? 2 : Math.abs(value) >= 10 ? 3 : 5);

/** Always in seconds below two minutes, so one column never mixes "850 ms" and "1.0 s". */
export function age(ms) {
  if (ms < 120_000) return `${(Math.max(0, ms) / 1_000).toFixed(1)} s ago`;
  return `${Math.round(ms / 60_000)} min ago`;
}

/**
 * When an engine applied a change, relative to the request. The engine stamps its report with its
 * own clock: on another host with a clock behind this one the difference is negative, and
 * "applied −2,587 ms after the request" is nonsense, so then only the fact is said.
 */
export function appliedAfter(sinceIssuedMs) {
  if (!finite(sinceIssuedMs)) return 'applied';
  if (sinceIssuedMs < 0) return "applied (its host's clock is behind this one: no timing)";
  return `applied ${number(sinceIssuedMs, 1)} ms after the request`;
}
