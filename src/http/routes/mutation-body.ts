// The body of POST /api/killswitch/*: validated at the edge, every problem reported, the field named.

import * as z from 'zod';
import { auditTextProblem, MAX_BY_LENGTH, MAX_REASON_LENGTH } from '../../core/audit-text.js';
import { errorBody, type ErrorBody } from './error-body.js';

/** Trimmed, bounded and printable: the audit trail's own rule, so the CLI and the API agree. */
function requiredText(maxLength: number) {
  return z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
    .trim()
    .superRefine((text, context) => {
      const problem = auditTextProblem(text, maxLength);
      if (problem !== null) context.addIssue({ code: 'custom', message: problem });
    });
}

const mutationBodySchema = z.strictObject(
  { reason: requiredText(MAX_REASON_LENGTH), by: requiredText(MAX_BY_LENGTH) },
  {
    error: (issue) =>
      issue.code === 'invalid_type'
        ? 'must be a JSON object like {"reason": "...", "by": "..."}'
        : undefined,
  },
);

export type MutationBody = z.infer<typeof mutationBodySchema>;

interface BodyProblem {
  readonly field: string;
  readonly message: string;
}

export type ParsedMutationBody =
  | { readonly ok: true; readonly body: MutationBody }
  | { readonly ok: false; readonly error: ErrorBody };

export function parseMutationBody(input: unknown): ParsedMutationBody {
  const parsed = mutationBodySchema.safeParse(input);
  if (parsed.success) return { ok: true, body: parsed.data };
  const problems = parsed.error.issues.flatMap(problemsOf);
  return { ok: false, error: invalidBody(problems) };
}

/** For bodies that never reached the schema (not JSON, empty, too large). */
export function unparsableBody(message: string): ErrorBody {
  return invalidBody([{ field: 'body', message }]);
}

function invalidBody(problems: readonly BodyProblem[]): ErrorBody {
  const first = problems[0] ?? { field: 'body', message: 'is invalid' };
  const message = problems.map((problem) => `${problem.field}: ${problem.message}`).join('; ');
  return errorBody('INVALID_BODY', message, { field: first.field, problems });
}

function problemsOf(issue: z.core.$ZodIssue): BodyProblem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      field: key,
      message: 'is not allowed (only "reason" and "by" are)',
    }));
  }
  const field = issue.path.length === 0 ? 'body' : issue.path.map(String).join('.');
  return [{ field, message: issue.message }];
}
