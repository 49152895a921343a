/**
 * What the retention ledger holds at a glance (issue 18), for the DPO console, read from each purpose's due index
 * (contract LEDGER: pk `dueShard`, sk `dueAt` in epoch ms; sparse: only active holdings with a due time), one Query
 * per shard with the SDK's paginator, never a scan:
 * - `GET /retention/calendar?days=90`: per purpose, the holdings that expire on each day (policy time zone) from
 *   now to the end of the last day;
 * - `GET /retention/holdings`: per purpose, the active holdings by state: whose expiry has passed and that the sweep
 *   has not erased yet (`due`), whose clock runs (`counting`), and those parked out of the due index (contract
 *   PARKED_STATE: `waiting`, `held`, `indefinite`, `quarantined`, `nothingFound`), counted from each purpose's parked
 *   index (pk `parkedShard` = `<state>#<shard>`), again one Query per partition, never a scan.
 *
 * A holding is in the due index when it has a due time: its expiry, or earlier, the `until` of a restriction that
 * covers it (the sweep then lifts the restriction and schedules it again: ledger.ts liftsFirst). So each holding is
 * counted by its expiry (`expiresAt`, which the index projects), never by a lift's due time: a holding due for a lift
 * only is not expiring then. A held holding has no due time of its own, but can be due for a lift: it is then in both
 * indexes, and is counted once, as held (its parked entry projects `dueAt` and `expiresAt` to tell).
 */
import { paginateQuery, type QueryCommandInput, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { Temporal } from '@js-temporal/polyfill';
import { LEDGER, PARKED_STATE, type ParkedState } from '../core/contract';
import { mapLimit } from '../core/concurrency';
import { utcIso } from '../core/time';
import type { DueCalendarQuery } from './api-schemas';
import { parkedShardName, shardName } from './ledger';
import type { Runtime } from './runtime';

export const DEFAULT_CALENDAR_DAYS = 90;
export const MAX_CALENDAR_DAYS = 366;

/** Index Queries in flight at once for one purpose and one kind of count (each shard is one). */
const QUERY_CONCURRENCY = 16;
/** Purposes counted at once by GET /retention/holdings (each runs its counts side by side). */
const PURPOSE_CONCURRENCY = 4;

export interface DueCalendar {
  /** Today (YYYY-MM-DD) in the policy's time zone: the first day counted. */
  readonly from: string;
  readonly days: number;
  readonly timeZone: string;
  /** Per purpose (every purpose of the policy), the days with at least one holding expiring, ascending. */
  readonly purposes: Readonly<Record<string, readonly { readonly date: string; readonly count: number }[]>>;
}

/** A purpose's active holdings by state: each active holding is in exactly one. */
export interface HoldingCounts {
  /** Its clock waits for an event: no expiry yet. */
  readonly waiting: number;
  /** Clock running: expiry in the future. */
  readonly counting: number;
  /** Expiry passed, not yet erased by a sweep (the sweep's next run picks them). */
  readonly due: number;
  /** Kept by a legal hold or a restriction with keep. */
  readonly held: number;
  /** Its rule keeps it indefinitely. */
  readonly indefinite: number;
  /** Out of the sweep after failing too many sweeps (an operator looks). */
  readonly quarantined: number;
  /** Its expiry found none of its data (an operator registers it again with what finds it). */
  readonly nothingFound: number;
}

export interface HoldingStates {
  /** UTC ISO: the instant the counts are for. */
  readonly asOf: string;
  readonly purposes: Readonly<Record<string, HoldingCounts>>;
}

/** The answer's key of each parked state. */
const PARKED_KEY = {
  [PARKED_STATE.waiting]: 'waiting',
  [PARKED_STATE.held]: 'held',
  [PARKED_STATE.indefinite]: 'indefinite',
  [PARKED_STATE.quarantined]: 'quarantined',
  [PARKED_STATE.nothingFound]: 'nothingFound',
} as const satisfies Record<ParkedState, keyof HoldingCounts>;

interface DueEntry {
  readonly dueAt: number;
  /** The expiry, policy time zone with offset; absent on a holding due for a restriction's lift only. */
  readonly expiresAt?: string;
}

/** One Query of a ledger index: its index, key condition, names and values; a filter or a projection may be added. */
type PartitionQuery = Pick<
  QueryCommandInput,
  'IndexName' | 'KeyConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
> &
  Partial<Pick<QueryCommandInput, 'FilterExpression'>>;

/** The names of a due or parked index's partitions, `shards` of them (each partition is one Query). */
const partitions = (shards: number, name: (shard: number) => string): string[] => Array.from({ length: shards }, (_, shard) => name(shard));

/** Runs one paginated Query per partition of `purpose`'s ledger, QUERY_CONCURRENCY at a time, and sums their pages. */
async function queryPartitions<R>(
  rt: Runtime,
  purpose: string,
  queries: readonly PartitionQuery[],
  fold: {
    readonly select?: 'COUNT';
    readonly project?: string;
    readonly start: () => R;
    readonly add: (sum: R, page: QueryCommandOutput) => R;
  },
): Promise<R[]> {
  const table = rt.ledger.tableOf(purpose);
  return mapLimit(queries, QUERY_CONCURRENCY, async (query) => {
    const pages = paginateQuery(
      { client: rt.documents },
      {
        TableName: table,
        ...query,
        ...(fold.select ? { Select: fold.select } : {}),
        ...(fold.project ? { ProjectionExpression: fold.project } : {}),
      },
    );
    let sum = fold.start();
    for await (const page of pages) sum = fold.add(sum, page);
    return sum;
  });
}

/** Each entry read, projected to `dueAt` and `expiresAt` (the names `#dueAt`, `#expiresAt` must be in the query). */
const ENTRIES = {
  project: '#dueAt, #expiresAt',
  start: (): DueEntry[] => [],
  add: (entries: DueEntry[], page: QueryCommandOutput): DueEntry[] => {
    for (const item of page.Items ?? []) {
      entries.push({
        dueAt: Number(item[LEDGER.dueAtAttribute]),
        ...(typeof item.expiresAt === 'string' ? { expiresAt: item.expiresAt } : {}),
      });
    }
    return entries;
  },
} as const;

/** How many entries matched (read by DynamoDB, none returned). */
const COUNT = { select: 'COUNT', start: () => 0, add: (count: number, page: QueryCommandOutput) => count + (page.Count ?? 0) } as const;

const DUE_NAMES = { '#shard': LEDGER.dueShardAttribute, '#dueAt': LEDGER.dueAtAttribute, '#expiresAt': 'expiresAt' } as const;

/**
 * Every due-index entry of `purpose` with `dueAt` in [fromMs, toMs] (or at most toMs without fromMs), projected
 * to `dueAt` and `expiresAt`: one paginated Query per shard.
 */
async function dueEntries(rt: Runtime, purpose: string, range: { fromMs?: number; toMs: number }): Promise<DueEntry[]> {
  const [condition, values] =
    range.fromMs === undefined
      ? ['#shard = :shard AND #dueAt <= :to', { ':to': range.toMs }]
      : ['#shard = :shard AND #dueAt BETWEEN :from AND :to', { ':from': range.fromMs, ':to': range.toMs }];
  const queries = partitions(LEDGER.dueShards, shardName).map((shard) => ({
    IndexName: LEDGER.dueIndex,
    KeyConditionExpression: condition,
    ExpressionAttributeNames: DUE_NAMES,
    ExpressionAttributeValues: { ...values, ':shard': shard },
  }));
  return (await queryPartitions(rt, purpose, queries, ENTRIES)).flat();
}

/** A holding's expiry as an instant, or undefined when it has none (due for a restriction's lift only). */
const expiryOf = (entry: DueEntry): Temporal.Instant | undefined =>
  entry.expiresAt === undefined ? undefined : Temporal.Instant.from(entry.expiresAt);

/**
 * `GET /retention/calendar`: per purpose, the holdings expiring on each of `days` days, today first (policy time
 * zone), from now on: what expires earlier today is `due` (GET /retention/holdings), not on the calendar.
 */
export async function dueCalendar(rt: Runtime, query: DueCalendarQuery): Promise<DueCalendar> {
  const days = query.days === undefined ? DEFAULT_CALENDAR_DAYS : Number(query.days);
  const timeZone = rt.policy.timezone;
  const now = rt.now();
  const today = now.toZonedDateTimeISO(timeZone).toPlainDate();
  const end = today.add({ days }).toZonedDateTime({ timeZone }).toInstant();
  const purposes: Record<string, { date: string; count: number }[]> = {};
  for (const purpose of Object.keys(rt.policy.purposes)) {
    const entries = await dueEntries(rt, purpose, { fromMs: now.epochMilliseconds, toMs: end.epochMilliseconds - 1 });
    // A held holding due for a restriction's lift is in the due index, but it does not expire while held.
    const held = await heldInDueIndex(rt, purpose);
    const perDay = new Map<string, number>();
    for (const entry of [...entries, ...held.map((h) => ({ ...h, held: true }))]) {
      const expiry = expiryOf(entry);
      if (expiry === undefined || Temporal.Instant.compare(expiry, now) < 0 || Temporal.Instant.compare(expiry, end) >= 0) continue;
      if (entry.dueAt < now.epochMilliseconds || entry.dueAt >= end.epochMilliseconds) continue;
      const sign = 'held' in entry ? -1 : 1;
      const date = expiry.toZonedDateTimeISO(timeZone).toPlainDate().toString();
      perDay.set(date, (perDay.get(date) ?? 0) + sign);
    }
    purposes[purpose] = [...perDay.entries()]
      .filter(([, count]) => count > 0)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([date, count]) => ({ date, count }));
  }
  return { from: today.toString(), days, timeZone, purposes };
}

/**
 * How many holdings of `purpose` are due after `afterMs` and have an expiry: a COUNT Query per shard (the index
 * entries are read, none is returned). An entry due after `afterMs` with an expiry expires then or later (a lift's
 * due time comes before the expiry), so each of them is counting when `afterMs` is now.
 */
async function countExpiringAfter(rt: Runtime, purpose: string, afterMs: number): Promise<number> {
  const queries = partitions(LEDGER.dueShards, shardName).map((shard) => ({
    IndexName: LEDGER.dueIndex,
    KeyConditionExpression: '#shard = :shard AND #dueAt > :after',
    FilterExpression: 'attribute_exists(#expiresAt)',
    ExpressionAttributeNames: DUE_NAMES,
    ExpressionAttributeValues: { ':shard': shard, ':after': afterMs },
  }));
  return sum(await queryPartitions(rt, purpose, queries, COUNT));
}

/** The Queries of the parked index's partitions of `state`, one per shard. */
const parkedQueries = (state: ParkedState, names: Record<string, string> = {}): PartitionQuery[] =>
  partitions(LEDGER.parkedShards, (shard) => parkedShardName(state, shard)).map((partition) => ({
    IndexName: LEDGER.parkedIndex,
    KeyConditionExpression: '#parked = :parked',
    ExpressionAttributeNames: { '#parked': LEDGER.parkedShardAttribute, ...names },
    ExpressionAttributeValues: { ':parked': partition },
  }));

/**
 * How many holdings of `purpose` are parked in `state`: a COUNT Query per shard of the parked index.
 */
async function countParked(rt: Runtime, purpose: string, state: ParkedState): Promise<number> {
  return sum(await queryPartitions(rt, purpose, parkedQueries(state), COUNT));
}

/**
 * The held holdings of `purpose` that are in the due index too (due for a restriction's lift), with their due time
 * and expiry, read from the held partitions of the parked index (holds are few: one Query per shard).
 */
async function heldInDueIndex(rt: Runtime, purpose: string): Promise<DueEntry[]> {
  const queries = parkedQueries(PARKED_STATE.held, { '#dueAt': LEDGER.dueAtAttribute, '#expiresAt': 'expiresAt' }).map((q) => ({
    ...q,
    FilterExpression: 'attribute_exists(#dueAt)',
  }));
  return (await queryPartitions(rt, purpose, queries, ENTRIES)).flat();
}

const sum = (numbers: readonly number[]): number => numbers.reduce((total, n) => total + n, 0);

/**
 * `GET /retention/holdings`: per purpose, every active holding by its state (HoldingCounts). `due` and `counting`
 * come from the due index, each holding by its expiry: the entries due now or earlier are read (few: the sweep erases
 * them) and sorted by their expiry; those due later are counted. The parked states are counted from the parked index.
 * A held holding due for a lift is in both: it is counted as held only (heldInDueIndex). The counts are read one
 * Query after another, not in one transaction: a holding that changes state meanwhile may be counted in neither or
 * in two states, never more than that.
 */
export async function holdingStates(rt: Runtime): Promise<HoldingStates> {
  const now = rt.now();
  const ids = Object.keys(rt.policy.purposes);
  const counted = await mapLimit(ids, PURPOSE_CONCURRENCY, async (purpose): Promise<HoldingCounts> => {
    const [dueLater, dueByNow, heldDue, parkedCounts] = await Promise.all([
      countExpiringAfter(rt, purpose, now.epochMilliseconds),
      dueEntries(rt, purpose, { toMs: now.epochMilliseconds }),
      heldInDueIndex(rt, purpose),
      mapLimit(Object.values(PARKED_STATE), 1, async (state) => [PARKED_KEY[state], await countParked(rt, purpose, state)] as const),
    ]);
    let due = 0;
    let counting = dueLater;
    const classify = (entry: DueEntry, sign: 1 | -1): void => {
      const expiry = expiryOf(entry);
      if (expiry === undefined) return;
      // An entry due after now with an expiry is counting (countExpiringAfter); one due by now, by its expiry.
      if (entry.dueAt > now.epochMilliseconds || Temporal.Instant.compare(expiry, now) > 0) counting += sign;
      else due += sign;
    };
    for (const entry of dueByNow) classify(entry, 1);
    for (const entry of heldDue) classify(entry, -1);
    const parked = Object.fromEntries(parkedCounts) as Record<(typeof PARKED_KEY)[ParkedState], number>;
    return {
      waiting: parked.waiting,
      counting: Math.max(0, counting),
      due: Math.max(0, due),
      held: parked.held,
      indefinite: parked.indefinite,
      quarantined: parked.quarantined,
      nothingFound: parked.nothingFound,
    };
  });
  return { asOf: utcIso(now), purposes: Object.fromEntries(ids.map((purpose, i) => [purpose, counted[i]])) };
}
