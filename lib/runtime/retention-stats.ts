/**
 * What the retention ledger holds at a glance (issue 18), for the DPO console, read from each purpose's due index
 * (contract LEDGER: pk `dueShard`, sk `dueAt` in epoch ms; sparse: only active holdings with a due time), one Query
 * per shard with the SDK's paginator, never a scan:
 * - `GET /retention/calendar?days=90`: per purpose, the holdings that expire on each day (policy time zone) from
 *   now to the end of the last day;
 * - `GET /retention/holdings`: per purpose, the holdings whose expiry has passed and that the sweep has not erased
 *   yet (`due`), and those whose clock runs (`counting`).
 *
 * A holding is in the due index when it has a due time: its expiry, or earlier, the `until` of a restriction that
 * covers it (the sweep then lifts the restriction and schedules it again: ledger.ts liftsFirst). So each holding is
 * counted by its expiry (`expiresAt`, which the index projects), never by a lift's due time: a holding due for a lift
 * only is not expiring then. Holdings waiting for an event, kept indefinitely or under a legal hold have no due time,
 * and are not in the index: no count here says anything about them (docs/api.md says what is and is not counted).
 */
import { paginateQuery } from '@aws-sdk/lib-dynamodb';
import { Temporal } from '@js-temporal/polyfill';
import { LEDGER } from '../core/contract';
import { mapLimit } from '../core/concurrency';
import { utcIso } from '../core/time';
import type { DueCalendarQuery } from './api-schemas';
import { shardName } from './ledger';
import type { Runtime } from './runtime';

export const DEFAULT_CALENDAR_DAYS = 90;
export const MAX_CALENDAR_DAYS = 366;

/** Due-index Queries in flight at once (every shard of every purpose is one). */
const QUERY_CONCURRENCY = 16;

export interface DueCalendar {
  /** Today (YYYY-MM-DD) in the policy's time zone: the first day counted. */
  readonly from: string;
  readonly days: number;
  readonly timeZone: string;
  /** Per purpose (every purpose of the policy), the days with at least one holding expiring, ascending. */
  readonly purposes: Readonly<Record<string, readonly { readonly date: string; readonly count: number }[]>>;
}

export interface DueCounts {
  /** Expiry passed, not yet erased by a sweep (the sweep's next run picks them). */
  readonly due: number;
  /** Clock running: expiry in the future. */
  readonly counting: number;
}

export interface HoldingStates {
  /** UTC ISO: the instant the counts are for. */
  readonly asOf: string;
  readonly purposes: Readonly<Record<string, DueCounts>>;
  /** The states of the console's contract that no index counts yet (docs/api.md): never reported as numbers. */
  readonly notCounted: readonly ('waiting' | 'held')[];
}

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
    const perDay = new Map<string, number>();
    for (const entry of entries) {
      const expiry = expiryOf(entry);
      if (expiry === undefined || Temporal.Instant.compare(expiry, now) < 0 || Temporal.Instant.compare(expiry, end) >= 0) continue;
      const date = expiry.toZonedDateTimeISO(timeZone).toPlainDate().toString();
      perDay.set(date, (perDay.get(date) ?? 0) + 1);
    }
    purposes[purpose] = [...perDay.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([date, count]) => ({ date, count }));
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
 * `GET /retention/holdings`: per purpose, `due` and `counting` (DueCounts), each holding counted by its expiry: the
 * entries due now or earlier are read (few: the sweep erases them) and sorted by their expiry; those due later are
 * counted. Waiting and held holdings are not in the due index: `notCounted` names them.
 */
export async function holdingStates(rt: Runtime): Promise<HoldingStates> {
  const now = rt.now();
  const purposes: Record<string, DueCounts> = {};
  for (const purpose of Object.keys(rt.policy.purposes)) {
    let due = 0;
    let counting = await countExpiringAfter(rt, purpose, now.epochMilliseconds);
    for (const entry of await dueEntries(rt, purpose, { toMs: now.epochMilliseconds })) {
      const expiry = expiryOf(entry);
      if (expiry === undefined) continue;
      if (Temporal.Instant.compare(expiry, now) <= 0) due++;
      else counting++;
    }
    purposes[purpose] = { due, counting };
  }
  return { asOf: utcIso(now), purposes, notCounted: ['waiting', 'held'] };
}
