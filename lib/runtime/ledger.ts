/**
 * The ledger: one DynamoDB table per purpose, one item per holding (subjectRef × system, × item for an item holding:
 * contract LEDGER, recordKeyOf). An active holding with
 * a known expiry carries the due-index keys (`dueShard`, `dueAt` in epoch ms) and a TTL backstop a grace period
 * later; a finished one (`done`) loses its due keys and its sealed locator, and TTL removes it after
 * `doneTtlSeconds`. Expiry is computed with the retention engine (lib/retention), never here.
 *
 * Between the connector call and the finish, an expiring holding records what was done to its data (`applied`),
 * so that a run that stops in between (a crash, a time-out) is completed by the next one with the same outcome
 * instead of calling the connector again (which would find nothing left and report a different outcome).
 */
import { createHash } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, paginateQuery, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Temporal } from '@js-temporal/polyfill';
import { isConditionFailure } from '../core/dynamodb-errors';
import { RuntimeConfigError } from '../core/errors';
import type { Policy } from '../policy/model';
import { afterReleases, coveringHold, type Holding, scopeCovers } from '../planner/plan';
import { computeExpiry, type Expiry, type SubjectEvent } from '../retention/expiry';
import { formatInstant } from '../retention/time';
import {
  type ConnectorCounts,
  HOLDING_STATUS,
  type HoldingStatus,
  LEDGER,
  PARKED_STATE,
  type ParkedState,
  type SystemStatus,
  type Verification,
} from '../core/contract';
import type { EventList } from './event-store';
import { utcIso } from '../core/time';

/** A ledger item as read (fromStored): `system` is the system id for both kinds of holding. */
export interface HoldingRecord {
  readonly subjectRef: string;
  readonly system: string;
  /** An item holding's item (spec 2.2): the HMAC of its ref (SubjectRefs.itemRef); absent for the main record. */
  readonly itemRef?: string;
  readonly purpose: string;
  readonly status: HoldingStatus;
  /** UTC ISO with milliseconds. */
  readonly collectedAt: string;
  readonly collectedAtMs: number;
  readonly registeredAt: string;
  /** KMS-sealed `{subjectId, locator, identifiers?, ref?}` (see sealing.ts, holdingContext); absent once done. */
  readonly sealed?: string;
  /** The expiry in the policy time zone; absent while unknown or never. */
  readonly expiresAt?: string;
  readonly dueShard?: string;
  readonly dueAt?: number;
  readonly ttl?: number;
  /** While active and out of the due index for a reason (contract PARKED_STATE): `<state>#<shard>` (parkedShardOf). */
  readonly parkedShard?: string;
  /** When done: what happened to the data. */
  readonly outcome?: SystemStatus;
  readonly finishedAt?: string;
  readonly finishedAtMs?: number;
  /** `request:<id>`, `sweep:<id>` or `ttl`. */
  readonly finishedBy?: string;
  /** While active: what an expiry already did to the data in the system (recordApplied); gone once done. */
  readonly applied?: AppliedAction;
  /**
   * The subject's event counter the expiry was computed at (EventList.seq). Every write of the expiry is
   * conditional on it not going back, so a computation from fewer events never overwrites one from more.
   */
  readonly eventsSeq?: number;
  /** Sweeps that could not process the holding's subject (recordFailedSweep), and the last of them. */
  readonly failedSweeps?: number;
  readonly lastFailedSweep?: string;
  /** Set once the holding failed too many sweeps: the sweep no longer picks it (see recordFailedSweep). */
  readonly quarantined?: Quarantine;
  /**
   * Set when an expiry's connector found nothing of the holding's data (flagNothingFound): the holding stays active,
   * out of the due index and without TTL, until it is registered again (with what finds the data) or erased.
   */
  readonly nothingFound?: NothingFound;
  /**
   * Connector calls an expiry started for this holding (markAttempted, written before each call): when a call's
   * outcome is lost (the run was killed, the call failed as a whole after changing data), a later `nothing-found`
   * may only mean that the earlier call removed the data, so it is not flagged.
   */
  readonly attempts?: number;
}

/** An expiry that found no data where the holding said there was some. */
export interface NothingFound {
  /** `sweep:<id>` or `ttl:<id>`. */
  readonly by: string;
  readonly at: string;
  readonly atMs: number;
}

/** Why and since when a holding is out of the sweep. */
export interface Quarantine {
  readonly at: string;
  readonly atMs: number;
  /** The sweep that quarantined it. */
  readonly sweepId: string;
  readonly failedSweeps: number;
  /** The last failure's error name (never a message). */
  readonly error: string;
}

/** What an expiry did to a holding's data, recorded before its audit record and its finish. */
export interface AppliedAction {
  readonly outcome: SystemStatus;
  readonly counts: ConnectorCounts;
  /** Whether the connector verified it (issue 19); absent where nothing was to verify, or recorded before. */
  readonly verification?: Verification;
  /** `sweep:<id>` or `ttl:<id>`: the run that called the connector. */
  readonly by: string;
  readonly atMs: number;
}

/** What a sealed holding holds. */
export interface SealedHolding {
  readonly subjectId: string;
  readonly locator: Readonly<Record<string, string>>;
  /** What the system finds the subject by (e.g. an e-mail for an index), given at registration. */
  readonly identifiers?: Readonly<Record<string, string>>;
  /** An item holding's raw ref (spec 2.2), for the connector and the request's answer; nowhere else in clear. */
  readonly ref?: string;
}

export interface NewHolding {
  readonly subjectRef: string;
  readonly purpose: string;
  readonly system: string;
  readonly itemRef?: string;
  readonly collectedAt: Temporal.Instant;
  readonly sealed: string;
}

export interface DuePage {
  readonly items: readonly { readonly subjectRef: string; readonly system: string; readonly itemRef?: string }[];
  readonly lastKey?: Record<string, unknown>;
}

/** The due-index partition of a subject: a stable hash of its ref, modulo the shard count, two digits. */
export function dueShardOf(subjectRef: string): string {
  return shardName(subjectHash(subjectRef) % LEDGER.dueShards);
}

/** A shard's partition name in either index: its number, two digits. */
export const shardName = (shard: number): string => String(shard).padStart(2, '0');

/** A stable 32-bit hash of a subject's ref: its shard in either index. */
const subjectHash = (subjectRef: string): number => createHash('sha256').update(subjectRef, 'utf8').digest().readUInt32BE(0);

/** The parked-index partition of a subject's holding in `state`: the state, then the subject's parked shard. */
export const parkedShardOf = (state: ParkedState, subjectRef: string): string =>
  parkedShardName(state, subjectHash(subjectRef) % LEDGER.parkedShards);

/** The parked-index partition of `state` in a shard. */
export const parkedShardName = (state: ParkedState, shard: number): string => `${state}#${shardName(shard)}`;

/** What a write of a holding's expiry sets: the expiry, the due keys and TTL, or why it is parked (all optional). */
type Schedule = Pick<HoldingRecord, 'expiresAt' | 'dueShard' | 'dueAt' | 'ttl' | 'parkedShard'>;

/** The attributes a Schedule writes, each set when present and removed when absent (reschedule). */
const SCHEDULE_ATTRIBUTES = [
  'expiresAt',
  LEDGER.dueShardAttribute,
  LEDGER.dueAtAttribute,
  LEDGER.ttlAttribute,
  LEDGER.parkedShardAttribute,
] as const;

/** The planner's view of a stored holding (an item's `ref` is its HMAC: events carry the same, event-store.ts). */
export function toHolding(record: HoldingRecord): Holding {
  return {
    purpose: record.purpose,
    system: record.system,
    collectedAt: Temporal.Instant.from(record.collectedAt),
    ...(record.itemRef === undefined ? {} : { ref: record.itemRef }),
  };
}

/**
 * A holding's record key: the ledger's sort key value (contract LEDGER), and the key of its record in an erasure
 * request's plan (requests.ts). The system id for the subject's main record; `<system>#item#<itemRef>` for an item.
 */
export function recordKeyOf(system: string, itemRef?: string): string {
  return itemRef === undefined ? system : `${system}${LEDGER.itemKeyMark}${itemRef}`;
}

/** The system id and itemRef of a record key (a plain key is the system id: items written before items existed). */
export function parseRecordKey(key: string): { readonly system: string; readonly itemRef?: string } {
  const at = key.indexOf(LEDGER.itemKeyMark);
  return at < 0 ? { system: key } : { system: key.slice(0, at), itemRef: key.slice(at + LEDGER.itemKeyMark.length) };
}

const keyOf = (holding: Pick<HoldingRecord, 'subjectRef' | 'system' | 'itemRef'>): Record<string, string> => ({
  [LEDGER.partitionKey]: holding.subjectRef,
  [LEDGER.sortKey]: recordKeyOf(holding.system, holding.itemRef),
});

/** A ledger item as read: `system` the system id, `itemRef` for an item holding. Items without them read as before. */
export function fromStored(item: Record<string, unknown>, purpose: string): HoldingRecord {
  const key = String(item[LEDGER.sortKey]);
  const parsed = parseRecordKey(key);
  const { [LEDGER.itemSystemAttribute]: _system, ...rest } = item;
  return {
    ...(rest as unknown as HoldingRecord),
    purpose,
    system: typeof item[LEDGER.itemSystemAttribute] === 'string' ? (item[LEDGER.itemSystemAttribute] as string) : parsed.system,
    ...(parsed.itemRef === undefined ? {} : { itemRef: parsed.itemRef }),
  };
}

/** A holding as written: the sort key its record key, and an item's system id and itemRef as attributes. */
export function toStored(record: HoldingRecord): Record<string, unknown> {
  if (record.itemRef === undefined) return { ...record };
  return { ...record, [LEDGER.sortKey]: recordKeyOf(record.system, record.itemRef), [LEDGER.itemSystemAttribute]: record.system };
}

/** Later than any hold's placing or release: the planner then reads each hold as stored (scheduleUnderHolds). */
const HOLDS_AS_STORED = Temporal.Instant.fromEpochMilliseconds(8.64e15);

const NAMES = {
  '#status': 'status',
  '#collectedAtMs': 'collectedAtMs',
} as const;

export class Ledger {
  public constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly policy: Policy,
    private readonly tables: Readonly<Record<string, string>>,
  ) {}

  /** The ledger table of a purpose of the policy. */
  public tableOf(purpose: string): string {
    const table = this.tables[purpose];
    if (!table) throw new RuntimeConfigError(`no ledger table is configured for purpose "${purpose}" (LETHE_LEDGER_TABLES)`);
    return table;
  }

  /** The purpose whose ledger table has this name, if any. */
  public purposeOfTable(table: string): string | undefined {
    return Object.keys(this.tables).find((purpose) => this.tables[purpose] === table);
  }

  /**
   * The expiry of a holding given the subject's events (all of them: a future-stamped event counts when it comes).
   * An item holding's `itemRef` makes the events with the same ref count for it, and those of other items not.
   */
  public expiryOf(purpose: string, collectedAt: Temporal.Instant, events: readonly SubjectEvent[], itemRef?: string): Expiry {
    return computeExpiry(this.policy, purpose, { collectedAt, events, ...(itemRef === undefined ? {} : { ref: itemRef }) });
  }

  /**
   * Registers (or re-registers) a holding as active with its expiry and due keys. A registration older than
   * what is stored (an out-of-order delivery) changes nothing: an active holding keeps its later collection, a
   * finished one is not revived by a collection from before it was finished. Returns whether it was written.
   */
  public async register(holding: NewHolding, events: EventList, now: Temporal.Instant): Promise<{ written: boolean; expiry: Expiry }> {
    const { expiry, schedule } = this.scheduleUnderHolds(holding, holding.collectedAt, events);
    const collectedAtMs = holding.collectedAt.epochMilliseconds;
    const item: HoldingRecord = {
      subjectRef: holding.subjectRef,
      system: holding.system,
      ...(holding.itemRef === undefined ? {} : { itemRef: holding.itemRef }),
      purpose: holding.purpose,
      status: HOLDING_STATUS.active,
      collectedAt: utcIso(holding.collectedAt),
      collectedAtMs,
      registeredAt: utcIso(now),
      sealed: holding.sealed,
      ...schedule,
      eventsSeq: events.seq,
    };
    try {
      await this.ddb.send(
        new PutCommand({
          TableName: this.tableOf(holding.purpose),
          Item: toStored(item),
          ConditionExpression:
            'attribute_not_exists(#pk) OR (#status = :active AND #collectedAtMs <= :c) OR (#status = :done AND #finishedAtMs < :c)',
          ExpressionAttributeNames: { '#pk': LEDGER.partitionKey, ...NAMES, '#finishedAtMs': 'finishedAtMs' },
          ExpressionAttributeValues: { ':active': HOLDING_STATUS.active, ':done': HOLDING_STATUS.done, ':c': collectedAtMs },
        }),
      );
      return { written: true, expiry };
    } catch (error) {
      if (isConditionFailure(error)) return { written: false, expiry };
      throw error;
    }
  }

  /** The subject's holdings in every purpose's table (both statuses unless `activeOnly`), in policy purpose order. */
  public async holdingsOf(subjectRef: string, options: { activeOnly?: boolean } = {}): Promise<HoldingRecord[]> {
    const perPurpose = await Promise.all(
      Object.keys(this.policy.purposes).map(async (purpose) => {
        const pages = paginateQuery(
          { client: this.ddb },
          {
            TableName: this.tableOf(purpose),
            KeyConditionExpression: '#pk = :ref',
            ExpressionAttributeNames: { '#pk': LEDGER.partitionKey },
            ExpressionAttributeValues: { ':ref': subjectRef },
            ConsistentRead: true,
          },
        );
        const items: HoldingRecord[] = [];
        // An item written under another purpose's table would be a bug; trust the table, not the attribute.
        for await (const page of pages) items.push(...(page.Items ?? []).map((item) => fromStored(item, purpose)));
        return items;
      }),
    );
    const all = perPurpose.flat();
    return options.activeOnly ? all.filter((h) => h.status === HOLDING_STATUS.active) : all;
  }

  /** One holding: of the subject's main record in the system, or of the item `itemRef` there. */
  public async get(purpose: string, subjectRef: string, system: string, itemRef?: string): Promise<HoldingRecord | undefined> {
    const { Item } = await this.ddb.send(
      new GetCommand({
        TableName: this.tableOf(purpose),
        Key: keyOf({ subjectRef, system, itemRef }),
        ConsistentRead: true,
      }),
    );
    return Item ? fromStored(Item, purpose) : undefined;
  }

  /**
   * Recomputes an active holding's expiry and due keys (after a new event, or when the sweep finds it due but
   * not expired). Leaves a holding alone that was finished or re-collected meanwhile, or whose stored expiry was
   * computed from a later read of the events (a higher `eventsSeq`). Returns the expiry.
   */
  public async reschedule(
    holding: Pick<HoldingRecord, 'subjectRef' | 'system' | 'itemRef' | 'purpose' | 'collectedAt' | 'collectedAtMs'>,
    events: EventList,
  ): Promise<{ updated: boolean; expiry: Expiry }> {
    const { expiry, schedule } = this.scheduleUnderHolds(holding, Temporal.Instant.from(holding.collectedAt), events);
    const names: Record<string, string> = { ...NAMES, '#eventsSeq': 'eventsSeq', '#nothingFound': 'nothingFound' };
    const values: Record<string, unknown> = { ':active': HOLDING_STATUS.active, ':c': holding.collectedAtMs, ':seq': events.seq };
    const set: string[] = ['#eventsSeq = :seq'];
    const remove: string[] = [];
    for (const attribute of SCHEDULE_ATTRIBUTES) {
      names[`#${attribute}`] = attribute;
      const value = schedule[attribute];
      if (value === undefined) remove.push(`#${attribute}`);
      else {
        set.push(`#${attribute} = :${attribute}`);
        values[`:${attribute}`] = value;
      }
    }
    try {
      await this.ddb.send(
        new UpdateCommand({
          TableName: this.tableOf(holding.purpose),
          Key: keyOf(holding),
          UpdateExpression: [set.length ? `SET ${set.join(', ')}` : '', remove.length ? `REMOVE ${remove.join(', ')}` : '']
            .filter(Boolean)
            .join(' '),
          // A holding flagged nothingFound stays out of the due index until it is registered again.
          ConditionExpression:
            '#status = :active AND #collectedAtMs = :c AND (attribute_not_exists(#eventsSeq) OR #eventsSeq <= :seq) AND attribute_not_exists(#nothingFound)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return { updated: true, expiry };
    } catch (error) {
      if (isConditionFailure(error)) return { updated: false, expiry };
      throw error;
    }
  }

  /**
   * Marks an active holding done: status, outcome, who finished it; the due keys and the sealed locator go; TTL
   * removes the item after `doneTtlSeconds`. Only the holding as it was planned (same collection): a holding
   * re-collected meanwhile stays active. Returns whether it was marked.
   */
  public async finish(
    holding: Pick<HoldingRecord, 'subjectRef' | 'system' | 'itemRef' | 'purpose' | 'collectedAtMs'>,
    outcome: SystemStatus,
    finishedBy: string,
    now: Temporal.Instant,
  ): Promise<boolean> {
    try {
      await this.ddb.send(
        new UpdateCommand({
          TableName: this.tableOf(holding.purpose),
          Key: keyOf(holding),
          UpdateExpression:
            'SET #status = :done, #outcome = :outcome, #finishedAt = :at, #finishedAtMs = :atMs, #finishedBy = :by, #ttl = :ttl ' +
            'REMOVE #dueShard, #dueAt, #parkedShard, #sealed, #applied',
          ConditionExpression: '#status = :active AND #collectedAtMs = :c',
          ExpressionAttributeNames: {
            ...NAMES,
            '#outcome': 'outcome',
            '#finishedAt': 'finishedAt',
            '#finishedAtMs': 'finishedAtMs',
            '#finishedBy': 'finishedBy',
            '#ttl': LEDGER.ttlAttribute,
            '#dueShard': LEDGER.dueShardAttribute,
            '#dueAt': LEDGER.dueAtAttribute,
            '#parkedShard': LEDGER.parkedShardAttribute,
            '#sealed': 'sealed',
            '#applied': 'applied',
          },
          ExpressionAttributeValues: {
            ':done': HOLDING_STATUS.done,
            ':active': HOLDING_STATUS.active,
            ':outcome': outcome,
            ':at': utcIso(now),
            ':atMs': now.epochMilliseconds,
            ':by': finishedBy,
            ':ttl': Math.floor(now.epochMilliseconds / 1000) + LEDGER.doneTtlSeconds,
            ':c': holding.collectedAtMs,
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * Records on an active holding what an expiry did to its data, after the connector call and before the audit
   * record and the finish (see the module comment). Only the holding as planned (same collection). Returns
   * whether it was recorded.
   */
  public async recordApplied(
    holding: Pick<HoldingRecord, 'subjectRef' | 'system' | 'itemRef' | 'purpose' | 'collectedAtMs'>,
    applied: AppliedAction,
  ): Promise<boolean> {
    try {
      await this.ddb.send(
        new UpdateCommand({
          TableName: this.tableOf(holding.purpose),
          Key: keyOf(holding),
          UpdateExpression: 'SET #applied = :applied',
          ConditionExpression: '#status = :active AND #collectedAtMs = :c',
          ExpressionAttributeNames: { ...NAMES, '#applied': 'applied' },
          ExpressionAttributeValues: { ':applied': applied, ':active': HOLDING_STATUS.active, ':c': holding.collectedAtMs },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * Counts a sweep in which the holding's subject could not be processed (issue 15, item 8): once per sweep, so a
   * batch the state machine retries counts once; on the holding as planned (same collection, still active). From
   * `quarantineAfter` failed sweeps on, the holding is quarantined in the same write: its due keys and its TTL
   * backstop go, so the sweep no longer picks it and DynamoDB TTL does not remove it, and `quarantined` records
   * since when and why. It stays active (an erasure request still acts on it); registering it again (a new item,
   * register) clears the count and the quarantine and makes it due again. Returns the new count and whether this
   * call quarantined it; `counted: false` when this sweep was counted already or the holding changed.
   */
  public async recordFailedSweep(
    holding: Pick<HoldingRecord, 'subjectRef' | 'system' | 'itemRef' | 'purpose' | 'collectedAtMs' | 'failedSweeps' | 'lastFailedSweep'>,
    failure: { readonly sweepId: string; readonly error: string; readonly now: Temporal.Instant },
    quarantineAfter: number,
  ): Promise<{ counted: boolean; failedSweeps: number; quarantined: boolean }> {
    const previous = holding.failedSweeps ?? 0;
    if (holding.lastFailedSweep === failure.sweepId) return { counted: false, failedSweeps: previous, quarantined: false };
    const failedSweeps = previous + 1;
    const quarantine = failedSweeps >= quarantineAfter;
    const names: Record<string, string> = {
      ...NAMES,
      '#failedSweeps': 'failedSweeps',
      '#lastFailedSweep': 'lastFailedSweep',
    };
    const values: Record<string, unknown> = {
      ':active': HOLDING_STATUS.active,
      ':c': holding.collectedAtMs,
      ':n': failedSweeps,
      ':sweep': failure.sweepId,
    };
    let update = 'SET #failedSweeps = :n, #lastFailedSweep = :sweep';
    if (quarantine) {
      const record: Quarantine = {
        at: utcIso(failure.now),
        atMs: failure.now.epochMilliseconds,
        sweepId: failure.sweepId,
        failedSweeps,
        error: failure.error,
      };
      Object.assign(names, {
        '#quarantined': 'quarantined',
        '#parkedShard': LEDGER.parkedShardAttribute,
        '#dueShard': LEDGER.dueShardAttribute,
        '#dueAt': LEDGER.dueAtAttribute,
        '#ttl': LEDGER.ttlAttribute,
      });
      values[':quarantined'] = record;
      values[':parked'] = parkedShardOf(PARKED_STATE.quarantined, holding.subjectRef);
      update += ', #quarantined = :quarantined, #parkedShard = :parked REMOVE #dueShard, #dueAt, #ttl';
    }
    try {
      await this.ddb.send(
        new UpdateCommand({
          TableName: this.tableOf(holding.purpose),
          Key: keyOf(holding),
          UpdateExpression: update,
          ConditionExpression:
            '#status = :active AND #collectedAtMs = :c AND (attribute_not_exists(#lastFailedSweep) OR #lastFailedSweep <> :sweep)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return { counted: true, failedSweeps, quarantined: quarantine };
    } catch (error) {
      if (isConditionFailure(error)) return { counted: false, failedSweeps: previous, quarantined: false };
      throw error;
    }
  }

  /**
   * Counts a connector call about to be made for an active holding's expiry (see `attempts`). Only the holding as
   * planned (same collection). Returns whether it was counted.
   */
  public async markAttempted(
    holding: Pick<HoldingRecord, 'subjectRef' | 'system' | 'itemRef' | 'purpose' | 'collectedAtMs'>,
  ): Promise<boolean> {
    try {
      await this.ddb.send(
        new UpdateCommand({
          TableName: this.tableOf(holding.purpose),
          Key: keyOf(holding),
          UpdateExpression: 'SET #attempts = if_not_exists(#attempts, :zero) + :one',
          ConditionExpression: '#status = :active AND #collectedAtMs = :c',
          ExpressionAttributeNames: { ...NAMES, '#attempts': 'attempts' },
          ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':active': HOLDING_STATUS.active, ':c': holding.collectedAtMs },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * Flags an active holding whose expiry found no data (the connector answered `nothing-found`): it is not closed
   * as done, since the data may still be there under another key; it stays active with its sealed locator, and
   * leaves the due index and loses its TTL backstop, so that it is neither swept nor removed again until an
   * operator registers it again (with what finds the data: a new item, without the flag) or an erasure request
   * finishes it. Only the holding as planned (same collection). Returns whether it was flagged.
   */
  public async flagNothingFound(
    holding: Pick<HoldingRecord, 'subjectRef' | 'system' | 'itemRef' | 'purpose' | 'collectedAtMs'>,
    by: string,
    now: Temporal.Instant,
  ): Promise<boolean> {
    const flag: NothingFound = { by, at: utcIso(now), atMs: now.epochMilliseconds };
    try {
      await this.ddb.send(
        new UpdateCommand({
          TableName: this.tableOf(holding.purpose),
          Key: keyOf(holding),
          UpdateExpression: 'SET #nothingFound = :flag, #parkedShard = :parked REMOVE #dueShard, #dueAt, #ttl, #applied',
          ConditionExpression: '#status = :active AND #collectedAtMs = :c',
          ExpressionAttributeNames: {
            ...NAMES,
            '#nothingFound': 'nothingFound',
            '#parkedShard': LEDGER.parkedShardAttribute,
            '#dueShard': LEDGER.dueShardAttribute,
            '#dueAt': LEDGER.dueAtAttribute,
            '#ttl': LEDGER.ttlAttribute,
            '#applied': 'applied',
          },
          ExpressionAttributeValues: {
            ':flag': flag,
            ':parked': parkedShardOf(PARKED_STATE.nothingFound, holding.subjectRef),
            ':active': HOLDING_STATUS.active,
            ':c': holding.collectedAtMs,
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * Puts back a holding that TTL removed (ledger-stream): as done when its erasure succeeded, still active (due,
   * with a fresh TTL backstop) when it failed, so that it is never lost, or active and flagged (nothingFound, out of
   * the due index, no TTL) when its connector found nothing. A holding registered again since the removal wins.
   * Returns whether it was put.
   */
  public async putBack(
    removed: HoldingRecord,
    result:
      | { readonly done: true; readonly outcome: SystemStatus; readonly finishedBy: string }
      | { readonly done: false; readonly nothingFound?: { readonly by: string } },
    now: Temporal.Instant,
  ): Promise<boolean> {
    const nowSeconds = Math.floor(now.epochMilliseconds / 1000);
    let item: HoldingRecord;
    if (result.done) {
      const { dueShard: _s, dueAt: _d, sealed: _l, parkedShard: _p, ...rest } = removed;
      item = {
        ...rest,
        status: HOLDING_STATUS.done,
        outcome: result.outcome,
        finishedAt: utcIso(now),
        finishedAtMs: now.epochMilliseconds,
        finishedBy: result.finishedBy,
        ttl: nowSeconds + LEDGER.doneTtlSeconds,
      };
    } else if (result.nothingFound) {
      const { dueShard: _s, dueAt: _d, ttl: _t, applied: _a, ...rest } = removed;
      item = {
        ...rest,
        nothingFound: { by: result.nothingFound.by, at: utcIso(now), atMs: now.epochMilliseconds },
        parkedShard: parkedShardOf(PARKED_STATE.nothingFound, removed.subjectRef),
      };
    } else {
      item = { ...removed, ttl: nowSeconds + LEDGER.activeTtlGraceSeconds };
    }
    try {
      await this.ddb.send(
        new PutCommand({
          TableName: this.tableOf(removed.purpose),
          Item: toStored(item),
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': LEDGER.partitionKey },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** One page of a purpose's due index: holdings of one shard due at `nowMs` or before, oldest first. */
  public async dueHoldings(
    purpose: string,
    shard: number,
    nowMs: number,
    limit: number,
    startKey?: Record<string, unknown>,
  ): Promise<DuePage> {
    const page = await this.ddb.send(
      new QueryCommand({
        TableName: this.tableOf(purpose),
        IndexName: LEDGER.dueIndex,
        KeyConditionExpression: '#shard = :shard AND #dueAt <= :now',
        ExpressionAttributeNames: { '#shard': LEDGER.dueShardAttribute, '#dueAt': LEDGER.dueAtAttribute },
        ExpressionAttributeValues: { ':shard': shardName(shard), ':now': nowMs },
        Limit: limit,
        ExclusiveStartKey: startKey,
      }),
    );
    const items = (page.Items ?? []).map((i) => ({
      subjectRef: String(i[LEDGER.partitionKey]),
      ...parseRecordKey(String(i[LEDGER.sortKey])),
    }));
    return { items, ...(page.LastEvaluatedKey ? { lastKey: page.LastEvaluatedKey } : {}) };
  }

  /**
   * A holding's expiry and schedule under the subject's legal holds (spec 2.3; the EventList carries them, holds.ts).
   * A hold in force over it: its own expiry is kept in `expiresAt`, but it has no due keys and no TTL backstop, so
   * neither the sweep nor TTL picks it until the release schedules it again. Released holds that covered it: it is
   * due at the later of its own expiry and the latest release. Holds are taken as stored (a placed hold is in force
   * until its release is recorded: both are stamped by the API's clock when they happen).
   */
  private scheduleUnderHolds(
    holding: Pick<HoldingRecord, 'subjectRef' | 'system' | 'itemRef' | 'purpose'>,
    collectedAt: Temporal.Instant,
    events: EventList,
  ): { expiry: Expiry; schedule: Schedule } {
    const own = this.expiryOf(holding.purpose, collectedAt, events, holding.itemRef);
    const holds = events.holds;
    const planned: Holding = {
      purpose: holding.purpose,
      system: holding.system,
      collectedAt,
      ...(holding.itemRef === undefined ? {} : { ref: holding.itemRef }),
    };
    if (holds.length === 0)
      return { expiry: own, schedule: this.liftsFirst(this.schedule(own, holding.subjectRef), planned, holding.subjectRef, events) };
    if (coveringHold(holds, planned, HOLDS_AS_STORED)) {
      const kept: Schedule = {
        ...(own.expiresAt ? { expiresAt: formatInstant(own.expiresAt, this.policy.timezone) } : {}),
        parkedShard: parkedShardOf(PARKED_STATE.held, holding.subjectRef),
      };
      return { expiry: own, schedule: this.liftsFirst(kept, planned, holding.subjectRef, events) };
    }
    const expiry = afterReleases(this.policy, own, holds, planned, HOLDS_AS_STORED);
    return { expiry, schedule: this.liftsFirst(this.schedule(expiry, holding.subjectRef), planned, holding.subjectRef, events) };
  }

  /**
   * A restriction request with `until` that covers the holding and is not lifted yet (holds.ts HoldItem.restriction)
   * makes it due at `until` if that comes before its own due time: the sweep that finds it then lifts the
   * restriction (expiry.ts) and schedules it again. The due index stays the only way work is found. The TTL backstop
   * stays the expiry's.
   */
  private liftsFirst(schedule: Schedule, planned: Holding, subjectRef: string, events: EventList): Schedule {
    const lifts = (events.restrictions ?? [])
      .filter((r) => r.restriction?.until !== undefined && r.releasedAt === undefined && scopeCovers(r.scope, planned))
      .map((r) => Temporal.Instant.from(r.restriction!.until!).epochMilliseconds);
    if (lifts.length === 0) return schedule;
    const liftAt = Math.min(...lifts);
    if (schedule.dueAt !== undefined && schedule.dueAt <= liftAt) return schedule;
    return { ...schedule, dueShard: dueShardOf(subjectRef), dueAt: liftAt };
  }

  /** Due keys and TTL for an expiry; while it is unknown or never, why it is parked (waiting or indefinite). */
  private schedule(expiry: Expiry, subjectRef: string): Schedule {
    if (!expiry.expiresAt)
      return { parkedShard: parkedShardOf(expiry.indefinite ? PARKED_STATE.indefinite : PARKED_STATE.waiting, subjectRef) };
    const dueAt = expiry.expiresAt.epochMilliseconds;
    return {
      expiresAt: formatInstant(expiry.expiresAt, this.policy.timezone),
      dueShard: dueShardOf(subjectRef),
      dueAt,
      ttl: Math.ceil(dueAt / 1000) + LEDGER.activeTtlGraceSeconds,
    };
  }
}
