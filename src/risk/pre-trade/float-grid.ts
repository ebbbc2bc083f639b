// Float comparisons for limits and grids: decimal sizes (0.1, 0.00001) have no exact binary form.

/** Relative slack on "above the limit": 3 × 1.1 = 3.3000000000000003 is not above 3.3. */
const LIMIT_TOLERANCE = 1e-9;
/** Slack on "a whole number of steps", in steps, for values close to zero steps... */
export const GRID_FLOOR = 1e-9;
/** ...and relative to the step count, which grows the rounding error of the division. */
export const GRID_RELATIVE = 1e-14;

// exceeds and fallsShort stay tiny so V8 always inlines them: a double passed to a call it did
// not inline is boxed on the heap, and the accept path must not allocate.

/** True when `actual` is above `limit` by more than float noise (never for an Infinity limit). */
export function exceeds(actual: number, limit: number): boolean {
  return actual > limit + limit * LIMIT_TOLERANCE;
}

/** True when `actual` is below `minimum` by more than float noise. */
export function fallsShort(actual: number, minimum: number): boolean {
  return actual < minimum - minimum * LIMIT_TOLERANCE;
}

/**
 * True when `value` is a whole number of `step`s: 0.3 is a multiple of 0.1. Too big for V8 to
 * always inline, so the hot checks repeat this formula inline (tests hold them to the same cases).
 */
export function isMultipleOf(value: number, step: number): boolean {
  const steps = value / step;
  return (
    Math.abs(steps - Math.round(steps)) <= Math.max(GRID_FLOOR, Math.abs(steps) * GRID_RELATIVE)
  );
}
