/**
 * The ledger repository: registration keeps the latest collection and never revives a finished holding with
 * an older one; finishing removes the due keys and the sealed locator; an applied outcome is recorded on the holding
 * as planned only.
 */
import { Temporal } from '@js-temporal/polyfill';
import { createHmac } from 'node:crypto';
import { eventList } from '../../../lib/runtime/event-store';
import { dueShardOf, fromStored, parkedShardOf } from '../../../lib/runtime/ledger';
import { LEDGER } from '../../../lib/core/contract';
import { createWorld, ledgerTable, type TestWorld } from './support/runtime';

let world: TestWorld;
beforeEach(() => (world = createWorld({ now: '2025-03-01T10:00:00Z' })));
afterEach(() => world.restore());

const at = (iso: string) => Temporal.Instant.from(iso);
const register = (collectedAt: string) =>
  world.rt.ledger.register(
    { subjectRef: 'ref-1', purpose: 'analytics', system: 'crm', collectedAt: at(collectedAt), sealed: `sealed-${collectedAt}` },
    eventList([], 0),
    world.clock.now,
  );
const stored = () => world.ddb.item(ledgerTable('analytics'), { subjectRef: 'ref-1', system: 'crm' })!;

it('keeps the later collection when registrations arrive out of order', async () => {
  expect((await register('2025-02-01T00:00:00Z')).written).toBe(true);
  expect((await register('2025-01-01T00:00:00Z')).written).toBe(false);
  expect(stored()).toMatchObject({ collectedAt: '2025-02-01T00:00:00.000Z', sealed: 'sealed-2025-02-01T00:00:00Z' });
  expect((await register('2025-02-15T00:00:00Z')).written).toBe(true);
  expect(stored().collectedAt).toBe('2025-02-15T00:00:00.000Z');
});

it('finishes a holding: done, outcome, no due keys, no locator, TTL for clean-up', async () => {
  await register('2024-01-01T00:00:00Z');
  const holding = stored() as never;
  expect(await world.rt.ledger.finish(holding, 'anonymised', 'sweep:s1', world.clock.now)).toBe(true);
  const item = stored();
  expect(item).toMatchObject({ status: 'done', outcome: 'anonymised', finishedBy: 'sweep:s1' });
  for (const key of ['dueAt', 'dueShard', 'sealed']) expect(item[key]).toBeUndefined();
  // Finishing again changes nothing.
  expect(await world.rt.ledger.finish(holding, 'erased', 'sweep:s2', world.clock.now)).toBe(false);
  expect(stored().finishedBy).toBe('sweep:s1');
});

it('does not revive a finished holding with a collection from before it finished, but a new one is a new holding', async () => {
  await register('2024-01-01T00:00:00Z');
  await world.rt.ledger.finish(stored() as never, 'erased', 'request:r1', world.clock.now);
  expect((await register('2024-06-01T00:00:00Z')).written).toBe(false);
  expect(stored().status).toBe('done');
  expect((await register('2025-03-01T12:00:00Z')).written).toBe(true);
  expect(stored()).toMatchObject({ status: 'active', collectedAt: '2025-03-01T12:00:00.000Z' });
});

it('does not finish a holding that was collected again after it was planned', async () => {
  await register('2024-01-01T00:00:00Z');
  const planned = stored() as never;
  await register('2025-02-01T00:00:00Z');
  expect(await world.rt.ledger.finish(planned, 'erased', 'request:r1', world.clock.now)).toBe(false);
  expect(stored().status).toBe('active');
});

it('records an applied outcome on the active holding as planned only; finishing removes it; a new collection drops it', async () => {
  await register('2024-01-01T00:00:00Z');
  const planned = stored() as never;
  const applied = { outcome: 'erased' as const, counts: { records: 1, fields: 0, objects: 0 }, by: 'sweep:s1', atMs: 1 };
  expect(await world.rt.ledger.recordApplied(planned, applied)).toBe(true);
  expect(stored()).toMatchObject({ status: 'active', applied });
  // A collection after the plan is a new holding: the outcome of the old one does not apply to it.
  await register('2025-02-01T00:00:00Z');
  expect(stored().applied).toBeUndefined();
  expect(await world.rt.ledger.recordApplied(planned, applied)).toBe(false);
  const current = stored() as never;
  expect(await world.rt.ledger.recordApplied(current, applied)).toBe(true);
  expect(await world.rt.ledger.finish(current, 'erased', 'sweep:s1', world.clock.now)).toBe(true);
  expect(stored().applied).toBeUndefined();
  expect(await world.rt.ledger.recordApplied(current, applied)).toBe(false);
});

it('never replaces an expiry computed from a later read of the events with one from an earlier read', async () => {
  // GIVEN a customer holding (waiting for account-closed) whose expiry was computed with the event, at counter 2
  const closed = { type: 'account-closed', at: at('2025-02-10T08:00:00Z') };
  const holding = { subjectRef: 'ref-1', purpose: 'customer', system: 'crm', collectedAt: at('2025-01-01T00:00:00Z'), sealed: 's' };
  await world.rt.ledger.register(holding, eventList([], 1), world.clock.now);
  const record = world.ddb.item(ledgerTable('customer'), { subjectRef: 'ref-1', system: 'crm' }) as never;
  expect((await world.rt.ledger.reschedule(record, eventList([closed], 2))).updated).toBe(true);
  // WHEN a computation from the earlier read (counter 1, no event) lands after it
  const late = await world.rt.ledger.reschedule(record, eventList([], 1));
  // THEN it is refused, and the expiry with the event stays; the same counter again is accepted
  expect(late.updated).toBe(false);
  const item = () => world.ddb.item(ledgerTable('customer'), { subjectRef: 'ref-1', system: 'crm' })!;
  expect(item()).toMatchObject({ eventsSeq: 2, expiresAt: '2025-05-10T09:00:00+02:00' });
  expect((await world.rt.ledger.reschedule(record, eventList([closed], 2))).updated).toBe(true);
});

describe('the parked index key (parkedShard), written with the due keys', () => {
  const item = () => world.ddb.item(ledgerTable('customer'), { subjectRef: 'ref-1', system: 'crm' })!;
  const holding = { subjectRef: 'ref-1', purpose: 'customer', system: 'crm', collectedAt: at('2025-01-01T00:00:00Z'), sealed: 's' };

  it('is waiting while the clock waits for an event, and goes when the event schedules it', async () => {
    // GIVEN a customer holding (waiting for account-closed)
    await world.rt.ledger.register(holding, eventList([], 0), world.clock.now);
    // THEN it is parked as waiting, in its subject's shard, and out of the due index
    expect(item()).toMatchObject({ parkedShard: parkedShardOf('waiting', 'ref-1') });
    expect(parkedShardOf('waiting', 'ref-1')).toMatch(/^waiting#0[0-3]$/);
    expect(item()).not.toHaveProperty('dueAt');
    // WHEN the event comes THEN it is due, and no longer parked
    await world.rt.ledger.reschedule(item() as never, eventList([{ type: 'account-closed', at: at('2025-02-10T08:00:00Z') }], 1));
    expect(item()).toHaveProperty('dueAt');
    expect(item()).not.toHaveProperty('parkedShard');
  });

  it.each([
    { name: 'nothing found', result: { done: false, nothingFound: { by: 'ttl:t1' } } as const, parked: 'nothing-found' as const },
    { name: 'done', result: { done: true, outcome: 'erased', finishedBy: 'ttl:t1' } as const, parked: undefined },
    { name: 'failed (put back due)', result: { done: false } as const, parked: undefined },
  ])('a holding TTL removed and put back as $name is parked as $parked', async ({ result, parked }) => {
    // GIVEN a due holding that TTL removed
    await world.rt.ledger.register(holding, eventList([{ type: 'account-closed', at: at('2025-02-10T08:00:00Z') }], 1), world.clock.now);
    const removed = fromStored(item(), 'customer');
    world.ddb.remove(ledgerTable('customer'), { subjectRef: 'ref-1', system: 'crm' });
    // WHEN it is put back
    expect(await world.rt.ledger.putBack(removed, result, world.clock.now)).toBe(true);
    // THEN parked as the outcome says, and never both parked and due
    expect(item().parkedShard).toBe(parked === undefined ? undefined : parkedShardOf(parked, 'ref-1'));
    expect(item().parkedShard !== undefined && item().dueAt !== undefined).toBe(false);
  });
});

describe('dueShardOf', () => {
  it('is two digits within the shard count, stable, and spreads subjects', () => {
    const shards = Array.from({ length: 1000 }, (_, i) => dueShardOf(createHmac('sha256', 'k').update(`user${i}`).digest('hex')));
    expect(shards.every((s) => /^\d{2}$/.test(s) && Number(s) < LEDGER.dueShards)).toBe(true);
    expect(new Set(shards).size).toBe(LEDGER.dueShards);
    expect(dueShardOf('abc')).toBe(dueShardOf('abc'));
  });
});
