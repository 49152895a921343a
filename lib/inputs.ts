/**
 * The documents the CLI (and later the API) accepts about subjects: a holding for `lethe expiry`, a subject
 * for `lethe plan`. Validated with zod, then checked against the policy (known purposes, systems and event
 * types) and turned into the engine's types. Every problem is an `InputError` naming the path.
 */
import type { Temporal } from '@js-temporal/polyfill';
import { z } from 'zod';
import { InputError } from './core/errors';
import type { Policy } from './policy/model';
import { COLLECTED, MAX_REF_LENGTH, REQUEST_HANDLED } from './policy/schema';
import { describe } from './policy/schema-issues';
import { formatPath, type PathSegment } from './policy/source';
import { type Hold, type Holding, REQUEST_TYPES, type Scope, type SubjectFacts, type SubjectRequest } from './planner/plan';
import type { HoldingFacts, SubjectEvent } from './retention/expiry';
import { parseInstant } from './retention/time';

const Timestamp = z.string({ error: 'expected an ISO 8601 timestamp with an offset, e.g. "2024-04-01T09:30:00+02:00"' });
const Id = z.string({ error: 'expected an id (text)' }).min(1, { error: 'expected an id, got an empty string' });

/** An item's id (spec 2.2): opaque text of at most 128 characters. */
const Ref = z
  .string({ error: 'expected a ref: the id of the item (text)' })
  .min(1, { error: 'expected a ref, got an empty string' })
  .max(MAX_REF_LENGTH, { error: `expected a ref of at most ${MAX_REF_LENGTH} characters` });
const Reason = z.string({ error: 'expected a reason (text)' }).trim().min(1, { error: 'expected a reason, got an empty string' });

const EventSchema = z.strictObject({ type: Id, at: Timestamp, purpose: Id.optional(), ref: Ref.optional() });
const ScopeSchema = z.strictObject({ purposes: z.array(Id).optional(), systems: z.array(Id).optional(), refs: z.array(Ref).optional() });
const HoldSchema = z.strictObject({
  holdId: Id,
  reason: Reason,
  placedAt: Timestamp,
  releasedAt: Timestamp.optional(),
  scope: ScopeSchema.optional(),
});
export const HoldingFileSchema = z.strictObject({ collectedAt: Timestamp, ref: Ref.optional(), events: z.array(EventSchema).optional() });
export const SubjectFileSchema = z.strictObject({
  subjectId: Id,
  holdings: z.array(z.strictObject({ purpose: Id, system: Id, collectedAt: Timestamp, ref: Ref.optional() })),
  events: z.array(EventSchema).optional(),
  holds: z.array(HoldSchema).optional(),
  request: z
    .strictObject({
      type: z.enum(REQUEST_TYPES, { error: `expected type: ${REQUEST_TYPES.map((t) => `"${t}"`).join(' | ')}` }),
      receivedAt: Timestamp,
      scope: z
        .union([z.array(Id), ScopeSchema], { error: 'expected scope: a list of purposes, or {purposes?, systems?, refs?}' })
        .optional(),
      until: Timestamp.optional(),
      keep: z.boolean({ error: 'expected keep: true or false' }).optional(),
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
    if (e.type !== COLLECTED && e.type !== REQUEST_HANDLED && !policy.events.includes(e.type)) {
      throw new InputError(
        `unknown event type "${e.type}"; the policy declares: ${policy.events.join(', ') || '(none)'} (and the built-ins "${COLLECTED}", "${REQUEST_HANDLED}")`,
        { path: `${path}.type` },
      );
    }
    if (e.purpose !== undefined && !policy.purposes[e.purpose]) {
      throw new InputError(`unknown purpose "${e.purpose}"; the policy declares: ${Object.keys(policy.purposes).join(', ')}`, {
        path: `${path}.purpose`,
      });
    }
    return {
      type: e.type,
      at: parseInstant(e.at, `${path}.at`),
      ...(e.purpose === undefined ? {} : { purpose: e.purpose }),
      ...(e.ref === undefined ? {} : { ref: e.ref }),
    };
  });
}

/** `{"collectedAt", "ref"?, "events": [{"type", "at", "purpose"?, "ref"?}]}` → the engine's holding facts. */
export function parseHoldingFile(policy: Policy, data: unknown): HoldingFacts {
  const doc = parseWith(HoldingFileSchema, data, 'holding');
  return {
    collectedAt: parseInstant(doc.collectedAt, 'collectedAt'),
    events: toEvents(policy, doc.events, 'events'),
    ...(doc.ref === undefined ? {} : { ref: doc.ref }),
  };
}

/** `lethe expiry`: a `per: item` purpose's holding needs its `ref` (spec 2.2). */
export function checkHoldingRef(policy: Policy, purposeId: string, holding: HoldingFacts): void {
  if (policy.purposes[purposeId]?.per === 'item' && holding.ref === undefined) {
    throw new InputError(`purpose "${purposeId}" keeps a clock per item (per: item): the holding needs \`ref\`, the item's id`, {
      path: 'ref',
    });
  }
}

export interface SubjectInput {
  readonly subject: SubjectFacts;
  readonly request?: SubjectRequest;
}

function toScope(scope: z.output<typeof ScopeSchema>): Scope {
  return {
    ...(scope.purposes ? { purposes: scope.purposes } : {}),
    ...(scope.systems ? { systems: scope.systems } : {}),
    ...(scope.refs ? { refs: scope.refs } : {}),
  };
}

/** `{"subjectId", "holdings", "events", "holds"?, "request"?}` → the planner's input. */
export function parseSubjectFile(policy: Policy, data: unknown): SubjectInput {
  const doc = parseWith(SubjectFileSchema, data, 'subject');
  const holdings: Holding[] = doc.holdings.map((h, i) => ({
    purpose: h.purpose,
    system: h.system,
    collectedAt: parseInstant(h.collectedAt, `holdings[${i}].collectedAt`),
    ...(h.ref === undefined ? {} : { ref: h.ref }),
  }));
  const holds: Hold[] = (doc.holds ?? []).map((h, i) => ({
    holdId: h.holdId,
    reason: h.reason,
    placedAt: parseInstant(h.placedAt, `holds[${i}].placedAt`),
    ...(h.releasedAt === undefined ? {} : { releasedAt: parseInstant(h.releasedAt, `holds[${i}].releasedAt`) }),
    ...(h.scope ? { scope: toScope(h.scope) } : {}),
  }));
  const seen = new Set<string>();
  holds.forEach((h, i) => {
    if (seen.has(h.holdId)) throw new InputError(`hold "${h.holdId}" is listed twice`, { path: `holds[${i}].holdId` });
    seen.add(h.holdId);
  });
  const subject: SubjectFacts = { subjectId: doc.subjectId, holdings, events: toEvents(policy, doc.events, 'events'), holds };
  const r = doc.request;
  if (!r) return { subject };
  const request: SubjectRequest = {
    type: r.type,
    receivedAt: parseInstant(r.receivedAt, 'request.receivedAt'),
    ...(r.scope === undefined ? {} : { scope: Array.isArray(r.scope) ? r.scope : toScope(r.scope) }),
    ...(r.until === undefined ? {} : { until: parseInstant(r.until, 'request.until') }),
    ...(r.keep === undefined ? {} : { keep: r.keep }),
  };
  return { subject, request };
}

/** `--now` and similar single timestamps. */
export function parseNow(value: string, name = '--now'): Temporal.Instant {
  return parseInstant(value, name);
}
