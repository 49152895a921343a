/**
 * lib/local/run-asl.ts: what it adds to aws-local-stepfunctions (substitutions, handler binding, Lambda-like
 * payloads and errors, interval overrides, execution name, the Node 20 polyfill).
 */
import { LetheError } from '../../../lib/core/errors';
import { localFunctionArn, runAsl, substituteLocalArns } from '../../../lib/local/run-asl';

/** A one-Task machine around the plan function, catching every error into $.caught. */
const ONE_TASK = JSON.stringify({
  Comment: 'test',
  StartAt: 'Call',
  States: {
    Call: {
      Type: 'Task',
      Resource: '${ErasurePlanFunctionArn}',
      Retry: [{ ErrorEquals: ['Transient'], IntervalSeconds: 60, MaxAttempts: 2 }],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.caught', Next: 'Done' }],
      Next: 'Done',
    },
    Done: { Type: 'Pass', End: true },
  },
});

test('Promise.withResolvers exists once the module is loaded (aws-local-stepfunctions needs it on Node 20)', () => {
  expect(typeof (Promise as unknown as { withResolvers: unknown }).withResolvers).toBe('function');
});

test('substitutions become placeholder Lambda ARNs; an unknown one is refused by name', () => {
  expect(substituteLocalArns('"${SweepReadFunctionArn}"')).toBe(`"${localFunctionArn('SweepReadFunctionArn')}"`);
  expect(localFunctionArn('SweepReadFunctionArn')).toMatch(/^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[\w-]+$/);
  expect(() => substituteLocalArns('"${ConnectorFunctionArn}"')).toThrow(LetheError);
  expect(() => substituteLocalArns('"${ConnectorFunctionArn}"')).toThrow(/\$\{ConnectorFunctionArn\}/);
});

test('a Task without a local handler is refused before anything runs, so no call can reach AWS', async () => {
  await expect(runAsl(ONE_TASK, {}, { handlers: { SweepReadFunctionArn: () => null } })).rejects.toThrow(
    /state "Call" calls .*ErasurePlanFunctionArn, which has no local handler/,
  );
});

test('the handler gets a JSON copy of the payload and its result is JSON-copied back', async () => {
  const run = await runAsl(
    ONE_TASK,
    { requestId: 'r1' },
    {
      handlers: {
        ErasurePlanFunctionArn: (payload) => {
          (payload as Record<string, unknown>).requestId = 'mutated';
          return { at: new Date('2030-01-01T00:00:00Z'), dropped: undefined };
        },
      },
    },
  );
  expect(run).toMatchObject({ status: 'SUCCEEDED', output: { at: '2030-01-01T00:00:00.000Z' } });
  expect(run.status === 'SUCCEEDED' && Object.keys(run.output as object)).toEqual(['at']);
});

test('a thrown error surfaces as Lambda reports it: Error is its name, Cause is {errorType, errorMessage}', async () => {
  class ConnectorPermanentError extends Error {
    public override readonly name = 'ConnectorPermanentError';
  }
  const run = await runAsl(
    ONE_TASK,
    {},
    {
      handlers: {
        ErasurePlanFunctionArn: () => {
          throw new ConnectorPermanentError('no such table');
        },
      },
    },
  );
  expect(run).toMatchObject({ status: 'SUCCEEDED', output: { caught: { Error: 'ConnectorPermanentError' } } });
  const caught = (run as unknown as { output: { caught: { Cause: string } } }).output.caught;
  expect(JSON.parse(caught.Cause)).toEqual({ errorType: 'ConnectorPermanentError', errorMessage: 'no such table' });
});

test('retryIntervalMs replaces the Retry backoff (a 60 s interval takes milliseconds)', async () => {
  let calls = 0;
  const started = Date.now();
  const run = await runAsl(
    ONE_TASK,
    {},
    {
      retryIntervalMs: 1,
      handlers: {
        ErasurePlanFunctionArn: () => {
          calls += 1;
          if (calls < 3) {
            const error = new Error('try again');
            error.name = 'Transient';
            throw error;
          }
          return { ok: true };
        },
      },
    },
  );
  expect(calls).toBe(3);
  expect(Date.now() - started).toBeLessThan(5_000);
  expect(run).toMatchObject({ status: 'SUCCEEDED', output: { ok: true } });
});

test('the execution name is $$.Execution.Name, and a failed run is a result with its Error and Cause', async () => {
  const definition = JSON.stringify({
    StartAt: 'Name',
    States: {
      Name: { Type: 'Pass', Parameters: { 'name.$': '$$.Execution.Name' }, Next: 'Fail' },
      Fail: { Type: 'Fail', Error: 'Boom', CausePath: '$.name' },
    },
  });
  const run = await runAsl(definition, {}, { handlers: {}, executionName: 'exec-42' });
  expect(run).toMatchObject({ status: 'FAILED', error: 'Boom', cause: 'exec-42' });
  expect(run.events.map((event) => event.type)).toEqual(expect.arrayContaining(['ExecutionStarted', 'ExecutionFailed']));
});

describe('Task time limits are those of AWS, not the library’s 60 s default', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test('a Task without TimeoutSeconds waits as long as its function takes (10 minutes here)', async () => {
    // GIVEN a Task whose definition sets no TimeoutSeconds and a function that answers after 10 minutes
    let answer!: (value: unknown) => void;
    const run = runAsl(ONE_TASK, {}, { handlers: { ErasurePlanFunctionArn: () => new Promise((resolve) => (answer = resolve)) } });
    // WHEN 10 minutes pass (the library alone fails the state with States.Timeout after 60 s)
    await jest.advanceTimersByTimeAsync(10 * 60_000);
    answer({ planned: true });
    // THEN the state gets the function's answer: nothing was caught
    await expect(run).resolves.toMatchObject({ status: 'SUCCEEDED', output: { planned: true } });
  });

  test('a TimeoutSeconds the definition sets is kept: the state fails with States.Timeout', async () => {
    const definition = JSON.parse(ONE_TASK) as { States: { Call: Record<string, unknown> } };
    definition.States.Call.TimeoutSeconds = 5;
    const run = runAsl(JSON.stringify(definition), {}, { handlers: { ErasurePlanFunctionArn: () => new Promise(() => undefined) } });
    await jest.advanceTimersByTimeAsync(6_000);
    await expect(run).resolves.toMatchObject({ status: 'SUCCEEDED', output: { caught: { Error: 'States.Timeout' } } });
  });
});
