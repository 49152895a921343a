/**
 * Restriction (Art. 18) and access (Art. 15) requests (spec 2.4): received, answered and extended as erasure
 * requests are (lib/runtime/erasure-requests.ts), stored in the same requests table with their `kind`, so that the
 * deadline monitor watches all three kinds through the one open-by-deadline index.
 *
 * - Each kind derives its request id from the Idempotency-Key in its own namespace (`requestIdForKey(key, kind)`),
 *   and each kind's routes find only requests of that kind: ids do not cross kinds (404).
 * - A restriction request restricts the record of every holding in scope (the connector action `restrict`); with
 *   `keep: true` it also holds the data, like a legal hold, until `until` (or until it is lifted). `until` must be
 *   after the request is received.
 * - An access request plans, per record, which purposes, categories and fields are held (the planner's `access`);
 *   each record is exported (the connector action `export`), the finish publishes the export document, and GET
 *   answers its links (docs/api.md, "Access requests").
 */
import { Temporal } from '@js-temporal/polyfill';
import { InputError } from '../core/errors';
import { requestDeadline } from '../planner/plan';
import { formatInstant, parseInstant } from '../retention/time';
import { REQUESTS } from '../core/contract';
import { utcIso } from '../core/time';
import type { AccessRequestBody, ExtendRequestBody, RestrictionRequestBody } from './api-schemas';
import {
  checkIdempotencyKey,
  extendErasureRequest,
  type ExtendAnswer,
  type ReceivedAnswer,
  requestIdForKey,
  type RequestView,
  viewErasureRequest,
} from './erasure-requests';
import { ConflictError } from './errors';
import { EXPORT_LINK_SECONDS, type ExportLinks } from './exports';
import type { AccessEntryItem, RequestItem, RequestKind } from './requests';
import { liftedView, placeRestriction } from './restrictions';
import type { Runtime } from './runtime';
import { requestContext } from './sealing';
import { checkSubjectId } from './subjects';
import { checkPurpose } from './validate';

/** A restriction request as GET answers it: the erasure request's view, with its end and whether it holds the data. */
export interface RestrictionRequestView extends RequestView {
  readonly kind: 'restriction';
  /** When the restriction is to be lifted, in the policy's time zone; null: until the controller lifts it. */
  readonly until: string | null;
  readonly keep: boolean;
  /** When and how it was lifted (`api`: POST .../lift; `until`: by the sweep at `until`), with each record's outcome; null while in force. */
  readonly lifted: ReturnType<typeof liftedView>;
}

/** An access request as GET answers it: what is held per record (names only, never values). */
export interface AccessRequestView extends RequestView {
  readonly kind: 'access';
  /** Per record: the purposes it is held for, their categories and the fields of those categories; null until planned. */
  readonly access: readonly AccessEntryItem[] | null;
  /**
   * The export document (JSON) and its page (HTML) once the request is completed: links signed afresh on each read,
   * valid until 7 days after the export was produced (lib/runtime/exports.ts). `not-yet-available` while the request
   * is not completed, `not-available` when it failed, `expired` after those 7 days.
   */
  readonly export: ExportLinks | 'not-yet-available' | 'not-available' | 'expired';
}

interface Received {
  readonly body: {
    readonly subjectId: string;
    readonly scope?: readonly string[];
    readonly verification: RestrictionRequestBody['verification'];
  };
  readonly extra: Partial<Pick<RequestItem, 'until' | 'keep' | 'lang'>>;
}

async function receive(
  rt: Runtime,
  kind: Exclude<RequestKind, 'erasure'>,
  { body, extra }: Received,
  key: string | undefined,
): Promise<ReceivedAnswer> {
  const { policy } = rt;
  const idempotencyKey = checkIdempotencyKey(key);
  checkSubjectId(body.subjectId);
  body.scope?.forEach((purpose, i) => checkPurpose(policy, purpose, `scope[${i}]`));
  const verifiedAt = parseInstant(body.verification.verifiedAt, 'verification.verifiedAt');

  const now = rt.now();
  if (extra.until !== undefined && Temporal.Instant.compare(Temporal.Instant.from(extra.until), now) <= 0) {
    throw new InputError('expected until after now: a restriction is lifted after the request is received', { path: 'until' });
  }
  const requestId = requestIdForKey(idempotencyKey, kind);
  const subjectRef = await rt.refs.ref(body.subjectId);
  const sealedSubject = await rt.sealer.seal({ subjectId: body.subjectId }, requestContext(requestId, 'subject'), 'subjectId');
  const item: RequestItem = {
    requestId,
    kind,
    ...extra,
    subjectRef,
    sealedSubject,
    ...(body.scope ? { scope: [...new Set(body.scope)] } : {}),
    verification: { method: body.verification.method, verifiedAt: utcIso(verifiedAt) },
    status: 'received',
    receivedAt: utcIso(now),
    deadline: utcIso(requestDeadline(policy, now)),
    [REQUESTS.openAttribute]: REQUESTS.openValue,
  };
  const { created, item: stored } = await rt.requests.create(item);
  if (!created && stored.subjectRef !== subjectRef) {
    throw new ConflictError(`this Idempotency-Key was used for a ${kind} request about another subject; use a new key for a new request`);
  }
  // A restriction is in force from its receipt: its item beside the subject's events holds the data (`keep`) and
  // schedules its lift at `until` (restrictions.ts). Placed again by a retry with the same key: changes nothing.
  if (kind === 'restriction') await placeRestriction(rt, stored);
  return {
    requestId: stored.requestId,
    status: stored.status,
    deadline: formatInstant(Temporal.Instant.from(stored.deadline), policy.timezone),
  };
}

/** Records a restriction request (the caller then starts its workflow: startErasureRequest, which is kind-blind). */
export async function receiveRestrictionRequest(
  rt: Runtime,
  body: RestrictionRequestBody,
  idempotencyKey: string | undefined,
): Promise<ReceivedAnswer> {
  const until = body.until === undefined ? undefined : utcIso(parseInstant(body.until, 'until'));
  return receive(
    rt,
    'restriction',
    { body, extra: { ...(until === undefined ? {} : { until }), ...(body.keep === undefined ? {} : { keep: body.keep }) } },
    idempotencyKey,
  );
}

/** Records an access request. */
export async function receiveAccessRequest(
  rt: Runtime,
  body: AccessRequestBody,
  idempotencyKey: string | undefined,
): Promise<ReceivedAnswer> {
  return receive(rt, 'access', { body, extra: body.lang === undefined ? {} : { lang: body.lang } }, idempotencyKey);
}

export async function viewRestrictionRequest(rt: Runtime, requestId: string): Promise<RestrictionRequestView> {
  const view = await viewErasureRequest(rt, requestId, 'restriction');
  const item = (await rt.requests.get(requestId))!;
  return {
    ...view,
    kind: 'restriction',
    until: item.until === undefined ? null : formatInstant(Temporal.Instant.from(item.until), rt.policy.timezone),
    keep: item.keep ?? false,
    lifted: liftedView(rt, item),
  };
}

export async function viewAccessRequest(rt: Runtime, requestId: string): Promise<AccessRequestView> {
  const view = await viewErasureRequest(rt, requestId, 'access');
  const item = (await rt.requests.get(requestId))!;
  return { ...view, kind: 'access', access: item.access ?? null, export: await exportOf(rt, item) };
}

/** The export's links of a completed access request (produced when it completed: finishErasure). */
async function exportOf(rt: Runtime, item: RequestItem): Promise<AccessRequestView['export']> {
  if (item.status === 'failed') return 'not-available';
  if (item.status !== 'completed' || item.finishedAt === undefined) return 'not-yet-available';
  const producedAt = new Date(item.finishedAt);
  const now = new Date(rt.now().epochMilliseconds);
  // Less than a second left is over: a link is signed for whole seconds.
  if (now.getTime() + 1000 > producedAt.getTime() + EXPORT_LINK_SECONDS * 1000) return 'expired';
  return rt.exports.links(item.requestId, producedAt, now);
}

export const extendRestrictionRequest = (rt: Runtime, requestId: string, body: ExtendRequestBody): Promise<ExtendAnswer> =>
  extendErasureRequest(rt, requestId, body, 'restriction');

export const extendAccessRequest = (rt: Runtime, requestId: string, body: ExtendRequestBody): Promise<ExtendAnswer> =>
  extendErasureRequest(rt, requestId, body, 'access');
