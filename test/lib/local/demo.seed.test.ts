/**
 * lib/local/demo.ts's stand-ins, as each built-in connector type's demo (lib/connectors/types/*.ts) uses them: the table,
 * bucket, objects and receiver records the demo seeds for a system, as local mode seeded them before the descriptors.
 */
import { connectorRegistry } from '../../../lib/connectors/registry';
import { DEMO_KEY } from '../../../lib/local/demo-function';
import { DEMO_SUBJECTS, demoRecord, demoSystemContext, type StandInClients } from '../../../lib/local/demo';
import type { SystemSpec } from '../../../lib/policy/model';

const [astrid] = DEMO_SUBJECTS;
const fields = [
  { name: 'email', category: 'contact' },
  { name: 'name', category: 'identity' },
];
const system = (connector: SystemSpec['connector'], config: Record<string, unknown>): SystemSpec => ({
  id: 'crm',
  connector,
  location: 'eu-north-1',
  config,
  fields,
});

/** Clients that record each command (its class and input) and each receiver record. */
function recorder() {
  const calls: [string, unknown][] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: unknown }) => (calls.push([command.constructor.name, command.input]), {}),
  };
  const receiver = {
    put: (s: string, id: string, record: unknown) => calls.push(['receiver', { s, id, record }]),
    records: () => ({}),
    urlOf: (s: string) => `http://127.0.0.1:4/systems/${s}`,
  };
  const clients = { ddb: client, documents: client, s3: client, receiver } as unknown as StandInClients;
  return { calls, clients };
}

async function seed(spec: SystemSpec) {
  const { calls, clients } = recorder();
  const standsIn = await connectorRegistry.get(spec.connector).demo.seed(demoSystemContext(clients, spec), [astrid]);
  return { standsIn, calls };
}

test('dynamodb: a table with its key, sort key and index, and one item per subject keyed by the locator', async () => {
  const spec = system('dynamodb', {
    tableName: 'customers',
    keyAttribute: 'customerId',
    sortKeyAttribute: 'sk',
    indexName: 'byEmail',
    indexAttribute: 'contactEmail',
  });
  expect(await seed(spec)).toEqual({
    standsIn: 'DynamoDB Local table customers',
    calls: [
      [
        'CreateTableCommand',
        {
          TableName: 'customers',
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: 'customerId', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
            { AttributeName: 'contactEmail', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'customerId', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          GlobalSecondaryIndexes: [
            {
              IndexName: 'byEmail',
              KeySchema: [{ AttributeName: 'contactEmail', KeyType: 'HASH' }],
              Projection: { ProjectionType: 'ALL' },
            },
          ],
        },
      ],
      [
        'PutCommand',
        { TableName: 'customers', Item: { ...demoRecord(spec, astrid), customerId: 'C-0001', sk: 'profile', contactEmail: astrid.email } },
      ],
    ],
  });
});

test.each([
  [{ bucket: 'docs', prefix: 'customers/{customerId}/' }, { Key: 'customers/C-0001/record.json' }],
  [{ bucket: 'docs', prefix: 'users/{subjectId}/' }, { Key: 'users/customer-1/record.json' }],
  [
    { bucket: 'docs', tagKey: 'owner' },
    { Key: 'demo/C-0001.json', Tagging: 'owner=customer-1' },
  ],
])('s3 %j: the bucket, and the subject’s object %j', async (config, object) => {
  const spec = system('s3', config);
  const { standsIn, calls } = await seed(spec);
  expect(standsIn).toBe('s3rver bucket docs');
  expect(calls.at(-1)).toEqual([
    'PutObjectCommand',
    { Bucket: 'docs', Body: JSON.stringify(demoRecord(spec, astrid)), ContentType: 'application/json', ...object },
  ]);
});

test('http: the receiver holds the record', async () => {
  const spec = system('http', { url: 'https://saas.example/erase', secretName: 's' });
  expect(await seed(spec)).toEqual({
    standsIn: 'local receiver http://127.0.0.1:4/systems/crm',
    calls: [['receiver', { s: 'crm', id: 'customer-1', record: demoRecord(spec, astrid) }]],
  });
});

test('lambda: the demo function’s table, named after the function (the last part of an ARN)', async () => {
  const spec = system('lambda', { functionName: 'arn:aws:lambda:eu-north-1:111122223333:function:crm-eraser' });
  expect(await seed(spec)).toEqual({
    standsIn: 'demo function crm-eraser (connector SDK) over DynamoDB Local table crm-eraser',
    calls: [
      [
        'CreateTableCommand',
        {
          TableName: 'crm-eraser',
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: DEMO_KEY, AttributeType: 'S' }],
          KeySchema: [{ AttributeName: DEMO_KEY, KeyType: 'HASH' }],
        },
      ],
      ['PutCommand', { TableName: 'crm-eraser', Item: { ...demoRecord(spec, astrid), [DEMO_KEY]: 'customer-1' } }],
    ],
  });
});
