/**
 * Verified erasure in the DynamoDB connector (issue 19): after the action the items are looked up again as the action
 * found them (by key, or through the index and then a strongly consistent GetItem) and what is left is counted.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbConnector } from '../../../lib/connectors/dynamodb';
import type { DynamoDbConnectorConfig } from '../../../lib/connectors/config';
import { FIELDS, HMAC_KEY, invocation, subject } from './fixtures';

const ddb = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-north-1' }));
const connector = (config: Partial<DynamoDbConnectorConfig> = {}) =>
  new DynamoDbConnector(
    'crm',
    { tableName: 'customers', keyAttribute: 'customerId', ...config },
    { client, hmacKey: async () => HMAC_KEY },
  );
const VERIFICATION_FAILED = [{ subjectRef: 'ref-user1', error: 'ConnectorVerificationError', transient: false }];

/** A table of items by customerId: DeleteItem and UpdateItem change it (unless `lies`); GetItem reads it. */
function table(items: Record<string, Record<string, unknown>>, lies = false) {
  const rows = new Map(Object.entries(structuredClone(items)));
  ddb.on(GetCommand).callsFake((input: { Key: { customerId: string } }) => {
    const row = rows.get(input.Key.customerId);
    return row ? { Item: structuredClone(row) } : {};
  });
  ddb.on(DeleteCommand).callsFake((input: { Key: { customerId: string } }) => {
    if (!lies) rows.delete(input.Key.customerId);
    return {};
  });
  ddb.on(UpdateCommand).callsFake((input: { Key: { customerId: string }; ExpressionAttributeNames: Record<string, string> }) => {
    const row = rows.get(input.Key.customerId);
    if (row && !lies) for (const [k, name] of Object.entries(input.ExpressionAttributeNames)) if (k.startsWith('#r')) delete row[name];
    return {};
  });
  return rows;
}

beforeEach(() => ddb.reset());

describe('by key', () => {
  test('user1 vs user10: user1 deleted is verified though user10 is still there; only user1’s key is read', async () => {
    table({ user1: { customerId: 'user1', name: 'Ada' }, user10: { customerId: 'user10', name: 'Alan' } });
    const result = await connector().run(invocation([subject()]));
    expect(result.subjects[0]).toMatchObject({ status: 'erased', verification: 'verified' });
    expect(ddb.commandCalls(GetCommand).map((c) => c.args[0].input)).toEqual([
      {
        TableName: 'customers',
        Key: { customerId: 'user1' },
        ConsistentRead: true,
        ProjectionExpression: '#p0',
        ExpressionAttributeNames: { '#p0': 'customerId' },
      },
    ]);
  });

  test('a delete that reports success and leaves the item (user1): ConnectorVerificationError; user10 is never counted', async () => {
    table({ user1: { customerId: 'user1' }, user10: { customerId: 'user10' } }, true);
    expect(await connector().run(invocation([subject()]))).toEqual({ system: 'crm', subjects: [], failed: VERIFICATION_FAILED });
  });

  test('a field action that leaves a field to remove: ConnectorVerificationError; one that removes it: verified', async () => {
    const keep = subject({ record: 'keep', removeFields: [FIELDS.phone] });
    table({ user1: { customerId: 'user1', phone: '+4670' } }, true);
    expect((await connector().run(invocation([keep]))).failed).toEqual(VERIFICATION_FAILED);
    ddb.reset();
    table({ user1: { customerId: 'user1', phone: '+4670' } });
    expect((await connector().run(invocation([keep]))).subjects[0]).toMatchObject({ status: 'fields-removed', verification: 'verified' });
  });
});

describe('through the locator’s index', () => {
  const byEmail = () => connector({ indexName: 'by-email', indexAttribute: 'email' });
  const ada = () => subject({ identifiers: { email: 'ada@example.com' } });

  test('the index still lists the deleted item (it is eventually consistent): re-read from the table, not counted → verified', async () => {
    table({ 'C-1': { customerId: 'C-1', email: 'ada@example.com' } });
    ddb.on(QueryCommand).resolves({ Items: [{ customerId: 'C-1' }] });
    const result = await byEmail().run(invocation([ada()]));
    expect(result.subjects[0]).toMatchObject({ status: 'erased', verification: 'verified' });
    // Two index queries (the action's and the verification's), each for the subject's email exactly
    const queries = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(queries).toHaveLength(2);
    for (const q of queries) expect(q).toMatchObject({ IndexName: 'by-email', ExpressionAttributeValues: { ':match': 'ada@example.com' } });
    expect(ddb.commandCalls(GetCommand).map((c) => c.args[0].input)).toEqual([
      expect.objectContaining({ Key: { customerId: 'C-1' }, ConsistentRead: true }),
    ]);
  });

  test('an item found through the index that is still in the table: ConnectorVerificationError', async () => {
    table({ 'C-1': { customerId: 'C-1', email: 'ada@example.com' } }, true);
    ddb.on(QueryCommand).resolves({ Items: [{ customerId: 'C-1' }] });
    expect((await byEmail().run(invocation([ada()]))).failed).toEqual(VERIFICATION_FAILED);
  });
});
