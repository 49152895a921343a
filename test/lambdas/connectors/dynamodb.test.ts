/**
 * The DynamoDB connector function end to end (with mocked AWS): configuration from the environment, the HMAC
 * key from Secrets Manager, logs and metrics, and no personal data in any line written.
 */
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import type { Context } from 'aws-lambda';
import { createHmac } from 'node:crypto';
import { ENV } from '../../../lib/core/contract';
import { ConnectorPermanentError } from '../../../lib/connectors/errors';
import { createConnectorHandler } from '../../../lib/connectors/handler';
import { invocation, subject } from '../../lib/connectors/fixtures';

const ddb = mockClient(DynamoDBDocumentClient);
const secrets = mockClient(SecretsManagerClient);

const SECRET_KEY = 'hmac-key-from-secrets-manager';
/** Personal values that must never appear in a log line or a metric. */
const PERSONAL = {
  subjectId: 'user1-Ada-Lovelace-ID',
  customerId: 'C-ADA-123',
  email: 'ada.lovelace@example.com',
  name: 'Ada Lovelace',
  phone: '+46 70 123 45 67',
  birthDate: '1815-12-10',
};
const context = {
  functionName: 'lethe-connector-crm',
  awsRequestId: 'aws-req-1',
  invokedFunctionArn: 'arn:aws:lambda:eu-north-1:123456789012:function:x',
  memoryLimitInMB: '256',
} as unknown as Context;

const ENVIRONMENT = {
  [ENV.connectorSystem]: 'crm',
  [ENV.connectorConfig]: JSON.stringify({ tableName: 'customers', keyAttribute: 'customerId' }),
  [ENV.hmacSecret]: 'lethe/hmac-key',
};

let output: string[];
let writes: jest.SpyInstance[];
beforeEach(() => {
  ddb.reset();
  secrets.reset();
  secrets.on(GetSecretValueCommand).resolves({ SecretString: SECRET_KEY });
  output = [];
  const capture = (chunk: unknown) => {
    output.push(String(chunk));
    return true;
  };
  writes = [
    jest.spyOn(process.stdout, 'write').mockImplementation(capture),
    jest.spyOn(process.stderr, 'write').mockImplementation(capture),
  ];
});
afterEach(() => writes.forEach((w) => w.mockRestore()));

const ada = subject({
  subjectId: PERSONAL.subjectId,
  locator: { customerId: PERSONAL.customerId },
  identifiers: { email: PERSONAL.email },
  record: 'keep',
  removeFields: [
    { name: 'phone', category: 'contact' },
    { name: 'name', category: 'identity' },
  ],
  anonymiseFields: [
    { name: 'email', category: 'contact', anonymise: { strategy: 'hmac' } },
    { name: 'birthDate', category: 'identity', anonymise: { strategy: 'generalise-date', to: 'year' } },
  ],
});

function expectNoPersonalData(): void {
  expect(output.length).toBeGreaterThan(0);
  const all = output.join('\n');
  for (const [what, value] of Object.entries(PERSONAL)) expect({ what, found: all.includes(value) }).toEqual({ what, found: false });
}

test('runs the connector from its environment: HMAC key from Secrets Manager (cached), logs by subjectRef, metrics', async () => {
  const handler = createConnectorHandler('dynamodb', { env: ENVIRONMENT });
  ddb.on(GetCommand).resolves({ Item: { ...PERSONAL } });
  // The verification's read (issue 19) finds the item as the update left it: fields removed, the others anonymised.
  const updated = {
    customerId: PERSONAL.customerId,
    email: createHmac('sha256', SECRET_KEY).update(PERSONAL.email).digest('hex'),
    birthDate: '1815',
  };
  ddb.on(GetCommand, { ExpressionAttributeNames: { '#p0': 'customerId' } }).resolves({ Item: updated });
  ddb.on(UpdateCommand).resolves({});

  const result = await handler(invocation([ada]), context);
  await handler(invocation([ada]), context);

  expect(result).toEqual({
    system: 'crm',
    subjects: [
      { subjectRef: 'ref-user1', status: 'fields-removed', counts: { records: 1, fields: 4, objects: 0 }, verification: 'verified' },
    ],
  });
  const update = ddb.commandCalls(UpdateCommand)[0].args[0].input;
  expect(update.Key).toEqual({ customerId: PERSONAL.customerId });
  expect(update.ExpressionAttributeValues).toEqual({
    ':s0': createHmac('sha256', SECRET_KEY).update(PERSONAL.email).digest('hex'),
    ':s1': '1815',
  });
  expect(secrets.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input.SecretId)).toEqual(['lethe/hmac-key']);

  const lines = output
    .join('')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  // Per subject only at DEBUG (issue 16): at the stack's INFO, the invocation's line carries the count
  expect(lines.map((l) => l.message)).not.toContain('subject done');
  expect(lines).toContainEqual(
    expect.objectContaining({
      message: 'connector invoked',
      system: 'crm',
      operationId: 'op-123',
      subjects: 1,
      function_request_id: 'aws-req-1',
    }),
  );
  const emf = lines.find((l) => l._aws !== undefined);
  expect(emf).toMatchObject({ system: 'crm', ConnectorSubjects: 1, ConnectorFields: 4, ConnectorRecords: 1 });
  expectNoPersonalData();
});

test('a failure is logged by name and reason, rethrown as a connector error, and counted; still no personal data', async () => {
  const handler = createConnectorHandler('dynamodb', { env: ENVIRONMENT });
  ddb.on(DeleteCommand).rejects(
    Object.assign(new Error(`User is not authorized on ${PERSONAL.customerId}`), {
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 400 },
    }),
  );
  const error = await handler(invocation([{ ...ada, record: 'delete' }]), context).catch((e: Error) => e);
  expect(error).toBeInstanceOf(ConnectorPermanentError);
  expect((error as Error).name).toBe('ConnectorPermanentError');

  const lines = output
    .join('')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(lines).toContainEqual(
    expect.objectContaining({
      message: 'connector failed',
      error: 'ConnectorPermanentError',
      reason: 'dynamodb: DeleteItem on table "customers" failed: AccessDeniedException (HTTP 400)',
    }),
  );
  expect(lines.find((l) => l._aws !== undefined)).toMatchObject({ error: 'ConnectorPermanentError', ConnectorErrors: 1 });
  expectNoPersonalData();
});

test.each([
  ['no system', { ...ENVIRONMENT, [ENV.connectorSystem]: undefined }, /LETHE_SYSTEM is not set/],
  ['no config', { ...ENVIRONMENT, [ENV.connectorConfig]: undefined }, /LETHE_CONNECTOR_CONFIG is not set/],
  ['config not JSON', { ...ENVIRONMENT, [ENV.connectorConfig]: '{tableName' }, /LETHE_CONNECTOR_CONFIG of system "crm" is not JSON/],
  [
    'config invalid',
    { ...ENVIRONMENT, [ENV.connectorConfig]: '{"tableName":"t"}' },
    /config of system "crm" \(connector dynamodb\) is invalid: keyAttribute/,
  ],
])('%s: a permanent error that says what is missing', async (_what, env, message) => {
  const handler = createConnectorHandler('dynamodb', { env });
  const error = await handler(invocation([ada]), context).catch((e: Error) => e);
  expect(error).toBeInstanceOf(ConnectorPermanentError);
  expect((error as Error).message).toMatch(message);
  expect(ddb.calls()).toHaveLength(0);
});

test('the Lambda entry files export a handler for their connector type', async () => {
  const entries = await Promise.all([
    import('../../../lambdas/connectors/dynamodb'),
    import('../../../lambdas/connectors/s3'),
    import('../../../lambdas/connectors/http'),
  ]);
  for (const entry of entries) expect(typeof entry.handler).toBe('function');
});

test('the entry file reads the process environment', async () => {
  const saved = { ...process.env };
  Object.assign(process.env, ENVIRONMENT);
  try {
    const { handler } = await import('../../../lambdas/connectors/dynamodb');
    ddb.on(DeleteCommand).resolves({ Attributes: { customerId: 'user1' } });
    ddb.on(GetCommand).resolves({}); // the verification's read: nothing left
    const result = await handler(invocation([subject()]), context);
    expect(result.subjects[0].status).toBe('erased');
    expect(ddb.commandCalls(DeleteCommand)[0].args[0].input).toMatchObject({ TableName: 'customers', Key: { customerId: 'user1' } });
  } finally {
    process.env = saved;
  }
});
