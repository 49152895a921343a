/**
 * `GET /requests` (issue 18): every data subject request (erasure, restriction, access), newest received first, a
 * page at a time, for the DPO console. Read from the requests table's `by-status` index (pk `status`, sk
 * `receivedAt`; REQUEST_LIST_INDEX), never a scan:
 * - each status asked for is one partition of the index (`open`: `received` and `running`; no status: all four), read
 *   newest first with the SDK's paginator, and the partitions are merged by `receivedAt`;
 * - `kind` and `dueBefore` are filters on what the index projects (`kind`, `deadline`): they cost reads of the
 *   requests of other kinds in the same partitions, never of the table;
 * - the cursor is the position reached: the `receivedAt` of the page's last request and the ids already listed at
 *   that instant (requests received in the same millisecond), with the filters it was made for. The next page reads
 *   `receivedAt <= at` and leaves those ids out, so that a request whose status changed between two pages is
 *   neither repeated nor the reason a page fails. A cursor carries no authority: it only says where to go on.
 *
 * A list item has no subject id, HMAC or sealed value: the index does not project them. The systems are counted by
 * status (the request's own view, GET /<kind>-requests/{requestId}, has the details).
 */
import { paginateQuery } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { InputError } from '../core/errors';
import { ENV, REQUEST_STATUS, REQUESTS, type RequestStatus } from '../core/contract';
import { utcIso } from '../core/time';
import { parseInstant } from '../retention/time';
import type { RequestListQuery } from './api-schemas';
import { type Extension, kindOf, type RequestItem, type RequestKind } from './requests';
import type { Runtime } from './runtime';

/** The index of requests by status and receipt (lib/stack/table-specs.ts builds it; plain data). */
export const REQUEST_LIST_INDEX = {
  name: 'by-status',
  partitionKey: 'status',
  sortKey: REQUESTS.receivedAtAttribute,
  /** What a list item and the filters need beside the keys: never the subject's HMAC or a sealed value. */
  nonKeyAttributes: ['kind', REQUESTS.deadlineAttribute, 'extension', 'systems'],
} as const;

/** The statuses `status=open` stands for: received or in progress (a failed request is listed under `failed`). */
export const OPEN_STATUSES: readonly RequestStatus[] = ['received', 'running'];

export const DEFAULT_LIMIT = 25;
export const MAX_LIMIT = 100;

/** Ids listed at the cursor's instant: generous (requests received in one millisecond), but bounded. */
const MAX_CURSOR_IDS = 1000;

export interface RequestListItem {
  readonly requestId: string;
  readonly kind: RequestKind;
  readonly status: RequestStatus;
  /** UTC ISO with milliseconds. */
  readonly receivedAt: string;
  /** UTC ISO: the deadline in force (the extended one, when extended). */
  readonly deadline: string;
  readonly extension?: { readonly reason: string; readonly extendedAt: string };
  /** Records by status, e.g. `{erased: 3, failed: 1}`; empty until the request is planned. */
  readonly systems: Readonly<Record<string, number>>;
}

export interface RequestList {
  readonly requests: readonly RequestListItem[];
  /** Present when there is a next page. */
  readonly cursor?: string;
}

/** What a cursor holds: the position and the filters it belongs to. */
const Cursor = z.strictObject({
  v: z.literal(1),
  /** The listing's filters, as asked (`kind|status|dueBefore`). */
  q: z.string().max(200),
  /** The last listed request's receivedAt (UTC ISO, milliseconds: the index's sort key). */
  at: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
  /** The ids listed with exactly that receivedAt. */
  ids: z
    .array(z.string().regex(/^[A-Za-z0-9-]{1,80}$/))
    .min(1)
    .max(MAX_CURSOR_IDS),
});
type Cursor = z.output<typeof Cursor>;

const encodeCursor = (cursor: Cursor): string => Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');

const BAD_CURSOR = 'expected cursor: the cursor of the previous page of this listing, as it was given';

function decodeCursor(text: string, query: string): Cursor {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) throw new InputError(BAD_CURSOR, { path: 'cursor' });
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw new InputError(BAD_CURSOR, { path: 'cursor' });
  }
  const result = Cursor.safeParse(parsed);
  if (!result.success) throw new InputError(BAD_CURSOR, { path: 'cursor' });
  if (result.data.q !== query) {
    throw new InputError('the cursor belongs to a listing with other filters: ask again with the same kind, status and dueBefore', {
      path: 'cursor',
    });
  }
  return result.data;
}

/** The filters as they stand in a cursor. */
const queryKey = (query: RequestListQuery): string => [query.kind ?? '', query.status ?? '', query.dueBefore ?? ''].join('|');

/** The index partitions a status filter reads. `partial`: none (Lethe stores no such status: see docs/api.md). */
function statusesOf(status: RequestListQuery['status'], dueBefore: string | undefined): readonly RequestStatus[] {
  if (dueBefore !== undefined && status !== undefined && status !== 'open') {
    throw new InputError(`dueBefore lists open requests only: leave status out or send status=open (got status=${status})`, {
      path: 'dueBefore',
    });
  }
  if (status === 'open' || dueBefore !== undefined) return OPEN_STATUSES;
  if (status === 'partial') return [];
  if (status === undefined) return REQUEST_STATUS;
  return [status];
}

const systemsByStatus = (item: Pick<RequestItem, 'systems'>): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const entry of Object.values(item.systems ?? {})) counts[entry.status] = (counts[entry.status] ?? 0) + 1;
  return counts;
};

const extensionOf = (extension: Extension | undefined) =>
  extension === undefined ? {} : { extension: { reason: extension.reason, extendedAt: extension.at } };

function toListItem(item: RequestItem): RequestListItem {
  return {
    requestId: item.requestId,
    kind: kindOf(item),
    status: item.status,
    receivedAt: item.receivedAt,
    deadline: item.deadline,
    ...extensionOf(item.extension),
    systems: systemsByStatus(item),
  };
}

/** Newest received first; requests received in the same millisecond by id, so that the order is total. */
const newestFirst = (a: RequestItem, b: RequestItem): number =>
  a.receivedAt < b.receivedAt ? 1 : a.receivedAt > b.receivedAt ? -1 : a.requestId < b.requestId ? 1 : a.requestId > b.requestId ? -1 : 0;

/**
 * One page of the list. `query` is the route's query string as its schema parsed it (RequestListQuery); what only
 * the runtime can check (a real instant, a cursor of this listing) is an `InputError` naming the parameter (400).
 */
export async function listRequests(rt: Runtime, query: RequestListQuery): Promise<RequestList> {
  const limit = query.limit === undefined ? DEFAULT_LIMIT : Number(query.limit);
  const dueBefore = query.dueBefore === undefined ? undefined : utcIso(parseInstant(query.dueBefore, 'dueBefore'));
  const statuses = statusesOf(query.status, dueBefore);
  const key = queryKey(query);
  const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor, key);
  if (statuses.length === 0) return { requests: [] };

  const seen = new Set(cursor?.ids ?? []);
  const names: Record<string, string> = { '#status': REQUEST_LIST_INDEX.partitionKey };
  const values: Record<string, unknown> = {};
  let keyCondition = '#status = :status';
  if (cursor) {
    names['#receivedAt'] = REQUEST_LIST_INDEX.sortKey;
    values[':at'] = cursor.at;
    keyCondition += ' AND #receivedAt <= :at';
  }
  const filters: string[] = [];
  if (query.kind !== undefined) {
    names['#kind'] = 'kind';
    values[':kind'] = query.kind;
    // An item stored before kinds has none: it is an erasure request (requests.ts kindOf).
    filters.push(query.kind === 'erasure' ? '(attribute_not_exists(#kind) OR #kind = :kind)' : '#kind = :kind');
  }
  if (dueBefore !== undefined) {
    names['#deadline'] = REQUESTS.deadlineAttribute;
    values[':due'] = dueBefore;
    filters.push('#deadline <= :due');
  }

  // Each partition gives either all it has left or more than a page: then the page's newest `limit` of their union
  // is the listing's, whatever the partitions hold further down.
  const table = rt.required(ENV.requestsTable);
  const perStatus = await Promise.all(
    statuses.map(async (status) => {
      const pages = paginateQuery(
        { client: rt.documents, pageSize: limit + 1 },
        {
          TableName: table,
          IndexName: REQUEST_LIST_INDEX.name,
          KeyConditionExpression: keyCondition,
          ...(filters.length ? { FilterExpression: filters.join(' AND ') } : {}),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ...values, ':status': status },
          ScanIndexForward: false,
        },
      );
      const found: RequestItem[] = [];
      for await (const page of pages) {
        for (const item of (page.Items ?? []) as RequestItem[]) {
          if (item.receivedAt === cursor?.at && seen.has(item.requestId)) continue;
          found.push(item);
        }
        if (found.length > limit) break;
      }
      return found;
    }),
  );
  const merged = perStatus.flat().sort(newestFirst);
  const page = merged.slice(0, limit);
  if (merged.length <= limit) return { requests: page.map(toListItem) };

  const last = page[page.length - 1];
  const atLast = page.filter((item) => item.receivedAt === last.receivedAt).map((item) => item.requestId);
  const ids = cursor?.at === last.receivedAt ? [...cursor.ids, ...atLast] : atLast;
  return { requests: page.map(toListItem), cursor: encodeCursor({ v: 1, q: key, at: last.receivedAt, ids }) };
}
