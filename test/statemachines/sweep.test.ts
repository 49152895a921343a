/**
 * The sweep state machine run locally (aws-local-stepfunctions; the Distributed Map runs like an inline one)
 * with handler doubles: paging, fan-out, failure tolerance and the clock. The handlers are tested in test/lambdas.
 */
import type { SweepApplyInput, SweepApplyOutput, SweepBatch, SweepCursor, SweepReadInput, SweepReadOutput } from '../../lib/core/contract';
import { ASL_SUBSTITUTIONS, ERROR_NAMES } from '../../lib/core/contract';
import { readStateMachine, runAsl } from '../../lib/local/run-asl';
import { definitionOf, historyFrom, InFlightMeter, keysInHistory, lambdaError, outputsOf, pause, recorder } from './asl';

const ASL = readStateMachine('sweep');
const SWEEP_ID = 'sweep-2031-03-01-marketing';
const NOW = '2031-03-01T03:00:00+01:00';

const batch = (...subjectRefs: string[]): SweepBatch => ({ subjectRefs });

/** A due index of several pages: the cursor of page i leads to page i + 1; the last page has none. */
interface Page {
  readonly batches: readonly SweepBatch[];
  readonly next?: SweepCursor;
}

async function runSweep(
  pages: readonly Page[],
  options: {
    input?: Record<string, unknown>;
    apply?: (input: SweepApplyInput, call: number) => SweepApplyOutput | Promise<SweepApplyOutput>;
  } = {},
) {
  const read = recorder<SweepReadInput, SweepReadOutput>((input) => {
    const index =
      input.cursor === undefined ? 0 : pages.findIndex((page) => JSON.stringify(page.next) === JSON.stringify(input.cursor)) + 1;
    const page = pages[index];
    if (!page) throw new Error(`test double: no page after cursor ${JSON.stringify(input.cursor)}`);
    const itemsRead = page.batches.reduce((sum, b) => sum + b.subjectRefs.length, 0);
    return {
      purpose: input.purpose,
      sweepId: input.sweepId,
      now: input.now,
      batches: page.batches,
      itemsRead,
      ...(page.next ? { cursor: page.next } : {}),
    };
  });
  const apply = recorder<SweepApplyInput, SweepApplyOutput>(
    options.apply ??
      ((input) => ({ subjects: input.batch.subjectRefs.length, holdingsDone: input.batch.subjectRefs.length, holdingsFailed: 0 })),
  );
  const run = await runAsl(ASL, (options.input ?? { purpose: 'marketing', now: NOW }) as never, {
    handlers: { [ASL_SUBSTITUTIONS['sweep-read']]: read.handler, [ASL_SUBSTITUTIONS['sweep-apply']]: apply.handler },
    executionName: SWEEP_ID,
    retryIntervalMs: 0,
  });
  return { run, read, apply };
}

const THREE_PAGES: readonly Page[] = [
  {
    batches: [batch('s01', 's02'), batch('s03')],
    next: { shard: 0, lastKey: { dueShard: '00', dueAt: 1930000000000, subjectRef: 's03', system: 'crm' } },
  },
  { batches: [batch('s04')], next: { shard: 7 } },
  { batches: [batch('s05', 's06'), batch('s07'), batch('s08')] },
];

test('the sweep follows the cursor across several pages and applies expiry once per batch', async () => {
  // GIVEN a due index of three pages
  const { run, read, apply } = await runSweep(THREE_PAGES);

  // THEN the read task was called once per page, each time with the previous page's cursor and nothing else but
  // the sweep's own state (which execution of the sweep this is, and its page count: issue 15, item 11)
  expect(read.calls).toEqual([
    { purpose: 'marketing', sweepId: SWEEP_ID, now: NOW, part: 1, pages: 0 },
    { purpose: 'marketing', sweepId: SWEEP_ID, now: NOW, cursor: THREE_PAGES[0].next, part: 1, pages: 1 },
    { purpose: 'marketing', sweepId: SWEEP_ID, now: NOW, cursor: THREE_PAGES[1].next, part: 1, pages: 2 },
  ]);
  // AND the apply task ran once for each of the six batches, with the sweep's purpose, id and clock
  const applied = apply.calls.map((call) => call.batch.subjectRefs.join(',')).sort();
  expect(applied).toEqual(['s01,s02', 's03', 's04', 's05,s06', 's07', 's08']);
  for (const call of apply.calls) expect(Object.keys(call).sort()).toEqual(['batch', 'now', 'purpose', 'startedAt', 'sweepId']);
  expect(apply.calls.every((call) => call.purpose === 'marketing' && call.sweepId === SWEEP_ID && call.now === NOW)).toBe(true);
  // AND the sweep succeeded, its output naming the sweep only
  expect(run).toMatchObject({ status: 'SUCCEEDED', output: { purpose: 'marketing', sweepId: SWEEP_ID, now: NOW } });
  expect(run.status === 'SUCCEEDED' && Object.keys(run.output as object).sort()).toEqual(['now', 'purpose', 'sweepId']);
});

test('a page with no due batch still moves on to the next page', async () => {
  const { run, read, apply } = await runSweep([{ batches: [], next: { shard: 3 } }, { batches: [batch('s01')] }]);
  expect(read.calls).toHaveLength(2);
  expect(apply.calls).toHaveLength(1);
  expect(run.status).toBe('SUCCEEDED');
});

test('nothing due: one read, no apply', async () => {
  const { run, read, apply } = await runSweep([{ batches: [] }]);
  expect(read.calls).toHaveLength(1);
  expect(apply.calls).toHaveLength(0);
  expect(run.status).toBe('SUCCEEDED');
});

test.each([
  ['a permanent connector error', () => lambdaError(ERROR_NAMES.permanent, 'subject s04 not found in crm')],
  ['a bug in the handler', () => new TypeError('boom')],
  ['a transient error that never clears', () => lambdaError(ERROR_NAMES.transient)],
])('a batch that fails with %s does not fail the sweep; the other batches are applied', async (_label, failure) => {
  // GIVEN the batch of s04 always fails
  const { run, apply } = await runSweep(THREE_PAGES, {
    apply: (input) => {
      if (input.batch.subjectRefs.includes('s04')) throw failure();
      return { subjects: 1, holdingsDone: 1, holdingsFailed: 0 };
    },
  });
  // THEN the sweep succeeded, every other batch was applied, and the failed one is recorded by its error name only
  expect(run.status).toBe('SUCCEEDED');
  const others = apply.calls.filter((call) => !call.batch.subjectRefs.includes('s04'));
  expect(others).toHaveLength(5);
  const secondPage = outputsOf(run.events, 'Apply expiry to each batch')[1] as { applied: unknown[] };
  expect(secondPage.applied).toEqual([{ failed: true, error: failure().name }]);
  expect(JSON.stringify(secondPage)).not.toContain('not found in crm');
});

test('a transient batch failure is retried, and the batch applied once it clears', async () => {
  let s04Calls = 0;
  const { run, apply } = await runSweep(THREE_PAGES, {
    apply: (input) => {
      if (input.batch.subjectRefs.includes('s04') && ++s04Calls === 1) throw lambdaError(ERROR_NAMES.transient);
      return { subjects: 1, holdingsDone: 1, holdingsFailed: 0 };
    },
  });
  expect(s04Calls).toBe(2);
  expect(apply.calls).toHaveLength(7);
  expect(outputsOf(run.events, 'Apply expiry to each batch')[1]).toMatchObject({
    applied: [{ subjects: 1, holdingsDone: 1, holdingsFailed: 0 }],
  });
  expect(run.status).toBe('SUCCEEDED');
});

test("each batch's task is told when its child execution started, so that it stops within Express's 5 minutes (issue 15, item 10)", async () => {
  const before = Date.now();
  const { apply } = await runSweep(THREE_PAGES);
  const after = Date.now();
  for (const call of apply.calls) {
    expect(call.startedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
    expect(Date.parse(call.startedAt!)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(call.startedAt!)).toBeLessThanOrEqual(after);
  }
  // the child's own start, not the sweep's clock
  expect(apply.calls.every((call) => call.startedAt !== call.now)).toBe(true);
});

test('a simulated `now` reaches the read and apply tasks unchanged', async () => {
  const simulated = '2040-12-31T23:59:59+02:00';
  const { read, apply, run } = await runSweep(THREE_PAGES, { input: { purpose: 'marketing', now: simulated } });
  expect(new Set([...read.calls, ...apply.calls].map((call) => call.now))).toEqual(new Set([simulated]));
  expect(run).toMatchObject({ output: { now: simulated } });
});

test("without a simulated clock, `now` is the execution's start time", async () => {
  const before = Date.now();
  const { read, apply } = await runSweep(THREE_PAGES, { input: { purpose: 'marketing' } });
  const after = Date.now();
  const nows = new Set([...read.calls, ...apply.calls].map((call) => call.now));
  expect(nows.size).toBe(1);
  const [now] = nows;
  expect(now).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
  expect(Date.parse(now)).toBeGreaterThanOrEqual(before);
  expect(Date.parse(now)).toBeLessThanOrEqual(after);
});

test('no more than MaxConcurrency batches are applied at once', async () => {
  const meter = new InFlightMeter();
  const batches = Array.from({ length: 25 }, (_, i) => batch(`s${i}`));
  const { apply, run } = await runSweep([{ batches }], {
    apply: () =>
      meter.around(async () => {
        await pause(10);
        return { subjects: 1, holdingsDone: 1, holdingsFailed: 0 };
      }),
  });
  expect(apply.calls).toHaveLength(25);
  expect(meter.max).toBe(definitionOf('sweep').States['Apply expiry to each batch'].MaxConcurrency);
  expect(run.status).toBe('SUCCEEDED');
});

test('the execution carries only ids: extra input is dropped and no field outside the contract appears in the history', async () => {
  // GIVEN an input with a field the contract does not have
  const { run, read } = await runSweep(THREE_PAGES, { input: { purpose: 'marketing', now: NOW, subjectId: 'alice@example.com' } });
  // THEN the read task never saw it, and from the preparing state's output on no event carries it
  expect(read.calls.every((call) => !('subjectId' in call))).toBe(true);
  const history = historyFrom(run.events, 'Prepare the sweep on the simulated clock');
  expect(JSON.stringify(history)).not.toContain('alice@example.com');
  // AND every key of every input and output from there on belongs to the sweep payloads of the contract
  const contractFields = new Set([
    'purpose', // SweepExecutionInput, SweepReadInput/Output, SweepApplyInput
    'now',
    'sweepId',
    'cursor', // SweepCursor
    'shard',
    'lastKey',
    'dueShard', // the due index's key inside lastKey (LEDGER)
    'dueAt',
    'subjectRef',
    'system',
    'batches', // SweepReadOutput
    'itemsRead',
    'page', // the read task's output, beside the sweep's state
    'part', // SweepExecutionInput of a continued sweep, and the page count of this execution
    'pages',
    'batch', // SweepApplyInput
    'subjectRefs',
    'startedAt',
    'subjects', // SweepApplyOutput
    'holdingsDone',
    'holdingsFailed',
    'applied', // the Map's results
    'failed', // a failed batch: {failed, error}
    'error',
    'Error', // the Catch's error output
    'Cause',
  ]);
  expect([...keysInHistory(history)].filter((key) => !contractFields.has(key))).toEqual([]);
  expect(run.status).toBe('SUCCEEDED');
});

test('an input without a purpose fails before anything is read', async () => {
  const { run, read } = await runSweep(THREE_PAGES, { input: { now: NOW } });
  expect(run).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
  expect(read.calls).toEqual([]);
});
