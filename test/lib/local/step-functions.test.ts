/**
 * lib/local/step-functions.ts keeps each execution's history: the events of every run (redrives appended), with
 * the states' input and output, retries and failures, JSON-safe.
 */
import type { InvokeResult } from '../../../lib/local';
import { LocalStepFunctions } from '../../../lib/local/step-functions';

const ARN = 'arn:aws:states:eu-north-1:000000000000:stateMachine:lethe-local-erasure';
const REQUEST_ID = '5f0c1d2e-0000-4000-8000-000000000001';

function service(systemResults: readonly InvokeResult[]): LocalStepFunctions {
  let systemCalls = 0;
  const results: Record<string, (payload: Record<string, unknown>) => InvokeResult> = {
    plan: () => ({
      ok: true,
      payload: JSON.stringify({ requestId: REQUEST_ID, policyHash: 'h', systems: [{ system: 'profiles', record: 'profiles' }] }),
    }),
    system: () => systemResults[Math.min(systemCalls++, systemResults.length - 1)],
    finish: (payload) => {
      const failed = (payload.results as { system: string; status: string }[]).filter((r) => r.status === 'failed');
      return {
        ok: true,
        payload: JSON.stringify({
          requestId: REQUEST_ID,
          status: failed.length ? 'failed' : 'completed',
          failedSystems: failed.map((r) => r.system),
        }),
      };
    },
  };
  return new LocalStepFunctions({
    region: 'eu-north-1',
    stateMachines: [{ name: 'erasure', arn: ARN }],
    taskFunctions: {
      ErasurePlanFunctionArn: 'plan',
      ErasureSystemFunctionArn: 'system',
      ErasureFinishFunctionArn: 'finish',
      SweepReadFunctionArn: 'sweep-read',
      SweepApplyFunctionArn: 'sweep-apply',
    },
    invoke: async (fn, payload) => results[fn](JSON.parse(payload) as Record<string, unknown>),
    retryIntervalMs: 0,
  });
}

const erased: InvokeResult = { ok: true, payload: JSON.stringify({ system: 'profiles', status: 'erased' }) };
const transient: InvokeResult = { ok: false, errorType: 'ConnectorTransientError', errorMessage: 'try again' };
const permanent: InvokeResult = { ok: false, errorType: 'ConnectorPermanentError', errorMessage: 'no' };

test('an execution has the history of its run: states with input and output, retries, the end', async () => {
  // GIVEN a connector that fails once, transiently
  const sfn = service([transient, erased]);
  // WHEN an erasure execution runs
  const { executionArn } = sfn.start({ stateMachineArn: ARN, name: REQUEST_ID, input: JSON.stringify({ requestId: REQUEST_ID }) });
  const done = await sfn.wait(executionArn);
  // THEN it succeeded, and its history shows the run from start to end, the retry included
  expect(done.status).toBe('SUCCEEDED');
  const types = done.history.map((e) => e.type);
  expect(types[0]).toBe('ExecutionStarted');
  expect(types[types.length - 1]).toBe('ExecutionSucceeded');
  expect(types.filter((t) => t === 'StateRetried')).toHaveLength(1);
  expect(types).toEqual(expect.arrayContaining(['StateEntered', 'StateExited', 'MapIterationStarted']));
  // ...each state with its input (ids only, as the definition passes them)
  const planEntered = done.history.find((e) => e.type === 'StateEntered') as unknown as { state: { name: string; input: unknown } };
  expect(planEntered.state).toMatchObject({ name: 'Mark the request running and plan it', input: { requestId: REQUEST_ID } });
  // ...and it is plain JSON
  expect(JSON.parse(JSON.stringify(done.history))).toEqual(done.history);
  // A view is a copy: changing it does not change the execution's history
  (done.history as unknown[]).length = 0;
  expect(sfn.describe(executionArn).history.length).toBe(types.length);
});

test('a redrive appends the new run to the history; the failure stays readable', async () => {
  // GIVEN an execution that failed (a permanent connector error, twice: in the Map and in the second run)
  const sfn = service([permanent, permanent, erased]);
  const { executionArn } = sfn.start({ stateMachineArn: ARN, name: REQUEST_ID, input: JSON.stringify({ requestId: REQUEST_ID }) });
  const failed = await sfn.wait(executionArn);
  expect(failed.status).toBe('FAILED');
  const first = failed.history.length;
  expect(failed.history[first - 1].type).toBe('ExecutionFailed');
  expect(JSON.stringify(failed.history)).toContain('ConnectorPermanentError');

  // WHEN it is redriven and succeeds
  sfn.redrive(executionArn);
  const redriven = await sfn.wait(executionArn);

  // THEN the history holds both runs, in order
  expect(redriven.status).toBe('SUCCEEDED');
  expect(redriven.history.slice(0, first)).toEqual(failed.history);
  expect(redriven.history[first].type).toBe('ExecutionStarted');
  expect(redriven.history[redriven.history.length - 1].type).toBe('ExecutionSucceeded');
});
