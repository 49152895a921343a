/**
 * The sweep's tasks (sweep-read, sweep-apply) on fakes: the due index is queried shard by shard and never
 * scanned; subjects are batched; expiry applies `onExpiry` with the shared-data rule; a failed erasure leaves
 * its holding due for the next sweep; a holding due but no longer expired is rescheduled.
 */
import { Temporal } from '@js-temporal/polyfill';
import { LEDGER, type SweepReadOutput } from '../../lib/core/contract';
import { FUNCTION_TIMEOUT_SECONDS } from '../../lib/runtime/budgets';
import { dueShardOf } from '../../lib/runtime/ledger';
import { SWEEP_BATCH_SIZE, SWEEP_PAGE_SIZE } from '../../lib/runtime/sweep';
import { makeHandler as makeApply, quarantineAfterFromEnv } from '../../lambdas/sweep-apply';
import { makeHandler as makeRead } from '../../lambdas/sweep-read';
import { ConnectorPermanentError, ConnectorTransientError } from '../../lib/connectors/errors';
import { AUDIT_BUCKET, captureOutput, createWorld, lambdaContext, ledgerTable, type TestWorld } from '../lib/runtime/support/runtime';
import { apiClient } from './helpers';

let world: TestWorld;
let api: ReturnType<typeof apiClient>;
/** A fresh invocation: the whole of sweep-apply's timeout ahead. */
const context = {
  ...lambdaContext('lethe-sweep'),
  getRemainingTimeInMillis: () => FUNCTION_TIMEOUT_SECONDS['sweep-apply'] * 1000,
} as never;
const NOW = '2026-03-01T00:00:00Z';

beforeEach(() => {
  world = createWorld({ now: '2025-01-01T10:00:00Z' });
  api = apiClient(world);
});
afterEach(() => world.restore());

const read = (input: { purpose: string; cursor?: SweepReadOutput['cursor'] }, options = {}) =>
  makeRead(() => world.rt, options)({ sweepId: 'sweep-1', now: NOW, ...input }, context);
const apply = (purpose: string, subjectRefs: string[]) =>
  makeApply(() => world.rt)({ purpose, sweepId: 'sweep-1', now: NOW, batch: { subjectRefs } }, context);
/** sweep-apply with a sweep id, handler options and a Lambda context of its own. */
const applyAs = (
  sweepId: string,
  purpose: string,
  subjectRefs: string[],
  options: Parameters<typeof makeApply>[1] = {},
  remainingMs = FUNCTION_TIMEOUT_SECONDS['sweep-apply'] * 1000,
  extra: Record<string, unknown> = {},
) =>
  makeApply(() => world.rt, options)(
    { purpose, sweepId, now: NOW, batch: { subjectRefs }, ...extra },
    {
      ...lambdaContext('lethe-sweep'),
      getRemainingTimeInMillis: () => remainingMs,
    },
  );

/** Reads every page like the state machine's loop; returns the batches and how many tasks it took. */
async function readAll(purpose: string, options = {}) {
  const batches: string[][] = [];
  let cursor: SweepReadOutput['cursor'];
  let tasks = 0;
  do {
    const page = await read({ purpose, ...(cursor ? { cursor } : {}) }, options);
    tasks++;
    batches.push(...page.batches.map((b) => [...b.subjectRefs]));
    cursor = page.cursor;
  } while (cursor && tasks < 100);
  return { batches, tasks };
}

describe('sweep-read', () => {
  it('reads due holdings from the index, never a scan, in batches, every subject once', async () => {
    // GIVEN 30 subjects whose analytics data (P1Y) expired in 2025, and 5 whose expires after NOW
    for (let i = 0; i < 30; i++)
      await api.holding(`user${i}`, { purpose: 'analytics', system: 'crm', collectedAt: '2024-06-01T00:00:00Z' });
    for (let i = 30; i < 35; i++)
      await api.holding(`user${i}`, { purpose: 'analytics', system: 'crm', collectedAt: '2025-06-01T00:00:00Z' });
    // WHEN every page is read with small pages and batches
    const { batches } = await readAll('analytics', { pageSize: 4, batchSize: 3 });
    // THEN the 30 due subjects, each once, at most 3 to a batch, and only Query calls on the index
    const refs = batches.flat();
    expect(refs).toHaveLength(30);
    expect(new Set(refs).size).toBe(30);
    const expected = await Promise.all(Array.from({ length: 30 }, (_, i) => world.rt.refs.ref(`user${i}`)));
    expect(new Set(refs)).toEqual(new Set(expected));
    expect(batches.every((b) => b.length >= 1 && b.length <= 3)).toBe(true);
    const reads = world.ddb.calls.filter((c) => c.table === ledgerTable('analytics') && c.command !== 'Put');
    expect(reads.every((c) => c.command === 'Query' && c.input.IndexName === LEDGER.dueIndex)).toBe(true);
    expect(world.ddb.calls.some((c) => c.command === 'Scan')).toBe(false);
  });

  it('fills a page from several shards, so that a sweep takes about due/pageSize tasks, not one per shard', async () => {
    // GIVEN 40 due subjects, spread over the 16 shards
    for (let i = 0; i < 40; i++)
      await api.holding(`user${i}`, { purpose: 'analytics', system: 'crm', collectedAt: '2024-06-01T00:00:00Z' });
    // WHEN every page is read, 25 holdings to a page
    const { batches, tasks } = await readAll('analytics', { pageSize: 25, batchSize: 25 });
    // THEN all 40 were found, each once, in 2 tasks (25 + 15), not 16
    expect(new Set(batches.flat()).size).toBe(40);
    expect(batches.flat()).toHaveLength(40);
    expect(tasks).toBe(2);
  });

  it('by default a page holds up to 1 000 holdings, in batches of up to 25 subjects: one child and one connector call per system each (issue 16)', async () => {
    // GIVEN 40 due subjects, spread over the 16 shards
    for (let i = 0; i < 40; i++)
      await api.holding(`user${i}`, { purpose: 'analytics', system: 'crm', collectedAt: '2024-06-01T00:00:00Z' });
    // WHEN every page is read with the defaults THEN one task found all 40, as one batch
    const { batches, tasks } = await readAll('analytics');
    expect([SWEEP_PAGE_SIZE, SWEEP_BATCH_SIZE]).toEqual([1000, 25]);
    expect(tasks).toBe(1);
    expect(batches.map((b) => b.length)).toEqual([25, 15]);
    expect(new Set(batches.flat()).size).toBe(40);
    // AND with pages of 25 and batches of 10: 25 = 10 + 10 + 5, then 15 = 10 + 5
    const small = await readAll('analytics', { pageSize: 25, batchSize: 10 });
    expect(small.batches.map((b) => b.length)).toEqual([10, 10, 5, 10, 5]);
  });

  it('skips empty shards within one task and ends without a cursor', async () => {
    const page = await read({ purpose: 'analytics' });
    expect(page).toEqual({ purpose: 'analytics', sweepId: 'sweep-1', now: NOW, batches: [], itemsRead: 0 });
    expect(world.ddb.callsOf('Query')).toHaveLength(LEDGER.dueShards);
  });

  it("reads with the state machine's input as it is: the sweep's own part and page count beside the cursor", async () => {
    await api.holding('user1', { purpose: 'analytics', system: 'crm', collectedAt: '2024-06-01T00:00:00Z' });
    const page = await makeRead(() => world.rt)(
      { purpose: 'analytics', sweepId: 'sweep-1', now: NOW, part: 2, pages: 0 } as never,
      context,
    );
    expect(page.batches.flat()).toEqual([{ subjectRefs: [await world.rt.refs.ref('user1')] }]);
  });

  it('refuses an unknown purpose or a bad clock, naming it', async () => {
    await expect(read({ purpose: 'golf' })).rejects.toMatchObject({ name: 'InputError', path: 'purpose' });
    await expect(makeRead(() => world.rt)({ purpose: 'analytics', sweepId: 's', now: 'tomorrow' }, context)).rejects.toMatchObject({
      path: 'now',
    });
  });
});

describe('sweep-apply', () => {
  it('applies onExpiry with the shared-data rule and marks each holding done', async () => {
    // GIVEN user1: analytics in crm expired (onExpiry anonymise), customer in crm still active (account open)
    await api.holding('user1', {
      purpose: 'analytics',
      system: 'crm',
      collectedAt: '2024-06-01T00:00:00Z',
      locator: { customerId: 'C-1' },
    });
    await api.holding('user1', { purpose: 'customer', system: 'crm', collectedAt: '2024-06-01T00:00:00Z', locator: { customerId: 'C-1' } });
    const ref = await world.rt.refs.ref('user1');
    // WHEN the batch is applied
    const out = await apply('analytics', [ref]);
    // THEN crm keeps the record for the customer, and anonymises/removes only health (contact is still needed)
    expect(out).toEqual({ subjects: 1, holdingsDone: 1, holdingsFailed: 0 });
    const [invocation] = world.connectors.forSystem('crm');
    expect(invocation.operationId).toMatch(/^sweep-1:crm:[0-9a-f]{16}$/);
    expect(invocation.subjects).toEqual([
      expect.objectContaining({
        subjectRef: ref,
        subjectId: 'user1',
        locator: { customerId: 'C-1' },
        record: 'keep',
        removeFields: [{ name: 'allergies', category: 'health', anonymise: { strategy: 'remove' } }],
        anonymiseFields: [],
      }),
    ]);
    expect(world.ddb.items(ledgerTable('analytics'))[0]).toMatchObject({ status: 'done', finishedBy: 'sweep:sweep-1' });
    expect(world.ddb.items(ledgerTable('customer'))[0]).toMatchObject({ status: 'active' });
    const [record] = [...world.s3.bodies(AUDIT_BUCKET).values()].map((b) => JSON.parse(b));
    expect(record).toMatchObject({
      kind: 'sweep',
      sweepId: 'sweep-1',
      purposes: ['analytics'],
      system: 'crm',
      action: 'keep',
      outcome: 'erased',
    });
  });

  it('calls each connector once for the whole batch', async () => {
    for (const id of ['user1', 'user10', 'user2'])
      await api.holding(id, { purpose: 'analytics', system: 'crm', collectedAt: '2024-06-01T00:00:00Z' });
    const refs = await Promise.all(['user1', 'user10', 'user2'].map((id) => world.rt.refs.ref(id)));
    const out = await apply('analytics', refs);
    expect(out).toEqual({ subjects: 3, holdingsDone: 3, holdingsFailed: 0 });
    expect(world.connectors.invocations).toHaveLength(1);
    expect(world.connectors.invocations[0].subjects.map((s) => s.subjectId).sort()).toEqual(['user1', 'user10', 'user2']);
    // The whole record goes (no other holding), as anonymisation of every field.
    expect(world.connectors.invocations[0].subjects[0]).toMatchObject({ record: 'anonymise' });
  });

  it('leaves a holding whose erasure failed transiently due, rethrows so that the state machine retries, and the next sweep retries it', async () => {
    await api.holding('user1', { purpose: 'analytics', system: 'crm', collectedAt: '2024-06-01T00:00:00Z' });
    const ref = await world.rt.refs.ref('user1');
    world.connectors.on('crm', () => {
      throw new ConnectorTransientError('dynamodb: UpdateItem failed: ThrottlingException');
    });
    // WHEN the sweep fails for it THEN the task fails with the name the state machine's Retry lists (issue 15, item 9)
    await expect(apply('analytics', [ref])).rejects.toMatchObject({ name: 'ConnectorTransientError' });
    // THEN it is still active and still in the due index, and a transient failure is not counted towards quarantine
    const [item] = world.ddb.items(ledgerTable('analytics'));
    expect(item).toMatchObject({ status: 'active', dueShard: dueShardOf(ref) });
    expect(item.failedSweeps).toBeUndefined();
    expect((await readAll('analytics')).batches.flat()).toEqual([ref]);
    // AND the next sweep erases it
    world.connectors.behaviours.delete('crm');
    expect(await apply('analytics', [ref])).toEqual({ subjects: 1, holdingsDone: 1, holdingsFailed: 0 });
    expect((await readAll('analytics')).batches.flat()).toEqual([]);
  });

  it('records what succeeded before it rethrows a transient failure: the others are done and audited, only the failed one stays due (issue 15, item 9)', async () => {
    // GIVEN user1 and user2 due; the connector does user1 and answers user2 as throttled
    for (const id of ['user1', 'user2'])
      await api.holding(id, { purpose: 'analytics', system: 'crm', collectedAt: '2024-06-01T00:00:00Z' });
    const [ref1, ref2] = await Promise.all(['user1', 'user2'].map((id) => world.rt.refs.ref(id)));
    world.connectors.on('crm', (invocation) => ({
      system: 'crm',
      subjects: invocation.subjects
        .filter((s) => s.subjectRef === ref1)
        .map((s) => ({ subjectRef: s.subjectRef, status: 'anonymised' as const, counts: { records: 1, fields: 2, objects: 0 } })),
      failed: [{ subjectRef: ref2, error: 'ThrottlingException', transient: true }],
    }));
    // WHEN the batch is applied THEN the task fails transiently, naming counts only
    const error = await apply('analytics', [ref1, ref2]).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'ConnectorTransientError' });
    expect((error as Error).message).not.toMatch(new RegExp(`${ref2}|user2`));
    // AND user1 is done and audited; user2 stays due
    const items = new Map(world.ddb.items(ledgerTable('analytics')).map((i) => [i.subjectRef as string, i]));
    expect(items.get(ref1)).toMatchObject({ status: 'done', outcome: 'anonymised' });
    expect(items.get(ref2)).toMatchObject({ status: 'active', dueShard: dueShardOf(ref2) });
    expect(world.s3.bodies(AUDIT_BUCKET).size).toBe(1);
    // AND the retry (the same sweep) sends only user2
    world.connectors.behaviours.delete('crm');
    expect(await apply('analytics', [ref1, ref2])).toEqual({ subjects: 2, holdingsDone: 1, holdingsFailed: 0 });
    expect(world.connectors.invocations.map((i) => i.subjects.map((s) => s.subjectRef))).toEqual([[ref1, ref2], [ref2]]);
  });

  describe('a subject that cannot be processed (issue 15, item 8)', () => {
    const badSubject = async () => {
      for (const id of ['user1', 'user2', 'user3'])
        await api.holding(id, { purpose: 'analytics', system: 'crm', collectedAt: '2024-06-01T00:00:00Z' });
      const refs = await Promise.all(['user1', 'user2', 'user3'].map((id) => world.rt.refs.ref(id)));
      // The connector refuses user2 for good (an unsafe locator, say), alone when it is sent alone
      world.connectors.on('crm', (invocation) => {
        const others = invocation.subjects.filter((s) => s.subjectRef !== refs[1]);
        if (others.length === 0) throw new ConnectorPermanentError('subjects[0]: the locator is not safe');
        return {
          system: 'crm',
          subjects: others.map((s) => ({
            subjectRef: s.subjectRef,
            status: 'anonymised' as const,
            counts: { records: 1, fields: 1, objects: 0 },
          })),
          ...(others.length < invocation.subjects.length
            ? { failed: [{ subjectRef: refs[1], error: 'ConnectorPermanentError', transient: false }] }
            : {}),
        };
      });
      return refs;
    };
    const item = (ref: string) => world.ddb.items(ledgerTable('analytics')).find((i) => i.subjectRef === ref)!;

    it('fails alone: its neighbours are done, it stays due, and the failed sweep is counted on its holding', async () => {
      const refs = await badSubject();
      const out = await applyAs('sweep-1', 'analytics', refs);
      expect(out).toEqual({ subjects: 3, holdingsDone: 2, holdingsFailed: 1 });
      expect(item(refs[0])).toMatchObject({ status: 'done' });
      expect(item(refs[2])).toMatchObject({ status: 'done' });
      expect(item(refs[1])).toMatchObject({ status: 'active', dueShard: dueShardOf(refs[1]), failedSweeps: 1, lastFailedSweep: 'sweep-1' });
    });

    it.each([
      ['by default, after 3 failed sweeps', {}, 3],
      ['as configured, after 2', { quarantineAfterFailedSweeps: 2 }, 2],
    ])(
      'is quarantined %s: out of the due index, visible in the ledger, counted in a metric; a retried batch counts once',
      async (_what, options, after) => {
        const refs = await badSubject();
        const bad = refs[1];
        // WHEN sweeps fail for it, the first one retried by the state machine (the same sweep id twice)
        await applyAs('sweep-1', 'analytics', refs, options);
        await applyAs('sweep-1', 'analytics', [bad], options);
        expect(item(bad)).toMatchObject({ failedSweeps: 1 });
        const outputs = [];
        for (let n = 2; n <= after; n++) outputs.push(await captureOutput(() => applyAs(`sweep-${n}`, 'analytics', [bad], options)));
        // THEN after the last one it is quarantined: no due keys, no TTL, and why, in the ledger
        const quarantined = item(bad);
        expect(quarantined).toMatchObject({
          status: 'active',
          failedSweeps: after,
          quarantined: { sweepId: `sweep-${after}`, failedSweeps: after, error: 'ConnectorPermanentError' },
        });
        for (const key of ['dueShard', 'dueAt', 'ttl']) expect(quarantined[key]).toBeUndefined();
        expect((await readAll('analytics')).batches.flat()).toEqual([]);
        // AND the sweep's output and metric say so (the metric an alarm watches)
        const last = outputs[outputs.length - 1];
        expect(last.result).toEqual({ subjects: 1, holdingsDone: 0, holdingsFailed: 1, holdingsQuarantined: 1 });
        const emf = last.output
          .split('\n')
          .filter((l) => l.includes('"HoldingsQuarantined"'))
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        expect(emf.map((m) => m.HoldingsQuarantined)).toEqual([1]);
        // AND before the last one, it was not quarantined
        for (const earlier of outputs.slice(0, -1)) expect(earlier.result).toEqual({ subjects: 1, holdingsDone: 0, holdingsFailed: 1 });
      },
    );

    it.each([
      [undefined, undefined],
      ['', undefined],
      ['2', 2],
      ['10', 10],
    ])('reads the configured number of failed sweeps from the environment: %j → %j', (value, expected) => {
      expect(quarantineAfterFromEnv(value === undefined ? {} : { LETHE_QUARANTINE_AFTER_FAILED_SWEEPS: value })).toBe(expected);
    });

    it.each(['0', '-1', '2.5', 'three'])('refuses %j as the number of failed sweeps, naming the variable', (value) => {
      expect(() => quarantineAfterFromEnv({ LETHE_QUARANTINE_AFTER_FAILED_SWEEPS: value })).toThrow(
        `LETHE_QUARANTINE_AFTER_FAILED_SWEEPS must be a whole number >= 1; got "${value}"`,
      );
    });

    it('is not quarantined by failures that are transient', async () => {
      await api.holding('user1', { purpose: 'analytics', system: 'crm', collectedAt: '2024-06-01T00:00:00Z' });
      const ref = await world.rt.refs.ref('user1');
      world.connectors.on('crm', () => {
        throw new ConnectorTransientError('dynamodb: UpdateItem failed: ThrottlingException');
      });
      for (let n = 1; n <= 4; n++)
        await expect(applyAs(`sweep-${n}`, 'analytics', [ref])).rejects.toMatchObject({ name: 'ConnectorTransientError' });
      expect(item(ref)).toMatchObject({ status: 'active', dueShard: dueShardOf(ref) });
      expect(item(ref).quarantined).toBeUndefined();
    });

    it('registering the holding again takes it out of quarantine', async () => {
      const refs = await badSubject();
      for (let n = 1; n <= 3; n++) await applyAs(`sweep-${n}`, 'analytics', [refs[1]]);
      expect(item(refs[1]).quarantined).toBeDefined();
      await api.holding('user2', { purpose: 'analytics', system: 'crm', collectedAt: '2024-06-01T00:00:00Z' });
      expect(item(refs[1])).toMatchObject({ status: 'active', dueShard: dueShardOf(refs[1]) });
      expect(item(refs[1]).quarantined).toBeUndefined();
      expect(item(refs[1]).failedSweeps).toBeUndefined();
    });
  });

  describe('the time budget (issue 15, item 10)', () => {
    it('stops before a connector call the remaining time cannot hold: its subjects stay due, reported as not done, not as failed', async () => {
      await api.holding('user1', { purpose: 'analytics', system: 'crm', collectedAt: '2024-06-01T00:00:00Z' });
      const ref = await world.rt.refs.ref('user1');
      // GIVEN 20 s left in the invocation: less than a connector call may take and the finishing after it
      const out = await applyAs('sweep-1', 'analytics', [ref], {}, 20_000);
      // THEN the connector was not called, the holding is due, nothing counted against it
      expect(out).toEqual({ subjects: 1, holdingsDone: 0, holdingsFailed: 0, subjectsNotDone: 1 });
      expect(world.connectors.invocations).toHaveLength(0);
      expect(world.ddb.items(ledgerTable('analytics'))[0]).toMatchObject({ status: 'active', dueShard: dueShardOf(ref) });
      expect(world.ddb.items(ledgerTable('analytics'))[0].failedSweeps).toBeUndefined();
      // AND with time enough, it is done
      expect(await applyAs('sweep-1', 'analytics', [ref], {}, 120_000)).toEqual({ subjects: 1, holdingsDone: 1, holdingsFailed: 0 });
    });

    it('refuses a startedAt that is no instant, naming it', async () => {
      await expect(applyAs('sweep-1', 'analytics', ['r'], {}, 120_000, { startedAt: 'yesterday' })).rejects.toMatchObject({
        name: 'InputError',
        path: 'startedAt',
      });
    });

    it("counts the Express child's 5 minutes too: a retry late in the child gets only what is left of them", async () => {
      await api.holding('user1', { purpose: 'analytics', system: 'crm', collectedAt: '2024-06-01T00:00:00Z' });
      const ref = await world.rt.refs.ref('user1');
      // GIVEN the function has 120 s, but its Express execution started 4 min 45 s ago
      const startedAt = new Date(Date.now() - 285_000).toISOString();
      const out = await applyAs('sweep-1', 'analytics', [ref], {}, 120_000, { startedAt });
      expect(out).toEqual({ subjects: 1, holdingsDone: 0, holdingsFailed: 0, subjectsNotDone: 1 });
      expect(world.connectors.invocations).toHaveLength(0);
    });
  });

  it('completes a run that stopped after the connector and the audit: no second connector call, the same outcome', async () => {
    // GIVEN user1's analytics data in crm is due, and the run will stop right after its audit record (the
    // holding's finish fails, as when the process is killed there)
    await api.holding('user1', { purpose: 'analytics', system: 'crm', collectedAt: '2024-06-01T00:00:00Z' });
    const ref = await world.rt.refs.ref('user1');
    let stop = true;
    world.ddb.beforeWrite = (call) => {
      const update = String((call.input as { UpdateExpression?: string }).UpdateExpression ?? '');
      if (stop && call.table === ledgerTable('analytics') && update.includes('#status = :done')) {
        stop = false;
        throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      }
    };
    // WHEN the sweep applies it: the connector erases, the outcome is recorded, the audit written, the finish fails
    await expect(apply('analytics', [ref])).rejects.toMatchObject({ name: 'RuntimeTransientError' }); // retried by the state machine
    expect(world.connectors.invocations).toHaveLength(1);
    const [stopped] = world.ddb.items(ledgerTable('analytics'));
    expect(stopped).toMatchObject({ status: 'active', dueShard: dueShardOf(ref), applied: { outcome: 'erased', by: 'sweep:sweep-1' } });
    // AND the next sweep applies it again
    expect(await apply('analytics', [ref])).toEqual({ subjects: 1, holdingsDone: 1, holdingsFailed: 0 });
    // THEN the connector was not called again; the holding is done with the recorded outcome; the audit has the
    // same outcome twice (the record the stopped run wrote, and this run's), never another one
    expect(world.connectors.invocations).toHaveLength(1);
    const [item] = world.ddb.items(ledgerTable('analytics'));
    expect(item).toMatchObject({ status: 'done', outcome: 'erased' });
    expect(item.applied).toBeUndefined();
    const outcomes = [...world.s3.bodies(AUDIT_BUCKET).values()].map((b) => (JSON.parse(b) as { outcome: string }).outcome);
    expect(outcomes).toEqual(['erased', 'erased']);
  });

  it('calls the connector again when the run stopped before the outcome was recorded', async () => {
    // GIVEN a run that stops right after the connector call (recording the outcome fails)
    await api.holding('user1', { purpose: 'analytics', system: 'crm', collectedAt: '2024-06-01T00:00:00Z' });
    const ref = await world.rt.refs.ref('user1');
    let stop = true;
    world.ddb.beforeWrite = (call) => {
      const update = String((call.input as { UpdateExpression?: string }).UpdateExpression ?? '');
      if (stop && update.includes('#applied = :applied')) {
        stop = false;
        throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      }
    };
    await expect(apply('analytics', [ref])).rejects.toMatchObject({ name: 'RuntimeTransientError' }); // retried by the state machine
    // THEN nothing was audited, the holding is due without an outcome, and the next sweep calls the connector again
    expect(world.s3.bodies(AUDIT_BUCKET).size).toBe(0);
    expect(world.ddb.items(ledgerTable('analytics'))[0].applied).toBeUndefined();
    expect(await apply('analytics', [ref])).toEqual({ subjects: 1, holdingsDone: 1, holdingsFailed: 0 });
    expect(world.connectors.invocations).toHaveLength(2);
    expect(world.s3.bodies(AUDIT_BUCKET).size).toBe(1);
  });

  it('reschedules a holding found due whose expiry moved', async () => {
    // GIVEN a customer holding due 3 months after account-closed; then a later account-closed moves it
    await api.holding('user1', { purpose: 'customer', system: 'crm', collectedAt: '2024-01-01T00:00:00Z' });
    // (reported once it happened: the API refuses an event from the future)
    world.clock.now = Temporal.Instant.from('2025-06-01T12:00:00Z');
    await api.event('user1', { type: 'account-closed', at: '2025-06-01T00:00:00Z' });
    const ref = await world.rt.refs.ref('user1');
    const dueAt = Date.parse('2025-09-01T00:00:00Z');
    expect(world.ddb.items(ledgerTable('customer'))[0].dueAt).toBe(dueAt);
    // An event added behind the ledger's back (as if the reschedule had been lost): closed again at a later date
    world.ddb.seed('lethe-events', {
      subjectRef: ref,
      eventKey: '2026-02-01T00:00:00.000Z#account-closed#x',
      type: 'account-closed',
      at: '2026-02-01T00:00:00.000Z',
      eventId: 'x',
      recordedAt: 'now',
    });
    // WHEN the sweep applies at NOW (after the old due date, before the new expiry)
    expect(await apply('customer', [ref])).toEqual({ subjects: 1, holdingsDone: 0, holdingsFailed: 0 });
    // THEN nothing was erased and the holding is due at its new expiry
    expect(world.connectors.invocations).toHaveLength(0);
    expect(world.ddb.items(ledgerTable('customer'))[0]).toMatchObject({ status: 'active', dueAt: Date.parse('2026-05-01T01:00:00+02:00') });
  });

  it('logs no subject id or locator', async () => {
    await api.holding('user1', {
      purpose: 'analytics',
      system: 'crm',
      collectedAt: '2024-06-01T00:00:00Z',
      locator: { customerId: 'C-4711' },
    });
    const ref = await world.rt.refs.ref('user1');
    world.connectors.on('crm', () => {
      throw new Error('could not find user1 with customerId C-4711');
    });
    const { output } = await captureOutput(() => apply('analytics', [ref]));
    expect(output).toContain('connector failed');
    expect(output).not.toMatch(/user1|C-4711/);
  });
});
