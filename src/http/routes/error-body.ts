// The one error shape the control API answers with: `{ error: { code, message, ...facts } }`.

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string } & Readonly<
    Record<string, unknown>
  >;
}

export function errorBody(
  code: string,
  message: string,
  facts: Readonly<Record<string, unknown>> = {},
): ErrorBody {
  return { error: { code, message, ...facts } };
}
