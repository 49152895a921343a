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
import { paginateQuery } from '@aws-sdk/lib-dynamodb';
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

/**
 * Every due-index entry of `purpose` with `dueAt` in [fromMs, toMs] (or at most toMs without fromMs), projected
 * to `dueAt` and `expiresAt`: one paginated Query per shard.
 */
async function dueEntries(rt: Runtime, purpose: string, range: { fromMs?: number; toMs: number }): Promise<DueEntry[]> {
  const table = rt.ledger.tableOf(purpose);
  const shards = Array.from({ length: LEDGER.dueShards }, (_, shard) => shardName(shard));
  const values: Record<string, unknown> = {};
  let condition = '#shard = :shard';
  if (range.fromMs !== undefined) {
    condition += ' AND #dueAt BETWEEN :from AND :to';
    Object.assign(values, { ':from': range.fromMs, ':to': range.toMs });
  } else {
    condition += ' AND #dueAt <= :to';
    values[':to'] = range.toMs;
  }
  const perShard = await mapLimit(shards, QUERY_CONCURRENCY, async (shard) => {
    const pages = paginateQuery(
      { client: rt.documents },
      {
        TableName: table,
        IndexName: LEDGER.dueIndex,
        KeyConditionExpression: condition,
        ProjectionExpression: '#dueAt, #expiresAt',
        ExpressionAttributeNames: { '#shard': LEDGER.dueShardAttribute, '#dueAt': LEDGER.dueAtAttribute, '#expiresAt': 'expiresAt' },
        ExpressionAttributeValues: { ...values, ':shard': shard },
      },
    );
    const entries: DueEntry[] = [];
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        entries.push({
          dueAt: Number(item[LEDGER.dueAtAttribute]),
          ...(typeof item.expiresAt === 'string' ? { expiresAt: item.expiresAt } : {}),
        });
      }
    }
    return entries;
  });
  return perShard.flat();
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
  const table = rt.ledger.tableOf(purpose);
  const shards = Array.from({ length: LEDGER.dueShards }, (_, shard) => shardName(shard));
  const counts = await mapLimit(shards, QUERY_CONCURRENCY, async (shard) => {
    const pages = paginateQuery(
      { client: rt.documents },
      {
        TableName: table,
        IndexName: LEDGER.dueIndex,
        KeyConditionExpression: '#shard = :shard AND #dueAt > :after',
        FilterExpression: 'attribute_exists(#expiresAt)',
        Select: 'COUNT',
        ExpressionAttributeNames: { '#shard': LEDGER.dueShardAttribute, '#dueAt': LEDGER.dueAtAttribute, '#expiresAt': 'expiresAt' },
        ExpressionAttributeValues: { ':shard': shard, ':after': afterMs },
      },
    );
    let count = 0;
    for await (const page of pages) count += page.Count ?? 0;
    return count;
  });
  return counts.reduce((sum, n) => sum + n, 0);
}

/**
 * How many holdings of `purpose` are parked in `state`: a COUNT Query per shard of the parked index.
 */
async function countParked(rt: Runtime, purpose: string, state: ParkedState): Promise<number> {
  const table = rt.ledger.tableOf(purpose);
  const counts = await mapLimit(
    Array.from({ length: LEDGER.parkedShards }, (_, shard) => shard),
    QUERY_CONCURRENCY,
    async (shard) => {
      const pages = paginateQuery(
        { client: rt.documents },
        {
          TableName: table,
          IndexName: LEDGER.parkedIndex,
          KeyConditionExpression: '#parked = :parked',
          Select: 'COUNT',
          ExpressionAttributeNames: { '#parked': LEDGER.parkedShardAttribute },
          ExpressionAttributeValues: { ':parked': parkedShardName(state, shard) },
        },
      );
      let count = 0;
      for await (const page of pages) count += page.Count ?? 0;
      return count;
    },
  );
  return counts.reduce((sum, n) => sum + n, 0);
}

/**
 * The held holdings of `purpose` that are in the due index too (due for a restriction's lift), with their due time
 * and expiry, read from the held partitions of the parked index (holds are few: one Query per shard).
 */
async function heldInDueIndex(rt: Runtime, purpose: string): Promise<DueEntry[]> {
  const table = rt.ledger.tableOf(purpose);
  const perShard = await mapLimit(
    Array.from({ length: LEDGER.parkedShards }, (_, shard) => shard),
    QUERY_CONCURRENCY,
    async (shard) => {
      const pages = paginateQuery(
        { client: rt.documents },
        {
          TableName: table,
          IndexName: LEDGER.parkedIndex,
          KeyConditionExpression: '#parked = :parked',
          FilterExpression: 'attribute_exists(#dueAt)',
          ProjectionExpression: '#dueAt, #expiresAt',
          ExpressionAttributeNames: { '#parked': LEDGER.parkedShardAttribute, '#dueAt': LEDGER.dueAtAttribute, '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: { ':parked': parkedShardName(PARKED_STATE.held, shard) },
        },
      );
      const entries: DueEntry[] = [];
      for await (const page of pages) {
        for (const item of page.Items ?? []) {
          entries.push({
            dueAt: Number(item[LEDGER.dueAtAttribute]),
            ...(typeof item.expiresAt === 'string' ? { expiresAt: item.expiresAt } : {}),
          });
        }
      }
      return entries;
    },
  );
  return perShard.flat();
}

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
