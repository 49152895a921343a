/**
 * The erasure state machine run locally (aws-local-stepfunctions) with handler doubles: the control flow only.
 * The handlers themselves are tested in test/lambdas.
 */
import type {
  ErasureExecutionInput,
  ErasureFinishInput,
  ErasureFinishOutput,
  ErasurePlanOutput,
  ErasureSystemInput,
  ErasureSystemOutput,
} from '../../lib/core/contract';
import { ASL_SUBSTITUTIONS, ERROR_NAMES } from '../../lib/core/contract';
import { readStateMachine, runAsl, type AslRunResult, type LocalTaskHandler } from '../../lib/local/run-asl';
import { definitionOf, historyFrom, InFlightMeter, keysInHistory, lambdaError, pause, recorder, type Retrier } from './asl';

const ASL = readStateMachine('erasure');
const REQUEST_ID = 'req-0001';

/** The finish double decides the status the way the real finish task must: failed if any system failed. */
function finishLikeTheContract(input: ErasureFinishInput): ErasureFinishOutput {
  const failedSystems = input.results.filter((result) => result.status === 'failed').map((result) => result.system);
  return { requestId: input.requestId, status: failedSystems.length > 0 ? 'failed' : 'completed', failedSystems };
}

interface Doubles {
  plan?: (input: ErasureExecutionInput, call: number) => ErasurePlanOutput | Promise<ErasurePlanOutput>;
  system?: (input: ErasureSystemInput, call: number) => ErasureSystemOutput | Promise<ErasureSystemOutput>;
}

/** Runs the erasure of `systems` with doubles; by default every system is erased. */
async function runErasure(systems: readonly string[], doubles: Doubles = {}, input: Record<string, unknown> = { requestId: REQUEST_ID }) {
  const plan = recorder<ErasureExecutionInput, ErasurePlanOutput>(
    doubles.plan ??
      ((request) => ({
        requestId: request.requestId,
        policyHash: 'sha256:policy',
        systems: systems.map((system) => ({ system, record: system })),
      })),
  );
  const system = recorder<ErasureSystemInput, ErasureSystemOutput>(
    doubles.system ?? ((call) => ({ system: call.system, status: 'erased', counts: { records: 1, fields: 0, objects: 0 } })),
  );
  const finish = recorder<ErasureFinishInput, ErasureFinishOutput>(finishLikeTheContract);
  const handlers: Record<string, LocalTaskHandler> = {
    [ASL_SUBSTITUTIONS['erasure-plan']]: plan.handler,
    [ASL_SUBSTITUTIONS['erasure-system']]: system.handler,
    [ASL_SUBSTITUTIONS['erasure-finish']]: finish.handler,
  };
  const run: AslRunResult = await runAsl(ASL, input as never, { handlers, retryIntervalMs: 0 });
  /** Calls of the per-system task for one system. */
  const callsFor = (name: string) => system.calls.filter((call) => call.system === name).length;
  return { run, plan, system, finish, callsFor };
}

const connectorMaxAttempts = (): number => {
  const processor = definitionOf('erasure').States['Erase in each system'].ItemProcessor as {
    States: Record<string, { Retry: Retrier[] }>;
  };
  return processor.States["Run the system's connector"].Retry[0].MaxAttempts!;
};

test('erasure over three systems succeeds and the finish task receives every result', async () => {
  // GIVEN a request planned over three systems that all succeed
  const { run, plan, system, finish } = await runErasure(['crm', 'mail', 'shop']);

  // THEN each task ran with ids only, each system exactly once, and the execution succeeded with the finish output
  expect(plan.calls).toEqual([{ requestId: REQUEST_ID }]);
  expect(system.calls.map((call) => call).sort((a, b) => a.system.localeCompare(b.system))).toEqual([
    { requestId: REQUEST_ID, system: 'crm', record: 'crm' },
    { requestId: REQUEST_ID, system: 'mail', record: 'mail' },
    { requestId: REQUEST_ID, system: 'shop', record: 'shop' },
  ]);
  expect(finish.calls).toHaveLength(1);
  expect(finish.calls[0]).toEqual({
    requestId: REQUEST_ID,
    results: ['crm', 'mail', 'shop'].map((s) => ({ system: s, status: 'erased', counts: { records: 1, fields: 0, objects: 0 } })),
  });
  expect(run).toMatchObject({ status: 'SUCCEEDED', output: { requestId: REQUEST_ID, status: 'completed', failedSystems: [] } });
});

test('a planned list with no system still writes the audit and completes', async () => {
  const { run, system, finish } = await runErasure([]);
  expect(system.calls).toEqual([]);
  expect(finish.calls).toEqual([{ requestId: REQUEST_ID, results: [] }]);
  expect(run.status).toBe('SUCCEEDED');
});

test.each([ERROR_NAMES.transient, 'Lambda.TooManyRequestsException', 'Lambda.ServiceException'])(
  'a system that fails with %s twice is retried and then succeeds',
  async (errorName) => {
    // GIVEN "mail" fails transiently on its first two calls
    let mailCalls = 0;
    const { run, callsFor, finish } = await runErasure(['crm', 'mail'], {
      system: (call) => {
        if (call.system === 'mail' && ++mailCalls <= 2) throw lambdaError(errorName);
        return { system: call.system, status: 'erased' };
      },
    });
    // THEN it was called three times, "crm" once, and the request completed
    expect(callsFor('mail')).toBe(3);
    expect(callsFor('crm')).toBe(1);
    expect(finish.calls[0].results).toContainEqual({ system: 'mail', status: 'erased' });
    expect(run.status).toBe('SUCCEEDED');
  },
);

test('a transient error that never clears is retried MaxAttempts times, recorded as that system failing, then run once more', async () => {
  const { run, callsFor, finish } = await runErasure(['crm', 'mail'], {
    system: (call) => {
      if (call.system === 'mail') throw lambdaError(ERROR_NAMES.transient);
      return { system: call.system, status: 'erased' };
    },
  });
  // the first pass and the second run of the failed system each retry MaxAttempts times
  expect(callsFor('mail')).toBe(2 * (1 + connectorMaxAttempts()));
  expect(callsFor('crm')).toBe(1);
  expect(finish.calls).toHaveLength(1);
  expect(finish.calls[0].results).toContainEqual({ system: 'mail', record: 'mail', status: 'failed', error: ERROR_NAMES.transient });
  expect(run).toMatchObject({ status: 'FAILED', error: ERROR_NAMES.transient });
});

test('a permanent error marks the request failed naming that system, the other systems still run, and the execution fails at that system', async () => {
  // GIVEN "mail" fails permanently, its first message quoting a (fake) personal value as a careless handler might
  let mailRuns = 0;
  const { run, callsFor, finish } = await runErasure(['crm', 'mail', 'shop'], {
    system: async (call) => {
      if (call.system === 'mail') {
        throw lambdaError(ERROR_NAMES.permanent, ++mailRuns === 1 ? 'mailbox of alice@example.com is locked' : 'system "mail" failed');
      }
      await pause(5); // the others are still running when "mail" fails
      return { system: call.system, status: 'anonymised' };
    },
  });

  // THEN the others ran to the end once, "mail" ran once in the pass and once more, and the finish task saw all three
  expect([callsFor('crm'), callsFor('mail'), callsFor('shop')]).toEqual([1, 2, 1]);
  expect(finish.calls).toHaveLength(1);
  expect(finish.calls[0].results).toEqual([
    { system: 'crm', status: 'anonymised' },
    { system: 'mail', record: 'mail', status: 'failed', error: ERROR_NAMES.permanent },
    { system: 'shop', status: 'anonymised' },
  ]);
  // AND the execution failed at the failed system's second run, with its error, so a redrive re-runs exactly it
  if (run.status !== 'FAILED') throw new Error(`expected a failed execution, got ${run.status}`);
  expect(run.error).toBe(ERROR_NAMES.permanent);
  expect(run.cause).toContain('system \\"mail\\" failed');
  // AND the message caught in the pass reached neither the finish task nor the failure
  expect(JSON.stringify(finish.calls)).not.toContain('alice@example.com');
  expect(run.cause).not.toContain('alice@example.com');
});

test('a system that fails in the pass and succeeds when run once more completes the request', async () => {
  let mailRuns = 0;
  const { run, callsFor, finish } = await runErasure(['crm', 'mail'], {
    system: (call) => {
      if (call.system === 'mail' && ++mailRuns === 1) throw lambdaError(ERROR_NAMES.permanent, 'system "mail" failed');
      return { system: call.system, status: 'erased' };
    },
  });
  expect(callsFor('mail')).toBe(2);
  expect(finish.calls.map((c) => c.results)).toEqual([
    [
      { system: 'crm', status: 'erased' },
      { system: 'mail', record: 'mail', status: 'failed', error: ERROR_NAMES.permanent },
    ],
    [{ system: 'mail', status: 'erased' }],
  ]);
  expect(run).toMatchObject({ status: 'SUCCEEDED', output: { status: 'completed', failedSystems: [] } });
});

test('an error outside the retry list (a bug in the handler) is not retried: the system is recorded as failed', async () => {
  const { run, callsFor, finish } = await runErasure(['crm'], {
    system: () => {
      throw new TypeError("Cannot read properties of undefined (reading 'locator')");
    },
  });
  expect(callsFor('crm')).toBe(2);
  expect(finish.calls[0].results).toEqual([{ system: 'crm', record: 'crm', status: 'failed', error: 'TypeError' }]);
  expect(run).toMatchObject({ status: 'FAILED', error: 'TypeError' });
});

test('an unknown request ends in "Request not found" before any system is touched', async () => {
  const { run, system, finish } = await runErasure(['crm'], {
    plan: () => {
      throw lambdaError(ERROR_NAMES.notFound, 'no request req-0001');
    },
  });
  expect(run).toMatchObject({ status: 'FAILED', error: ERROR_NAMES.notFound });
  expect(system.calls).toEqual([]);
  expect(finish.calls).toEqual([]);
});

test('a throttled plan task is retried', async () => {
  const { run, plan } = await runErasure(['crm'], {
    plan: (request, n) => {
      if (n === 1) throw lambdaError('Lambda.TooManyRequestsException');
      return { requestId: request.requestId, policyHash: 'sha256:policy', systems: [{ system: 'crm', record: 'crm' }] };
    },
  });
  expect(plan.calls).toHaveLength(2);
  expect(run.status).toBe('SUCCEEDED');
});

test('the finish task is retried on a Lambda service error, and its result decides the outcome', async () => {
  let finishCalls = 0;
  const handlers: Record<string, LocalTaskHandler> = {
    [ASL_SUBSTITUTIONS['erasure-plan']]: () => ({ requestId: REQUEST_ID, policyHash: 'h', systems: [{ system: 'crm', record: 'crm' }] }),
    [ASL_SUBSTITUTIONS['erasure-system']]: () => ({ system: 'crm', status: 'erased' }),
    [ASL_SUBSTITUTIONS['erasure-finish']]: (payload) => {
      finishCalls += 1;
      if (finishCalls === 1) throw lambdaError('Lambda.ServiceException');
      return finishLikeTheContract(payload as unknown as ErasureFinishInput);
    },
  };
  const run = await runAsl(ASL, { requestId: REQUEST_ID }, { handlers, retryIntervalMs: 0 });
  expect(finishCalls).toBe(2);
  expect(run.status).toBe('SUCCEEDED');
});

test('no more than MaxConcurrency systems run at once', async () => {
  // GIVEN 50 systems whose connectors each take a while
  const meter = new InFlightMeter();
  const systems = Array.from({ length: 50 }, (_, i) => `system-${String(i).padStart(2, '0')}`);
  const { run, system } = await runErasure(systems, {
    system: (call) =>
      meter.around(async () => {
        await pause(10);
        return { system: call.system, status: 'erased' as const };
      }),
  });
  // THEN all 50 ran, and at most the Map's MaxConcurrency (40) were in flight at any time, which was reached
  const maxConcurrency = definitionOf('erasure').States['Erase in each system'].MaxConcurrency;
  expect(system.calls).toHaveLength(50);
  expect(meter.max).toBe(maxConcurrency);
  expect(run.status).toBe('SUCCEEDED');
});

test('re-submitting a failed request visits every planned system again, so the per-system task can finish what is left', async () => {
  // GIVEN a store of per-system outcomes shared by two runs, as the requests table is
  const done = new Map<string, ErasureSystemOutput>();
  let mailWorks = false;
  const actions: string[] = [];
  const system = (call: ErasureSystemInput): ErasureSystemOutput => {
    const previous = done.get(call.system);
    if (previous) return previous; // the real task skips a system already done
    if (call.system === 'mail' && !mailWorks) throw lambdaError(ERROR_NAMES.permanent);
    actions.push(call.system);
    const outcome: ErasureSystemOutput = { system: call.system, status: 'erased' };
    done.set(call.system, outcome);
    return outcome;
  };

  // WHEN the first run fails on "mail", and the request is re-submitted once "mail" works
  const first = await runErasure(['crm', 'mail'], { system });
  mailWorks = true;
  const second = await runErasure(['crm', 'mail'], { system });

  // THEN the second run called the task for both systems, acted only on "mail", and completed
  expect(first.run.status).toBe('FAILED');
  expect(second.system.calls.map((call) => call.system).sort()).toEqual(['crm', 'mail']);
  expect(actions).toEqual(['crm', 'mail']);
  expect(second.finish.calls[0].results).toEqual([
    { system: 'crm', status: 'erased' },
    { system: 'mail', status: 'erased' },
  ]);
  expect(second.run.status).toBe('SUCCEEDED');
});

test('extra execution input is dropped at the first step: only the request id goes on', async () => {
  // GIVEN an input that (wrongly) carries a subject's data beside the request id
  const { run, plan } = await runErasure(['crm'], {}, { requestId: REQUEST_ID, subjectId: 'alice@example.com' });

  // THEN the plan task received the request id only, and from its output on nothing in the history names the subject
  expect(plan.calls).toEqual([{ requestId: REQUEST_ID }]);
  expect(JSON.stringify(historyFrom(run.events, 'Mark the request running and plan it'))).not.toContain('alice@example.com');
  expect(run.status).toBe('SUCCEEDED');
});

test('no field outside the contract appears in the history, on success or failure', async () => {
  const contractFields = new Set([
    'requestId', // ErasureExecutionInput, ErasurePlanOutput, ErasureSystemInput, ErasureFinishInput/Output
    'policyHash', // ErasurePlanOutput
    'systems',
    'system', // ErasureSystemInput/Output
    'record', // ErasurePlanOutput, ErasureSystemInput/Output: the record key (an item's is an HMAC)
    'status',
    'counts', // ConnectorCounts
    'records',
    'fields',
    'objects',
    'error',
    'results', // ErasureFinishInput
    'failedSystems', // ErasureFinishOutput
    'failure', // the Catch's {Error, Cause}, dropped by "Record the system's failure"
    'Error',
    'Cause',
    'cause', // the Fail state's cause, built from failedSystems
  ]);
  // GIVEN one run that succeeds and one where a system fails
  const succeeded = await runErasure(['crm', 'mail']);
  const failed = await runErasure(['crm', 'mail'], {
    system: (call) => {
      if (call.system === 'mail') throw lambdaError(ERROR_NAMES.permanent);
      return { system: call.system, status: 'fields-removed', counts: { records: 1, fields: 2, objects: 0 } };
    },
  });
  // THEN every key of every input and output in their histories is a contract field
  for (const { run } of [succeeded, failed]) {
    expect([...keysInHistory(run.events)].filter((key) => !contractFields.has(key))).toEqual([]);
  }
  expect(failed.run.status).toBe('FAILED');
  // AND the execution's output is the finish task's output, nothing more
  expect(succeeded.run.status === 'SUCCEEDED' && Object.keys(succeeded.run.output as object).sort()).toEqual([
    'failedSystems',
    'requestId',
    'status',
  ]);
});

test('an input without a request id fails before the plan task runs', async () => {
  const { run, plan } = await runErasure(['crm'], {}, { subjectId: 'alice@example.com' });
  expect(run).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
  expect(plan.calls).toEqual([]);
});
