/**
 * Restriction requests after their workflow (spec 2.4, Art. 18): holding the data with `keep`, and lifting.
 *
 * A restriction request places one item beside the subject's events and holds (holds.ts, id
 * `restriction-<requestId>`, `restriction: {requestId, keep, until?}`, the request's purposes as its scope) when it
 * is received, so that it is in force before its workflow runs:
 * - with `keep: true` it is a hold (toHold): the sweep and erasure requests retain what it covers, listed in
 *   `retained` with the request as the reason and `hold: restriction-<requestId>`, their records restricted, until
 *   `until` or the lift;
 * - with `until`, the ledger makes every holding it covers due at `until` (Ledger.liftsFirst), so the sweep that
 *   reaches `until` finds the subject through the due index (never a scan) and lifts the restriction
 *   (liftDueRestrictions) before it plans the subject's expiry.
 *
 * Lifting (POST /restriction-requests/{requestId}/lift, or the sweep at `until`) asks each record of the subject
 * the restriction covers, in the ledger's active holdings, to `unrestrict` (the connector removes this request's
 * mark only), audits each call (kind restriction-request, action unrestrict), records the lift on the item
 * (`releasedAt`: a keep-hold is released then) and on the request (`lifted`), and writes the covered holdings'
 * schedules again: a held holding is due at the later of its expiry and the release (spec 2.3).
 *
 * A lift's connector calls come before the item records it, so that a lift that fails part-way is done again in
 * full (unrestrict is idempotent: a record without the mark is left as it is). Personal data: the subject id,
 * locators and refs are unsealed here for the connector only; logs and audit carry ids and HMACs.
 */
import { Temporal } from '@js-temporal/polyfill';
import type { AuditEntry } from '../audit';
import { isConditionFailure } from '../core/dynamodb-errors';
import { errorName, logger } from '../core/observability';
import { utcIso } from '../core/time';
import type { SystemStatus } from '../core/contract';
import { type Plan, scopeCovers } from '../planner/plan';
import { formatInstant } from '../retention/time';
import { invokeMark, locatorIn, plannable, ZERO_COUNTS } from './erasure';
import { checkRequestId } from './erasure-requests';
import { ConflictError, HoldNotFoundError, RequestNotFoundError, RuntimeTransientError } from './errors';
import type { EventList } from './event-store';
import {
  answerOf,
  auditEntries,
  checkHoldId,
  holdContext,
  type HoldItem,
  holdKey,
  liftIsDue,
  type ReleaseAnswer,
  rescheduleCovered,
  RESTRICTION_HOLD_PREFIX,
  restrictionHoldId,
  toHold,
} from './holds';
import { type HoldingRecord, recordKeyOf, toHolding } from './ledger';
import { kindOf, type LiftRecord, type RequestItem } from './requests';
import type { Runtime } from './runtime';
import { checkSubjectId } from './subjects';

/** The reason a keep-restriction's hold gives (told to the data subject in `retained`): the request. */
export const restrictionReason = (requestId: string): string =>
  `restriction request ${requestId} (Art. 18: kept at the data subject's request)`;

/** The events-table item a restriction request places (holds.ts HoldItem.restriction). */
export function restrictionItemOf(
  request: Pick<RequestItem, 'requestId' | 'subjectRef' | 'receivedAt' | 'scope' | 'keep' | 'until'>,
): HoldItem {
  const holdId = restrictionHoldId(request.requestId);
  return {
    subjectRef: request.subjectRef,
    eventKey: holdKey(holdId),
    holdId,
    reason: restrictionReason(request.requestId),
    placedAt: request.receivedAt,
    ...(request.scope ? { scope: { purposes: [...request.scope] } } : {}),
    restriction: {
      requestId: request.requestId,
      keep: request.keep ?? false,
      ...(request.until === undefined ? {} : { until: request.until }),
    },
  };
}

/**
 * Places a restriction request's item (once: placing it again changes nothing) and writes the schedules of the
 * holdings it covers again (a keep-hold takes them out of the due index; `until` makes them due then).
 */
export async function placeRestriction(rt: Runtime, request: RequestItem): Promise<void> {
  const item = restrictionItemOf(request);
  try {
    await rt.holds.place(item);
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    return; // placed by an earlier receipt of the same request (the same Idempotency-Key)
  }
  await rescheduleCovered(rt, request.subjectRef, item.scope);
}

/** What POST /restriction-requests/{requestId}/lift answers. */
export interface LiftAnswer {
  readonly requestId: string;
  /** In the policy's time zone. */
  readonly liftedAt: string;
  /** Each record asked to unrestrict: its system, an item record's ref (its HMAC), and what the connector answered. */
  readonly unrestricted: readonly { readonly system: string; readonly itemRef?: string; readonly status: SystemStatus }[];
  /** Active holdings whose schedule was written again (a keep-hold's are due again). */
  readonly holdingsRescheduled: number;
}

/** `POST /restriction-requests/{requestId}/lift`: 400 an id that cannot be one, 404 unknown, 409 not completed or lifted already. */
export async function liftRestrictionRequest(rt: Runtime, requestId: string): Promise<LiftAnswer> {
  checkRequestId(requestId);
  const request = await rt.requests.get(requestId);
  if (!request || kindOf(request) !== 'restriction') throw new RequestNotFoundError(requestId, { kind: 'restriction' });
  if (request.status !== 'completed') {
    throw new ConflictError(`restriction request "${requestId}" is ${request.status}; it can be lifted once it is completed`);
  }
  const stored = await rt.holds.get(request.subjectRef, restrictionHoldId(requestId));
  const liftedAt = request.lifted?.at ?? stored?.releasedAt;
  if (liftedAt !== undefined)
    throw new ConflictError(`restriction request "${requestId}" was lifted already, at ${liftedAt}; a lift is recorded once`);
  return lift(rt, request.subjectRef, stored ?? restrictionItemOf(request), rt.now(), 'api', stored !== undefined);
}

/**
 * The sweep, for one subject found due (expiry.ts): lifts every restriction whose `until` has come and returns the
 * events as read after (what the subject is planned with), or the same list when none was due. A lift that fails
 * is logged and left: its holdings stay due, so the next sweep tries it again.
 */
export async function liftDueRestrictions(
  rt: Runtime,
  subjectRef: string,
  events: EventList,
  now: Temporal.Instant,
  by: string,
): Promise<EventList> {
  const due = events.restrictions.filter((item) => liftIsDue(item, now));
  if (due.length === 0) return events;
  for (const item of due) {
    try {
      await lift(rt, subjectRef, item, now, by, true);
    } catch (error) {
      logger.warn('restriction not lifted: its holdings stay due for the next sweep', {
        subjectRef,
        requestId: item.restriction?.requestId,
        error: errorName(error),
      });
    }
  }
  return rt.events.list(subjectRef);
}

/** One record's `unrestrict`: what the connector answered, and its audit record. */
interface UnrestrictOutcome {
  readonly system: string;
  readonly itemRef?: string;
  readonly status: SystemStatus;
  readonly entry: AuditEntry;
}

/**
 * Asks one record of the subject (its holdings `holdings`, located from every active holding of it in `active`) to
 * `unrestrict` the mark `restriction.requestId`, and builds its audit record (not written: the caller writes them
 * all before it records anything). A failure throws RuntimeTransientError (503) naming `failure` and the system, ids
 * only (a connector's message may quote data).
 */
async function unrestrictRecord(
  rt: Runtime,
  subjectRef: string,
  active: readonly HoldingRecord[],
  holdings: readonly HoldingRecord[],
  call: {
    readonly restriction: { readonly requestId: string; readonly until?: string };
    readonly operationId: string;
    readonly audit:
      { readonly kind: 'restriction-request'; readonly requestId: string } | { readonly kind: 'hold'; readonly holdId: string };
    readonly failure: string;
    readonly now: Temporal.Instant;
  },
): Promise<UnrestrictOutcome> {
  const { policy } = rt;
  const { system, itemRef } = holdings[0];
  const key = recordKeyOf(system, itemRef);
  const markId = call.restriction.requestId;
  // The locator is the record's: every active holding of it, whatever purpose (as an erasure locates it).
  const held = active.filter((h) => h.system === system && h.itemRef === itemRef);
  const { subjectId, locator, identifiers, ref } = await locatorIn(rt, held);
  if (subjectId === undefined || (itemRef !== undefined && ref === undefined)) {
    logger.warn('record not unrestricted: no sealed locator in the ledger', { markId, system, record: key });
    throw new RuntimeTransientError(`${call.failure} in system "${system}": the record is not located`);
  }
  const purposes = [...new Set(holdings.map((h) => h.purpose))];
  let result;
  try {
    result = await invokeMark(rt, system, purposes, { subjectRef, subjectId, locator, identifiers, ref }, 'unrestrict', call);
  } catch (error) {
    logger.warn('unrestrict failed', { markId, system, record: key, error: errorName(error) });
    // Ids and names only: a connector's message may quote data. Nothing is recorded: it can be asked again.
    throw new RuntimeTransientError(`${call.failure} in system "${system}": ${errorName(error)}`, { cause: error });
  }
  const outcome = result.subjects.find((s) => s.subjectRef === subjectRef);
  const failed = result.failed?.find((f) => f.subjectRef === subjectRef);
  if (!outcome && (failed === undefined || failed.transient)) {
    throw new RuntimeTransientError(`${call.failure} in system "${system}": ${failed?.error ?? 'NoOutcome'}`);
  }
  // A permanent failure (a connector that cannot unrestrict, e.g. an SDK connector without unrestrictRecord) fails
  // every retry the same way: a 503 would make the hold or restriction impossible to end, and its data impossible to
  // expire. The release or lift goes on, and this record is answered and audited `failed`, never `unrestricted`.
  if (!outcome) logger.warn('record not unrestricted: permanent failure', { markId, system, record: key, error: failed?.error });
  const status: SystemStatus = outcome?.status ?? 'failed';
  const subject = await rt.refs.auditSubject(subjectId);
  return {
    system,
    ...(itemRef === undefined ? {} : { itemRef }),
    status,
    entry: {
      at: formatInstant(call.now, policy.timezone),
      ...call.audit,
      purposes,
      system,
      ...(ref === undefined ? {} : { item: await rt.refs.auditItem(subject, ref) }),
      action: 'unrestrict',
      outcome: status,
      counts: outcome?.counts ?? ZERO_COUNTS,
      subject,
      policyHash: rt.policyHash,
    },
  };
}

async function lift(
  rt: Runtime,
  subjectRef: string,
  item: HoldItem,
  now: Temporal.Instant,
  by: string,
  stored: boolean,
): Promise<LiftAnswer> {
  const { policy } = rt;
  const mark = item.restriction!;
  const { requestId } = mark;
  const active = plannable(policy, await rt.ledger.holdingsOf(subjectRef, { activeOnly: true }));
  const covered = active.filter((h) => scopeCovers(item.scope, toHolding(h)));
  // One call per record the restriction covers (the subject's main record in a system, or one item's).
  const records = new Map<string, HoldingRecord[]>();
  for (const h of covered) {
    const key = recordKeyOf(h.system, h.itemRef);
    records.set(key, [...(records.get(key) ?? []), h]);
  }
  const outcomes: UnrestrictOutcome[] = [];
  for (const [key, holdings] of records)
    outcomes.push(
      await unrestrictRecord(rt, subjectRef, active, holdings, {
        restriction: { requestId, ...(mark.until === undefined ? {} : { until: mark.until }) },
        operationId: `${requestId}:unrestrict:${key}`,
        audit: { kind: 'restriction-request', requestId },
        failure: `restriction "${requestId}" could not be lifted`,
        now,
      }),
    );
  // Audited before the lift is recorded: a lift whose recording fails is done again (and audited again), never unaudited.
  await rt.audit.writeMany(outcomes.map((o) => o.entry));
  if (stored) {
    try {
      await rt.holds.release(subjectRef, item.holdId, now);
    } catch (error) {
      // Lifted meanwhile by another caller (the API and the sweep at once): the lift is theirs.
      if (error instanceof ConflictError)
        throw new ConflictError(`restriction request "${requestId}" was lifted already; a lift is recorded once`);
      if (!(error instanceof HoldNotFoundError)) throw error;
    }
  }
  const unrestricted = outcomes.map(({ system, itemRef, status }) => ({ system, ...(itemRef === undefined ? {} : { itemRef }), status }));
  const lifted: LiftRecord = { at: utcIso(now), by, records: unrestricted };
  await rt.requests.markLifted(requestId, lifted);
  const rescheduled = stored ? await rescheduleCovered(rt, subjectRef, item.scope) : 0;
  logger.info('restriction lifted', { requestId, by, records: unrestricted.length, rescheduled });
  return { requestId, liftedAt: formatInstant(now, policy.timezone), unrestricted, holdingsRescheduled: rescheduled };
}

/** The lift of a request as GET answers it (null while in force). */
export function liftedView(
  rt: Runtime,
  request: Pick<RequestItem, 'lifted'>,
): { at: string; by: string; unrestricted: LiftRecord['records'] } | null {
  if (!request.lifted) return null;
  return {
    at: formatInstant(Temporal.Instant.from(request.lifted.at), rt.policy.timezone),
    by: request.lifted.by.startsWith('sweep:') ? 'until' : 'api',
    unrestricted: request.lifted.records,
  };
}

/**
 * The sweep (spec 2.3): a record that a hold keeps, and of which nothing goes, gets the connector action `restrict`,
 * marked with the hold's id (a keep-restriction's: its request's, so that the lift removes the mark). Once per sweep
 * that plans the subject (restrict is idempotent); one call per record (holds are rare). Audited (kind sweep or ttl,
 * action restrict). A failure is logged and counted, never fatal: the data stays kept either way. Returns the calls made.
 */
export async function restrictHeldRecords(
  rt: Runtime,
  subjectRef: string,
  result: Plan,
  holdings: readonly HoldingRecord[],
  now: Temporal.Instant,
  origin: { readonly kind: 'sweep'; readonly sweepId: string } | { readonly kind: 'ttl'; readonly id: string },
): Promise<number> {
  const { policy } = rt;
  const entries: AuditEntry[] = [];
  let calls = 0;
  for (const sp of result.systems) {
    const decisions = result.holdings.filter((d) => d.holding.system === sp.system && d.holding.ref === sp.ref);
    if (!sp.restrict || decisions.some((d) => d.outcome === 'erase' || d.outcome === 'anonymise')) continue;
    const holdId = decisions.find((d) => d.outcome === 'retain' && d.hold)?.hold?.holdId;
    if (holdId === undefined) continue;
    const markId = holdId.startsWith(RESTRICTION_HOLD_PREFIX) ? holdId.slice(RESTRICTION_HOLD_PREFIX.length) : holdId;
    const held = holdings.filter((h) => h.system === sp.system && h.itemRef === sp.ref);
    const purposes = decisions.filter((d) => d.outcome === 'retain').map((d) => d.holding.purpose);
    try {
      const { subjectId, locator, identifiers, ref } = await locatorIn(rt, held);
      if (subjectId === undefined || (sp.ref !== undefined && ref === undefined)) throw new Error('NotLocated');
      calls++;
      const answer = await invokeMark(rt, sp.system, purposes, { subjectRef, subjectId, locator, identifiers, ref }, 'restrict', {
        restriction: { requestId: markId },
        operationId: `${origin.kind === 'sweep' ? origin.sweepId : `ttl-${origin.id}`}:restrict:${recordKeyOf(sp.system, sp.ref)}:${subjectRef.slice(0, 16)}`,
      });
      const outcome = answer.subjects.find((s) => s.subjectRef === subjectRef);
      if (!outcome) throw new Error(answer.failed?.[0]?.error ?? 'NoOutcome');
      const subject = await rt.refs.auditSubject(subjectId);
      entries.push({
        at: formatInstant(now, policy.timezone),
        kind: origin.kind,
        ...(origin.kind === 'sweep' ? { sweepId: origin.sweepId } : {}),
        purposes,
        system: sp.system,
        ...(ref === undefined ? {} : { item: await rt.refs.auditItem(subject, ref) }),
        action: 'restrict',
        outcome: outcome.status,
        counts: outcome.counts ?? ZERO_COUNTS,
        subject,
        policyHash: rt.policyHash,
      });
    } catch (error) {
      logger.warn('held record not restricted', { system: sp.system, subjectRef, holdId, error: errorName(error) });
    }
  }
  if (entries.length > 0) await rt.audit.writeMany(entries);
  return calls;
}

/** Whether a stored hold or restriction keeps its records restricted at `now` (not released, lifted or past until). */
function inForce(item: HoldItem, now: Temporal.Instant): boolean {
  const end = toHold(item).releasedAt;
  return end === undefined || Temporal.Instant.compare(end, now) > 0;
}

/**
 * `POST /subjects/{subjectId}/holds/{holdId}/release` (spec 2.3): the records the hold kept lose its mark, then the
 * release is recorded, audited, and every active holding the hold covered is scheduled again (rescheduleCovered: a
 * holding another hold still covers stays out of the due index; the others are due at the later of their own expiry
 * and the release).
 *
 * Unrestricting: each record of the subject the hold covers, in the ledger's active holdings, gets `unrestrict` with
 * the hold's id (the connector removes that mark only: a record the hold never marked is left as it is), unless
 * another hold or a restriction still in force covers it: that record stays restricted, its mark left. So that such a
 * mark does not outlive every hold, the release that frees a record also asks it to unrestrict the ids of the
 * subject's holds released before that covered it. The calls come before anything is recorded, and are audited
 * (kind hold, action unrestrict): a failing call answers 503 with nothing recorded, and the release can be sent again.
 */
export async function releaseHold(rt: Runtime, subjectId: string, holdId: string): Promise<ReleaseAnswer> {
  checkSubjectId(subjectId);
  checkHoldId(holdId);
  const subjectRef = await rt.refs.ref(subjectId);
  const now = rt.now();
  const items = await rt.holds.list(subjectRef);
  const item = items.find((i) => i.holdId === holdId);
  if (!item) throw new HoldNotFoundError(holdId);
  if (item.releasedAt !== undefined)
    throw new ConflictError(`hold "${holdId}" was released already, at ${item.releasedAt}; a release is recorded once`);

  const active = plannable(rt.policy, await rt.ledger.holdingsOf(subjectRef, { activeOnly: true }));
  const others = items.filter((i) => i.holdId !== holdId);
  const stillRestricting = others.filter((i) => inForce(i, now));
  const releasedBefore = others.filter((i) => i.restriction === undefined && i.releasedAt !== undefined);
  const records = new Map<string, HoldingRecord[]>();
  for (const h of active.filter((h) => scopeCovers(item.scope, toHolding(h)))) {
    const key = recordKeyOf(h.system, h.itemRef);
    records.set(key, [...(records.get(key) ?? []), h]);
  }
  const covers = (hold: HoldItem, holdings: readonly HoldingRecord[]) => holdings.some((h) => scopeCovers(hold.scope, toHolding(h)));
  const outcomes: UnrestrictOutcome[] = [];
  for (const [key, holdings] of records) {
    if (stillRestricting.some((other) => covers(other, holdings))) continue;
    const marks = [holdId, ...releasedBefore.filter((other) => covers(other, holdings)).map((other) => other.holdId)];
    for (const mark of marks)
      outcomes.push(
        await unrestrictRecord(rt, subjectRef, active, holdings, {
          restriction: { requestId: mark },
          operationId: `${holdId}:unrestrict:${mark}:${key}`,
          audit: { kind: 'hold', holdId },
          failure: `hold "${holdId}" could not be released`,
          now,
        }),
      );
  }
  // Audited before the release is recorded: a release whose recording fails is sent again, never unaudited.
  await rt.audit.writeMany(outcomes.map((o) => o.entry));

  const released = await rt.holds.release(subjectRef, holdId, now);
  await rt.audit.writeMany(await auditEntries(rt, subjectId, released, 'release', now));
  const rescheduled = await rescheduleCovered(rt, subjectRef, released.scope);
  const refs = released.sealedRefs ? await rt.sealer.unseal<string[]>(released.sealedRefs, holdContext(subjectRef, holdId)) : undefined;
  const unrestricted = outcomes.map(({ system, itemRef, status }) => ({ system, ...(itemRef === undefined ? {} : { itemRef }), status }));
  logger.info('hold released', { holdId, unrestricted: unrestricted.length, rescheduled });
  return { ...answerOf(rt, released, refs), unrestricted, holdingsRescheduled: rescheduled };
}
