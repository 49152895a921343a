/**
 * What the system of record tells Lethe about a subject: a holding (data collected for a purpose in a system)
 * and an event (something that starts or moves a retention clock). Both arrive through the API and on the
 * custom event bus; both end here. A new event recomputes the expiry of every active holding of the subject,
 * in every purpose.
 *
 * The two paths run at the same time, for the same subject, and must agree: a holding registered while an event
 * is recorded counts the event, whatever the order in which their DynamoDB calls land. They agree because:
 * - the event path writes the event, then raises the subject's counter (EventStore.record), then reads the
 *   holdings; the registration path writes its holding, then reads the counter again (`recheck` below);
 * - every list of events carries the counter as read before the events (EventList.seq), and every write of an
 *   expiry stores that `seq` and is conditional on the stored one not being higher (Ledger.reschedule).
 * Take an event e whose raise made the counter k, and a holding h. Either h's write lands before the event path
 * reads the holdings (consistent reads: it sees h, and reschedules it from a list stamped >= k, which holds e),
 * or after, and then the registration's recheck, later still, reads a counter >= k; if that is above the `seq` it
 * registered with, it recomputes from a list stamped >= k, which holds e. A write from a list without e has a
 * stamp below k, so once an expiry with e is stored none without e can replace it; and a registration that
 * replaces the item (a later collection) is itself followed by its recheck. So the last expiry written always
 * counts every event. (A registration that stops between its write and its recheck is repaired by its retry, or
 * by the subject's next event.) test/lib/runtime/subjects.test.ts runs every interleaving of the two.
 */
import { ErasureRequestBody, type HoldingBody, type SubjectEventBody } from './api-schemas';
import { InputError } from '../core/errors';
import type { Policy } from '../policy/model';
import { REQUEST_HANDLED } from '../policy/schema';
import { formatInstant, parseInstant } from '../retention/time';
import type { SealedHolding } from './ledger';
import type { Runtime } from './runtime';
import { holdingContext } from './sealing';
import { utcIso } from '../core/time';
import {
  checkEventType,
  checkHolding,
  checkIdText,
  checkItemLocatable,
  checkLocatable,
  checkMainRecordLocatable,
  checkNotFuture,
  checkPurpose,
  checkSubjectIdText,
  parseBody,
} from './validate';

export interface HoldingAnswer {
  readonly purpose: string;
  readonly system: string;
  /** The item's id, as the caller sent it (spec 2.2). */
  readonly ref?: string;
  readonly collectedAt: string;
  readonly status: 'active';
  /** The holding's expiry in the policy time zone; null while unknown or never. */
  readonly expiresAt: string | null;
  readonly waitingFor?: readonly string[];
  readonly indefinite?: true;
  /** False when a later collection of the same holding was registered already (this one changed nothing). */
  readonly registered: boolean;
}

export interface EventAnswer {
  readonly type: string;
  readonly at: string;
  readonly purpose?: string;
  /** The item's id, as the caller sent it (spec 2.2): the event counted for that item's holdings only. */
  readonly ref?: string;
  /** Active holdings whose expiry was recomputed. */
  readonly holdingsRescheduled: number;
  /**
   * The expiries this event changed: one per active holding whose expiry date is now another (from null when its
   * clock had not started; to null when it now waits for another event or is kept indefinitely).
   */
  readonly expiriesChanged: readonly ExpiryChange[];
}

/** One holding's expiry before and after an event (policy time zone; null: unknown or never). */
export interface ExpiryChange {
  readonly purpose: string;
  readonly system: string;
  /** An item holding's id as registered (spec 2.2). */
  readonly ref?: string;
  readonly from: string | null;
  readonly to: string | null;
  /** Where `to` is null: the events its clock still waits for, or that it is kept indefinitely. */
  readonly waitingFor?: readonly string[];
  readonly indefinite?: true;
}

/** The path parameter or the event's subjectId follows the same rule as the request body's. */
export function checkSubjectId(subjectId: unknown, path = 'subjectId'): string {
  return checkSubjectIdText(parseBody(ErasureRequestBody.shape.subjectId, subjectId, 'subjectId', [path]), path);
}

/**
 * Registration refuses a holding that its system could not find later, when the sweep or an erasure comes with
 * nothing but what the ledger keeps (issue 15, item 13). A DynamoDB system with `indexName` finds a subject's items
 * through that index, by `identifiers[indexAttribute]` (or the locator's value for it), unless the locator names the
 * table's key; falling back to the subject id as the key would find nothing and report `nothing-found`. So one of
 * those is required. The path names the field to send.
 */
export function checkFindable(
  policy: Policy,
  system: string,
  locator: Readonly<Record<string, string>> | undefined,
  identifiers: Readonly<Record<string, string>> | undefined,
): void {
  const spec = policy.systems[system];
  if (spec?.connector !== 'dynamodb') return;
  const { keyAttribute, indexName, indexAttribute } = spec.config as { keyAttribute?: string; indexName?: string; indexAttribute?: string };
  if (!indexName || !indexAttribute || !keyAttribute) return;
  if (locator?.[keyAttribute] !== undefined || identifiers?.[indexAttribute] !== undefined || locator?.[indexAttribute] !== undefined)
    return;
  throw new InputError(
    `system "${system}" finds a subject's items through index "${indexName}" by ${indexAttribute}: send identifiers.${indexAttribute} ` +
      `(or locator.${keyAttribute}, the table's key), so that its data can be found when it expires`,
    { path: `identifiers.${indexAttribute}` },
  );
}

export async function registerHolding(rt: Runtime, subjectId: string, body: HoldingBody): Promise<HoldingAnswer> {
  const { policy } = rt;
  checkSubjectId(subjectId);
  checkHolding(policy, body.purpose, body.system, undefined, body.ref);
  checkLocatable(policy, body.system, subjectId, body.locator);
  // An item holding's locator must locate the item only (spec 2.2), never fall back to the subject's main record.
  if (body.ref !== undefined) checkItemLocatable(policy, body.system, body.locator);
  // and a main record beside items in a partitioned table names its own item, or erasing it would take the items.
  else checkMainRecordLocatable(policy, body.system, body.locator);
  checkFindable(policy, body.system, body.locator, body.identifiers);
  const now = rt.now();
  const collectedAt = checkNotFuture(parseInstant(body.collectedAt, 'collectedAt'), now, 'collectedAt');
  const subjectRef = await rt.refs.ref(subjectId);
  // An item is keyed and matched by the HMAC of its ref; the raw ref is sealed with the locator, nowhere else.
  const itemRef = body.ref === undefined ? undefined : await rt.refs.itemRef(subjectRef, body.ref);
  const sealed = await rt.sealer.seal(
    {
      subjectId,
      locator: body.locator ?? {},
      ...(body.identifiers ? { identifiers: body.identifiers } : {}),
      ...(body.ref === undefined ? {} : { ref: body.ref }),
    },
    holdingContext(body.purpose, body.system, subjectRef, itemRef),
    'locator',
  );
  const events = await rt.events.list(subjectRef);
  const holding = {
    subjectRef,
    purpose: body.purpose,
    system: body.system,
    ...(itemRef === undefined ? {} : { itemRef }),
    collectedAt,
    sealed,
  };
  const registered = await rt.ledger.register(holding, events, now);
  const { written } = registered;
  let { expiry } = registered;
  if (written) {
    // The recheck (module comment): after the write, read the events again; an event counted since is applied.
    const again = await rt.events.list(subjectRef);
    if (again.retiring) await rt.events.keep(subjectRef);
    if (again.seq > events.seq) {
      const stored = { ...holding, collectedAt: utcIso(collectedAt), collectedAtMs: collectedAt.epochMilliseconds };
      const rescheduled = await rt.ledger.reschedule(stored, again);
      if (rescheduled.updated) expiry = rescheduled.expiry;
    }
  }
  return {
    purpose: body.purpose,
    system: body.system,
    ...(body.ref === undefined ? {} : { ref: body.ref }),
    collectedAt: formatInstant(collectedAt, policy.timezone),
    status: 'active',
    expiresAt: expiry.expiresAt ? formatInstant(expiry.expiresAt, policy.timezone) : null,
    ...(expiry.waitingFor ? { waitingFor: expiry.waitingFor } : {}),
    ...(expiry.indefinite ? { indefinite: true as const } : {}),
    registered: written,
  };
}

export async function recordEvent(rt: Runtime, subjectId: string, body: SubjectEventBody, eventId?: string): Promise<EventAnswer> {
  const { policy } = rt;
  checkSubjectId(subjectId);
  checkEventType(policy, body.type, 'type');
  if (body.purpose !== undefined) checkPurpose(policy, body.purpose, 'purpose');
  if (body.ref !== undefined) checkIdText(body.ref, 'ref');
  const now = rt.now();
  const at = checkNotFuture(parseInstant(body.at, 'at'), now, 'at');
  const subjectRef = await rt.refs.ref(subjectId);
  // Stored with the item's HMAC, the value its holdings carry: it counts for them only (spec 2.2).
  const itemRef = body.ref === undefined ? undefined : await rt.refs.itemRef(subjectRef, body.ref);
  const event = {
    type: body.type,
    at,
    ...(body.purpose === undefined ? {} : { purpose: body.purpose }),
    ...(itemRef === undefined ? {} : { ref: itemRef }),
  };
  await rt.events.record(subjectRef, event, now, eventId);
  const [events, holdings] = await Promise.all([rt.events.list(subjectRef), rt.ledger.holdingsOf(subjectRef, { activeOnly: true })]);
  let rescheduled = 0;
  const changed: ExpiryChange[] = [];
  for (const holding of holdings) {
    if (!policy.purposes[holding.purpose]) continue;
    const { updated, expiry } = await rt.ledger.reschedule(holding, events);
    if (!updated) continue;
    rescheduled++;
    const from = holding.expiresAt ?? null;
    const to = expiry.expiresAt ? formatInstant(expiry.expiresAt, policy.timezone) : null;
    if (from === to) continue;
    // An item's raw ref: the caller's own for the event's item, else from the holding's sealed locator.
    let ref: string | undefined;
    if (holding.itemRef !== undefined && holding.itemRef === itemRef) ref = body.ref;
    else if (holding.itemRef !== undefined && holding.sealed !== undefined) {
      const context = holdingContext(holding.purpose, holding.system, subjectRef, holding.itemRef);
      ref = (await rt.sealer.unseal<SealedHolding>(holding.sealed, context)).ref;
    }
    changed.push({
      purpose: holding.purpose,
      system: holding.system,
      ...(ref === undefined ? {} : { ref }),
      from,
      to,
      ...(expiry.waitingFor ? { waitingFor: expiry.waitingFor } : {}),
      ...(expiry.indefinite ? { indefinite: true as const } : {}),
    });
  }
  // Storage limitation: the events of a subject Lethe holds nothing of are not kept (event-store.ts).
  if (holdings.length === 0)
    await rt.events.retireIfIdle(subjectRef, now, async () => (await rt.ledger.holdingsOf(subjectRef, { activeOnly: true })).length > 0);
  return {
    type: body.type,
    at: formatInstant(at, policy.timezone),
    ...(body.purpose === undefined ? {} : { purpose: body.purpose }),
    ...(body.ref === undefined ? {} : { ref: body.ref }),
    holdingsRescheduled: rescheduled,
    expiriesChanged: changed,
  };
}

/**
 * Spec 2.4: `request-handled` is built in, and Lethe records it itself when a request completes, with `ref` = the
 * request id (as its HMAC, the value an item holding registered with that ref carries), so that what is kept "until
 * the request has been handled" (an ID document held `per: item` with the request id as ref) gets its expiry. Then
 * every active holding of the subject is rescheduled, as for any event. Recorded once: when the subject's events
 * hold it already (a finish that runs again), nothing is written and its instant is kept. Returns whether it wrote it.
 */
export async function recordRequestHandled(rt: Runtime, subjectRef: string, requestId: string): Promise<boolean> {
  const now = rt.now();
  const itemRef = await rt.refs.itemRef(subjectRef, requestId);
  const recorded = (await rt.events.list(subjectRef)).find((e) => e.type === REQUEST_HANDLED && e.ref === itemRef);
  if (recorded) return false;
  await rt.events.record(subjectRef, { type: REQUEST_HANDLED, at: now, ref: itemRef }, now);
  const [events, holdings] = await Promise.all([rt.events.list(subjectRef), rt.ledger.holdingsOf(subjectRef, { activeOnly: true })]);
  for (const holding of holdings) if (rt.policy.purposes[holding.purpose]) await rt.ledger.reschedule(holding, events);
  // Storage limitation, as for any event: a subject Lethe holds nothing of more keeps its events 30 days only.
  if (holdings.length === 0)
    await rt.events.retireIfIdle(subjectRef, now, async () => (await rt.ledger.holdingsOf(subjectRef, { activeOnly: true })).length > 0);
  return true;
}
