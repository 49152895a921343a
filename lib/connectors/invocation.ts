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
  RecordAction,
} from '../core/contract';
import { EXPORT_LIMITS, RESTRICTION_ACTIONS, VERIFICATIONS } from '../core/contract';
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

export const RECORD_ACTIONS = ['delete', 'anonymise', 'keep', 'restrict', 'unrestrict', 'export'] as const;

export const ConnectorRestrictionSchema = z.object({
  requestId: idText('restriction.requestId'),
  until: text('restriction.until').optional(),
});

export const ConnectorSubjectSchema = z
  .object({
    subjectRef: text('subjectRef'),
    subjectId: idText('subjectId'),
    locator: textMap('locator'),
    identifiers: textMap('identifier'),
    /** An item record's ref (spec 2.2): the locator locates that item only. */
    ref: idText('ref').optional(),
    record: z.enum(RECORD_ACTIONS, { error: `expected record: ${RECORD_ACTIONS.join(' | ')}` }),
    removeFields: z.array(ConnectorFieldSchema),
    anonymiseFields: z.array(ConnectorFieldSchema),
    restriction: ConnectorRestrictionSchema.optional(),
    /** With record `export` (spec 2.4, Art. 15): the fields to return, and no other. */
    exportFields: z.array(ConnectorFieldSchema).optional(),
  })
  .superRefine((subject, ctx) => {
    const exports = subject.record === 'export';
    if (exports && subject.exportFields === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['exportFields'],
        message: 'expected exportFields (the fields to export) with record "export"',
      });
    if (!exports && subject.exportFields !== undefined)
      ctx.addIssue({ code: 'custom', path: ['exportFields'], message: `exportFields belongs to record "export", not "${subject.record}"` });
    if (exports && subject.removeFields.length + subject.anonymiseFields.length > 0)
      ctx.addIssue({
        code: 'custom',
        path: ['removeFields'],
        message: 'record "export" changes no field: expected removeFields and anonymiseFields empty',
      });
    const marks = isRestrictionAction(subject.record);
    if (marks && subject.restriction === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['restriction'],
        message: `expected restriction: {requestId, until?} with record "${subject.record}"`,
      });
    if (!marks && subject.restriction !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['restriction'],
        message: `restriction belongs to record "restrict" or "unrestrict", not "${subject.record}"`,
      });
    if (marks && subject.removeFields.length + subject.anonymiseFields.length > 0)
      ctx.addIssue({
        code: 'custom',
        path: ['removeFields'],
        message: `record "${subject.record}" changes no field: expected removeFields and anonymiseFields empty`,
      });
  });

/** Whether a record action marks or unmarks the record (spec 2.4) rather than changing its data. */
export function isRestrictionAction(record: RecordAction): record is (typeof RESTRICTION_ACTIONS)[number] {
  return (RESTRICTION_ACTIONS as readonly string[]).includes(record);
}

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

export const OUTCOME_STATUSES = [
  'erased',
  'anonymised',
  'fields-removed',
  'fields-anonymised',
  'nothing-found',
  'restricted',
  'unrestricted',
  'exported',
] as const;

const count = (what: string) =>
  z.int({ error: `expected counts.${what}: a whole number >= 0` }).min(0, { error: `expected counts.${what}: a whole number >= 0` });

export const ConnectorCountsSchema = z.object({ records: count('records'), fields: count('fields'), objects: count('objects') });

/** A record action `export`'s copy (ConnectorExport): shapes only; `checkExports` checks the fields and the size. */
export const ConnectorExportSchema = z.object({
  records: z
    .array(
      z.object({
        source: z.string({ error: 'expected export.records[].source (text: where the record is)' }),
        fields: z.record(z.string(), z.unknown(), { error: 'expected export.records[].fields: an object of field name to value' }),
      }),
      { error: 'expected export.records: a list of {source, fields}' },
    )
    .readonly(),
  objects: z
    .array(
      z.object({
        key: z.string({ error: 'expected export.objects[].key (text)' }),
        size: z.int().min(0).optional(),
        lastModified: z.string().optional(),
        contentType: z.string().optional(),
        metadata: z.record(z.string(), z.string()).optional(),
        contentIncluded: z.boolean({ error: 'expected export.objects[].contentIncluded: true or false' }),
      }),
    )
    .readonly()
    .optional(),
  truncated: z.boolean({ error: 'expected export.truncated: true or false' }).optional(),
});

export const ConnectorSubjectOutcomeSchema = z.object({
  subjectRef: text('subjectRef'),
  status: z.enum(OUTCOME_STATUSES, { error: `expected status: ${OUTCOME_STATUSES.join(' | ')}` }),
  counts: ConnectorCountsSchema,
  export: ConnectorExportSchema.optional(),
  verification: z.enum(VERIFICATIONS, { error: `expected verification: ${VERIFICATIONS.join(' | ')}` }).optional(),
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
  checkActionOutcomes(result.subjects, invocation.subjects, what);
  checkExports(result.subjects, invocation.subjects, what);
  return result;
}

/**
 * Every `exported` outcome carries its copy (`export`), holds only the fields its subject's `exportFields` list, and
 * stays within EXPORT_LIMITS.maxBytes; no other outcome carries one. What a connector returns beyond the plan's
 * fields is refused, not dropped: the connector is wrong, and a document that silently omits what it sent would hide
 * that. Messages name the field (a name from the policy), never a value.
 */
export function checkExports(
  outcomes: readonly ConnectorSubjectOutcome[],
  subjects: readonly {
    readonly subjectRef: string;
    readonly record: RecordAction;
    readonly exportFields?: readonly { readonly name: string }[];
  }[],
  what: string,
): void {
  const bySubject = new Map(subjects.map((s) => [s.subjectRef, s]));
  for (const outcome of outcomes) {
    const subject = bySubject.get(outcome.subjectRef);
    if (subject === undefined) continue; // checkOutcomes refuses it
    if (outcome.status !== 'exported') {
      if (outcome.export !== undefined)
        throw new ConnectorPermanentError(`${what} is invalid: subject ${outcome.subjectRef} has an export but status "${outcome.status}"`);
      continue;
    }
    if (outcome.export === undefined)
      throw new ConnectorPermanentError(`${what} is invalid: subject ${outcome.subjectRef} is "exported" without export: {records: [...]}`);
    const listed = new Set((subject.exportFields ?? []).map((f) => f.name));
    outcome.export.records.forEach((record, i) => {
      const extra = Object.keys(record.fields).find((name) => !listed.has(name));
      if (extra !== undefined)
        throw new ConnectorPermanentError(
          `${what} is invalid: subject ${outcome.subjectRef}, export.records[${i}] has field "${extra}", which the invocation's exportFields do not list`,
        );
    });
    const bytes = Buffer.byteLength(JSON.stringify(outcome.export), 'utf8');
    if (bytes > EXPORT_LIMITS.maxBytes)
      throw new ConnectorPermanentError(
        `${what} is invalid: subject ${outcome.subjectRef}'s export is ${bytes} bytes, more than the ${EXPORT_LIMITS.maxBytes} allowed (EXPORT_LIMITS.maxBytes): leave data out and set truncated`,
      );
  }
}

/** The status that answers a record action: `restricted` for `restrict`, `unrestricted` for `unrestrict`. */
const ANSWER_OF: Partial<Record<RecordAction, ConnectorSubjectOutcome['status']>> = {
  restrict: 'restricted',
  unrestrict: 'unrestricted',
  export: 'exported',
};
/** The statuses that answer one record action only (ANSWER_OF's values). */
const ACTION_ONLY_STATUSES: readonly string[] = Object.values(ANSWER_OF);

/**
 * Every outcome answers its subject's record action: `restrict` only with `restricted`, `unrestrict` only with
 * `unrestricted`, the other actions never with either. A connector written before Lethe had these actions (a
 * user's webhook or function that reads `record` as delete | anonymise | keep) cannot answer them rightly, so it
 * fails here, clearly, instead of appearing to have restricted a record it did not mark.
 */
export function checkActionOutcomes(
  outcomes: readonly { readonly subjectRef: string; readonly status: string; readonly verification?: string }[],
  subjects: readonly { readonly subjectRef: string; readonly record: RecordAction }[],
  what: string,
): void {
  const actionOf = new Map(subjects.map((s) => [s.subjectRef, s.record]));
  for (const outcome of outcomes) {
    const record = actionOf.get(outcome.subjectRef);
    if (record === undefined) continue; // checkOutcomes refuses it
    const expected = ANSWER_OF[record];
    if (expected !== undefined && outcome.status !== expected) {
      throw new ConnectorPermanentError(
        `${what} is invalid: subject ${outcome.subjectRef} was asked to ${record} its record and the answer is "${outcome.status}", not "${expected}": the connector does not implement record action "${record}" (docs/connectors.md, "Restriction")`,
      );
    }
    if (expected === undefined && ACTION_ONLY_STATUSES.includes(outcome.status)) {
      throw new ConnectorPermanentError(
        `${what} is invalid: subject ${outcome.subjectRef} was asked to ${record} and the answer is "${outcome.status}"`,
      );
    }
    // Verification covers the actions that remove data (VERIFICATIONS); a mark or a copy has nothing to verify.
    if (expected !== undefined && outcome.verification !== undefined) {
      throw new ConnectorPermanentError(
        `${what} is invalid: subject ${outcome.subjectRef} was asked to ${record} and the answer carries verification, which only delete, anonymise and keep with fields have`,
      );
    }
  }
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
