/**
 * The erasure API's domain: receiving a request (Art. 17), answering its status, extending its deadline once
 * (Art. 12(3)). The workflow does the erasing; this only records the request and starts it, in that order and
 * in two steps, so that the request exists before anything slow is tried.
 */
import { createHash } from 'node:crypto';
import { Temporal } from '@js-temporal/polyfill';
import { InputError } from '../core/errors';
import { ConflictError, RequestNotFoundError } from './errors';
import { requestDeadline } from '../planner/plan';
import { formatInstant, parseInstant } from '../retention/time';
import type { ErasureRequestBody, ExtendRequestBody } from './api-schemas';
import { REQUESTS, type RequestStatus, type SystemStatus, type Verification } from '../core/contract';
import { type Extension, kindOf, type RequestItem, type RequestKind, type RetainedEntry } from './requests';
import { errorName, logger } from '../core/observability';
import type { Runtime } from './runtime';
import { requestContext } from './sealing';
import { checkSubjectId } from './subjects';
import { utcIso } from '../core/time';
import { checkIdText, checkPurpose } from './validate';

export interface ReceivedAnswer {
  readonly requestId: string;
  readonly status: RequestStatus;
  readonly deadline: string;
}

export interface RequestView {
  readonly requestId: string;
  /** While the request is open only: a completed request keeps no subject id (docs/api.md). */
  readonly subjectId?: string;
  readonly status: RequestStatus;
  readonly receivedAt: string;
  readonly deadline: string;
  readonly extension?: { readonly months: number; readonly reason: string };
  readonly systems: readonly {
    readonly system: string;
    /**
     * An item record's (spec 2.2, 2.7): the item's ref as registered, while the request is open; once it is completed
     * the raw ref is no longer kept, and `item` (its HMAC) names it instead.
     */
    readonly ref?: string;
    readonly item?: string;
    readonly status: SystemStatus;
    readonly fields?: readonly string[];
    readonly error?: string;
    /** Issue 19: whether the connector verified its delete, anonymise or field removal (absent for other actions). */
    readonly verification?: Verification;
  }[];
  readonly retained: readonly RetainedEntry[];
}

export interface ExtendAnswer {
  readonly requestId: string;
  readonly deadline: string;
  readonly extension: { readonly months: number; readonly reason: string };
}

const MAX_IDEMPOTENCY_KEY = 256;
const REQUEST_ID = /^[A-Za-z0-9-]{1,80}$/;

/**
 * The request id for an Idempotency-Key: derived from the key, so that a retry after a partial failure (the
 * item written, the workflow not started) finds the same request, even after the idempotency record expired.
 */
export function requestIdForKey(key: string, kind: RequestKind = 'erasure'): string {
  // Each kind its own namespace: the same key sent for a restriction and for an access request makes two requests.
  const h = createHash('sha256').update(`lethe/${kind}-request/${key}`, 'utf8').digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Where a missing or unusable Idempotency-Key is reported. */
export const IDEMPOTENCY_KEY_PATH = 'headers.Idempotency-Key';

/**
 * The Idempotency-Key every erasure request must carry: without one, a retry after a lost answer would start a
 * second erasure. Text of 1 to 256 characters, well-formed and without control characters (the request id is
 * derived from its bytes).
 */
export function checkIdempotencyKey(key: string | null | undefined): string {
  if (key === undefined || key === null) {
    throw new InputError(
      'send an Idempotency-Key header (any text unique to this request, e.g. a UUID): a retry with the same key returns the same request instead of starting a second erasure',
      { path: IDEMPOTENCY_KEY_PATH },
    );
  }
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY) {
    throw new InputError(`expected an Idempotency-Key of 1 to ${MAX_IDEMPOTENCY_KEY} characters, got ${key.length}`, {
      path: IDEMPOTENCY_KEY_PATH,
    });
  }
  return checkIdText(key, IDEMPOTENCY_KEY_PATH);
}

/**
 * The request of this kind, or `RequestNotFoundError` (404): ids do not cross kinds, so a restriction request's
 * id asked for on the erasure route is not found (an item without `kind` is an erasure request).
 */
export async function requireOfKind(rt: Runtime, requestId: string, kind: RequestKind): Promise<RequestItem> {
  const item = await rt.requests.get(requestId);
  if (!item || kindOf(item) !== kind) throw new RequestNotFoundError(requestId, { kind });
  return item;
}

/** A request id as the API accepts it: what Lethe generates (a UUID) and nothing that could not be one. */
export function checkRequestId(requestId: unknown): string {
  if (typeof requestId !== 'string' || !REQUEST_ID.test(requestId)) {
    throw new InputError('expected a request id (letters, digits and -, at most 80 characters)', { path: 'requestId' });
  }
  return requestId;
}

/**
 * Records the request, and only that: the answer must not wait for anything slow (starting the workflow is the
 * caller's next step, `startErasureRequest`, within a time budget). The id is derived from the Idempotency-Key,
 * so the same key finds the same request for as long as the request is kept; the same key for another subject is
 * a conflict.
 */
export async function receiveErasureRequest(
  rt: Runtime,
  body: ErasureRequestBody,
  idempotencyKey: string | undefined,
): Promise<ReceivedAnswer> {
  const { policy } = rt;
  const key = checkIdempotencyKey(idempotencyKey);
  checkSubjectId(body.subjectId);
  body.scope?.forEach((purpose, i) => checkPurpose(policy, purpose, `scope[${i}]`));
  const verifiedAt = parseInstant(body.verification.verifiedAt, 'verification.verifiedAt');

  const now = rt.now();
  const requestId = requestIdForKey(key);
  const subjectRef = await rt.refs.ref(body.subjectId);
  const [sealedSubject, sealedDetails] = await Promise.all([
    rt.sealer.seal({ subjectId: body.subjectId }, requestContext(requestId, 'subject'), 'subjectId'),
    rt.sealer.seal(
      { identifiers: body.identifiers ?? {}, reason: body.reason ?? null },
      requestContext(requestId, 'details'),
      'identifiers',
    ),
  ]);
  const deadline = requestDeadline(policy, now);
  const item: RequestItem = {
    requestId,
    subjectRef,
    sealedSubject,
    sealedDetails,
    ...(body.scope ? { scope: [...new Set(body.scope)] } : {}),
    verification: { method: body.verification.method, verifiedAt: utcIso(verifiedAt) },
    status: 'received',
    receivedAt: utcIso(now),
    deadline: utcIso(deadline),
    [REQUESTS.openAttribute]: REQUESTS.openValue,
  };
  const { created, item: stored } = await rt.requests.create(item);
  if (!created && stored.subjectRef !== subjectRef) {
    throw new ConflictError('this Idempotency-Key was used for an erasure request about another subject; use a new key for a new request');
  }
  return answerOf(rt, stored);
}

const answerOf = (rt: Runtime, item: RequestItem): ReceivedAnswer => ({
  requestId: item.requestId,
  status: item.status,
  deadline: formatInstant(Temporal.Instant.from(item.deadline), rt.policy.timezone),
});

/** What became of starting a request's workflow. */
export type StartOutcome = 'started' | 'started-before' | 'not-received' | 'deferred';

/**
 * Starts the workflow of a request that is still `received`, and answers the request as it is now (a replay of
 * an old key shows `completed`, not the `received` of its first answer). The start gets at most `budgetMs`:
 * when it fails or takes longer, the request stays `received` and stored, the answer says so, and the next
 * retry with the same key or the deadline monitor (`startStalledRequests`) starts it. Starting is idempotent: the
 * execution is named after the request.
 */
export async function startErasureRequest(
  rt: Runtime,
  requestId: string,
  budgetMs: number,
): Promise<{ readonly answer: ReceivedAnswer; readonly start: StartOutcome }> {
  const item = await rt.requests.require(requestId);
  const start = item.status === 'received' ? await startWithin(rt, requestId, budgetMs) : 'not-received';
  return { answer: answerOf(rt, item), start };
}

/** `workflow.start` bounded by `budgetMs` (the call is aborted then); any failure is `deferred`, logged by name. */
export async function startWithin(rt: Runtime, requestId: string, budgetMs: number): Promise<StartOutcome> {
  if (budgetMs <= 0) return 'deferred';
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const outOfTime = new Promise<StartOutcome>((resolve) => {
    timer = setTimeout(() => {
      abort.abort();
      resolve('deferred');
    }, budgetMs);
  });
  const starting = rt.workflow
    .start(requestId, { abortSignal: abort.signal })
    .then((started): StartOutcome => (started ? 'started' : 'started-before'))
    .catch((error: unknown): StartOutcome => {
      if (!abort.signal.aborted)
        logger.warn('starting the erasure workflow failed; it will be started later', { requestId, error: errorName(error) });
      return 'deferred';
    });
  try {
    const outcome = await Promise.race([starting, outOfTime]);
    if (outcome === 'deferred' && abort.signal.aborted)
      logger.warn('starting the erasure workflow took too long; it will be started later', { requestId, budgetMs });
    return outcome;
  } finally {
    clearTimeout(timer);
  }
}

export async function viewErasureRequest(rt: Runtime, requestId: string, kind: RequestKind = 'erasure'): Promise<RequestView> {
  checkRequestId(requestId);
  const item = await requireOfKind(rt, requestId, kind);
  // The subject id, to the caller who sent it, while the request is open; a completed request no longer keeps it
  // (storage limitation, RequestStore.finish), and the answer has none.
  const subjectId =
    item.sealedSubject === undefined
      ? undefined
      : (await rt.sealer.unseal<{ subjectId: string }>(item.sealedSubject, requestContext(requestId, 'subject'))).subjectId;
  const zone = rt.policy.timezone;
  const show = (iso: string): string => formatInstant(Temporal.Instant.from(iso), zone);
  // Item records' raw refs, to the caller who registered them, while the request is open (as the subject id).
  const refs =
    item.sealedRefs === undefined ? {} : await rt.sealer.unseal<Record<string, string>>(item.sealedRefs, requestContext(requestId, 'refs'));
  const itemOf = (itemRef: string | undefined) =>
    itemRef === undefined ? {} : refs[itemRef] !== undefined ? { ref: refs[itemRef] } : { item: itemRef };
  return {
    requestId,
    ...(subjectId === undefined ? {} : { subjectId }),
    status: item.status,
    receivedAt: show(item.receivedAt),
    deadline: show(item.deadline),
    ...(item.extension ? { extension: { months: item.extension.months, reason: item.extension.reason } } : {}),
    systems: (item.systemOrder ?? []).flatMap((record) => {
      // Keyed by record: the system id, or an item record's `<system>#item#<itemRef>` (requests.ts).
      const entry = item.systems?.[record];
      if (!entry) return [];
      return [
        {
          system: entry.system ?? record,
          ...itemOf(entry.itemRef),
          status: entry.status,
          ...(entry.fields?.length ? { fields: entry.fields } : {}),
          ...(entry.error ? { error: entry.error } : {}),
          ...(entry.verification ? { verification: entry.verification } : {}),
        },
      ];
    }),
    retained: (item.retained ?? []).map((r) => ({
      purpose: r.purpose,
      ...itemOf(r.itemRef),
      reason: r.reason,
      until: r.until,
      ...(r.waitingFor ? { waitingFor: r.waitingFor } : {}),
      ...(r.indefinite ? { indefinite: true as const } : {}),
      ...(r.hold === undefined ? {} : { hold: r.hold }),
    })),
  };
}

export async function extendErasureRequest(
  rt: Runtime,
  requestId: string,
  body: ExtendRequestBody,
  kind: RequestKind = 'erasure',
): Promise<ExtendAnswer> {
  checkRequestId(requestId);
  const item = await requireOfKind(rt, requestId, kind);
  if (item.extension) {
    throw new ConflictError(
      `${kind} request "${requestId}" was already extended (by ${item.extension.months} month(s)); Art. 12(3) allows one extension`,
    );
  }
  if (item.status === 'completed')
    throw new ConflictError(`${kind} request "${requestId}" is completed; only an open request can be extended`);
  // Art. 12(3): "extended by two further months": from the original deadline, in the policy's calendar.
  const original = requestDeadline(rt.policy, Temporal.Instant.from(item.receivedAt));
  const deadline = original.add({ months: body.months });
  const extension: Extension = { months: body.months, reason: body.reason, at: utcIso(rt.now()), previousDeadline: item.deadline };
  await rt.requests.extend(requestId, extension, utcIso(deadline));
  return {
    requestId,
    deadline: formatInstant(deadline, rt.policy.timezone),
    extension: { months: body.months, reason: body.reason },
  };
}
