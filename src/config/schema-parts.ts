// Small zod building blocks every config section shares.

import * as z from 'zod';

export const positiveInteger = () => z.number().int().min(1);
export const nonNegativeInteger = () => z.number().int().min(0);

/** Symbols are compared by name downstream, so an empty or repeated one is a mistake. */
export const symbolList = () =>
  z
    .array(z.string().min(1))
    .min(1)
    .check((context) => {
      const seen = new Set<string>();
      context.value.forEach((symbol, index) => {
        if (seen.has(symbol)) {
          context.issues.push({
            code: 'custom',
            message: `duplicate symbol "${symbol}"`,
            input: symbol,
            path: [index],
          });
        }
        seen.add(symbol);
      });
    });
