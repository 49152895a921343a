import { InvokeCommand, LambdaClient, ResourceNotFoundException, TooManyRequestsException } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { ConnectorPermanentError, ConnectorTransientError } from '../../../lib/connectors/errors';
import { LambdaFunctionConnector } from '../../../lib/connectors/lambda';
import { invocation, subject } from './fixtures';

const lambda = mockClient(LambdaClient);
const client = new LambdaClient({ region: 'eu-north-1' });
const connector = () => new LambdaFunctionConnector('legacy', { functionName: 'my-legacy-eraser' }, { client });
const legacy = (subjects = [subject(), subject({ subjectRef: 'ref-user10', subjectId: 'user10' })]) =>
  invocation(subjects, { system: 'legacy' });
const payload = (data: unknown) => Buffer.from(JSON.stringify(data)) as never;

beforeEach(() => lambda.reset());

test('invokes the function synchronously with the invocation, and returns its validated result', async () => {
  const answer = {
    system: 'legacy',
    subjects: [
      { subjectRef: 'ref-user1', status: 'erased', counts: { records: 2, fields: 0, objects: 0 } },
      { subjectRef: 'ref-user10', status: 'nothing-found', counts: { records: 0, fields: 0, objects: 0 } },
    ],
  };
  lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload(answer) });
  const result = await connector().run(legacy());
  const input = lambda.commandCalls(InvokeCommand)[0].args[0].input;
  expect(input.FunctionName).toBe('my-legacy-eraser');
  expect(input.InvocationType).toBe('RequestResponse');
  expect(JSON.parse(Buffer.from(input.Payload as Uint8Array).toString('utf8'))).toEqual(legacy());
  // An answer without verification (a function that does not verify) is recorded unverified (issue 19).
  expect(result).toEqual({ ...answer, subjects: answer.subjects.map((s) => ({ ...s, verification: 'unverified' })) });
});

test('verification (issue 19): the function’s own answer is kept; one that carries none is unverified', async () => {
  // GIVEN a function (written with the SDK's verifyRecord) that verified user1, and says nothing of user10
  const answer = {
    system: 'legacy',
    subjects: [
      { subjectRef: 'ref-user1', status: 'erased', counts: { records: 1, fields: 0, objects: 0 }, verification: 'verified' },
      { subjectRef: 'ref-user10', status: 'erased', counts: { records: 1, fields: 0, objects: 0 } },
    ],
  };
  lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload(answer) });
  // WHEN the connector runs THEN user1 stays verified (never asked again) and user10 is unverified
  const result = await connector().run(legacy());
  expect(result.subjects.map((s) => s.verification)).toEqual(['verified', 'unverified']);
});

test.each([
  [
    'answered in failed',
    { system: 'legacy', subjects: [], failed: [{ subjectRef: 'ref-user1', error: 'ConnectorVerificationError', transient: false }] },
  ],
  ['thrown by the function', undefined],
])('a verification failure of the function (%s) reaches Lethe as ConnectorVerificationError', async (_what, answer) => {
  lambda
    .on(InvokeCommand)
    .resolves(
      answer
        ? { StatusCode: 200, Payload: payload(answer) }
        : { StatusCode: 200, FunctionError: 'Unhandled', Payload: payload({ errorType: 'ConnectorVerificationError', errorMessage: 'x' }) },
    );
  const run = connector().run(legacy([subject()]));
  if (answer) expect((await run).failed).toEqual(answer.failed);
  else await expect(run).rejects.toMatchObject({ name: 'ConnectorVerificationError' });
});

test('an item record reaches the function with its ref (spec 2.2); a main record without one', async () => {
  // GIVEN order O-1 of user1 and user10's main record
  lambda.on(InvokeCommand).resolves({
    StatusCode: 200,
    Payload: payload({
      system: 'legacy',
      subjects: [
        { subjectRef: 'ref-user1', status: 'erased', counts: { records: 1, fields: 0, objects: 0 } },
        { subjectRef: 'ref-user10', status: 'erased', counts: { records: 1, fields: 0, objects: 0 } },
      ],
    }),
  });
  // WHEN the connector invokes the function
  await connector().run(
    legacy([subject({ ref: 'O-1', locator: { orderId: 'O-1' } }), subject({ subjectRef: 'ref-user10', subjectId: 'user10' })]),
  );
  // THEN the payload's first subject has ref O-1, the second none
  const sent = JSON.parse(Buffer.from(lambda.commandCalls(InvokeCommand)[0].args[0].input.Payload as Uint8Array).toString('utf8'));
  expect(sent.subjects[0]).toMatchObject({ ref: 'O-1', locator: { orderId: 'O-1' } });
  expect(sent.subjects[1]).not.toHaveProperty('ref');
});

test('a batch done in part: the subjects the function answers in failed are validated and passed on', async () => {
  // GIVEN the user's function did user1 and could not do user10 (throttled)
  const answer = {
    system: 'legacy',
    subjects: [{ subjectRef: 'ref-user1', status: 'erased', counts: { records: 1, fields: 0, objects: 0 } }],
    failed: [{ subjectRef: 'ref-user10', error: 'ThrottlingException', transient: true }],
  };
  lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload(answer) });
  // WHEN the connector runs THEN the result carries both (user1 unverified: the function says nothing of it)
  expect(await connector().run(legacy())).toEqual({ ...answer, subjects: [{ ...answer.subjects[0], verification: 'unverified' }] });
});

test.each([
  ['a message as the error', { subjectRef: 'ref-user10', error: 'user10@example.com is locked', transient: false }, /failed\[0\]\.error/],
  ['a subject in both lists', { subjectRef: 'ref-user1', error: 'Error', transient: false }, /answers twice for subject ref-user1/],
])('a failed list that breaks the contract (%s) is permanent, without the value', async (_what, failure, message) => {
  const answer = {
    system: 'legacy',
    subjects: [{ subjectRef: 'ref-user1', status: 'erased', counts: { records: 1, fields: 0, objects: 0 } }],
    failed: [failure],
  };
  lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload(answer) });
  const error = await connector()
    .run(legacy())
    .catch((e: Error) => e);
  expect(error).toBeInstanceOf(ConnectorPermanentError);
  expect((error as Error).message).toMatch(message);
  expect((error as Error).message).not.toContain('example.com');
});

test.each([
  ['ConnectorTransientError', ConnectorTransientError],
  ['Sandbox.Timedout', ConnectorTransientError],
  // middy's timeoutEarlyResponse: a middy handler that runs out of time answers this, 5 ms before Lambda would
  ['TimeoutError', ConnectorTransientError],
  ['ConnectorPermanentError', ConnectorPermanentError],
  ['Error', ConnectorPermanentError],
  ['TypeError', ConnectorPermanentError],
] as const)('a function error of type %s → %p, without the function’s message', async (errorType, expected) => {
  lambda
    .on(InvokeCommand)
    .resolves({ StatusCode: 200, FunctionError: 'Unhandled', Payload: payload({ errorType, errorMessage: 'user1 not found' }) });
  const error = await connector()
    .run(legacy())
    .catch((e: Error) => e);
  expect(error).toBeInstanceOf(expected);
  expect((error as Error).message).toBe(`lambda: connector function "my-legacy-eraser" failed: ${errorType}`);
});

test.each([
  ['throttled', new TooManyRequestsException({ $metadata: { httpStatusCode: 429 }, message: 'Rate exceeded' }), ConnectorTransientError],
  [
    'no such function',
    new ResourceNotFoundException({ $metadata: { httpStatusCode: 404 }, message: 'Function not found' }),
    ConnectorPermanentError,
  ],
] as const)('Lambda itself %s → the right connector error', async (_what, error, expected) => {
  lambda.on(InvokeCommand).rejects(error);
  await expect(connector().run(legacy())).rejects.toThrow(expected);
});

test.each([
  ['not JSON', Buffer.from('ok') as never, /not JSON/],
  ['another system', payload({ system: 'crm', subjects: [] }), /it is for system "crm", expected "legacy"/],
  [
    'a missing subject',
    payload({ system: 'legacy', subjects: [{ subjectRef: 'ref-user1', status: 'erased', counts: { records: 1, fields: 0, objects: 0 } }] }),
    /no outcome for subject\(s\) ref-user10/,
  ],
  ['no counts', payload({ system: 'legacy', subjects: [{ subjectRef: 'ref-user1', status: 'erased' }] }), /subjects\[0\]\.counts/],
])('a result that breaks the contract (%s) is permanent', async (_what, answer, message) => {
  lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: answer });
  await expect(connector().run(legacy())).rejects.toThrow(message);
});

test('no subjects: the function is not invoked', async () => {
  expect(await connector().run(legacy([]))).toEqual({ system: 'legacy', subjects: [] });
  expect(lambda.calls()).toHaveLength(0);
});

describe('record actions restrict and unrestrict (issue 14)', () => {
  const restrict = () => legacy([subject({ record: 'restrict', restriction: { requestId: 'req-1', until: '2027-01-04T23:00:00.000Z' } })]);

  test('the function receives the action with its restriction, and answers restricted', async () => {
    const answer = {
      system: 'legacy',
      subjects: [{ subjectRef: 'ref-user1', status: 'restricted', counts: { records: 1, fields: 0, objects: 0 } }],
    };
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload(answer) });
    expect(await connector().run(restrict())).toEqual(answer);
    const sent = JSON.parse(Buffer.from(lambda.commandCalls(InvokeCommand)[0].args[0].input.Payload as Uint8Array).toString('utf8'));
    expect(sent.subjects[0]).toMatchObject({ record: 'restrict', restriction: { requestId: 'req-1', until: '2027-01-04T23:00:00.000Z' } });
  });

  test.each(['nothing-found', 'erased', 'fields-removed'])(
    'a function written before restrict existed, answering %s, fails clearly (permanent, naming the action), never "succeeds"',
    async (status) => {
      lambda.on(InvokeCommand).resolves({
        StatusCode: 200,
        Payload: payload({
          system: 'legacy',
          subjects: [{ subjectRef: 'ref-user1', status, counts: { records: 0, fields: 0, objects: 0 } }],
        }),
      });
      const run = connector().run(restrict());
      await expect(run).rejects.toThrow(ConnectorPermanentError);
      await expect(connector().run(restrict())).rejects.toThrow(/does not implement record action "restrict"/);
    },
  );

  test('restricted answering a delete is refused too', async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      Payload: payload({
        system: 'legacy',
        subjects: [{ subjectRef: 'ref-user1', status: 'restricted', counts: { records: 1, fields: 0, objects: 0 } }],
      }),
    });
    await expect(connector().run(legacy([subject()]))).rejects.toThrow(/asked to delete and the answer is "restricted"/);
  });
});
