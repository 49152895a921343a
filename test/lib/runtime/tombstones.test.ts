/**
 * Tombstones (issue 19, item 3): sealed under a per-period key of their own, kept for the system's backupRetention
 * (TTL), and crypto-shredded after it: once the period's key is destroyed, a tombstone of that period, still stored or
 * restored from a backup of the table, does not open.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TOMBSTONES } from '../../../lib/core/contract';
import { TombstoneShreddedError, TombstoneStore, plusDuration, tombstoneId, type NewTombstone } from '../../../lib/runtime/tombstones';
import { basePolicyDoc, policyFromDoc } from '../../helpers/policy';
import { FakeKms } from './support/aws';
import { FakeDynamo } from './support/fake-dynamodb';

const TABLE = 'lethe-tombstones';
const DAY = 86_400_000;
const policy = policyFromDoc(
  basePolicyDoc({
    systems: {
      crm: { connector: 'dynamodb', location: 'eu-north-1', backupRetention: 'P7D' },
      newsletter: { connector: 'dynamodb', location: 'eu-north-1' },
    },
  }),
);

let ddb: FakeDynamo;
let kms: FakeKms;
let store: TombstoneStore;
beforeEach(() => {
  ddb = new FakeDynamo();
  ddb.createTable(TABLE, { partitionKey: TOMBSTONES.partitionKey, sortKey: TOMBSTONES.sortKey });
  kms = new FakeKms();
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-north-1' }));
  store = new TombstoneStore(documents, TABLE, new KMSClient({ region: 'eu-north-1' }), 'alias/lethe-tombstones', policy);
});
afterEach(() => {
  ddb.restore();
  kms.mock.restore();
});

const AT = Date.parse('2025-03-01T10:00:00Z');
const tombstone = (over: Partial<NewTombstone> = {}): NewTombstone => ({
  system: 'crm',
  subjectRef: 'a'.repeat(64),
  purposes: ['service'],
  record: 'delete',
  removeFields: [],
  anonymiseFields: [],
  origin: 'request:r-1',
  atMs: AT,
  subject: { subjectId: 'user1', locator: { customerId: 'C-1' }, identifiers: { email: 'user1@example.se' } },
  ...over,
});
const stored = () => ddb.items(TABLE).filter((i) => i[TOMBSTONES.partitionKey] !== TOMBSTONES.keysPartition);
const keyItems = () => ddb.items(TABLE).filter((i) => i[TOMBSTONES.partitionKey] === TOMBSTONES.keysPartition);

describe('a tombstone', () => {
  it('GIVEN a written tombstone WHEN stored THEN only HMACs, names and its sealed subject are there, and it opens to what was written', async () => {
    const written = await store.write(tombstone());
    const text = JSON.stringify(ddb.items(TABLE));
    for (const pd of ['user1', 'C-1', 'example.se']) expect(text).not.toContain(pd);
    expect(written.sealed).toMatch(/^t1\.2025-03-01T00:00:00Z\.[A-Za-z0-9+/=]+$/);
    expect(await store.open(written, AT)).toEqual(tombstone().subject);
  });

  it.each([
    ['crm', 'P7D', AT + 7 * DAY],
    ['newsletter', 'P35D (the default)', AT + 35 * DAY],
  ])(
    'GIVEN system %s with backupRetention %s WHEN written THEN its TTL is the erasure plus that window',
    async (system, _window, endMs) => {
      await store.write(tombstone({ system }));
      expect(stored()[0][TOMBSTONES.ttlAttribute]).toBe(endMs / 1000);
    },
  );

  it("GIVEN a period's key WHEN stored THEN it lives until the period's last tombstone of the longest window is past it", async () => {
    await store.write(tombstone());
    const [key] = keyItems();
    // 2025-03-01 (the UTC day) + 35 days (newsletter, the longest), in seconds, rounded up.
    expect(key[TOMBSTONES.ttlAttribute]).toBe(Math.ceil((Date.parse('2025-03-02T00:00:00Z') - 1 + 35 * DAY) / 1000));
    expect(JSON.stringify(key)).not.toContain('lethe:use');
  });

  it('GIVEN the same origin and record written twice WHEN stored THEN one item, the first one', async () => {
    const first = await store.write(tombstone());
    await store.write(tombstone({ atMs: AT + 60_000 }));
    expect(stored()).toHaveLength(1);
    expect(stored()[0].atMs).toBe(first.atMs);
    expect(first.id).toBe(tombstoneId('request:r-1', 'crm', 'a'.repeat(64), undefined));
  });

  it("GIVEN another subject's sealed value copied onto a tombstone WHEN opened THEN it does not open", async () => {
    const mine = await store.write(tombstone());
    const other = await store.write(tombstone({ subjectRef: 'b'.repeat(64) }));
    await expect(store.open({ ...other, sealed: mine.sealed }, AT)).rejects.toThrow();
  });

  it('GIVEN a tombstone of an expired period WHEN its key is destroyed THEN it cannot be opened, even restored from a backup', async () => {
    const written = await store.write(tombstone());
    const backup = ddb.items(TABLE).map((i) => structuredClone(i));
    const keyEnd = store.keyEndMs(written.period);
    // Before the end: the key is kept.
    expect(await store.destroyExpiredKeys(keyEnd - 1000)).toBe(0);
    expect(await store.open(written, keyEnd - 1000)).toEqual(tombstone().subject);
    // Past the end, even before DynamoDB's TTL deletes the key item: refused.
    await expect(store.open(written, keyEnd + 1000)).rejects.toThrow(TombstoneShreddedError);
    // Destroyed: the item is gone.
    expect(await store.destroyExpiredKeys(keyEnd + 1000)).toBe(1);
    expect(keyItems()).toHaveLength(0);
    // The tombstone item restored from a backup of the table (without its key): it still does not open.
    for (const item of backup.filter((i) => i[TOMBSTONES.partitionKey] !== TOMBSTONES.keysPartition)) ddb.seed(TABLE, item);
    await expect(store.open(written, AT)).rejects.toThrow(TombstoneShreddedError);
  });

  it('GIVEN tombstones on both sides of a restore point WHEN listed THEN only those since it and still in their window', async () => {
    await store.write(tombstone({ origin: 'sweep:s-1', atMs: AT - DAY }));
    await store.write(tombstone({ origin: 'sweep:s-2', atMs: AT }));
    await store.write(tombstone({ origin: 'sweep:s-3', atMs: AT + DAY }));
    expect((await store.list('crm', AT, AT + 2 * DAY, AT + 2 * DAY)).map((t) => t.origin)).toEqual(['sweep:s-2', 'sweep:s-3']);
    // Seven days after s-2 (crm's window), only s-3 is left.
    expect((await store.list('crm', AT - DAY, AT + 2 * DAY, AT + 7 * DAY + 1000)).map((t) => t.origin)).toEqual(['sweep:s-3']);
    expect(await store.list('newsletter', AT - DAY, AT + 2 * DAY, AT)).toEqual([]);
  });

  it.each([
    ['P35D', AT + 35 * DAY],
    ['P1M', Date.parse('2025-04-01T10:00:00Z')],
    ['PT36H', AT + 36 * 3_600_000],
  ])('adds %s to an instant in UTC', (iso, expected) => {
    expect(plusDuration(AT, iso)).toBe(expected);
  });

  it('GIVEN a key period that does not divide a day WHEN built THEN an input error', () => {
    const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-north-1' }));
    expect(() => new TombstoneStore(documents, TABLE, new KMSClient({}), 'k', policy, { periodMs: 7_000_000 })).toThrow(/periodMs/);
  });
});
