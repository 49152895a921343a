/**
 * The DynamoDB connector and item records (spec 2.2) in a table with a sort key: the customer's main record and her
 * orders share a partition (`customerId`), each order an item of its own (`orderId`). An item locator names the full
 * key, and every record action acts on that one item: order O-1 never touches O-10, the main record, or user10's O-1.
 * Against the in-memory DynamoDB (test/lib/runtime/support/fake-dynamodb.ts evaluates keys, conditions and updates).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ConnectorSubject } from '../../../lib/core/contract';
import { DynamoDbConnector } from '../../../lib/connectors/dynamodb';
import type { DynamoDbConnectorConfig } from '../../../lib/connectors/config';
import { ConnectorPermanentError } from '../../../lib/connectors/errors';
import { FakeDynamo } from '../runtime/support/fake-dynamodb';
import { FIELDS, HMAC_KEY, invocation, subject } from './fixtures';

let fake: FakeDynamo;
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-north-1' }));
const connector = (config: Partial<DynamoDbConnectorConfig> = {}) =>
  new DynamoDbConnector(
    'shop',
    { tableName: 'shop', keyAttribute: 'customerId', sortKeyAttribute: 'orderId', ...config },
    { client, hmacKey: async () => HMAC_KEY },
  );

const row = (customerId: string, orderId: string) => ({
  customerId,
  orderId,
  name: `Name of ${customerId} ${orderId}`,
  email: `${customerId}.${orderId}@example.se`,
  phone: '+46701234567',
  total: 123.5,
});
const KEYS = [
  ['user1', 'profile'],
  ['user1', 'O-1'],
  ['user1', 'O-10'],
  ['user10', 'O-1'],
] as const;

beforeEach(() => {
  fake = new FakeDynamo().createTable('shop', { partitionKey: 'customerId', sortKey: 'orderId' });
  for (const [c, o] of KEYS) fake.seed('shop', row(c, o));
});
afterEach(() => fake.restore());

/** Every item other than `key`, exactly as seeded. */
function othersUnchanged(key: { customerId: string; orderId: string }): void {
  for (const [c, o] of KEYS) {
    if (c === key.customerId && o === key.orderId) continue;
    expect(fake.item('shop', { customerId: c, orderId: o })).toEqual(row(c, o));
  }
}

const order1 = (overrides: Partial<ConnectorSubject> = {}) =>
  subject({ ref: 'O-1', locator: { customerId: 'user1', orderId: 'O-1' }, ...overrides });
const restriction = { requestId: 'req-1' };

describe('an item record in a table with a sort key: the one item its locator names', () => {
  test.each<[string, Partial<ConnectorSubject>, string, (item: Record<string, unknown> | undefined) => void]>([
    ['delete', { record: 'delete' }, 'erased', (item) => expect(item).toBeUndefined()],
    [
      'keep, with a field to remove',
      { record: 'keep', removeFields: [FIELDS.phone] },
      'fields-removed',
      (item) => expect(item).toEqual(expect.not.objectContaining({ phone: expect.anything() })),
    ],
    [
      'anonymise',
      { record: 'anonymise', removeFields: [FIELDS.phone], anonymiseFields: [FIELDS.name] },
      'anonymised',
      (item) => expect(item).toMatchObject({ customerId: 'user1', orderId: 'O-1', name: '[erased]', total: 123.5 }),
    ],
    [
      'restrict',
      { record: 'restrict', restriction },
      'restricted',
      (item) => expect(item).toEqual({ ...row('user1', 'O-1'), 'lethe:restricted': { requestId: 'req-1', at: expect.any(String) } }),
    ],
  ])('%s: O-1 of user1 only; her main record, O-10 and user10 O-1 are as they were', async (_what, action, status, check) => {
    // GIVEN user1's main record, her orders O-1 and O-10, and user10's O-1 in one partitioned table
    // WHEN the item record O-1 of user1 is acted on
    const result = await connector().run(invocation([order1(action)], { system: 'shop' }));
    // THEN exactly one record changed, that one, and no other item of the table
    expect(result.subjects[0]).toMatchObject({ status, counts: { records: 1 } });
    check(fake.item('shop', { customerId: 'user1', orderId: 'O-1' }));
    othersUnchanged({ customerId: 'user1', orderId: 'O-1' });
    // and the partition was never queried: the key is known
    expect(fake.callsOf('Query')).toHaveLength(0);
  });

  test('unrestrict: lifts the mark on O-1 only', async () => {
    await connector().run(invocation([order1({ record: 'restrict', restriction })], { system: 'shop' }));
    const result = await connector().run(invocation([order1({ record: 'unrestrict', restriction })], { system: 'shop' }));
    expect(result.subjects[0]).toMatchObject({ status: 'unrestricted', counts: { records: 1 } });
    expect(fake.item('shop', { customerId: 'user1', orderId: 'O-1' })).toEqual(row('user1', 'O-1'));
    othersUnchanged({ customerId: 'user1', orderId: 'O-1' });
  });

  test('export: a copy of O-1 only', async () => {
    const result = await connector().run(invocation([order1({ record: 'export', exportFields: [FIELDS.email] })], { system: 'shop' }));
    expect(result.subjects[0].export).toEqual({
      records: [{ source: 'table shop, customerId user1, orderId O-1', fields: { email: 'user1.O-1@example.se' } }],
    });
  });

  test('a second delete finds nothing (idempotent), and still touches no other item', async () => {
    await connector().run(invocation([order1()], { system: 'shop' }));
    const again = await connector().run(invocation([order1()], { system: 'shop' }));
    expect(again.subjects[0]).toMatchObject({ status: 'nothing-found', counts: { records: 0 } });
    othersUnchanged({ customerId: 'user1', orderId: 'O-1' });
  });

  test('the main record, located by its own sort key value, is that item alone: the orders stay', async () => {
    const result = await connector().run(
      invocation([subject({ locator: { customerId: 'user1', orderId: 'profile' } })], { system: 'shop' }),
    );
    expect(result.subjects[0]).toMatchObject({ status: 'erased', counts: { records: 1 } });
    expect(fake.item('shop', { customerId: 'user1', orderId: 'profile' })).toBeUndefined();
    othersUnchanged({ customerId: 'user1', orderId: 'profile' });
  });
});

describe('an item record whose locator does not name its item is refused, and nothing is done to it', () => {
  test.each<[string, Partial<DynamoDbConnectorConfig>, Record<string, string>, RegExp]>([
    ['without the sort key (the whole partition)', {}, { customerId: 'user1' }, /item record .*locator\.orderId/],
    ['without the partition key (the subject id instead)', {}, { orderId: 'O-1' }, /item record .*locator\.customerId/],
    ['in a table without a sort key, without its key', { sortKeyAttribute: undefined }, { orderId: 'O-1' }, /locator\.customerId/],
  ])('%s', async (_what, config, locator, message) => {
    const run = connector(config).run(invocation([order1({ locator })], { system: 'shop' }));
    await expect(run).rejects.toThrow(ConnectorPermanentError);
    await expect(connector(config).run(invocation([order1({ locator })], { system: 'shop' }))).rejects.toThrow(message);
    for (const [c, o] of KEYS) expect(fake.item('shop', { customerId: c, orderId: o })).toEqual(row(c, o));
    expect(fake.callsOf('Delete')).toHaveLength(0);
  });
});
