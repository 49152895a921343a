/**
 * Static checks of statemachines/*.asl.json: valid ASL, known substitutions, closed transitions, and the house
 * rules (JSONPath only, a Comment on every state, explicit Retry on every Task, the sweep's Distributed Map).
 */
import { HISTORY_EVENT_LIMIT, SWEEP_PAGES_PER_EXECUTION } from '../../lib/runtime/budgets';
import { readdirSync } from 'node:fs';
import { ASL_SUBSTITUTIONS, ERROR_NAMES } from '../../lib/core/contract';
import { STATE_MACHINE_DIR, STATE_MACHINES, readStateMachine, substituteLocalArns } from '../../lib/local/run-asl';
import {
  aslValidator,
  definitionOf,
  placeholdersOf,
  scopesOf,
  statesOf,
  targetsOf,
  unreachableStates,
  worstCaseRetryPauseSeconds,
  type Retrier,
  type State,
} from './asl';

const LAMBDA_TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

/** Which substitutions each machine uses: together, all six. */
const EXPECTED_SUBSTITUTIONS = {
  erasure: [ASL_SUBSTITUTIONS['erasure-plan'], ASL_SUBSTITUTIONS['erasure-system'], ASL_SUBSTITUTIONS['erasure-finish']],
  sweep: [ASL_SUBSTITUTIONS['sweep-read'], ASL_SUBSTITUTIONS['sweep-apply']],
  replay: [ASL_SUBSTITUTIONS.replay],
} as const;

/** Tasks that call connectors, whose own transient error must be retried too. */
const CONNECTOR_TASKS = new Set([
  "Run the system's connector",
  'Apply expiry to a batch',
  'Apply the tombstones again',
  'Apply the tombstones up to the end again',
]);
/**
 * Tasks inside an Express child execution, whose 5 minutes hold every attempt: one retry of up to TimeoutSeconds
 * fits, not three (test/lib/stack/time-budgets.test.ts checks the sum; issue 15, item 10).
 */
const EXPRESS_TASKS = new Set(['Apply expiry to a batch']);

/** The one Task that is not a Lambda call: the sweep continuing in a new execution (issue 15, item 11). */
const CONTINUE_AS_NEW = 'Continue the sweep in a new execution';

const machines = STATE_MACHINES.map((name) => [name] as const);

test('statemachines/ holds exactly the three state machines', () => {
  // GIVEN the directory WHEN listed THEN it has one ASL file per known machine, no stray file.
  expect(readdirSync(STATE_MACHINE_DIR).sort()).toEqual(STATE_MACHINES.map((name) => `${name}.asl.json`).sort());
});

describe.each(machines)('%s.asl.json', (name) => {
  const text = readStateMachine(name);
  const definition = definitionOf(name);
  const states = statesOf(definition);
  const tasks = states.filter(({ state }) => state.Type === 'Task' && state.Resource !== 'arn:aws:states:::states:startExecution');

  test('validates with asl-validator once its substitutions are filled with ARNs', () => {
    // GIVEN the definition with a Lambda ARN in each placeholder (as CloudFormation substitutes it)
    const result = aslValidator(JSON.parse(substituteLocalArns(text)), { checkArn: true, checkPaths: true });
    // THEN asl-validator finds no error
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  test('uses only the six definition substitutions, and the ones its Tasks need', () => {
    const used = placeholdersOf(text);
    expect(used.filter((placeholder) => !Object.values<string>(ASL_SUBSTITUTIONS).includes(placeholder))).toEqual([]);
    expect([...new Set(used)].sort()).toEqual([...EXPECTED_SUBSTITUTIONS[name]].sort());
  });

  test('every Task calls a Lambda ARN substitution directly (not the lambda:invoke integration), but the sweep’s continuation', () => {
    expect(tasks.length).toBeGreaterThan(0);
    expect(states.filter(({ state }) => state.Type === 'Task' && !tasks.some((t) => t.state === state)).map((t) => t.name)).toEqual(
      name === 'sweep' ? [CONTINUE_AS_NEW] : [],
    );
    for (const { state } of tasks) expect(state.Resource).toMatch(/^\$\{[A-Za-z]+FunctionArn\}$/);
  });

  test('every Next, Default, Choice and Catch target exists in its own scope, and every state is reachable', () => {
    for (const scope of scopesOf(definition)) {
      expect({ where: scope.where, startAt: scope.States[scope.StartAt] !== undefined }).toEqual({ where: scope.where, startAt: true });
      for (const [stateName, state] of Object.entries(scope.States)) {
        const missing = targetsOf(state).filter((target) => !(target in scope.States));
        expect({ state: stateName, missing }).toEqual({ state: stateName, missing: [] });
      }
      expect({ where: scope.where, unreachable: unreachableStates(scope) }).toEqual({ where: scope.where, unreachable: [] });
    }
  });

  test('state names are unique across all scopes (local handlers and history are keyed by name)', () => {
    const names = states.map(({ name: stateName }) => stateName);
    expect(names.length).toBe(new Set(names).size);
  });

  test('has a Comment on the machine and on every state', () => {
    expect(definition.Comment?.trim()).toBeTruthy();
    const without = states.filter(({ state }) => typeof state.Comment !== 'string' || state.Comment.trim() === '').map(({ name: n }) => n);
    expect(without).toEqual([]);
  });

  test('is JSONPath only: no QueryLanguage, JSONata, Assign, Arguments/Output or task tokens', () => {
    expect(definition.QueryLanguage).toBeUndefined();
    for (const { name: stateName, state } of states) {
      for (const field of ['QueryLanguage', 'Assign', 'Arguments', 'Output', 'HeartbeatSeconds']) {
        expect({ state: stateName, [field]: state[field] }).toEqual({ state: stateName, [field]: undefined });
      }
    }
    expect(text).not.toContain('{%');
    expect(text).not.toContain('waitForTaskToken');
    expect(text).not.toContain('$$.Task.Token');
  });

  test.each(tasks.map(({ name: taskName, state }) => [taskName, state] as [string, State]))(
    'Task "%s" retries Lambda and its own transient errors with exponential backoff, full jitter and a cap, and nothing permanent',
    (taskName, state) => {
      const retry = state.Retry as Retrier[] | undefined;
      expect(retry?.length).toBeGreaterThan(0);
      const retried = retry!.flatMap((retrier) => retrier.ErrorEquals);
      expect(retried).toEqual(expect.arrayContaining(LAMBDA_TRANSIENT_ERRORS));
      // A task's own AWS call that failed transiently (lib/runtime/handler.ts transientAwsErrors)
      expect(retried).toContain(ERROR_NAMES.runtimeTransient);
      if (CONNECTOR_TASKS.has(taskName)) expect(retried).toContain(ERROR_NAMES.transient);
      // Permanent errors are caught (or end the run), never retried.
      for (const never of ['States.ALL', 'States.TaskFailed', ERROR_NAMES.permanent, ERROR_NAMES.notFound])
        expect(retried).not.toContain(never);
      for (const retrier of retry!) {
        expect(retrier).toEqual(
          expect.objectContaining({
            IntervalSeconds: expect.any(Number),
            MaxAttempts: expect.any(Number),
            MaxDelaySeconds: expect.any(Number),
            BackoffRate: 2,
            JitterStrategy: 'FULL',
          }),
        );
        expect(retrier.MaxAttempts).toBeGreaterThanOrEqual(EXPRESS_TASKS.has(taskName) ? 1 : 3);
      }
    },
  );
});

describe('erasure.asl.json', () => {
  const definition = definitionOf('erasure');
  const map = definition.States['Erase in each system'];

  test('runs the three steps in order: plan, then each system, then audit and final status', () => {
    expect(definition.StartAt).toBe('Mark the request running and plan it');
    expect(definition.States['Mark the request running and plan it'].Next).toBe('Erase in each system');
    expect(map.Next).toBe('Write the audit and set the final status');
    expect(definition.States['Write the audit and set the final status'].Next).toBe('Did every system succeed?');
  });

  test('maps over the planned records with a bounded concurrency, one connector run per record (a system, or one item in it)', () => {
    expect(map).toEqual(
      expect.objectContaining({
        Type: 'Map',
        ItemsPath: '$.systems',
        // `record` is the record's key: the system id, or `<system>#item#<HMAC of the ref>` (never the raw ref)
        ItemSelector: { 'requestId.$': '$.requestId', 'system.$': '$$.Map.Item.Value.system', 'record.$': '$$.Map.Item.Value.record' },
        ResultPath: '$.results',
      }),
    );
    expect(map.MaxConcurrency).toBeGreaterThanOrEqual(1);
    expect(map.MaxConcurrency).toBeLessThanOrEqual(40);
  });

  test("a failed system is caught from any error and recorded by its error's name only", () => {
    const processor = map.ItemProcessor as { States: Record<string, State> };
    const connector = processor.States["Run the system's connector"];
    expect(connector.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: "Record the system's failure" }]);
    expect(processor.States["Record the system's failure"].Parameters).toEqual({
      'system.$': '$.system',
      'record.$': '$.record',
      status: 'failed',
      'error.$': '$.failure.Error',
    });
  });

  test('an unknown request ends in a Fail state, before any system is touched', () => {
    const plan = definition.States['Mark the request running and plan it'];
    expect(plan.Catch).toEqual([{ ErrorEquals: [ERROR_NAMES.notFound], Next: 'Request not found' }]);
    expect(definition.States['Request not found']).toEqual(expect.objectContaining({ Type: 'Fail', Error: ERROR_NAMES.notFound }));
  });

  test('a failed request ends in the Fail state "Erasure failed" with the contract\'s error name', () => {
    expect(definition.States['Erasure failed']).toEqual(
      expect.objectContaining({ Type: 'Fail', Error: ERROR_NAMES.erasureFailed, CausePath: '$.cause' }),
    );
  });
});

describe('sweep.asl.json', () => {
  const definition = definitionOf('sweep');
  const map = definition.States['Apply expiry to each batch'];
  const processor = map.ItemProcessor as { ProcessorConfig: unknown; States: Record<string, State> };

  test('fans out with a Distributed Map of child Express executions over the page’s batches, without ItemReader or ItemBatcher', () => {
    expect(processor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' });
    expect(map.ItemsPath).toBe('$.page.batches');
    expect(map.ItemReader).toBeUndefined();
    expect(map.ItemBatcher).toBeUndefined();
    expect(map.ItemSelector).toEqual({
      'purpose.$': '$.purpose',
      'sweepId.$': '$.sweepId',
      'now.$': '$.now',
      'batch.$': '$$.Map.Item.Value',
    });
  });

  test('continues in a new execution of itself after 500 pages, with the sweep’s id, clock and cursor (issue 15, item 11)', () => {
    // GIVEN the page count's check and the continuation Task
    const check = definition.States['Has this execution read enough pages?'];
    expect(check).toEqual(
      expect.objectContaining({
        Type: 'Choice',
        Choices: [{ Variable: '$.pages', NumericGreaterThanEquals: SWEEP_PAGES_PER_EXECUTION, Next: CONTINUE_AS_NEW }],
        Default: 'Read a page of due holdings',
      }),
    );
    // 500 pages of about 13 events each (with a retry of every Task, 19) stay well under the history limit
    expect(SWEEP_PAGES_PER_EXECUTION * 19).toBeLessThan(HISTORY_EVENT_LIMIT);
    const task = definition.States[CONTINUE_AS_NEW];
    // THEN it starts this same state machine (fire and forget, not .sync: this execution ends) with the sweep's
    // id, clock and cursor and the next part number, under a name a retried start repeats
    expect(task).toEqual(
      expect.objectContaining({
        Type: 'Task',
        Resource: 'arn:aws:states:::states:startExecution',
        Parameters: {
          'StateMachineArn.$': '$$.StateMachine.Id',
          'Name.$': "States.Format('{}-part{}', $.sweepId, States.MathAdd($.part, 1))",
          Input: {
            'purpose.$': '$.purpose',
            'sweepId.$': '$.sweepId',
            'now.$': '$.now',
            'cursor.$': '$.cursor',
            'part.$': 'States.MathAdd($.part, 1)',
          },
        },
        Catch: [
          { ErrorEquals: ['StepFunctions.ExecutionAlreadyExistsException'], ResultPath: null, Next: 'Sweep continued in a new execution' },
        ],
        Next: 'Sweep continued in a new execution',
      }),
    );
    for (const retrier of task.Retry as Retrier[]) expect(retrier.ErrorEquals).not.toEqual(expect.arrayContaining(['States.ALL']));
    // AND a continued execution resumes from the cursor instead of preparing a new sweep
    expect(definition.StartAt).toBe('Is this a continued sweep?');
    expect(definition.States['Resume the sweep']).toEqual(
      expect.objectContaining({
        Parameters: {
          'purpose.$': '$.purpose',
          'sweepId.$': '$.sweepId',
          'now.$': '$.now',
          'cursor.$': '$.cursor',
          'part.$': '$.part',
          pages: 0,
        },
      }),
    );
  });

  test('tolerates every failed batch (it stays due) and bounds the concurrency', () => {
    expect(map.ToleratedFailurePercentage).toBe(100);
    expect(map.MaxConcurrency).toBeGreaterThanOrEqual(1);
    expect(map.MaxConcurrency).toBeLessThanOrEqual(1000);
  });

  test("keeps the read task's cursor: the Map's results go beside it, not over it", () => {
    expect(map.ResultPath).toBe('$.applied');
    expect(map.Next).toBe('Are more holdings due?');
  });

  test('a child Express execution can finish all its retries well inside the 5-minute Express limit', () => {
    for (const state of Object.values(processor.States).filter((s) => s.Type === 'Task')) {
      const worst = (state.Retry as Retrier[]).reduce((sum, retrier) => sum + worstCaseRetryPauseSeconds(retrier), 0);
      expect(worst).toBeLessThanOrEqual(120);
    }
  });

  test('every batch failure is caught and recorded without its payload', () => {
    expect(processor.States['Apply expiry to a batch'].Catch).toEqual([
      { ErrorEquals: ['States.ALL'], Next: "Record the batch's failure" },
    ]);
    expect(processor.States["Record the batch's failure"].Parameters).toEqual({ failed: true, 'error.$': '$.Error' });
  });
});
