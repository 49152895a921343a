/**
 * The DynamoDB connector's record actions `restrict` and `unrestrict` (spec 2.4), against the in-memory DynamoDB
 * (test/lib/runtime/support/fake-dynamodb.ts evaluates the update and condition expressions): the subject's items
 * get the marker attribute and nothing else of them changes; user10's items are never touched.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_RESTRICTED_ATTRIBUTE, DynamoDbConnector } from '../../../lib/connectors/dynamodb';
import type { DynamoDbConnectorConfig } from '../../../lib/connectors/config';
import { ConnectorPermanentError } from '../../../lib/connectors/errors';
import { FakeDynamo } from '../runtime/support/fake-dynamodb';
import { FIELDS, invocation, subject } from './fixtures';

let fake: FakeDynamo;
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-north-1' }));
const connector = (config: Partial<DynamoDbConnectorConfig> = {}) =>
  new DynamoDbConnector('crm', { tableName: 'orders', keyAttribute: 'customerId', sortKeyAttribute: 'orderId', ...config }, { client });

const record = (customerId: string, orderId: string) => ({
  customerId,
  orderId,
  name: `Name of ${customerId}`,
  email: `${customerId}@example.se`,
  total: 123.5,
  lines: [{ sku: 'A-1', qty: 2 }],
  address: { street: 'Storgatan 1', city: 'Umeå' },
});

const restrict = (requestId = 'req-1', until?: string) =>
  subject({ record: 'restrict', restriction: { requestId, ...(until ? { until } : {}) } });
const unrestrict = (requestId = 'req-1') => subject({ record: 'unrestrict', restriction: { requestId } });

beforeEach(() => {
  fake = new FakeDynamo().createTable('orders', { partitionKey: 'customerId', sortKey: 'orderId' });
  for (const [c, o] of [
    ['user1', 'O-1'],
    ['user1', 'O-2'],
    ['user10', 'O-10'],
  ])
    fake.seed('orders', record(c, o));
});
afterEach(() => fake.restore());

const withoutMark = (item: Record<string, unknown> | undefined) => {
  const { [DEFAULT_RESTRICTED_ATTRIBUTE]: _mark, ...rest } = item ?? {};
  return rest;
};

describe('restrict', () => {
  test('marks every item of user1 with {requestId, until, at}; every other attribute unchanged; user10 untouched', async () => {
    // GIVEN user1's two orders and user10's order WHEN user1's record is restricted until a date
    const result = await connector().run(invocation([restrict('req-1', '2027-01-04T23:00:00.000Z')]));
    // THEN restricted, two records marked
    expect(result.subjects).toEqual([{ subjectRef: 'ref-user1', status: 'restricted', counts: { records: 2, fields: 0, objects: 0 } }]);
    for (const orderId of ['O-1', 'O-2']) {
      const item = fake.item('orders', { customerId: 'user1', orderId });
      expect(item?.[DEFAULT_RESTRICTED_ATTRIBUTE]).toEqual({
        requestId: 'req-1',
        until: '2027-01-04T23:00:00.000Z',
        at: expect.any(String),
      });
      // everything else exactly as it was
      expect(withoutMark(item)).toEqual(record('user1', orderId));
    }
    expect(fake.item('orders', { customerId: 'user10', orderId: 'O-10' })).toEqual(record('user10', 'O-10'));
    // AND the only writes were two UpdateItems setting the marker, nothing deleted or put
    expect(fake.callsOf('Update').map((c) => c.input.UpdateExpression)).toEqual(['SET #mark = :mark', 'SET #mark = :mark']);
    expect([...fake.callsOf('Put'), ...fake.callsOf('Delete')]).toEqual([]);
  });

  test('the attribute is configurable (restrictedAttribute)', async () => {
    await connector({ restrictedAttribute: 'processingRestricted' }).run(invocation([restrict()]));
    const item = fake.item('orders', { customerId: 'user1', orderId: 'O-1' });
    expect(item?.processingRestricted).toMatchObject({ requestId: 'req-1' });
    expect(item?.[DEFAULT_RESTRICTED_ATTRIBUTE]).toBeUndefined();
  });

  test('a second run leaves the mark as it is and still reports the records (idempotent)', async () => {
    await connector().run(invocation([restrict()]));
    const first = fake.item('orders', { customerId: 'user1', orderId: 'O-1' });
    const again = await connector().run(invocation([restrict()]));
    expect(again.subjects[0]).toMatchObject({ status: 'restricted', counts: { records: 2 } });
    expect(fake.item('orders', { customerId: 'user1', orderId: 'O-1' })).toEqual(first);
  });

  test('no item: restricted with counts 0, and nothing is created', async () => {
    const result = await connector().run(
      invocation([subject({ subjectId: 'user2', record: 'restrict', restriction: { requestId: 'r' } })]),
    );
    expect(result.subjects[0]).toEqual({ subjectRef: 'ref-user1', status: 'restricted', counts: { records: 0, fields: 0, objects: 0 } });
    expect(fake.items('orders')).toHaveLength(3);
  });

  test('without a sort key: the one item by key, never re-created when it is gone', async () => {
    fake.restore();
    fake = new FakeDynamo().createTable('customers', { partitionKey: 'customerId' });
    fake.seed('customers', { customerId: 'user10', name: 'Ten' });
    const result = await new DynamoDbConnector('crm', { tableName: 'customers', keyAttribute: 'customerId' }, { client }).run(
      invocation([restrict()]),
    );
    expect(result.subjects[0].counts.records).toBe(0);
    expect(fake.items('customers')).toEqual([{ customerId: 'user10', name: 'Ten' }]);
  });
});

describe('unrestrict', () => {
  test('removes only the mark; the items are as before restrict', async () => {
    await connector().run(invocation([restrict()]));
    const result = await connector().run(invocation([unrestrict()]));
    expect(result.subjects).toEqual([{ subjectRef: 'ref-user1', status: 'unrestricted', counts: { records: 2, fields: 0, objects: 0 } }]);
    expect(fake.item('orders', { customerId: 'user1', orderId: 'O-1' })).toEqual(record('user1', 'O-1'));
    expect(fake.item('orders', { customerId: 'user1', orderId: 'O-2' })).toEqual(record('user1', 'O-2'));
  });

  test("another request's mark stays (a later restriction is not lifted by an earlier one's end)", async () => {
    await connector().run(invocation([restrict('req-2')]));
    const result = await connector().run(invocation([unrestrict('req-1')]));
    expect(result.subjects[0].counts.records).toBe(0);
    expect(fake.item('orders', { customerId: 'user1', orderId: 'O-1' })?.[DEFAULT_RESTRICTED_ATTRIBUTE]).toMatchObject({
      requestId: 'req-2',
    });
  });
});

describe('refusals', () => {
  test.each([
    ['restrict without restriction', subject({ record: 'restrict' }), 'subjects[0].restriction'],
    ['a restriction with delete', subject({ record: 'delete', restriction: { requestId: 'r' } }), 'subjects[0].restriction'],
    [
      'restrict with fields to remove',
      subject({ record: 'restrict', restriction: { requestId: 'r' }, removeFields: [FIELDS.name] }),
      'subjects[0].removeFields',
    ],
  ])('%s is a permanent error naming the path, and nothing is written', async (_name, bad, path) => {
    const run = connector().run(invocation([bad]));
    await expect(run).rejects.toThrow(ConnectorPermanentError);
    await expect(connector().run(invocation([bad]))).rejects.toThrow(path);
    expect(fake.callsOf('Update')).toEqual([]);
  });
});
