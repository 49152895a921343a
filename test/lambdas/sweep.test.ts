/**
 * The sweep's tasks (sweep-read, sweep-apply) on fakes: the due index is queried shard by shard and never
 * scanned; subjects are batched; expiry applies `onExpiry` with the shared-data rule; a failed erasure leaves
 * its holding due for the next sweep; a holding due but no longer expired is rescheduled.
 */
import { LEDGER, type SweepReadOutput } from '../../lib/runtime/contract';
import { dueShardOf } from '../../lib/runtime/ledger';
import { makeHandler as makeApply } from '../../lambdas/sweep-apply';
import { makeHandler as makeRead } from '../../lambdas/sweep-read';
import { ConnectorTransientError } from '../../lib/connectors/errors';
import { AUDIT_BUCKET, captureOutput, createWorld, lambdaContext, ledgerTable, type TestWorld } from '../lib/runtime/support/runtime';
import { apiClient } from './helpers';

let world: TestWorld;
let api: ReturnType<typeof apiClient>;
const context = lambdaContext('lethe-sweep') as never;
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

  it('skips empty shards within one task and ends without a cursor', async () => {
    const page = await read({ purpose: 'analytics' });
    expect(page).toEqual({ purpose: 'analytics', sweepId: 'sweep-1', now: NOW, batches: [], itemsRead: 0 });
    expect(world.ddb.callsOf('Query')).toHaveLength(LEDGER.dueShards);
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

  it('leaves a holding whose erasure failed due, and the next sweep retries it', async () => {
    await api.holding('user1', { purpose: 'analytics', system: 'crm', collectedAt: '2024-06-01T00:00:00Z' });
    const ref = await world.rt.refs.ref('user1');
    world.connectors.on('crm', () => {
      throw new ConnectorTransientError('dynamodb: UpdateItem failed: ThrottlingException');
    });
    // WHEN the sweep fails for it
    expect(await apply('analytics', [ref])).toEqual({ subjects: 1, holdingsDone: 0, holdingsFailed: 1 });
    // THEN it is still active and still in the due index
    const [item] = world.ddb.items(ledgerTable('analytics'));
    expect(item).toMatchObject({ status: 'active', dueShard: dueShardOf(ref) });
    expect((await readAll('analytics')).batches.flat()).toEqual([ref]);
    // AND the next sweep erases it
    world.connectors.behaviours.delete('crm');
    expect(await apply('analytics', [ref])).toEqual({ subjects: 1, holdingsDone: 1, holdingsFailed: 0 });
    expect((await readAll('analytics')).batches.flat()).toEqual([]);
  });

  it('completes a run that stopped after the connector and the audit: no second connector call, the same outcome', async () => {
    // GIVEN user1's analytics data in crm is due, and the run will stop right after its audit record (the
    // holding's finish fails, as when the process is killed there)
    await api.holding('user1', { purpose: 'analytics', system: 'crm', collectedAt: '2024-06-01T00:00:00Z' });
    const ref = await world.rt.refs.ref('user1');
    let stop = true;
    world.ddb.beforeWrite = (call) => {
      const update = String((call.input as { UpdateExpression?: unknown }).UpdateExpression ?? '');
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
      const update = String((call.input as { UpdateExpression?: unknown }).UpdateExpression ?? '');
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
