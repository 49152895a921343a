/**
 * Local mode enforces the Step Functions limits AWS enforces, so that a test sees what AWS would do (issue 15,
 * items 10 and 11): an Express child execution of a Distributed Map runs at most 5 minutes, retries included, and
 * a Standard execution's history holds at most 25 000 events. The production limits are asserted; the tests run
 * with lowered ones where waiting for the real one would take minutes.
 */
import type { InvokeResult } from '../../../lib/local/functions';
import { LocalStepFunctions } from '../../../lib/local/step-functions';
import type { SweepApplyInput, SweepReadInput, SweepReadOutput } from '../../../lib/core/contract';
import { EXPRESS_MAX_SECONDS, HISTORY_EVENT_LIMIT, SWEEP_PAGES_PER_EXECUTION } from '../../../lib/runtime/budgets';
import { DEFAULT_LIMITS, readStateMachine, runAsl } from '../../../lib/local/run-asl';

const SWEEP = readStateMachine('sweep');
const NOW = '2031-03-01T03:00:00+01:00';
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('the limits local mode enforces by default are AWS’s', () => {
  expect(DEFAULT_LIMITS).toEqual({ expressMs: EXPRESS_MAX_SECONDS * 1000, historyEvents: HISTORY_EVENT_LIMIT });
  expect(EXPRESS_MAX_SECONDS).toBe(300);
  expect(HISTORY_EVENT_LIMIT).toBe(25_000);
});

describe('Express child executions', () => {
  test('a batch whose child runs past the Express limit, retries included, fails as a timed-out child: the sweep goes on', async () => {
    // GIVEN a sweep of one page with two batches; the first batch's attempt fails transiently after 150 ms, then
    // its retry would take 150 ms more: together past a (lowered) 200 ms Express limit
    const calls: string[] = [];
    const run = await runAsl(
      SWEEP,
      { purpose: 'marketing', now: NOW },
      {
        handlers: {
          SweepReadFunctionArn: (input) => ({
            ...(input as object),
            batches: [{ subjectRefs: ['slow'] }, { subjectRefs: ['quick'] }],
            itemsRead: 2,
          }),
          SweepApplyFunctionArn: async (input) => {
            const ref = (input as unknown as SweepApplyInput).batch.subjectRefs[0];
            calls.push(ref);
            if (ref === 'quick') return { subjects: 1, holdingsDone: 1, holdingsFailed: 0 };
            await pause(150);
            if (calls.filter((c) => c === 'slow').length === 1)
              throw Object.assign(new Error('throttled'), { name: 'ConnectorTransientError' });
            return { subjects: 1, holdingsDone: 1, holdingsFailed: 0 };
          },
        },
        retryIntervalMs: 0,
        limits: { expressMs: 200 },
      },
    );
    // THEN the slow batch failed with States.Timeout, the quick one was applied, and the sweep succeeded
    expect(run.status).toBe('SUCCEEDED');
    const mapOutput = run.events.find((e) => e.type === 'StateExited' && 'state' in e && e.state.name === 'Apply expiry to each batch');
    expect((mapOutput as unknown as { state: { output: { applied: unknown[] } } }).state.output.applied).toEqual([
      { failed: true, error: 'States.Timeout' },
      { subjects: 1, holdingsDone: 1, holdingsFailed: 0 },
    ]);
  });

  test('within the limit, the retry runs and the batch is applied', async () => {
    let attempts = 0;
    const run = await runAsl(
      SWEEP,
      { purpose: 'marketing', now: NOW },
      {
        handlers: {
          SweepReadFunctionArn: (input) => ({ ...(input as object), batches: [{ subjectRefs: ['s1'] }], itemsRead: 1 }),
          SweepApplyFunctionArn: async () => {
            await pause(20);
            if (++attempts === 1) throw Object.assign(new Error('throttled'), { name: 'ConnectorTransientError' });
            return { subjects: 1, holdingsDone: 1, holdingsFailed: 0 };
          },
        },
        retryIntervalMs: 0,
        limits: { expressMs: 2_000 },
      },
    );
    expect(run.status).toBe('SUCCEEDED');
    expect(attempts).toBe(2);
  });
});

describe('the 25 000-event history of a Standard execution (issue 15, item 11)', () => {
  const SWEEP_ARN = 'arn:aws:states:eu-north-1:000000000000:stateMachine:lethe-local-sweep';
  /** Local Step Functions with the sweep, its read task serving `pages` pages of one one-subject batch each. */
  function sweepService(pages: number) {
    const applied: string[] = [];
    const reads: (SweepReadInput['cursor'] | undefined)[] = [];
    const sfn = new LocalStepFunctions({
      region: 'eu-north-1',
      stateMachines: [{ name: 'sweep', arn: SWEEP_ARN }],
      taskFunctions: {
        ErasurePlanFunctionArn: 'unused',
        ErasureSystemFunctionArn: 'unused',
        ErasureFinishFunctionArn: 'unused',
        SweepReadFunctionArn: 'sweep-read',
        SweepApplyFunctionArn: 'sweep-apply',
      },
      invoke: async (fn, payload): Promise<InvokeResult> => {
        if (fn === 'sweep-read') {
          const input = JSON.parse(payload) as SweepReadInput;
          reads.push(input.cursor);
          const page = input.cursor === undefined ? 0 : input.cursor.shard;
          const output: SweepReadOutput = {
            purpose: input.purpose,
            sweepId: input.sweepId,
            now: input.now,
            batches: [{ subjectRefs: [`s${page}`] }],
            itemsRead: 1,
            ...(page + 1 < pages ? { cursor: { shard: page + 1 } } : {}),
          };
          return { ok: true, payload: JSON.stringify(output) };
        }
        const input = JSON.parse(payload) as SweepApplyInput;
        applied.push(`${input.sweepId}:${input.batch.subjectRefs[0]}`);
        return { ok: true, payload: JSON.stringify({ subjects: 1, holdingsDone: 1, holdingsFailed: 0 }) };
      },
      retryIntervalMs: 0,
    });
    return { sfn, applied, reads };
  }

  test('a sweep of 2 000 pages (more than one execution’s history holds) reads every page once and applies every batch once', async () => {
    // GIVEN a due index of 2 000 pages (a page is 13 history events: one execution holds about 1 900)
    const pages = 2_000;
    const { sfn, applied, reads } = sweepService(pages);
    // WHEN the sweep runs, with the production history limit
    sfn.start({ stateMachineArn: SWEEP_ARN, name: 'sweep-1', input: JSON.stringify({ purpose: 'marketing', now: NOW }) });
    await sfn.idle();
    // THEN every execution of the sweep succeeded, each within the history limit
    const executions = sfn.list();
    expect(executions.map((e) => [e.status, e.error])).toEqual(executions.map(() => ['SUCCEEDED', undefined]));
    // ...one per 500 pages, each continuing the same sweep under a name of its own
    expect(executions.map((e) => e.name).sort()).toEqual(['sweep-1', 'sweep-1-part2', 'sweep-1-part3', 'sweep-1-part4']);
    expect(executions).toHaveLength(pages / SWEEP_PAGES_PER_EXECUTION);
    const counted = executions.map((e) => e.historyEvents);
    expect(Math.max(...counted)).toBeLessThan(HISTORY_EVENT_LIMIT);
    // (the first one alone would have needed more than the limit: 2 000 pages of 13 events)
    expect(counted.reduce((a, b) => a + b, 0)).toBeGreaterThan(HISTORY_EVENT_LIMIT);
    // AND every page was read once and every batch applied once, all under the first execution's sweep id
    expect(reads).toHaveLength(pages);
    expect(new Set(applied)).toEqual(new Set(Array.from({ length: pages }, (_, i) => `sweep-1:s${i}`)));
    expect(applied).toHaveLength(pages);
  }, 240_000);

  test('an execution past the limit fails with States.Runtime, as on AWS', async () => {
    // GIVEN the limit lowered to 200 events, and a definition that loops without ever continuing
    const LOOP = JSON.stringify({
      StartAt: 'Read',
      States: {
        Read: { Type: 'Task', Resource: '${SweepReadFunctionArn}', Next: 'Again?' },
        'Again?': { Type: 'Choice', Choices: [{ Variable: '$', IsNull: true, Next: 'Done' }], Default: 'Read' },
        Done: { Type: 'Succeed' },
      },
    });
    let reads = 0;
    const run = await runAsl(LOOP, {}, { handlers: { SweepReadFunctionArn: () => ++reads }, limits: { historyEvents: 200 } });
    // THEN it failed once its history passed 200 events (1 start, then 7 a loop: Task 5, Choice 2): in the 29th
    // loop (the library may start one more Task before the stop lands), not before
    expect(run).toMatchObject({ status: 'FAILED', error: 'States.Runtime', cause: expect.stringContaining('200 events') });
    expect(reads).toBeGreaterThanOrEqual(29);
    expect(reads).toBeLessThanOrEqual(30);
  });
});
