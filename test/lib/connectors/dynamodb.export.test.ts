/**
 * Record action `export` of the DynamoDB connector (spec 2.4, Art. 15): the listed fields of the subject's items,
 * read with a projection, and never another subject's item (user1 vs user10, O-1 vs O-10).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand, DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { DynamoDbConnectorConfig } from '../../../lib/connectors/config';
import { DynamoDbConnector, plainValue } from '../../../lib/connectors/dynamodb';
import { ConnectorPermanentError } from '../../../lib/connectors/errors';
import { EXPORT_LIMITS } from '../../../lib/core/contract';
import { FIELDS, HMAC_KEY, invocation, subject } from './fixtures';

const ddb = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-north-1' }));
const connector = (config: Partial<DynamoDbConnectorConfig> = {}) =>
  new DynamoDbConnector(
    'crm',
    { tableName: 'customers', keyAttribute: 'customerId', ...config },
    { client, hmacKey: async () => HMAC_KEY },
  );
const exporting = (overrides: Parameters<typeof subject>[0] = {}) =>
  subject({ record: 'export', exportFields: [FIELDS.name, FIELDS.email], ...overrides });

/** A table of two customers whose ids share a prefix, and two orders whose ids do. */
const TABLE: Record<string, Record<string, unknown>> = {
  user1: { customerId: 'user1', name: 'Astrid', email: 'astrid@example.se', password: 'secret-1' },
  user10: { customerId: 'user10', name: 'Bo', email: 'bo@example.se', password: 'secret-10' },
  'O-1': { customerId: 'O-1', name: 'Astrid', email: 'order-1@example.se' },
  'O-10': { customerId: 'O-10', name: 'Bo', email: 'order-10@example.se' },
};

beforeEach(() => {
  ddb.reset();
  // GetItem answers the item of the exact key asked for, with the attributes projected (as DynamoDB does).
  ddb.on(GetCommand).callsFake((input: { Key: { customerId: string }; ExpressionAttributeNames: Record<string, string> }) => {
    const item = TABLE[input.Key.customerId];
    if (!item) return {};
    const wanted = Object.values(input.ExpressionAttributeNames);
    return { Item: Object.fromEntries(Object.entries(item).filter(([k]) => wanted.includes(k))) };
  });
});

describe('export', () => {
  test('by key: one GetItem of exactly user1, projecting the key and the listed fields; exported with those fields only', async () => {
    // GIVEN user1 and user10 in the table WHEN user1's name and email are exported
    const result = await connector().run(invocation([exporting()]));
    // THEN one consistent GetItem of Key user1 that reads no other attribute (the password is never read)
    expect(ddb.commandCalls(GetCommand).map((c) => c.args[0].input)).toEqual([
      {
        TableName: 'customers',
        Key: { customerId: 'user1' },
        ConsistentRead: true,
        ProjectionExpression: '#p0, #p1, #p2',
        ExpressionAttributeNames: { '#p0': 'customerId', '#p1': 'name', '#p2': 'email' },
      },
    ]);
    // AND the answer holds user1's values only, nothing of user10, and changes nothing
    expect(result.subjects).toEqual([
      {
        subjectRef: 'ref-user1',
        status: 'exported',
        counts: { records: 1, fields: 2, objects: 0 },
        export: { records: [{ source: 'table customers, customerId user1', fields: { name: 'Astrid', email: 'astrid@example.se' } }] },
      },
    ]);
    expect(JSON.stringify(result)).not.toMatch(/user10|Bo|secret/);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(ddb.commandCalls(DeleteCommand)).toHaveLength(0);
  });

  test.each([
    ['O-1', 'order-1@example.se', 'order-10@example.se'],
    ['O-10', 'order-10@example.se', 'order-1@example.se'],
  ])('an item record (%s, by its locator) exports that item only', async (orderId, mine, other) => {
    const result = await connector().run(invocation([exporting({ locator: { customerId: orderId }, ref: orderId })]));
    expect(ddb.commandCalls(GetCommand).map((c) => c.args[0].input.Key)).toEqual([{ customerId: orderId }]);
    expect(result.subjects[0].export?.records.map((r) => r.fields.email)).toEqual([mine]);
    expect(JSON.stringify(result)).not.toContain(other);
  });

  test('with a sort key: the exact partition is queried, and each item of it exported', async () => {
    // GIVEN a partition user1 with two items (the query for user1 must not return user10's)
    const partitions: Record<string, Record<string, unknown>[]> = {
      user1: [
        { customerId: 'user1', sk: 'profile' },
        { customerId: 'user1', sk: 'address' },
      ],
      user10: [{ customerId: 'user10', sk: 'profile' }],
    };
    ddb.on(QueryCommand).callsFake((input: { ExpressionAttributeValues: { ':match': string } }) => ({
      Items: partitions[input.ExpressionAttributeValues[':match']] ?? [],
    }));
    ddb
      .on(GetCommand)
      .callsFake((input: { Key: { customerId: string; sk: string } }) =>
        input.Key.customerId === 'user1'
          ? { Item: { ...input.Key, name: `Astrid (${input.Key.sk})` } }
          : { Item: { ...input.Key, name: 'Bo' } },
      );
    const result = await connector({ sortKeyAttribute: 'sk' }).run(invocation([exporting()]));
    const query = ddb.commandCalls(QueryCommand)[0].args[0].input;
    expect(query.KeyConditionExpression).toBe('#match = :match');
    expect(query.ExpressionAttributeValues).toEqual({ ':match': 'user1' });
    expect(result.subjects[0].export?.records).toEqual([
      { source: 'table customers, customerId user1, sk profile', fields: { name: 'Astrid (profile)' } },
      { source: 'table customers, customerId user1, sk address', fields: { name: 'Astrid (address)' } },
    ]);
    expect(result.subjects[0].counts).toEqual({ records: 2, fields: 2, objects: 0 });
  });

  test('no item: exported with no records, counts 0', async () => {
    const result = await connector().run(invocation([exporting({ subjectId: 'nobody', subjectRef: 'ref-nobody' })]));
    expect(result.subjects).toEqual([
      { subjectRef: 'ref-nobody', status: 'exported', counts: { records: 0, fields: 0, objects: 0 }, export: { records: [] } },
    ]);
  });

  test('past EXPORT_LIMITS.maxBytes the rest is left out and truncated is set', async () => {
    const big = 'x'.repeat(Math.ceil(EXPORT_LIMITS.maxBytes / 3));
    ddb.on(QueryCommand).resolves({ Items: [1, 2, 3, 4].map((n) => ({ customerId: 'user1', sk: `s${n}` })) });
    ddb.on(GetCommand).callsFake((input: { Key: Record<string, string> }) => ({ Item: { ...input.Key, name: big } }));
    const result = await connector({ sortKeyAttribute: 'sk' }).run(invocation([exporting()]));
    expect(result.subjects[0].export?.truncated).toBe(true);
    expect(result.subjects[0].export?.records).toHaveLength(2);
  });

  test('an export without exportFields is refused before any call', async () => {
    await expect(connector().run(invocation([subject({ record: 'export' })]))).rejects.toThrow(
      /exportFields: expected exportFields \(the fields to export\) with record "export"/,
    );
    expect(ddb.calls()).toHaveLength(0);
  });

  test('exportFields with another record action is refused', async () => {
    await expect(connector().run(invocation([subject({ record: 'delete', exportFields: [FIELDS.name] })]))).rejects.toThrow(
      ConnectorPermanentError,
    );
    expect(ddb.calls()).toHaveLength(0);
  });
});

describe('plainValue', () => {
  test.each([
    ['a string set', new Set(['a', 'b']), ['a', 'b']],
    ['binary', new Uint8Array([104, 105]), 'aGk='],
    ['a map with a set', { tags: new Set([1]) }, { tags: [1] }],
    ['a list', [new Set(['x'])], [['x']]],
    ['a number', 42, 42],
    ['null', null, null],
  ])('%s comes out as JSON can hold it', (_what, value, expected) => {
    expect(plainValue(value)).toEqual(expected);
  });
});
