/**
 * The shape of every Lethe table (keys, indexes, TTL, stream) as plain data, derived from the runtime contract.
 * The stack builds its DynamoDB tables from these specs, and local mode creates the same tables in DynamoDB
 * Local from them, so there is one list of tables, not two. No AWS or CDK imports here.
 */
import { AUDIT_CHAIN, EVENTS, LEDGER, REQUESTS, TOMBSTONES } from '../core/contract';
import { REQUEST_LIST_INDEX } from '../runtime/request-list';

export type AttributeType = 'S' | 'N';

export interface KeySpec {
  readonly name: string;
  readonly type: AttributeType;
}

export interface IndexSpec {
  readonly name: string;
  readonly partitionKey: KeySpec;
  readonly sortKey?: KeySpec;
  /** ALL, KEYS_ONLY, or INCLUDE with `nonKeyAttributes`. */
  readonly projection: { readonly type: 'ALL' | 'KEYS_ONLY' } | { readonly type: 'INCLUDE'; readonly nonKeyAttributes: readonly string[] };
}

export interface TableSpec {
  /** What the table is for; becomes part of the construct id and of the local table name. */
  readonly role: 'ledger' | 'events' | 'requests' | 'idempotency' | 'audit-chain' | 'tombstones';
  readonly partitionKey: KeySpec;
  readonly sortKey?: KeySpec;
  readonly indexes: readonly IndexSpec[];
  /** The TTL attribute, when DynamoDB should expire items. */
  readonly ttlAttribute?: string;
  /** True: a stream with NEW_AND_OLD_IMAGES. */
  readonly stream: boolean;
}

/**
 * Non-key attributes projected into the due index: when the holding was collected and when it expires, for
 * operators reading the index. Not `sealed`: the sweep reads each due holding from the table itself, so the
 * index never holds a second copy of the (encrypted) subject id and locator.
 */
export const DUE_INDEX_ATTRIBUTES = ['collectedAt', 'expiresAt'] as const;

/**
 * Non-key attributes projected into the parked index: a held holding can also be due for a restriction's lift, and
 * is then in the due index too; the counts read these to count it once (lib/runtime/retention-stats.ts).
 */
export const PARKED_INDEX_ATTRIBUTES = [LEDGER.dueAtAttribute, 'expiresAt'] as const;

/**
 * One ledger table per purpose: pk subjectRef, sk system. The sparse `due` index (pk dueShard, sk dueAt as epoch
 * milliseconds) holds only the active holdings with a known expiry, so the sweep queries what is due and never scans.
 * The sparse `parked` index (pk parkedShard, no sort key) holds the other active holdings, by why they wait (contract
 * PARKED_STATE), so that GET /retention/holdings counts every state without a scan.
 */
export const LEDGER_TABLE: TableSpec = {
  role: 'ledger',
  partitionKey: { name: LEDGER.partitionKey, type: 'S' },
  sortKey: { name: LEDGER.sortKey, type: 'S' },
  indexes: [
    {
      name: LEDGER.dueIndex,
      partitionKey: { name: LEDGER.dueShardAttribute, type: 'S' },
      sortKey: { name: LEDGER.dueAtAttribute, type: 'N' },
      projection: { type: 'INCLUDE', nonKeyAttributes: DUE_INDEX_ATTRIBUTES },
    },
    {
      name: LEDGER.parkedIndex,
      partitionKey: { name: LEDGER.parkedShardAttribute, type: 'S' },
      projection: { type: 'INCLUDE', nonKeyAttributes: PARKED_INDEX_ATTRIBUTES },
    },
  ],
  ttlAttribute: LEDGER.ttlAttribute,
  stream: true,
};

/**
 * Subject events (pk subjectRef, sk `${at}#${type}#${eventId}`, and one counter item per subject); the runtime sets
 * `ttl` on a subject's items once it has no active holding (lib/runtime/event-store.ts).
 */
export const EVENTS_TABLE: TableSpec = {
  role: 'events',
  partitionKey: { name: EVENTS.partitionKey, type: 'S' },
  sortKey: { name: EVENTS.sortKey, type: 'S' },
  indexes: [],
  ttlAttribute: EVENTS.ttlAttribute,
  stream: false,
};

/**
 * Erasure requests (pk requestId) with the sparse index of open requests by deadline (both ISO strings), and the
 * index of a subject's requests by receipt (GET /subjects/{subjectId}; keys only: the view reads each request from
 * the table), and the index of every request by status and receipt (GET /requests); `ttl` is set when a request
 * completes (lib/runtime/requests.ts).
 */
export const REQUESTS_TABLE: TableSpec = {
  role: 'requests',
  partitionKey: { name: REQUESTS.partitionKey, type: 'S' },
  indexes: [
    {
      name: REQUESTS.openIndex,
      partitionKey: { name: REQUESTS.openAttribute, type: 'S' },
      sortKey: { name: REQUESTS.deadlineAttribute, type: 'S' },
      projection: { type: 'KEYS_ONLY' },
    },
    {
      name: REQUESTS.subjectIndex,
      partitionKey: { name: REQUESTS.subjectAttribute, type: 'S' },
      sortKey: { name: REQUESTS.receivedAtAttribute, type: 'S' },
      projection: { type: 'KEYS_ONLY' },
    },
    // GET /requests (lib/runtime/request-list.ts): every request by status, newest received first, with what a list
    // item and its filters need (never the subject's HMAC or a sealed value).
    {
      name: REQUEST_LIST_INDEX.name,
      partitionKey: { name: REQUEST_LIST_INDEX.partitionKey, type: 'S' },
      sortKey: { name: REQUEST_LIST_INDEX.sortKey, type: 'S' },
      projection: { type: 'INCLUDE', nonKeyAttributes: REQUEST_LIST_INDEX.nonKeyAttributes },
    },
  ],
  ttlAttribute: REQUESTS.ttlAttribute,
  stream: false,
};

/** Powertools idempotency persistence layer with its default attribute names. */
export const IDEMPOTENCY_TABLE: TableSpec = {
  role: 'idempotency',
  partitionKey: { name: 'id', type: 'S' },
  indexes: [],
  ttlAttribute: 'expiration',
  stream: false,
};

/** The audit chain's head and sequence claims. */
export const AUDIT_CHAIN_TABLE: TableSpec = {
  role: 'audit-chain',
  partitionKey: { name: AUDIT_CHAIN.partitionKey, type: 'S' },
  indexes: [],
  stream: false,
};

/**
 * Tombstones (lib/runtime/tombstones.ts; issue 19, item 3): pk the system id (or the keys partition), sk the
 * tombstone's id (or a key's period); `expiration` is the TTL. The stack creates it with the replay workflow
 * (lib/stack/replay-workflow.ts), with a point-in-time recovery window of one day (a restored key is refused anyway).
 */
export const TOMBSTONES_TABLE: TableSpec = {
  role: 'tombstones',
  partitionKey: { name: TOMBSTONES.partitionKey, type: 'S' },
  sortKey: { name: TOMBSTONES.sortKey, type: 'S' },
  indexes: [],
  ttlAttribute: TOMBSTONES.ttlAttribute,
  stream: false,
};

/** Every table kind, in a fixed order. */
export const TABLE_SPECS = [LEDGER_TABLE, EVENTS_TABLE, REQUESTS_TABLE, IDEMPOTENCY_TABLE, AUDIT_CHAIN_TABLE, TOMBSTONES_TABLE] as const;
