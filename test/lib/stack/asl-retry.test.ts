/**
 * lib/stack/asl-retry.ts: the one definition of what the state machines' Tasks retry and how long each may take.
 * The ASL files keep an explicit Retry on every Task; this asserts that each is exactly the definition's for what
 * the Task calls, with a TimeoutSeconds its function's timeout fits in.
 */
import { ASL_SUBSTITUTIONS, ERROR_NAMES } from '../../../lib/core/contract';
import { STATE_MACHINES } from '../../../lib/local/run-asl';
import { FUNCTION_TIMEOUT_SECONDS } from '../../../lib/runtime/budgets';
import {
  ASL_RETRY,
  FUNCTION_TASK_RETRY,
  START_EXECUTION_RESOURCE,
  TASK_TIMEOUT_MARGIN_SECONDS,
  taskTimeoutSeconds,
} from '../../../lib/stack/asl-retry';
import { definitionOf, statesOf } from '../../statemachines/asl';

/** The Lethe function a `${...FunctionArn}` Resource calls. */
const entryOf = (resource: string): keyof typeof FUNCTION_TASK_RETRY =>
  (Object.entries(ASL_SUBSTITUTIONS).find(([, name]) => resource === `\${${name}}`)?.[0] ?? resource) as keyof typeof FUNCTION_TASK_RETRY;

const tasks = STATE_MACHINES.flatMap((machine) =>
  statesOf(definitionOf(machine))
    .filter(({ state }) => state.Type === 'Task')
    .map(({ name, state }) => [`${machine}: ${name}`, state] as const),
);

test('both state machines have Tasks to check', () => {
  expect(tasks.map(([name]) => name.split(':')[0]).sort()).toEqual(expect.arrayContaining(['erasure', 'sweep']));
});

test.each(tasks)('%s: its Retry and TimeoutSeconds are the definition’s for what it calls', (_name, state) => {
  // GIVEN what the Task calls: a Lethe function, or the sweep's own continuation
  const resource = String(state.Resource);
  const expected =
    resource === START_EXECUTION_RESOURCE
      ? { Retry: ASL_RETRY.startExecution, TimeoutSeconds: undefined }
      : { Retry: ASL_RETRY[FUNCTION_TASK_RETRY[entryOf(resource)]], TimeoutSeconds: taskTimeoutSeconds(entryOf(resource)) };
  // THEN the file says exactly that (a Task calling an unknown function finds no definition and fails here)
  expect({ Retry: state.Retry, TimeoutSeconds: state.TimeoutSeconds }).toEqual(expected);
});

test('every Lethe function a state machine calls has a Retry kind, and only those', () => {
  expect(Object.keys(FUNCTION_TASK_RETRY).sort()).toEqual(Object.keys(ASL_SUBSTITUTIONS).sort());
});

test('a Task outlasts its function by the margin, so the function’s own timeout ends a slow call first', () => {
  for (const entry of Object.keys(FUNCTION_TASK_RETRY) as (keyof typeof FUNCTION_TASK_RETRY)[]) {
    expect(taskTimeoutSeconds(entry)).toBe(FUNCTION_TIMEOUT_SECONDS[entry] + TASK_TIMEOUT_MARGIN_SECONDS);
  }
  expect(taskTimeoutSeconds('sweep-apply')).toBe(130);
});

test.each(Object.entries(ASL_RETRY))(
  'the %s Retry backs off exponentially with full jitter and a cap, and retries nothing permanent',
  (_kind, retry) => {
    for (const retrier of retry) {
      expect(retrier).toMatchObject({ BackoffRate: 2, JitterStrategy: 'FULL', MaxDelaySeconds: expect.any(Number) });
      expect(retrier.MaxAttempts).toBeGreaterThanOrEqual(1);
      for (const never of [
        'States.ALL',
        'States.TaskFailed',
        ERROR_NAMES.permanent,
        ERROR_NAMES.notFound,
        'StepFunctions.ExecutionAlreadyExistsException',
      ])
        expect(retrier.ErrorEquals).not.toContain(never);
    }
  },
);
