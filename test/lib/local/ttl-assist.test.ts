/**
 * lib/local/ttl-assist.ts: local mode expires the ledger items whose TTL has passed and that DynamoDB Local keeps (an
 * item absent from one of the table's sparse indexes), with TTL's own condition, found through the due index only.
 * On the in-memory DynamoDB (aws-sdk-client-mock).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LEDGER } from '../../../lib/core/contract';
import { LedgerTtlAssist } from '../../../lib/local/ttl-assist';
import { dueShardOf } from '../../../lib/runtime/ledger';
import { LEDGER_TABLE } from '../../../lib/stack/table-specs';
import { FakeDynamo } from '../runtime/support/fake-dynamodb';

const TABLE = 'lethe-local-ledger-research';
const NOW_MS = Date.parse('2026-12-04T12:00:00Z');
const NOW_S = NOW_MS / 1000;
const GRACE = LEDGER.activeTtlGraceSeconds;

let ddb: FakeDynamo;
beforeEach(() => {
  ddb = new FakeDynamo();
  ddb.createTable(TABLE, {
    partitionKey: LEDGER_TABLE.partitionKey.name,
    sortKey: LEDGER_TABLE.sortKey!.name,
    indexes: Object.fromEntries(
      LEDGER_TABLE.indexes.map((i) => [i.name, { partitionKey: i.partitionKey.name, ...(i.sortKey ? { sortKey: i.sortKey.name } : {}) }]),
    ),
  });
});
afterEach(() => ddb.restore());

const assist = (everyMs?: number) =>
  new LedgerTtlAssist({
    documents: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-north-1' })),
    tables: [TABLE],
    now: () => NOW_MS,
    ...(everyMs === undefined ? {} : { everyMs }),
  });

/** A scheduled holding due at `dueAtS` with its TTL backstop `ttlS` (seconds). */
const scheduled = (subjectRef: string, dueAtS: number, ttlS: number) =>
  ddb.seed(TABLE, { subjectRef, system: 'surveys', status: 'active', dueShard: dueShardOf(subjectRef), dueAt: dueAtS * 1000, ttl: ttlS });

describe('LedgerTtlAssist', () => {
  it.each([
    { name: 'TTL passed (expiry + grace before now)', dueAtS: NOW_S - GRACE - 10, ttlS: NOW_S - 10, gone: true },
    { name: 'TTL passed a second ago', dueAtS: NOW_S - GRACE - 1, ttlS: NOW_S - 1, gone: true },
    { name: 'TTL now (not before now: kept, as DynamoDB keeps it)', dueAtS: NOW_S - GRACE, ttlS: NOW_S, gone: false },
    { name: 'due, within its grace', dueAtS: NOW_S - 60, ttlS: NOW_S - 60 + GRACE, gone: false },
    { name: 'due long ago, put back with a fresh TTL', dueAtS: NOW_S - 10 * GRACE, ttlS: NOW_S + GRACE, gone: false },
  ])('GIVEN a holding $name THEN deleted: $gone', async ({ dueAtS, ttlS, gone }) => {
    scheduled('ref-1', dueAtS, ttlS);
    expect(await assist().run()).toBe(gone ? 1 : 0);
    expect(ddb.item(TABLE, { subjectRef: 'ref-1', system: 'surveys' }) === undefined).toBe(gone);
  });

  it('reads only the due index, one Query per shard, never a scan, and leaves held and done holdings alone', async () => {
    // GIVEN a held holding (parked, no due keys, no TTL), a done one (a TTL, no due keys) and an expired one
    ddb.seed(TABLE, { subjectRef: 'ref-held', system: 'surveys', status: 'active', parkedShard: `held#${dueShardOf('ref-held')}` });
    ddb.seed(TABLE, { subjectRef: 'ref-done', system: 'surveys', status: 'done', ttl: NOW_S - 1 });
    scheduled('ref-expired', NOW_S - GRACE - 100, NOW_S - 100);
    // WHEN the assist runs
    expect(await assist().run()).toBe(1);
    // THEN only the expired one went; only due-index Queries, one per shard, then its delete
    expect(
      ddb
        .items(TABLE)
        .map((i) => i.subjectRef)
        .sort(),
    ).toEqual(['ref-done', 'ref-held']);
    const queries = ddb.callsOf('Query', TABLE);
    expect(queries).toHaveLength(LEDGER.dueShards);
    expect(queries.every((c) => c.input.IndexName === LEDGER.dueIndex)).toBe(true);
    expect(ddb.calls.filter((c) => c.command === 'Scan')).toEqual([]);
  });

  it('runs at most once per everyMs', async () => {
    const once = assist(60_000);
    scheduled('ref-1', NOW_S - GRACE - 10, NOW_S - 10);
    expect(await once.run()).toBe(1);
    scheduled('ref-2', NOW_S - GRACE - 10, NOW_S - 10);
    expect(await once.run()).toBe(0);
    expect(ddb.item(TABLE, { subjectRef: 'ref-2', system: 'surveys' })).toBeDefined();
  });
});
