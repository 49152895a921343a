/**
 * Local mode enforces the Step Functions limits AWS enforces, so that a test sees what AWS would do (issue 15,
 * items 10 and 11): an Express child execution of a Distributed Map runs at most 5 minutes, retries included, and
 * a Standard execution's history holds at most 25 000 events. The production limits are asserted; the tests run
 * with lowered ones where waiting for the real one would take minutes.
 */
import type { SweepApplyInput } from '../../../lib/runtime/contract';
import { EXPRESS_MAX_SECONDS, HISTORY_EVENT_LIMIT } from '../../../lib/runtime/budgets';
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
