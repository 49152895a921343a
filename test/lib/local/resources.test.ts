/**
 * lib/local/resources.ts and function-specs.ts: one source of resources (the stack's table specs) and each
 * local function with the environment the stack gives it, pointed at the local endpoints.
 */
import { REQUEST_LIST_INDEX } from '../../../lib/runtime/request-list';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { loadPolicyFile } from '../../../lib/policy/load';
import {
  connectorFunctionName,
  connectorFunctions,
  LOCAL_RUNTIME_ENTRIES,
  localConnectorConfig,
  localFunctionSpecs,
  runtimeFunctionName,
} from '../../../lib/local/function-specs';
import { HMAC_SECRET_NAME } from '../../../lib/local/keys';
import {
  addMissingIndexes,
  createLetheTables,
  createTableInput,
  localNames,
  localTableName,
  localTables,
} from '../../../lib/local/resources';
import { CONNECTOR_TIMEOUT_SECONDS, FUNCTION_TIMEOUT_SECONDS } from '../../../lib/runtime/budgets';
import { ENV, REQUESTS } from '../../../lib/core/contract';
import { RUNTIME_ENTRIES } from '../../../lib/stack/runtime-functions';
import { LEDGER_TABLE, REQUESTS_TABLE, TABLE_SPECS } from '../../../lib/stack/table-specs';

const dh = loadPolicyFile('examples/dh-solutions.yaml').policy;
const digmi = loadPolicyFile('examples/digmi-group.yaml').policy;
const names = localNames(dh, 'eu-north-1');

describe('tables', () => {
  it('are the stack specs: one ledger table per purpose, then one of each other role', () => {
    const tables = localTables(names);
    expect(tables.filter((t) => t.spec === LEDGER_TABLE).map((t) => t.name)).toEqual(
      Object.keys(dh.purposes).map((p) => `lethe-local-ledger-${p}`),
    );
    expect(tables.filter((t) => t.spec !== LEDGER_TABLE).map((t) => t.spec)).toEqual(TABLE_SPECS.filter((s) => s !== LEDGER_TABLE));
  });

  it('create the ledger table with its keys, the sparse due and parked indexes (INCLUDE projections) and a NEW_AND_OLD_IMAGES stream', () => {
    expect(createTableInput(LEDGER_TABLE, 'lethe-local-ledger-x')).toEqual({
      TableName: 'lethe-local-ledger-x',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'subjectRef', AttributeType: 'S' },
        { AttributeName: 'system', AttributeType: 'S' },
        { AttributeName: 'dueShard', AttributeType: 'S' },
        { AttributeName: 'dueAt', AttributeType: 'N' },
        { AttributeName: 'parkedShard', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'subjectRef', KeyType: 'HASH' },
        { AttributeName: 'system', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'due',
          KeySchema: [
            { AttributeName: 'dueShard', KeyType: 'HASH' },
            { AttributeName: 'dueAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['collectedAt', 'expiresAt'] },
        },
        {
          IndexName: 'parked',
          KeySchema: [{ AttributeName: 'parkedShard', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['dueAt', 'expiresAt'] },
        },
      ],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
  });

  it('create the requests table with its KEYS_ONLY open-by-deadline index and no stream', () => {
    const input = createTableInput(REQUESTS_TABLE, 'r');
    expect(input.GlobalSecondaryIndexes?.[0]).toMatchObject({ IndexName: 'open-by-deadline', Projection: { ProjectionType: 'KEYS_ONLY' } });
    expect(input).not.toHaveProperty('StreamSpecification');
  });
});

describe('functions', () => {
  const specs = localFunctionSpecs({
    policy: digmi,
    policyFile: '/repo/examples/digmi-group.yaml',
    region: 'eu-north-1',
    names: localNames(digmi, 'eu-north-1'),
    endpoints: { dynamodb: 'http://127.0.0.1:1', s3: 'http://127.0.0.1:2', aws: 'http://127.0.0.1:3' },
    sealingKeyArn: 'arn:aws:kms:eu-north-1:000000000000:key/k',
    dataDir: '/data',
    webhookUrl: (system) => `http://127.0.0.1:4/systems/${system}/lethe-erasure`,
    hostEnv: { PATH: '/bin', AWS_ACCESS_KEY_ID: 'AKIAREALKEY', AWS_PROFILE: 'prod', HOME: '/home/me' },
  });
  const byName = (name: string) => specs.find((s) => s.name === name)!;

  it('are the entries of the stack (RUNTIME_ENTRIES), plus one connector per built-in system and a demo function per lambda system', () => {
    expect(LOCAL_RUNTIME_ENTRIES.map((e) => e.entry)).toEqual([...RUNTIME_ENTRIES]);
    const builtIn = Object.values(digmi.systems).filter((s) => s.connector !== 'lambda');
    expect(specs.map((s) => s.name).sort()).toEqual(
      [
        ...RUNTIME_ENTRIES.map(runtimeFunctionName),
        ...builtIn.map((s) => connectorFunctionName(s.id)),
        'digmi-published-content-eraser',
      ].sort(),
    );
  });

  it("give the receipt key file (the data directory's) to the functions that sign receipts, the API and the erasure finish, only", () => {
    const withKey = specs.filter((f) => f.env[ENV.receiptKeyFile] !== undefined).map((f) => f.name);
    expect(withKey.sort()).toEqual([runtimeFunctionName('api'), runtimeFunctionName('erasure-finish')].sort());
    expect(byName(runtimeFunctionName('erasure-finish')).env[ENV.receiptKeyFile]).toBe('/data/receipt-key.pem');
  });

  it('run each function with the timeout the stack gives it, so that a local run times out where AWS would (issue 15, item 10)', () => {
    const timeouts = Object.fromEntries(RUNTIME_ENTRIES.map((entry) => [entry, byName(runtimeFunctionName(entry)).timeoutMs]));
    expect(timeouts).toEqual(Object.fromEntries(Object.entries(FUNCTION_TIMEOUT_SECONDS).map(([entry, s]) => [entry, s * 1000])));
    const connectors = Object.values(digmi.systems).map((s) =>
      specs.find((f) => f.name === connectorFunctionName(s.id) || f.env.POWERTOOLS_SERVICE_NAME === `demo-${s.id}`)!,
    );
    expect(new Set(connectors.map((c) => c.timeoutMs))).toEqual(new Set([CONNECTOR_TIMEOUT_SECONDS * 1000]));
  });

  it('give every function the SDK endpoints, fake credentials and the region, and nothing of the host but PATH', () => {
    for (const spec of specs) {
      expect(spec.env).toMatchObject({
        AWS_REGION: 'eu-north-1',
        AWS_ACCESS_KEY_ID: 'S3RVER',
        AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:1',
        AWS_ENDPOINT_URL_DYNAMODB_STREAMS: 'http://127.0.0.1:1',
        AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:2',
        AWS_ENDPOINT_URL_LAMBDA: 'http://127.0.0.1:3',
        AWS_ENDPOINT_URL_KMS: 'http://127.0.0.1:3',
        AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:3',
        AWS_ENDPOINT_URL_SFN: 'http://127.0.0.1:3',
        AWS_LAMBDA_FUNCTION_NAME: spec.name,
        POWERTOOLS_TRACE_ENABLED: 'false',
        PATH: '/bin',
      });
      expect(spec.env).not.toHaveProperty('AWS_PROFILE');
      expect(spec.env).not.toHaveProperty('HOME');
      expect(spec.env.AWS_CONFIG_FILE).toBe('/data/no-aws-config');
    }
  });

  it("give the runtime functions the contract's variables, the state machine to the API and the deadline monitor only, the warning days to the monitor only", () => {
    const api = byName('lethe-local-api').env;
    expect(api).toMatchObject({
      [ENV.policyFile]: '/repo/examples/digmi-group.yaml',
      [ENV.eventsTable]: 'lethe-local-events',
      [ENV.requestsTable]: 'lethe-local-requests',
      [ENV.idempotencyTable]: 'lethe-local-idempotency',
      [ENV.auditChainTable]: 'lethe-local-audit-chain',
      [ENV.auditBucket]: 'lethe-local-audit',
      [ENV.exportsBucket]: 'lethe-local-exports',
      [ENV.hmacSecret]: HMAC_SECRET_NAME,
      [ENV.sealingKey]: 'arn:aws:kms:eu-north-1:000000000000:key/k',
      [ENV.erasureStateMachineArn]: 'arn:aws:states:eu-north-1:000000000000:stateMachine:lethe-local-erasure',
      POWERTOOLS_SERVICE_NAME: 'lethe-api',
    });
    expect(JSON.parse(api[ENV.ledgerTables])).toEqual(
      Object.fromEntries(Object.keys(digmi.purposes).map((p) => [p, `lethe-local-ledger-${p}`])),
    );
    expect(JSON.parse(api[ENV.connectorFunctions])).toEqual(connectorFunctions(digmi));
    expect(byName('lethe-local-erasure-plan').env).not.toHaveProperty(ENV.erasureStateMachineArn);
    // The monitor starts a request the API stored but could not start.
    expect(byName('lethe-local-deadline-monitor').env[ENV.erasureStateMachineArn]).toBe(api[ENV.erasureStateMachineArn]);
    expect(byName('lethe-local-deadline-monitor').env[ENV.deadlineWarningDays]).toBe('7');
    // No Object Lock locally: s3rver has none, so the audit writer sends no retention headers.
    expect(api).not.toHaveProperty(ENV.auditObjectLockMode);
  });

  it("give each connector its system and config, an http system's URL on the local receiver, the HMAC secret only where a field uses hmac", () => {
    const crm = byName(connectorFunctionName('crm')).env;
    expect(crm[ENV.connectorSystem]).toBe('crm');
    expect(JSON.parse(crm[ENV.connectorConfig])).toEqual(digmi.systems.crm.config);
    expect(crm[ENV.hmacSecret]).toBe(HMAC_SECRET_NAME);
    const accounting = byName(connectorFunctionName('accounting')).env;
    expect(JSON.parse(accounting[ENV.connectorConfig])).toEqual({
      ...digmi.systems.accounting.config,
      url: 'http://127.0.0.1:4/systems/accounting/lethe-erasure',
      // the local receiver answers the verify operation (issue 19)
      verify: true,
    });
    expect(accounting).not.toHaveProperty(ENV.hmacSecret);
    expect(localConnectorConfig(digmi.systems.crm, () => 'x')).toEqual(digmi.systems.crm.config);
  });

  it('run a lambda system with the demo function, reached by its configured function name', () => {
    const demo = byName('digmi-published-content-eraser');
    expect(demo.entry).toMatch(/lib\/local\/demo-function\.ts$/);
    expect(demo.env).toMatchObject({ LETHE_DEMO_TABLE: 'digmi-published-content-eraser', [ENV.hmacSecret]: HMAC_SECRET_NAME });
    expect(connectorFunctions(digmi)['published-channels']).toBe('digmi-published-content-eraser');
  });
});

describe('a table that exists already (a --persist data directory of an earlier version)', () => {
  const requests = localTableName(REQUESTS_TABLE);
  let ddb: ReturnType<typeof mockClient>;
  beforeEach(() => {
    ddb = mockClient(DynamoDBClient);
  });
  afterEach(() => ddb.restore());

  it.each([
    [
      'without the by-subject and by-status indexes gets them, and nothing else',
      [REQUESTS.openIndex],
      [REQUESTS.subjectIndex, REQUEST_LIST_INDEX.name],
    ],
    ['without the by-status index gets it, and nothing else', [REQUESTS.openIndex, REQUESTS.subjectIndex], [REQUEST_LIST_INDEX.name]],
    ['with every index of its spec is left as it is', [REQUESTS.openIndex, REQUESTS.subjectIndex, REQUEST_LIST_INDEX.name], []],
  ])('%s', async (_what, present, expected) => {
    // GIVEN the requests table exists with the indexes `present`
    ddb
      .on(DescribeTableCommand)
      .resolves({ Table: { TableName: requests, GlobalSecondaryIndexes: present.map((IndexName) => ({ IndexName })) } });
    ddb.on(UpdateTableCommand).resolves({});
    // WHEN the missing indexes are added
    const added = await addMissingIndexes(new DynamoDBClient({ region: 'eu-north-1' }), REQUESTS_TABLE, requests);
    // THEN exactly the missing ones, each created with its keys and projection as a new table would have them
    expect(added).toEqual(expected);
    const updates = ddb.commandCalls(UpdateTableCommand).map((c) => c.args[0].input);
    const SPECS: Record<string, { readonly hash: string; readonly attributes: string[]; readonly projection: Record<string, unknown> }> = {
      [REQUESTS.subjectIndex]: {
        hash: REQUESTS.subjectAttribute,
        attributes: [REQUESTS.subjectAttribute, REQUESTS.receivedAtAttribute],
        projection: { ProjectionType: 'KEYS_ONLY' },
      },
      [REQUEST_LIST_INDEX.name]: {
        hash: REQUEST_LIST_INDEX.partitionKey,
        attributes: [REQUESTS.receivedAtAttribute, REQUEST_LIST_INDEX.partitionKey],
        projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...REQUEST_LIST_INDEX.nonKeyAttributes] },
      },
    };
    expect(updates).toEqual(
      expected.map((name) => ({
        TableName: requests,
        // the index's key attributes, in the order the table's definitions have them
        AttributeDefinitions: SPECS[name].attributes.map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
        GlobalSecondaryIndexUpdates: [
          {
            Create: {
              IndexName: name,
              KeySchema: [
                { AttributeName: SPECS[name].hash, KeyType: 'HASH' },
                { AttributeName: REQUESTS.receivedAtAttribute, KeyType: 'RANGE' },
              ],
              Projection: SPECS[name].projection,
            },
          },
        ],
      })),
    );
  });

  it('createLetheTables adds them to an existing table instead of leaving it without', async () => {
    ddb.on(CreateTableCommand).rejects(Object.assign(new Error('exists'), { name: 'ResourceInUseException' }));
    ddb.on(DescribeTableCommand).resolves({ Table: { GlobalSecondaryIndexes: [] } });
    ddb.on(UpdateTableCommand).resolves({});
    const { created, existing } = await createLetheTables(new DynamoDBClient({ region: 'eu-north-1' }), names);
    expect(created).toEqual([]);
    expect(existing).toHaveLength(localTables(names).length);
    const indexes = ddb
      .commandCalls(UpdateTableCommand)
      .map((c) => [c.args[0].input.TableName, c.args[0].input.GlobalSecondaryIndexUpdates![0].Create!.IndexName]);
    expect(indexes).toEqual(
      expect.arrayContaining([
        [requests, REQUESTS.openIndex],
        [requests, REQUESTS.subjectIndex],
        [requests, REQUEST_LIST_INDEX.name],
      ]),
    );
  });
});
