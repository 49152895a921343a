/**
 * A connector type is one descriptor (lib/connectors/descriptor.ts) registered once (issue 17, item 1): the test
 * type `echo` (echo-descriptor.ts, the one file) registered with one line is validated in a policy, granted its
 * own resource by the stack, wired in local mode, seeded by the demo and invoked, with no other change.
 */
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Context } from 'aws-lambda';
import { ConnectorPermanentError } from '../../../lib/connectors/errors';
import { CONNECTOR_TYPE_ENV } from '../../../lib/connectors/descriptor';
import { createConnectorHandler } from '../../../lib/connectors/handler';
import { BUILT_IN_CONNECTORS, ConnectorRegistry, connectorRegistry } from '../../../lib/connectors/registry';
import { ENV } from '../../../lib/core/contract';
import { connectorFunctionName, connectorFunctions, localFunctionSpecs } from '../../../lib/local/function-specs';
import { DEMO_SUBJECTS, demoSystemContext, type StandInClients } from '../../../lib/local/demo';
import { localNames } from '../../../lib/local/resources';
import { loadPolicyFile } from '../../../lib/policy/load';
import type { Policy, SystemSpec } from '../../../lib/policy/model';
import { connectorConfigIssues } from '../../../lib/policy/semantic-checks';
import { ConnectorFunctions } from '../../../lib/stack/connector-functions';
import { ECHO_STORES, echo, EchoConnector } from './echo-descriptor';
import { invocation, subject } from './fixtures';

// The one line: the built-in types and echo.
const registry = new ConnectorRegistry([...BUILT_IN_CONNECTORS, echo]);

const LAMBDAS = path.resolve(__dirname, '..', '..', '..', 'lambdas');
const dh = loadPolicyFile('examples/dh-solutions.yaml').policy;
const queue: SystemSpec = {
  id: 'queue',
  connector: 'echo' as SystemSpec['connector'],
  location: 'eu-north-1',
  config: { store: 'orders', region: 'eu-west-1', localStore: 'orders-local' },
  fields: [{ name: 'email', category: 'contact' }],
};
const policy: Policy = { ...dh, systems: { ...dh.systems, queue } };

describe('policy validation', () => {
  const doc = (config: unknown) => ({ systems: { queue: { connector: 'echo', location: 'eu-north-1', config } } });

  it.each([
    [{ store: 'orders' }, []],
    [{}, [{ path: ['systems', 'queue', 'config', 'store'], message: 'expected the store name (echo connector)' }]],
    [{ store: 'orders', queue: 'x' }, [{ path: ['systems', 'queue', 'config'], message: 'unknown key(s) "queue" for the echo connector' }]],
    [undefined, [{ path: ['systems', 'queue'], message: 'system "queue" has no config: the echo connector needs one to be deployed' }]],
  ])('checks an echo system whose config is %j against the echo schema', (config, issues) => {
    expect(connectorConfigIssues(doc(config), registry)).toEqual(issues);
  });

  it('knows nothing of echo without its registry line', () => {
    expect(connectorConfigIssues(doc({}))).toEqual([]);
    expect(connectorRegistry.find('echo')).toBeUndefined();
  });
});

describe('the stack', () => {
  // as test/lib/stack/synth.ts: without the synth's built-in CloudFormation validation, which only warns by default and
  // costs about 6 s of CPU to start its engine
  const app = new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Echo', { env: { account: '111122223333', region: 'eu-north-1' } });
  new ConnectorFunctions(stack, 'Connectors', {
    policy,
    policyDocument: {},
    lambdasDir: LAMBDAS,
    logKey: new kms.Key(stack, 'LogKey'),
    hmacSecret: new secretsmanager.Secret(stack, 'Hmac'),
    connectors: registry,
  });
  const template = Template.fromStack(stack);

  it('gives the echo system a function of the generic entry, which is told its type', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Lethe echo connector for system "queue"',
      Environment: {
        Variables: Match.objectLike({
          [CONNECTOR_TYPE_ENV]: 'echo',
          [ENV.connectorSystem]: 'queue',
          [ENV.connectorConfig]: JSON.stringify(queue.config),
        }),
      },
    });
  });

  it('grants the role exactly what the descriptor grants: its own queue, in the region of its config', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'OwnQueueOnly',
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sqs:eu-west-1:111122223333:orders']] },
          },
        ]),
      },
    });
  });
});

describe('local mode', () => {
  const specs = localFunctionSpecs({
    policy,
    policyFile: '/repo/policy.yaml',
    region: 'eu-north-1',
    names: localNames(policy, 'eu-north-1'),
    endpoints: { dynamodb: 'http://127.0.0.1:1', s3: 'http://127.0.0.1:2', aws: 'http://127.0.0.1:3' },
    sealingKeyArn: 'arn:aws:kms:eu-north-1:000000000000:key/k',
    dataDir: '/data',
    webhookUrl: (system) => `http://127.0.0.1:4/systems/${system}/lethe-erasure`,
    hostEnv: {},
    connectors: registry,
  });

  it("runs the echo system's function from the generic entry, with its local config", () => {
    const spec = specs.find((s) => s.name === connectorFunctionName('queue'))!;
    expect(spec.entry).toBe(path.join(LAMBDAS, 'connectors', 'connector.ts'));
    expect(spec.env).toMatchObject({ [CONNECTOR_TYPE_ENV]: 'echo', [ENV.connectorSystem]: 'queue' });
    expect(JSON.parse(spec.env[ENV.connectorConfig])).toEqual({ store: 'orders-local', region: 'eu-west-1', localStore: 'orders-local' });
    expect(connectorFunctions(policy, registry).queue).toBe(connectorFunctionName('queue'));
  });

  it('seeds, puts and reads the demo records of an echo system through its descriptor', async () => {
    const records: Record<string, Record<string, Record<string, unknown>>> = {};
    const receiver = {
      put: (system: string, subjectId: string, record: Record<string, unknown>) => ((records[system] ??= {})[subjectId] = record),
      records: (system: string) => records[system] ?? {},
      urlOf: (system: string) => `http://127.0.0.1:4/systems/${system}`,
    };
    const ctx = demoSystemContext({ receiver } as unknown as StandInClients, queue, registry);
    await expect(registry.get('echo').demo.seed(ctx, DEMO_SUBJECTS)).resolves.toBe('the receiver, standing in for store orders');
    expect(Object.keys(records.queue)).toEqual(DEMO_SUBJECTS.map((s) => s.subjectId));
    await expect(registry.get('echo').demo.read(ctx, DEMO_SUBJECTS[0])).resolves.toEqual({
      where: 'store orders',
      records: [{ store: 'orders' }],
    });
  });
});

describe('the connector', () => {
  const context = { functionName: 'lethe-connector-queue', awsRequestId: 'aws-req-echo' } as unknown as Context;
  const env = {
    [CONNECTOR_TYPE_ENV]: 'echo',
    [ENV.connectorSystem]: 'queue',
    [ENV.connectorConfig]: JSON.stringify({ store: 'orders' }),
  };
  let spy: jest.SpyInstance;
  beforeEach(() => {
    spy = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterEach(() => spy.mockRestore());

  it('is built by the registry from a valid config, and refused with a permanent error naming the problem otherwise', () => {
    expect(registry.create('echo', 'queue', { store: 'orders' })).toBeInstanceOf(EchoConnector);
    expect(() => registry.create('echo', 'queue', { store: '' })).toThrow(
      /config of system "queue" \(connector echo\) is invalid: store: expected the store name, got an empty string/,
    );
  });

  it('erases the subject and leaves the other when the generic handler is invoked', async () => {
    ECHO_STORES.set(
      'orders',
      new Map([
        ['user1', { email: 'ada@example.com' }],
        ['user10', { email: 'bob@example.com' }],
      ]),
    );
    const handler = createConnectorHandler(undefined, { env, connectors: registry });
    const result = await handler(invocation([subject({ subjectId: 'user1' })], { system: 'queue' }), context);
    expect(result).toEqual({
      system: 'queue',
      // (the echo type has no verifyRecord: unverified)
      subjects: [{ subjectRef: 'ref-user1', status: 'erased', counts: { records: 1, fields: 0, objects: 0 }, verification: 'unverified' }],
    });
    expect([...ECHO_STORES.get('orders')!.keys()]).toEqual(['user10']);
  });

  it('without its registry line, the handler refuses echo, naming the types it knows', async () => {
    const handler = createConnectorHandler(undefined, { env: { ...env, [CONNECTOR_TYPE_ENV]: 'echo' } });
    await expect(handler(invocation([subject()], { system: 'queue' }), context)).rejects.toThrow(
      new ConnectorPermanentError('unknown connector type "echo"; known: dynamodb, s3, http, lambda'),
    );
  });
});
