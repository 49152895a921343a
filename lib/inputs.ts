/**
 * The documents the CLI (and later the API) accepts about subjects: a holding for `lethe expiry`, a subject
 * for `lethe plan`. Validated with zod, then checked against the policy (known purposes, systems and event
 * types) and turned into the engine's types. Every problem is an `InputError` naming the path.
 */
import type { Temporal } from '@js-temporal/polyfill';
import { z } from 'zod';
import { InputError } from './errors';
import type { Policy } from './policy/model';
import { COLLECTED } from './policy/schema';
import { describe } from './policy/schema-issues';
import { formatPath, type PathSegment } from './policy/source';
import type { ErasureRequest, Holding, SubjectFacts } from './planner/plan';
import type { HoldingFacts, SubjectEvent } from './retention/expiry';
import { parseInstant } from './retention/time';

const Timestamp = z.string({ error: 'expected an ISO 8601 timestamp with an offset, e.g. "2024-04-01T09:30:00+02:00"' });
const Id = z.string({ error: 'expected an id (text)' }).min(1, { error: 'expected an id, got an empty string' });

const EventSchema = z.strictObject({ type: Id, at: Timestamp, purpose: Id.optional() });
export const HoldingFileSchema = z.strictObject({ collectedAt: Timestamp, events: z.array(EventSchema).optional() });
export const SubjectFileSchema = z.strictObject({
  subjectId: Id,
  holdings: z.array(z.strictObject({ purpose: Id, system: Id, collectedAt: Timestamp })),
  events: z.array(EventSchema).optional(),
  request: z
    .strictObject({
      type: z.literal('erasure', { error: 'expected type: "erasure"' }),
      receivedAt: Timestamp,
      scope: z.array(Id).optional(),
    })
    .optional(),
});

/**
 * Parses `data` with `schema`; the first problem becomes an `InputError` naming its path (prefixed by `base`)
 * and what was there. Shared by the CLI's input files and the API's request bodies.
 */
export function parseWith<T extends z.ZodType>(schema: T, data: unknown, what: string, base: readonly PathSegment[] = []): z.output<T> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = formatPath([...base, ...(issue.path as PathSegment[])]);
  const value = issue.path.reduce<unknown>(
    (node, key) => (node && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined),
    data,
  );
  const message = issue.code === 'unrecognized_keys' ? `unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')}` : issue.message;
  const got =
    value === undefined ? (issue.path.length > 0 ? '; missing' : '') : issue.code === 'unrecognized_keys' ? '' : `; got ${describe(value)}`;
  throw new InputError(`${what} is invalid: ${message}${got}`, { path: path || undefined });
}

function toEvents(policy: Policy, events: z.output<typeof EventSchema>[] | undefined, base: string): SubjectEvent[] {
  return (events ?? []).map((e, i) => {
    const path = `${base}[${i}]`;
    if (e.type !== COLLECTED && !policy.events.includes(e.type)) {
      throw new InputError(`unknown event type "${e.type}"; the policy declares: ${policy.events.join(', ') || '(none)'}`, {
        path: `${path}.type`,
      });
    }
    if (e.purpose !== undefined && !policy.purposes[e.purpose]) {
      throw new InputError(`unknown purpose "${e.purpose}"; the policy declares: ${Object.keys(policy.purposes).join(', ')}`, {
        path: `${path}.purpose`,
      });
    }
    return { type: e.type, at: parseInstant(e.at, `${path}.at`), ...(e.purpose === undefined ? {} : { purpose: e.purpose }) };
  });
}

/** `{"collectedAt", "events": [{"type", "at", "purpose"?}]}` → the engine's holding facts. */
export function parseHoldingFile(policy: Policy, data: unknown): HoldingFacts {
  const doc = parseWith(HoldingFileSchema, data, 'holding');
  return { collectedAt: parseInstant(doc.collectedAt, 'collectedAt'), events: toEvents(policy, doc.events, 'events') };
}

export interface SubjectInput {
  readonly subject: SubjectFacts;
  readonly request?: ErasureRequest;
}

/** `{"subjectId", "holdings", "events", "request"?}` → the planner's input. */
export function parseSubjectFile(policy: Policy, data: unknown): SubjectInput {
  const doc = parseWith(SubjectFileSchema, data, 'subject');
  const holdings: Holding[] = doc.holdings.map((h, i) => ({
    purpose: h.purpose,
    system: h.system,
    collectedAt: parseInstant(h.collectedAt, `holdings[${i}].collectedAt`),
  }));
  const subject: SubjectFacts = { subjectId: doc.subjectId, holdings, events: toEvents(policy, doc.events, 'events') };
  if (!doc.request) return { subject };
  return { subject, request: { receivedAt: parseInstant(doc.request.receivedAt, 'request.receivedAt'), scope: doc.request.scope } };
}

/** `--now` and similar single timestamps. */
export function parseNow(value: string, name = '--now'): Temporal.Instant {
  return parseInstant(value, name);
}
