import { createHmac } from 'node:crypto';
import { ConditionalCheckFailedException, DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { ConnectorPermanentError, ConnectorTransientError } from '../../../lib/connectors/errors';
import { buildUpdate, DynamoDbConnector } from '../../../lib/connectors/dynamodb';
import type { DynamoDbConnectorConfig } from '../../../lib/connectors/config';
import { awsError, FIELDS, HMAC_KEY, invocation, subject } from './fixtures';

const ddb = mockClient(DynamoDBDocumentClient);
// A real client whose send is mocked: nothing leaves the process.
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-north-1' }));

const hmac = (text: string) => createHmac('sha256', HMAC_KEY).update(text).digest('hex');
const connector = (config: Partial<DynamoDbConnectorConfig> = {}) =>
  new DynamoDbConnector(
    'crm',
    { tableName: 'customers', keyAttribute: 'customerId', ...config },
    { client, hmacKey: async () => HMAC_KEY },
  );

beforeEach(() => {
  ddb.reset();
  // Verification reads each item again after the action (GetItem): by default the item is gone. A test whose action
  // reads an item answers that read once (resolvesOnce), so that the verification's read finds what the action left.
  ddb.on(GetCommand).resolves({});
});

/** GetItem answers these in turn, then `{}` (no item): the action's reads first, then the verification's. */
const gets = (...answers: object[]): void => {
  let n = 0;
  ddb.on(GetCommand).callsFake(() => answers[n++] ?? {});
};

/** What a conditional write answers when its condition (here: the item exists) fails. */
const notThere = () => new ConditionalCheckFailedException({ $metadata: {}, message: 'The conditional request failed' });

describe('delete', () => {
  test('by key: deletes exactly the subject id, and reports erased', async () => {
    // GIVEN a table keyed by customerId, and no locator WHEN user1 is deleted
    ddb.on(DeleteCommand).resolves({ Attributes: { customerId: 'user1' } });
    const result = await connector().run(invocation([subject()]));
    // THEN one DeleteItem with Key {customerId: "user1"}, never a prefix or a scan
    const calls = ddb.commandCalls(DeleteCommand);
    // (conditional on the item existing, which is how it is counted; its old attributes are not asked for)
    expect(calls.map((c) => c.args[0].input)).toEqual([
      {
        TableName: 'customers',
        Key: { customerId: 'user1' },
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: { '#pk': 'customerId' },
      },
    ]);
    expect(result).toEqual({
      system: 'crm',
      subjects: [{ subjectRef: 'ref-user1', status: 'erased', counts: { records: 1, fields: 0, objects: 0 }, verification: 'verified' }],
    });
  });

  test('by key from the locator, which wins over the subject id', async () => {
    ddb.on(DeleteCommand).resolves({});
    await connector().run(invocation([subject({ locator: { customerId: 'C-123' } })]));
    expect(ddb.commandCalls(DeleteCommand)[0].args[0].input.Key).toEqual({ customerId: 'C-123' });
  });

  test('a second run finds nothing: nothing-found, counts 0 (idempotent)', async () => {
    ddb.on(DeleteCommand).rejects(notThere()); // the condition attribute_exists failed: the item was not there
    const result = await connector().run(invocation([subject()]));
    expect(result.subjects[0]).toEqual({
      subjectRef: 'ref-user1',
      status: 'nothing-found',
      counts: { records: 0, fields: 0, objects: 0 },
      verification: 'verified',
    });
  });

  test('with a sort key: queries the exact partition, all pages, and deletes every item of it', async () => {
    // GIVEN a partition of three items over two pages (and user10's items, which the query must not match)
    const pages = [
      {
        Items: [
          { customerId: 'user1', orderId: 'o1' },
          { customerId: 'user1', orderId: 'o2' },
        ],
        LastEvaluatedKey: { customerId: 'user1', orderId: 'o2' },
      },
      { Items: [{ customerId: 'user1', orderId: 'o3' }] },
    ];
    // The paginator reuses its input object: keep a copy of each call's input as it was sent.
    const queries: Record<string, unknown>[] = [];
    ddb.on(QueryCommand).callsFake((input: Record<string, unknown>) => {
      queries.push(structuredClone(input));
      return pages[queries.length - 1] ?? { Items: [] };
    });
    ddb.on(DeleteCommand).resolves({ Attributes: { x: 1 } });
    const result = await connector({ sortKeyAttribute: 'orderId' }).run(invocation([subject()]));

    // Two pages for the delete, and a third query: the verification's, which finds the partition empty.
    expect(queries).toHaveLength(3);
    expect(queries[0]).toMatchObject({
      TableName: 'customers',
      ConsistentRead: true,
      KeyConditionExpression: '#match = :match', // equality: user1 never matches user10
      ProjectionExpression: '#key0, #key1',
      ExpressionAttributeNames: { '#match': 'customerId', '#key0': 'customerId', '#key1': 'orderId' },
      ExpressionAttributeValues: { ':match': 'user1' },
    });
    expect(queries[0].ExclusiveStartKey).toBeUndefined();
    expect(queries[1].ExclusiveStartKey).toEqual({ customerId: 'user1', orderId: 'o2' });
    expect(ddb.commandCalls(DeleteCommand).map((c) => c.args[0].input.Key)).toEqual([
      { customerId: 'user1', orderId: 'o1' },
      { customerId: 'user1', orderId: 'o2' },
      { customerId: 'user1', orderId: 'o3' },
    ]);
    expect(result.subjects[0].counts.records).toBe(3);
  });

  test('through the index: looks up identifiers[indexAttribute], then deletes by primary key', async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ customerId: 'C-9' }] });
    ddb.on(DeleteCommand).resolves({ Attributes: { customerId: 'C-9' } });
    await connector({ indexName: 'by-email', indexAttribute: 'email' }).run(
      invocation([subject({ identifiers: { email: 'ada@example.com' } })]),
    );
    const query = ddb.commandCalls(QueryCommand)[0].args[0].input;
    expect(query).toMatchObject({
      IndexName: 'by-email',
      KeyConditionExpression: '#match = :match',
      ExpressionAttributeNames: { '#match': 'email', '#key0': 'customerId' },
      ExpressionAttributeValues: { ':match': 'ada@example.com' },
    });
    expect(query.ConsistentRead).toBeUndefined(); // a GSI cannot be read consistently
    expect(ddb.commandCalls(DeleteCommand)[0].args[0].input.Key).toEqual({ customerId: 'C-9' });
  });

  test('the locator key wins over the index', async () => {
    ddb.on(DeleteCommand).resolves({});
    await connector({ indexName: 'by-email', indexAttribute: 'email' }).run(
      invocation([subject({ locator: { customerId: 'C-1' }, identifiers: { email: 'ada@example.com' } })]),
    );
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
    expect(ddb.commandCalls(DeleteCommand)[0].args[0].input.Key).toEqual({ customerId: 'C-1' });
  });

  test('user1 and user10 in one batch: each gets exactly its own key', async () => {
    ddb.on(DeleteCommand, { Key: { customerId: 'user1' } }).resolves({ Attributes: { customerId: 'user1' } });
    ddb.on(DeleteCommand, { Key: { customerId: 'user10' } }).rejects(notThere());
    const result = await connector().run(invocation([subject(), subject({ subjectRef: 'ref-user10', subjectId: 'user10' })]));
    expect(ddb.commandCalls(DeleteCommand).map((c) => c.args[0].input.Key)).toEqual([{ customerId: 'user1' }, { customerId: 'user10' }]);
    expect(result.subjects.map((s) => s.status)).toEqual(['erased', 'nothing-found']);
  });
});

describe('field actions', () => {
  const item = {
    customerId: 'user1',
    name: 'Ada Lovelace',
    email: 'ada@example.com',
    birthDate: '1815-12-10',
    ip: '192.0.2.7',
    phone: '+46701234567',
    orders: 3,
  };

  test('keep: REMOVE and SET with placeholders only, conditional on the item existing → fields-removed', async () => {
    gets({ Item: item });
    ddb.on(UpdateCommand).resolves({});
    const result = await connector().run(
      invocation([
        subject({ record: 'keep', removeFields: [FIELDS.phone, FIELDS.name], anonymiseFields: [FIELDS.email, FIELDS.birthDate] }),
      ]),
    );
    expect(ddb.commandCalls(GetCommand)[0].args[0].input).toEqual({
      TableName: 'customers',
      Key: { customerId: 'user1' },
      ConsistentRead: true,
      // only the fields to change are read
      ProjectionExpression: '#p0, #p1, #p2, #p3',
      ExpressionAttributeNames: { '#p0': 'phone', '#p1': 'name', '#p2': 'email', '#p3': 'birthDate' },
    });
    expect(ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input)).toEqual([
      {
        TableName: 'customers',
        Key: { customerId: 'user1' },
        UpdateExpression: 'REMOVE #r0, #r1 SET #s0 = :s0, #s1 = :s1',
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: { '#pk': 'customerId', '#r0': 'phone', '#r1': 'name', '#s0': 'email', '#s1': 'birthDate' },
        ExpressionAttributeValues: { ':s0': hmac('ada@example.com'), ':s1': '1815' },
      },
    ]);
    expect(result.subjects[0]).toEqual({
      subjectRef: 'ref-user1',
      status: 'fields-removed',
      counts: { records: 1, fields: 4, objects: 0 },
      verification: 'verified',
    });
  });

  test('keep with anonymised fields only → fields-anonymised', async () => {
    gets({ Item: item });
    ddb.on(UpdateCommand).resolves({});
    const result = await connector().run(invocation([subject({ record: 'keep', anonymiseFields: [FIELDS.ip] })]));
    expect(ddb.commandCalls(UpdateCommand)[0].args[0].input).toMatchObject({
      UpdateExpression: 'SET #s0 = :s0',
      ExpressionAttributeNames: { '#pk': 'customerId', '#s0': 'ip' },
      ExpressionAttributeValues: { ':s0': '192.0.2.0' },
    });
    expect(result.subjects[0].status).toBe('fields-anonymised');
  });

  test('anonymise the record → anonymised; a field removed and anonymised is removed (erasure wins)', async () => {
    gets({ Item: item });
    ddb.on(UpdateCommand).resolves({});
    const result = await connector().run(
      invocation([
        subject({ record: 'anonymise', removeFields: [FIELDS.email, FIELDS.phone], anonymiseFields: [FIELDS.email, FIELDS.name] }),
      ]),
    );
    const update = ddb.commandCalls(UpdateCommand)[0].args[0].input;
    expect(update.UpdateExpression).toBe('REMOVE #r0, #r1 SET #s0 = :s0');
    expect(update.ExpressionAttributeNames).toEqual({ '#pk': 'customerId', '#r0': 'email', '#r1': 'phone', '#s0': 'name' });
    expect(update.ExpressionAttributeValues).toEqual({ ':s0': '[erased]' });
    expect(result.subjects[0].status).toBe('anonymised');
  });

  test('a second run finds the fields already gone or anonymised: no update, nothing-found (idempotent)', async () => {
    gets({ Item: { customerId: 'user1', email: hmac('ada@example.com'), birthDate: '1815', orders: 3 } });
    const result = await connector().run(
      invocation([
        subject({ record: 'keep', removeFields: [FIELDS.phone, FIELDS.name], anonymiseFields: [FIELDS.email, FIELDS.birthDate] }),
      ]),
    );
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(result.subjects[0].status).toBe('nothing-found');
  });

  test('anonymise with no field to change: nothing is read or written, nothing-found', async () => {
    // GIVEN a record action "anonymise" whose subject has no personal field listed for this system
    const result = await connector().run(invocation([subject({ record: 'anonymise' })]));
    // THEN no GetItem (it would have no attribute to project) and no UpdateItem
    expect(ddb.calls()).toHaveLength(0);
    expect(result.subjects[0].status).toBe('nothing-found');
  });

  test('no item: nothing-found without an update (UpdateItem would create one)', async () => {
    ddb.on(GetCommand).resolves({});
    const result = await connector().run(invocation([subject({ record: 'keep', removeFields: [FIELDS.phone] })]));
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(result.subjects[0].status).toBe('nothing-found');
  });

  test('the item deleted between read and write: the conditional update fails, nothing-found', async () => {
    gets({ Item: item });
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ $metadata: {}, message: 'The conditional request failed' }));
    const result = await connector().run(invocation([subject({ record: 'keep', removeFields: [FIELDS.phone] })]));
    expect(result.subjects[0].status).toBe('nothing-found');
  });

  test('a value a strategy cannot handle is removed, not kept (mask-ip of a host name)', async () => {
    gets({ Item: { customerId: 'user1', ip: 'ada-laptop.local' } });
    ddb.on(UpdateCommand).resolves({});
    await connector().run(invocation([subject({ record: 'keep', anonymiseFields: [FIELDS.ip] })]));
    expect(ddb.commandCalls(UpdateCommand)[0].args[0].input).toMatchObject({
      UpdateExpression: 'REMOVE #r0',
      ExpressionAttributeNames: { '#r0': 'ip' },
    });
  });

  test.each(['#a', ':v', 'a.b', 'SET x', 'REMOVE customerId', 'x = :s0', '#pk', 'a[0]', ' ', 'size(#pk)'])(
    'an expression-injection field name %j is only ever an attribute name',
    async (name) => {
      gets({ Item: { customerId: 'user1', [name]: ':s0 #pk' } });
      ddb.on(UpdateCommand).resolves({});
      await connector().run(
        invocation([
          subject({
            record: 'keep',
            anonymiseFields: [{ name, category: 'contact', anonymise: { strategy: 'redact', value: '#r0 = :s0' } }],
          }),
        ]),
      );
      const update = ddb.commandCalls(UpdateCommand)[0].args[0].input;
      expect(update.UpdateExpression).toBe('SET #s0 = :s0');
      expect(update.ConditionExpression).toBe('attribute_exists(#pk)');
      expect(update.ExpressionAttributeNames).toEqual({ '#pk': 'customerId', '#s0': name });
      expect(update.ExpressionAttributeValues).toEqual({ ':s0': '#r0 = :s0' });
    },
  );

  test('buildUpdate: for any field names and values, the expression is made of placeholders only', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1 }), { maxLength: 8 }),
        fc.array(fc.tuple(fc.string({ minLength: 1 }), fc.jsonValue()), { maxLength: 8 }),
        (remove, set) => {
          const update = buildUpdate('pk', remove, set);
          expect(update.UpdateExpression).toMatch(/^(REMOVE #r\d+(, #r\d+)*)?( ?SET #s\d+ = :s\d+(, #s\d+ = :s\d+)*)?$/);
          expect(update.ConditionExpression).toBe('attribute_exists(#pk)');
          expect(Object.values(update.ExpressionAttributeNames).sort()).toEqual(['pk', ...remove, ...set.map(([n]) => n)].sort());
          if (set.length > 0) expect(Object.values(update.ExpressionAttributeValues ?? {})).toEqual(set.map(([, v]) => v));
          else expect(update.ExpressionAttributeValues).toBeUndefined(); // DynamoDB refuses an empty map
        },
      ),
    );
  });
});

describe('refusals and errors', () => {
  test('a field that is a key attribute is refused before anything is done to that subject; the others go on (issue 15, item 8)', async () => {
    const keyField = {
      subjectRef: 'ref-2',
      subjectId: 'user2',
      record: 'keep' as const,
      removeFields: [{ name: 'orderId', category: 'order' }],
    };
    // Alone: refused, naming the subject and the field, and nothing is called
    const alone = connector({ sortKeyAttribute: 'orderId' }).run(invocation([subject(keyField)]));
    await expect(alone).rejects.toThrow(ConnectorPermanentError);
    await expect(alone).rejects.toThrow(/subjects\[0\]: field "orderId" is a key attribute/);
    expect(ddb.calls()).toHaveLength(0);
    // In a batch: it fails alone, and nothing is done to it
    ddb.on(QueryCommand).resolves({ Items: [] });
    const result = await connector({ sortKeyAttribute: 'orderId' }).run(invocation([subject(), subject(keyField)]));
    expect(result.failed).toEqual([{ subjectRef: 'ref-2', error: 'ConnectorPermanentError', transient: false }]);
    expect(result.subjects.map((s) => s.subjectRef)).toEqual([subject().subjectRef]);
    expect(JSON.stringify(ddb.calls().map((c) => c.args[0].input))).not.toContain('user2');
  });

  test('an empty key value is refused', async () => {
    await expect(connector().run(invocation([subject({ locator: { customerId: '' } })]))).rejects.toThrow(
      /value to look the subject up by is empty/,
    );
    expect(ddb.calls()).toHaveLength(0);
  });

  test('an invalid invocation is a permanent error naming the path, not the value', async () => {
    const bad = { ...invocation([subject()]), subjects: [{ ...subject(), record: 'shred', subjectId: 'user1-secret' }] };
    const error = await connector()
      .run(bad)
      .catch((e: Error) => e);
    expect(error).toBeInstanceOf(ConnectorPermanentError);
    expect((error as Error).message).toMatch(/subjects\[0\]\.record: expected record: delete \| anonymise \| keep/);
    expect((error as Error).message).not.toContain('user1-secret');
  });

  test('an invocation for another system is refused', async () => {
    await expect(connector().run(invocation([subject()], { system: 'orders' }))).rejects.toThrow(
      /for system "orders", but this connector serves "crm"/,
    );
  });

  test('hmac without a configured key is a permanent error', async () => {
    gets({ Item: { customerId: 'user1', email: 'ada@example.com' } });
    const noKey = new DynamoDbConnector('crm', { tableName: 'customers', keyAttribute: 'customerId' }, { client });
    await expect(noKey.run(invocation([subject({ record: 'keep', anonymiseFields: [FIELDS.email] })]))).rejects.toThrow(
      /uses the hmac strategy, but no HMAC key is configured/,
    );
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  test.each<[string, Error, typeof ConnectorTransientError | typeof ConnectorPermanentError]>([
    [
      'throttling',
      new ProvisionedThroughputExceededException({ $metadata: { httpStatusCode: 400 }, message: 'slow down' }),
      ConnectorTransientError,
    ],
    ['a 500', awsError('InternalServerError', 500), ConnectorTransientError],
    ['a timeout', Object.assign(new Error('socket'), { name: 'TimeoutError' }), ConnectorTransientError],
    ['a reset connection', Object.assign(new Error('reset'), { code: 'ECONNRESET' }), ConnectorTransientError],
    ['access denied', awsError('AccessDeniedException', 400), ConnectorPermanentError],
    ['a validation error', awsError('ValidationException', 400), ConnectorPermanentError],
    ['a missing table', awsError('ResourceNotFoundException', 400), ConnectorPermanentError],
  ])('%s is classified as transient or permanent as it should', async (_name, error, expected) => {
    ddb.on(DeleteCommand).rejects(error);
    const caught = await connector()
      .run(invocation([subject()]))
      .catch((e: Error) => e);
    expect(caught).toBeInstanceOf(expected);
    expect((caught as Error).name).toBe(expected === ConnectorTransientError ? 'ConnectorTransientError' : 'ConnectorPermanentError');
    expect((caught as Error).message).toMatch(/^dynamodb: DeleteItem on table "customers" failed: /);
    expect((caught as Error).message).not.toContain('user1');
  });

  test('config needs indexName and indexAttribute together', () => {
    expect(() => connector({ indexName: 'by-email' })).toThrow(/both indexName and indexAttribute/);
  });
});
