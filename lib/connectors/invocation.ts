/**
 * The connector contract (`ConnectorInvocation` → `ConnectorResult` in lib/core/contract.ts) as zod
 * schemas: every connector validates what it is given, and Lethe validates what a connector of the user's own
 * (a Lambda function, a webhook) answers.
 *
 * Unknown keys are ignored rather than refused, so that a connector written against this version keeps
 * working when a later Lethe adds a field. Error messages name the path and what was expected, never the
 * value: the values are personal data.
 */
import { z } from 'zod';
import { Strategy } from '../policy/schema';
import type {
  ConnectorCounts,
  ConnectorInvocation,
  ConnectorResult,
  ConnectorSubject,
  ConnectorSubjectFailure,
  ConnectorSubjectOutcome,
} from '../core/contract';
import { ConnectorPermanentError } from './errors';
import { parseOrThrow } from './parse';

const text = (what: string) => z.string({ error: `expected ${what} (text)` }).min(1, { error: `expected ${what}, got an empty string` });
/**
 * A lone surrogate (half of a UTF-16 pair) has no UTF-8 form: stores replace it (DynamoDB Local turns "x\ud800" and
 * "x\udc00" into the same key), so two different ids could name one record. Ids must be well-formed Unicode.
 */
const LONE_SURROGATE = /\p{Cs}/u;
const wellFormed = (what: string) => ({ error: `expected ${what} to be well-formed Unicode (it has a lone surrogate)` });
const idText = (what: string) => text(what).refine((value) => !LONE_SURROGATE.test(value), wellFormed(what));
const textMap = (what: string) =>
  z.record(
    z.string(),
    z
      .string({ error: `expected each ${what} value to be text` })
      .refine((value) => !LONE_SURROGATE.test(value), wellFormed(`each ${what} value`)),
  );

export const ConnectorFieldSchema = z.object({
  name: text('the field name'),
  category: text('the field category'),
  anonymise: Strategy.optional(),
});

export const RECORD_ACTIONS = ['delete', 'anonymise', 'keep'] as const;

export const ConnectorSubjectSchema = z.object({
  subjectRef: text('subjectRef'),
  subjectId: idText('subjectId'),
  locator: textMap('locator'),
  identifiers: textMap('identifier'),
  record: z.enum(RECORD_ACTIONS, { error: `expected record: ${RECORD_ACTIONS.join(' | ')}` }),
  removeFields: z.array(ConnectorFieldSchema),
  anonymiseFields: z.array(ConnectorFieldSchema),
});

export const ConnectorInvocationSchema = z.object({
  system: text('the system id'),
  purposes: z.array(text('a purpose id')),
  subjects: z.array(ConnectorSubjectSchema).superRefine((subjects, ctx) => {
    const seen = new Set<string>();
    subjects.forEach((s, i) => {
      if (seen.has(s.subjectRef))
        ctx.addIssue({ code: 'custom', path: [i, 'subjectRef'], message: 'the same subject appears twice in one invocation' });
      seen.add(s.subjectRef);
    });
  }),
  operationId: text('operationId'),
  policyHash: z.string({ error: 'expected policyHash (text)' }),
});

export const OUTCOME_STATUSES = ['erased', 'anonymised', 'fields-removed', 'fields-anonymised', 'nothing-found'] as const;

const count = (what: string) =>
  z.int({ error: `expected counts.${what}: a whole number >= 0` }).min(0, { error: `expected counts.${what}: a whole number >= 0` });

export const ConnectorCountsSchema = z.object({ records: count('records'), fields: count('fields'), objects: count('objects') });

export const ConnectorSubjectOutcomeSchema = z.object({
  subjectRef: text('subjectRef'),
  status: z.enum(OUTCOME_STATUSES, { error: `expected status: ${OUTCOME_STATUSES.join(' | ')}` }),
  counts: ConnectorCountsSchema,
});

/**
 * An error name as a subject's failure carries it: plain and bounded (as `errorLabel` records a system's error).
 * A text that is not a name is refused, not cleaned: a message with its spaces and punctuation stripped could
 * still quote personal data ("user1examplecomnotfound").
 */
export const ERROR_NAME = /^[A-Za-z][A-Za-z0-9._-]{0,127}$/;

export const ConnectorSubjectFailureSchema = z.object({
  subjectRef: text('subjectRef'),
  error: z
    .string({ error: 'expected error: the error name (text)' })
    .regex(ERROR_NAME, { error: 'expected error: an error name (a letter, then letters, digits, . _ -; at most 128), never a message' }),
  transient: z.boolean({ error: 'expected transient: true or false' }),
});

export const ConnectorResultSchema = z.object({
  system: text('the system id'),
  subjects: z.array(ConnectorSubjectOutcomeSchema),
  failed: z.array(ConnectorSubjectFailureSchema).optional(),
});

/** An invocation as validated: field strategies are the policy's typed strategies. */
export type Invocation = z.output<typeof ConnectorInvocationSchema>;
export type InvocationSubject = z.output<typeof ConnectorSubjectSchema>;
export type InvocationField = z.output<typeof ConnectorFieldSchema>;

// The schemas and the contract's interfaces describe the same data: these fail to compile if they drift.
const _invocationMatches = (i: Invocation): ConnectorInvocation => i;
const _subjectMatches = (s: InvocationSubject): ConnectorSubject => s;
const _resultMatches = (r: z.output<typeof ConnectorResultSchema>): ConnectorResult => r;
const _outcomeMatches = (o: ConnectorSubjectOutcome): z.output<typeof ConnectorSubjectOutcomeSchema> => o;
const _countsMatch = (c: ConnectorCounts): z.output<typeof ConnectorCountsSchema> => c;
const _failureMatches = (f: ConnectorSubjectFailure): z.output<typeof ConnectorSubjectFailureSchema> => f;
// eslint-disable-next-line @typescript-eslint/no-meaningless-void-operator -- marks the checks above used (noUnusedLocals)
void [_invocationMatches, _subjectMatches, _resultMatches, _outcomeMatches, _countsMatch, _failureMatches];

export { parseOrThrow };

export function parseInvocation(data: unknown): Invocation {
  return parseOrThrow(ConnectorInvocationSchema, data, 'connector invocation');
}

/**
 * Validates a connector's answer to an invocation: the right system, and every subject asked about answered
 * exactly once (an outcome, or a failure), no other.
 */
export function parseResult(
  data: unknown,
  invocation: Pick<ConnectorInvocation, 'system' | 'subjects'>,
  what = 'connector result',
): ConnectorResult {
  const result = parseOrThrow(ConnectorResultSchema, data, what);
  if (result.system !== invocation.system) {
    throw new ConnectorPermanentError(`${what} is invalid: it is for system "${result.system}", expected "${invocation.system}"`);
  }
  checkOutcomes(result.subjects, invocation.subjects, what, result.failed);
  return result;
}

/**
 * Every subject asked about answered exactly once, in `outcomes` or in `failed`, and no other subject (compared
 * by subjectRef, an HMAC, safe to name).
 */
export function checkOutcomes(
  outcomes: readonly { readonly subjectRef: string }[],
  subjects: readonly { readonly subjectRef: string }[],
  what: string,
  failed: readonly { readonly subjectRef: string }[] = [],
): void {
  const asked = new Set(subjects.map((s) => s.subjectRef));
  const answered = new Set<string>();
  for (const outcome of [...outcomes, ...failed]) {
    // The unknown ref is not repeated: it comes from the connector and could be anything.
    if (!asked.has(outcome.subjectRef))
      throw new ConnectorPermanentError(`${what} is invalid: it answers for a subject that was not asked about`);
    if (answered.has(outcome.subjectRef))
      throw new ConnectorPermanentError(`${what} is invalid: it answers twice for subject ${outcome.subjectRef}`);
    answered.add(outcome.subjectRef);
  }
  const missing = [...asked].filter((ref) => !answered.has(ref));
  if (missing.length > 0) throw new ConnectorPermanentError(`${what} is invalid: no outcome for subject(s) ${missing.join(', ')}`);
}
