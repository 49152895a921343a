/**
 * Calling a connector through Lambda (lib/runtime/connector-client.ts): which function serves a system, and how
 * failures are classified: errorType ConnectorTransientError or Lambda throttling → transient (retried);
 * anything else → permanent. Messages carry the error's type, never the connector's own message.
 */
import { InvokeCommand, LambdaClient, TooManyRequestsException, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { ConnectorPermanentError, ConnectorTransientError } from '../../../lib/connectors/errors';
import { LambdaConnectorClient } from '../../../lib/runtime/connector-client';
import type { ConnectorInvocation } from '../../../lib/core/contract';
import { basePolicyDoc, policyFromDoc } from '../../helpers/policy';

const policy = policyFromDoc(
  basePolicyDoc({
    systems: {
      crm: { connector: 'dynamodb', location: 'eu-north-1', fields: { name: { category: 'identity' } } },
      own: {
        connector: 'lambda',
        location: 'eu-north-1',
        config: { functionName: 'my-own-connector' },
        fields: { name: { category: 'identity' } },
      },
    },
    purposes: { service: { legalBasis: 'contract', categories: ['identity'], systems: ['crm', 'own'], retention: { keep: 'P1Y' } } },
  }),
);

const lambda = mockClient(LambdaClient);
afterEach(() => lambda.reset());
afterAll(() => lambda.restore());

const client = new LambdaConnectorClient(new LambdaClient({ region: 'eu-north-1' }), policy, { crm: 'lethe-connector-crm' });
const invocation = (system: string): ConnectorInvocation => ({
  system,
  purposes: ['service'],
  subjects: [
    { subjectRef: 'r1', subjectId: 'user1', locator: {}, identifiers: {}, record: 'delete', removeFields: [], anonymiseFields: [] },
  ],
  operationId: 'op-1',
  policyHash: 'h',
});
const payload = (value: unknown) => Buffer.from(JSON.stringify(value)) as never;

it("invokes the built-in connector's function, or the user's own for a lambda system", async () => {
  lambda.on(InvokeCommand).callsFake(async (input) => {
    const inv = JSON.parse(Buffer.from(input.Payload as Uint8Array).toString());
    return {
      StatusCode: 200,
      Payload: payload({
        system: inv.system,
        subjects: [{ subjectRef: 'r1', status: 'erased', counts: { records: 1, fields: 0, objects: 0 } }],
      }),
    };
  });
  expect((await client.invoke(invocation('crm'))).subjects[0].status).toBe('erased');
  expect((await client.invoke(invocation('own'))).subjects[0].status).toBe('erased');
  expect(lambda.commandCalls(InvokeCommand).map((c) => c.args[0].input.FunctionName)).toEqual(['lethe-connector-crm', 'my-own-connector']);
  expect(lambda.commandCalls(InvokeCommand)[0].args[0].input.InvocationType).toBe('RequestResponse');
});

const failures: [string, () => void, typeof ConnectorTransientError | typeof ConnectorPermanentError][] = [
  [
    'errorType ConnectorTransientError',
    () =>
      lambda.on(InvokeCommand).resolves({
        StatusCode: 200,
        FunctionError: 'Unhandled',
        Payload: payload({ errorType: 'ConnectorTransientError', errorMessage: 'user1 throttled' }),
      }),
    ConnectorTransientError,
  ],
  [
    'errorType ConnectorPermanentError',
    () =>
      lambda.on(InvokeCommand).resolves({
        StatusCode: 200,
        FunctionError: 'Unhandled',
        Payload: payload({ errorType: 'ConnectorPermanentError', errorMessage: 'user1 denied' }),
      }),
    ConnectorPermanentError,
  ],
  [
    'any other errorType',
    () =>
      lambda
        .on(InvokeCommand)
        .resolves({ StatusCode: 200, FunctionError: 'Unhandled', Payload: payload({ errorType: 'TypeError', errorMessage: 'user1' }) }),
    ConnectorPermanentError,
  ],
  [
    'Lambda throttling',
    () => lambda.on(InvokeCommand).rejects(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } })),
    ConnectorTransientError,
  ],
  [
    'a function that does not exist',
    () => lambda.on(InvokeCommand).rejects(new ResourceNotFoundException({ message: 'no function', $metadata: { httpStatusCode: 404 } })),
    ConnectorPermanentError,
  ],
  [
    'an answer that is not JSON',
    () => lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: Buffer.from('user1 erased') as never }),
    ConnectorPermanentError,
  ],
  [
    'an answer about another subject',
    () =>
      lambda.on(InvokeCommand).resolves({
        StatusCode: 200,
        Payload: payload({
          system: 'crm',
          subjects: [{ subjectRef: 'r2', status: 'erased', counts: { records: 1, fields: 0, objects: 0 } }],
        }),
      }),
    ConnectorPermanentError,
  ],
];

it.each(failures)('%s → %p', async (_name, arrange, expected) => {
  arrange();
  const error = await client.invoke(invocation('crm')).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(expected);
  expect((error as Error).message).not.toContain('user1');
});

it('refuses a system without a connector function', async () => {
  const bare = new LambdaConnectorClient(new LambdaClient({ region: 'eu-north-1' }), policy, {});
  await expect(bare.invoke(invocation('crm'))).rejects.toThrow(/no connector function is configured for system "crm"/);
});
