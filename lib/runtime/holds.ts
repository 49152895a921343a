/**
 * Legal holds (spec 2.3): "unless a law, court or authority requires otherwise". A hold is placed on a subject,
 * optionally scoped to purposes, systems and items (the scope's keys combine with AND), and released later. While
 * it is in force, every holding it covers neither expires nor is erased: the sweep leaves it active and takes it
 * out of the due index (Ledger.reschedule), and an erasure request lists it in `retained` with the hold's reason
 * and id. Once released, each covered holding is due again at the later of its own expiry and the release, and the
 * records the hold kept lose its restriction mark: the release route is restrictions.ts releaseHold (it calls the
 * connectors' `unrestrict`, as a restriction's lift does).
 *
 * Storage: no table of its own. A hold is an item of the subject's partition in the events table (contract
 * EVENTS), sort key `hold#<holdId>`, so EventStore.list reads the subject's holds in the same Query as its events
 * (every expiry the ledger computes from an EventList therefore sees them). Placing or releasing a hold writes the
 * item, then raises the subject's event counter, as recording an event does: an expiry computed from a list read
 * before the change carries a lower `seq`, and the ledger's conditional writes never let it replace one computed
 * after (subjects.ts explains the ordering). An active hold never gets a `ttl` (EventStore.retireIfIdle); a released
 * one retires with the subject's events.
 *
 * Personal data: the reason is the controller's text (like an extension's reason) and is stored as given; it is
 * never logged or audited. A scope's item refs are the subject's: stored as their HMACs (SubjectRefs.itemRef, the
 * values the ledger and the events carry, so the planner matches them), and the refs themselves only KMS-sealed,
 * bound to the subject and the hold, for the listing. Placing and releasing are audited (kind `hold`, one record
 * per system the hold covers; ids and HMACs only).
 *
 * Releasing a hold twice is a 409 (ConflictError) naming when it was released: the release time is what the
 * holdings' new expiry is computed from, so a second release must not move it, and a caller learns it was done.
 */
import { createHash, randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, paginateQuery, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Temporal } from '@js-temporal/polyfill';
import type { AuditEntry } from '../audit';
import { EVENTS, type SystemStatus } from '../core/contract';
import { isConditionFailure } from '../core/dynamodb-errors';
import { InputError } from '../core/errors';
import { checkWellFormed } from '../core/subject-ref';
import { utcIso } from '../core/time';
import { type Hold, type Scope, scopeCovers } from '../planner/plan';
import { formatInstant } from '../retention/time';
import type { HoldBody } from './api-schemas';
import { checkIdempotencyKey } from './erasure-requests';
import { ConflictError, HoldNotFoundError } from './errors';
import { toHolding } from './ledger';
import type { Runtime } from './runtime';
import type { SealContext } from './sealing';
import { checkSubjectId } from './subjects';
import { checkIdText, checkPurpose, checkSystem } from './validate';

/** A hold as stored in the events table. */
export interface HoldItem {
  readonly subjectRef: string;
  /** `hold#<holdId>` (EVENTS.holdKeyPrefix). */
  readonly eventKey: string;
  readonly holdId: string;
  readonly reason: string;
  /** UTC ISO with milliseconds. */
  readonly placedAt: string;
  readonly releasedAt?: string;
  /** Purposes and systems as given; refs as their HMACs (SubjectRefs.itemRef). */
  readonly scope?: Scope;
  /** The scope's refs as given, KMS-sealed (holdContext); only for the listing. */
  readonly sealedRefs?: string;
  readonly ttl?: number;
  /**
   * A hold placed with an Idempotency-Key: when its audit records were written (UTC ISO). A retry with the key that
   * finds the hold without it (the first call failed after storing it) audits it then.
   */
  readonly auditedAt?: string;
  /**
   * Set on the item a restriction request places (spec 2.4, subject-requests.ts placeRestriction): id
   * `restriction-<requestId>`. With `keep` it is a hold until `until` or its lift (toHold); without, it holds
   * nothing and only tells the ledger when the restriction is to be lifted (Ledger: due at `until`). Its
   * `releasedAt` is when the restriction was lifted.
   */
  readonly restriction?: RestrictionMark;
}

/** What a restriction request's item in the events table records (HoldItem.restriction). */
export interface RestrictionMark {
  readonly requestId: string;
  readonly keep: boolean;
  /** UTC ISO: when it is lifted by itself; absent: only by POST /restriction-requests/{id}/lift. */
  readonly until?: string;
}

/** The id of the item a restriction request places (derived: placing it again is a no-op). */
export const RESTRICTION_HOLD_PREFIX = 'restriction-';
export const restrictionHoldId = (requestId: string): string => `${RESTRICTION_HOLD_PREFIX}${requestId}`;

/** A restriction's item that is not a hold (a restriction without `keep`). */
export const isRestrictionOnly = (item: Pick<HoldItem, 'restriction'>): boolean => item.restriction !== undefined && !item.restriction.keep;

/** A restriction not lifted yet whose `until` is at or before `now`: the sweep lifts it (expiry.ts). */
export function liftIsDue(item: Pick<HoldItem, 'restriction' | 'releasedAt'>, now: Temporal.Instant): boolean {
  const until = item.restriction?.until;
  return until !== undefined && item.releasedAt === undefined && Temporal.Instant.compare(Temporal.Instant.from(until), now) <= 0;
}

/** How a hold is shown: times in the policy time zone, refs as the caller sent them. */
export interface HoldAnswer {
  readonly holdId: string;
  readonly reason: string;
  readonly placedAt: string;
  readonly releasedAt: string | null;
  readonly scope?: { readonly purposes?: readonly string[]; readonly systems?: readonly string[]; readonly refs?: readonly string[] };
}

export interface ReleaseAnswer extends HoldAnswer {
  /**
   * Each `unrestrict` the release sent (restrictions.ts releaseHold): its system, an item record's ref (its HMAC),
   * and what the connector answered. A record another hold or a restriction still covers is not asked.
   */
  readonly unrestricted: readonly { readonly system: string; readonly itemRef?: string; readonly status: SystemStatus }[];
  /** Active holdings of the subject the hold covered whose due keys were written again. */
  readonly holdingsRescheduled: number;
}

export const holdKey = (holdId: string): string => `${EVENTS.holdKeyPrefix}${holdId}`;
export const isHoldKey = (key: string): boolean => key.startsWith(EVENTS.holdKeyPrefix);

/** The sealed refs of a hold are bound to the subject and the hold: copied onto another, they do not open. */
export function holdContext(subjectRef: string, holdId: string): SealContext {
  return { 'lethe:table': 'events', 'lethe:subject': subjectRef, 'lethe:hold': holdId };
}

/**
 * The planner's view of a stored hold. A restriction's hold (`keep`) is released at its lift, or at its `until`
 * when that comes first (spec 2.4: it holds the data until it is lifted).
 */
export function toHold(item: HoldItem): Hold {
  const releasedAt = [item.releasedAt, item.restriction?.until]
    .filter((t): t is string => t !== undefined)
    .map((t) => Temporal.Instant.from(t))
    .sort((a, b) => Temporal.Instant.compare(a, b))[0];
  return {
    holdId: item.holdId,
    reason: item.reason,
    placedAt: Temporal.Instant.from(item.placedAt),
    ...(releasedAt === undefined ? {} : { releasedAt }),
    ...(item.scope === undefined ? {} : { scope: item.scope }),
  };
}

export class HoldStore {
  public constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Writes a new hold (never over another with the same id), then raises the subject's counter. */
  public async place(item: HoldItem): Promise<void> {
    await this.ddb.send(
      new PutCommand({
        TableName: this.table,
        Item: item,
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': EVENTS.partitionKey },
      }),
    );
    await this.raise(item.subjectRef);
  }

  /**
   * Records the release (once), then raises the subject's counter. Unknown hold: HoldNotFoundError; released
   * already: ConflictError naming when.
   */
  public async release(subjectRef: string, holdId: string, now: Temporal.Instant): Promise<HoldItem> {
    try {
      await this.ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { [EVENTS.partitionKey]: subjectRef, [EVENTS.sortKey]: holdKey(holdId) },
          UpdateExpression: 'SET #releasedAt = :at',
          ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(#releasedAt)',
          ExpressionAttributeNames: { '#pk': EVENTS.partitionKey, '#releasedAt': 'releasedAt' },
          ExpressionAttributeValues: { ':at': utcIso(now) },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const stored = await this.get(subjectRef, holdId);
      if (!stored) throw new HoldNotFoundError(holdId);
      throw new ConflictError(`hold "${holdId}" was released already, at ${stored.releasedAt ?? '?'}; a release is recorded once`);
    }
    await this.raise(subjectRef);
    // Read back (consistent): the hold as released, its scope included.
    const released = await this.get(subjectRef, holdId);
    if (!released) throw new HoldNotFoundError(holdId);
    return released;
  }

  /** Records that a keyed placement's audit records are written (HoldItem.auditedAt). */
  public async markAudited(subjectRef: string, holdId: string, at: Temporal.Instant): Promise<void> {
    await this.ddb.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { [EVENTS.partitionKey]: subjectRef, [EVENTS.sortKey]: holdKey(holdId) },
        UpdateExpression: 'SET #auditedAt = if_not_exists(#auditedAt, :at)',
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: { '#pk': EVENTS.partitionKey, '#auditedAt': 'auditedAt' },
        ExpressionAttributeValues: { ':at': utcIso(at) },
      }),
    );
  }

  public async get(subjectRef: string, holdId: string): Promise<HoldItem | undefined> {
    const { Item } = await this.ddb.send(
      new GetCommand({
        TableName: this.table,
        Key: { [EVENTS.partitionKey]: subjectRef, [EVENTS.sortKey]: holdKey(holdId) },
        ConsistentRead: true,
      }),
    );
    return Item as HoldItem | undefined;
  }

  /** The subject's holds (placed and released), all pages: one Query on the hold prefix of its partition. */
  public async list(subjectRef: string): Promise<HoldItem[]> {
    const pages = paginateQuery(
      { client: this.ddb },
      {
        TableName: this.table,
        KeyConditionExpression: '#pk = :ref AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': EVENTS.partitionKey, '#sk': EVENTS.sortKey },
        ExpressionAttributeValues: { ':ref': subjectRef, ':prefix': EVENTS.holdKeyPrefix },
        ConsistentRead: true,
      },
    );
    const items: HoldItem[] = [];
    for await (const page of pages) items.push(...((page.Items ?? []) as HoldItem[]));
    return items;
  }

  /** The subject's event counter, raised as EventStore.record raises it (see the module comment). */
  private async raise(subjectRef: string): Promise<void> {
    await this.ddb.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { [EVENTS.partitionKey]: subjectRef, [EVENTS.sortKey]: EVENTS.counterKey },
        UpdateExpression: 'SET #seq = if_not_exists(#seq, :zero) + :one',
        ExpressionAttributeNames: { '#seq': EVENTS.seqAttribute },
        ExpressionAttributeValues: { ':zero': 0, ':one': 1 },
      }),
    );
  }
}

// ---------------------------------------------------------------------------------------------------------
// The API's operations
// ---------------------------------------------------------------------------------------------------------

/** A hold id as the API takes it in a path: the UUID placeHold made. */
const HOLD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** What could be an id at all (as a request id): anything else is a 400 naming holdId, not a hold that is not there. */
const ID_TEXT = /^[A-Za-z0-9-]{1,80}$/;

export function checkHoldId(holdId: string): string {
  if (!ID_TEXT.test(holdId)) throw new InputError('expected a hold id (letters, digits and -, at most 80 characters)', { path: 'holdId' });
  // An id of another shape (a keep-restriction's `restriction-<requestId>`, released by its lift only) is no hold's
  if (!HOLD_ID.test(holdId)) throw new HoldNotFoundError(holdId);
  return holdId;
}

/**
 * The hold id for an Idempotency-Key on one subject: derived (a UUID's shape, as HOLD_ID takes it), so that a retry
 * with the key finds the hold the first call stored, for as long as the hold exists. The key is scoped to the subject
 * (its HMAC): the same key on another subject's route is that subject's own hold.
 */
export function holdIdForKey(key: string, subjectRef: string): string {
  const h = createHash('sha256').update(`lethe/hold/${subjectRef}/${key}`, 'utf8').digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Whether a stored hold is what this placement asks for: the same reason and scope (each list as a set). */
function samePlacement(stored: HoldItem, asked: HoldItem): boolean {
  const canonical = (item: HoldItem) => {
    const scope = item.scope;
    const sorted = (list: readonly string[] | undefined) => (list ? [...new Set(list)].sort() : null);
    return JSON.stringify([item.reason, scope ? [sorted(scope.purposes), sorted(scope.systems), sorted(scope.refs)] : null]);
  };
  return canonical(stored) === canonical(asked);
}

/**
 * `POST /subjects/{subjectId}/holds`: checks the scope against the policy, stores the hold, audits it. With an
 * Idempotency-Key (optional), the hold id is derived from it: the same placement sent again answers the hold stored
 * (as it is now), places and audits nothing more, and the same key with another reason or scope is a 409.
 */
export async function placeHold(rt: Runtime, subjectId: string, body: HoldBody, idempotencyKey?: string): Promise<HoldAnswer> {
  const key = idempotencyKey === undefined ? undefined : checkIdempotencyKey(idempotencyKey);
  checkSubjectId(subjectId);
  checkWellFormed(body.reason, 'reason');
  const scope = body.scope;
  scope?.purposes?.forEach((p, i) => {
    checkPurpose(rt.policy, p, `scope.purposes[${i}]`);
  });
  scope?.systems?.forEach((s, i) => {
    checkSystem(rt.policy, s, `scope.systems[${i}]`);
  });
  scope?.refs?.forEach((r, i) => checkIdText(r, `scope.refs[${i}]`));

  const subjectRef = await rt.refs.ref(subjectId);
  const holdId = key === undefined ? randomUUID() : holdIdForKey(key, subjectRef);
  const now = rt.now();
  const refs = scope?.refs ? [...new Set(scope.refs)] : undefined;
  const stored: Scope | undefined = scope
    ? {
        ...(scope.purposes ? { purposes: [...new Set(scope.purposes)] } : {}),
        ...(scope.systems ? { systems: [...new Set(scope.systems)] } : {}),
        ...(refs ? { refs: await Promise.all(refs.map((r) => rt.refs.itemRef(subjectRef, r))) } : {}),
      }
    : undefined;
  const item: HoldItem = {
    subjectRef,
    eventKey: holdKey(holdId),
    holdId,
    reason: body.reason,
    placedAt: utcIso(now),
    ...(stored ? { scope: stored } : {}),
    ...(refs ? { sealedRefs: await rt.sealer.seal(refs, holdContext(subjectRef, holdId), 'scope.refs') } : {}),
  };
  let placed = item;
  try {
    await rt.holds.place(item);
  } catch (error) {
    if (key === undefined || !isConditionFailure(error)) throw error;
    // Stored before with this key: the same placement is answered with it; another is a conflict.
    const stored = await rt.holds.get(subjectRef, holdId);
    if (!stored) throw error;
    if (!samePlacement(stored, item)) {
      throw new ConflictError(
        'this Idempotency-Key placed a hold with another reason or scope on this subject; use a new key for a new hold (headers.Idempotency-Key)',
      );
    }
    placed = stored;
  }
  // A replay audits only a hold whose first call stopped before its audit was recorded (at least once, then).
  if (placed === item || placed.auditedAt === undefined) {
    await rt.audit.writeMany(await auditEntries(rt, subjectId, placed, 'hold', now));
    if (key !== undefined) await rt.holds.markAudited(subjectRef, holdId, now);
  }
  // The covered holdings leave the due index now (and lose their TTL backstop), not only when a sweep finds them.
  await rescheduleCovered(rt, subjectRef, placed.scope);
  if (placed === item) return answerOf(rt, item, refs);
  const storedRefs = placed.sealedRefs ? await rt.sealer.unseal<string[]>(placed.sealedRefs, holdContext(subjectRef, holdId)) : undefined;
  return answerOf(rt, placed, storedRefs);
}

/**
 * Writes the schedule of every active holding of the subject a scope covers again (Ledger.reschedule), from the
 * subject's events and holds as read now (after the hold's write and its counter raise). Returns how many were written.
 */
export async function rescheduleCovered(rt: Runtime, subjectRef: string, scope: Scope | undefined): Promise<number> {
  const [events, holdings] = await Promise.all([rt.events.list(subjectRef), rt.ledger.holdingsOf(subjectRef, { activeOnly: true })]);
  let rescheduled = 0;
  for (const holding of holdings) {
    if (!(holding.purpose in rt.policy.purposes) || !scopeCovers(scope, toHolding(holding))) continue;
    if ((await rt.ledger.reschedule(holding, events)).updated) rescheduled++;
  }
  return rescheduled;
}

/** `GET /subjects/{subjectId}/holds`: every hold of the subject, placed and released, oldest first. */
export async function listHolds(rt: Runtime, subjectId: string): Promise<{ holds: HoldAnswer[] }> {
  checkSubjectId(subjectId);
  const subjectRef = await rt.refs.ref(subjectId);
  // A restriction without `keep` holds nothing: it is its request's, not a hold (GET /restriction-requests/{id}).
  const items = (await rt.holds.list(subjectRef)).filter((item) => !isRestrictionOnly(item));
  const answers = await Promise.all(
    items.map(async (item) =>
      answerOf(
        rt,
        item,
        item.sealedRefs ? await rt.sealer.unseal<string[]>(item.sealedRefs, holdContext(subjectRef, item.holdId)) : undefined,
      ),
    ),
  );
  return { holds: answers.sort((a, b) => Temporal.Instant.compare(Temporal.Instant.from(a.placedAt), Temporal.Instant.from(b.placedAt))) };
}

export function answerOf(rt: Runtime, item: HoldItem, refs: readonly string[] | undefined): HoldAnswer {
  const tz = rt.policy.timezone;
  const scope = item.scope
    ? {
        ...(item.scope.purposes ? { purposes: item.scope.purposes } : {}),
        ...(item.scope.systems ? { systems: item.scope.systems } : {}),
        ...(refs ? { refs } : {}),
      }
    : undefined;
  return {
    holdId: item.holdId,
    reason: item.reason,
    placedAt: formatInstant(Temporal.Instant.from(item.placedAt), tz),
    releasedAt: item.releasedAt ? formatInstant(Temporal.Instant.from(item.releasedAt), tz) : null,
    ...(scope ? { scope } : {}),
  };
}

/**
 * One audit record per system the hold covers: each system of the scope (or of the policy) where a purpose of the
 * scope (or any purpose) holds data, with those purposes. Ids and HMACs only.
 */
export async function auditEntries(
  rt: Runtime,
  subjectId: string,
  item: HoldItem,
  action: 'hold' | 'release',
  now: Temporal.Instant,
): Promise<AuditEntry[]> {
  const { policy } = rt;
  const subject = await rt.refs.auditSubject(subjectId);
  const purposes = item.scope?.purposes ?? Object.keys(policy.purposes);
  const covered = Object.keys(policy.systems)
    .filter((system) => item.scope?.systems?.includes(system) ?? true)
    .map((system) => ({ system, purposes: purposes.filter((p) => policy.purposes[p].systems.includes(system)) }))
    .filter((c) => c.purposes.length > 0);
  return covered.map(({ system, purposes: inSystem }) => ({
    at: formatInstant(now, policy.timezone),
    kind: 'hold',
    holdId: item.holdId,
    purposes: inSystem,
    system,
    action,
    outcome: action === 'hold' ? 'held' : 'released',
    counts: { records: 0, fields: 0, objects: 0 },
    subject,
    policyHash: rt.policyHash,
  }));
}
