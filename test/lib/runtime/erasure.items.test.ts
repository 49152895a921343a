/**
 * Erasure and expiry per record (spec 2.2, 2.7; issue 14 item 3): the plan has one entry per record (the subject's
 * main record in a system, or one item's), each connector call gets that record's locator only, and deleting order
 * O-1 never touches order O-10, the customer's main record, or another subject's data (byte for byte). Raw refs go
 * to the connector and to the caller's answer only; the plan, the workflow payloads and the audit carry HMACs.
 */
import { Temporal } from '@js-temporal/polyfill';
import { makeHandler as makeSystem } from '../../../lambdas/erasure-system';
import { recordsOf } from '../../../lib/audit/record';
import { ConnectorPermanentError } from '../../../lib/connectors/errors';
import type { ErasureSystemOutput } from '../../../lib/core/contract';
import { LEDGER } from '../../../lib/core/contract';
import { eraseInSystem, finishErasure, planErasure } from '../../../lib/runtime/erasure';
import { applyExpiry } from '../../../lib/runtime/expiry';
import { apiClient, verification } from '../../lambdas/helpers';
import { appData, COLLECTED, itemsWorld } from './support/items';
import { AUDIT_BUCKET, lambdaContext, ledgerTable, type TestWorld } from './support/runtime';

let world: TestWorld;
let api: ReturnType<typeof apiClient>;
beforeEach(() => {
  world = itemsWorld();
  api = apiClient(world);
});
afterEach(() => world.restore());

const mainRecord = (subjectId: string, customerId: string) =>
  api.holding(subjectId, { purpose: 'customer', system: 'crm', collectedAt: COLLECTED, locator: { customerId } });
const orderHolding = (subjectId: string, ref: string) =>
  api.holding(subjectId, { purpose: 'order', system: 'orders', ref, collectedAt: COLLECTED, locator: { orderId: ref } });

/** user1: C-1 with orders O-1 and O-10; user10, the bystander: C-10 with order O-2. */
async function registerAll(): Promise<void> {
  for (const answer of [
    await mainRecord('user1', 'C-1'),
    await orderHolding('user1', 'O-1'),
    await orderHolding('user1', 'O-10'),
    await mainRecord('user10', 'C-10'),
    await orderHolding('user10', 'O-2'),
  ])
    expect({ status: answer.status, error: answer.body.error }).toEqual({ status: 201, error: undefined });
}

const audits = () => [...world.s3.bodies(AUDIT_BUCKET, 'audit/').values()].flatMap((body) => recordsOf(body));

describe('an erasure request over a subject with item records', () => {
  it('plans one record per item, erases each by its own locator, and leaves the other subject byte-for-byte unchanged', async () => {
    // GIVEN user1's main record and two orders, and user10's
    await registerAll();
    const before = appData(world);
    const requestId = (await api.postRequest({ subjectId: 'user1', verification })).body.requestId as string;

    // WHEN the workflow plans and runs every record
    const planned = await planErasure(world.rt, requestId);
    // THEN the plan has the main record and one record per order, keyed by HMAC, never by the raw ref
    expect(planned.systems.map((s) => s.system)).toEqual(['crm', 'orders', 'orders']);
    expect(planned.systems[0].record).toBe('crm');
    for (const s of planned.systems.slice(1)) expect(s.record).toMatch(/^orders#item#[0-9a-f]{64}$/);
    expect(JSON.stringify(planned)).not.toMatch(/O-1/);
    const results = [];
    for (const { system, record } of planned.systems) results.push(await eraseInSystem(world.rt, requestId, system, record));
    expect(results.map((r) => r.status)).toEqual(['erased', 'erased', 'erased']);
    expect((await finishErasure(world.rt, { requestId, results })).status).toBe('completed');

    // THEN each orders call named one item: its locator and ref, and nothing of the subject's main record
    const calls = world.connectors.forSystem('orders').flatMap((i) => i.subjects);
    expect(calls.map((s) => [s.ref, s.locator]).sort()).toEqual([
      ['O-1', { orderId: 'O-1' }],
      ['O-10', { orderId: 'O-10' }],
    ]);
    for (const s of calls) expect(s.identifiers).toEqual({});
    // AND user1's data is gone; user10's customer record and order are byte-for-byte what they were
    const after = appData(world);
    expect(Object.keys(after).sort()).toEqual(['C-10', 'O-2']);
    expect(after['C-10']).toBe(before['C-10']);
    expect(after['O-2']).toBe(before['O-2']);
    // AND every holding of user1 is done in the ledger; user10's are active
    const user1 = await world.rt.ledger.holdingsOf(await world.rt.refs.ref('user1'));
    expect(user1.map((h) => h.status)).toEqual(['done', 'done', 'done']);
    const user10 = await world.rt.ledger.holdingsOf(await world.rt.refs.ref('user10'));
    expect(user10.map((h) => h.status)).toEqual(['active', 'active']);
    // AND the audit has one record per record, the items named by an HMAC, never by their ref
    const records = audits();
    expect(records.map((r) => r.system).sort()).toEqual(['crm', 'orders', 'orders']);
    const items = records.filter((r) => r.system === 'orders').map((r) => r.item);
    for (const item of items) expect(item).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(items).size).toBe(2);
    expect(records.find((r) => r.system === 'crm')?.item).toBeUndefined();
    expect(JSON.stringify(records)).not.toMatch(/O-1/);
    // AND once completed the answer keeps no raw ref: the items are named by their HMAC
    const done = (await api.getRequest(requestId)).body;
    expect(JSON.stringify(done)).not.toMatch(/O-1/);
    expect((done.systems as { item?: string }[]).filter((s) => s.item !== undefined)).toHaveLength(2);
  });

  it('answers each item by its ref while the request is open', async () => {
    await registerAll();
    const requestId = (await api.postRequest({ subjectId: 'user1', verification })).body.requestId as string;
    await planErasure(world.rt, requestId);
    const open = (await api.getRequest(requestId)).body;
    const shown = (open.systems as { system: string; ref?: string; status: string }[]).map(
      (s) => `${s.system}:${s.ref ?? '-'}:${s.status}`,
    );
    expect(shown.sort()).toEqual(['crm:-:pending', 'orders:O-1:pending', 'orders:O-10:pending'].sort());
  });

  it('erases a holding stored before items existed (no itemRef, no systemId) as before', async () => {
    // GIVEN user1's customer holding as an older Lethe wrote it: the sort key the system id, no item attributes
    await mainRecord('user1', 'C-1');
    const [stored] = world.ddb.items(ledgerTable('customer'));
    expect(stored[LEDGER.sortKey]).toBe('crm');
    expect(stored[LEDGER.itemSystemAttribute]).toBeUndefined();
    expect(stored[LEDGER.itemRefAttribute]).toBeUndefined();
    // WHEN it is read and erased
    const [holding] = await world.rt.ledger.holdingsOf(await world.rt.refs.ref('user1'));
    expect(holding).toMatchObject({ system: 'crm', purpose: 'customer', status: 'active' });
    expect(holding.itemRef).toBeUndefined();
    const requestId = (await api.postRequest({ subjectId: 'user1', verification })).body.requestId as string;
    const planned = await planErasure(world.rt, requestId);
    expect(planned.systems).toEqual([{ system: 'crm', record: 'crm' }]);
    const results = [await eraseInSystem(world.rt, requestId, 'crm')];
    expect((await finishErasure(world.rt, { requestId, results })).status).toBe('completed');
    // THEN C-1 went, and every order is still there
    expect(Object.keys(appData(world)).sort()).toEqual(['C-10', 'O-1', 'O-10', 'O-2']);
  });
});

describe('a failed item record', () => {
  it('is named by its record key in failedSystems, and the per-system function run with that key retries that item alone', async () => {
    // GIVEN user1's main record and orders O-1 and O-10, and an orders connector that fails permanently on O-1
    await registerAll();
    const before = appData(world);
    const requestId = (await api.postRequest({ subjectId: 'user1', verification })).body.requestId as string;
    const planned = await planErasure(world.rt, requestId);
    const orders = world.connectors.behaviours.get('orders')!;
    world.connectors.on('orders', (invocation) => {
      if (invocation.subjects[0].ref === 'O-1') throw new ConnectorPermanentError('refused');
      return orders(invocation);
    });
    const results: ErasureSystemOutput[] = [];
    for (const { system, record } of planned.systems) {
      try {
        results.push(await eraseInSystem(world.rt, requestId, system, record));
      } catch (error) {
        results.push({ system, record, status: 'failed', error: (error as Error).name });
      }
    }
    // WHEN the finish task sets the final status
    const finished = await finishErasure(world.rt, { requestId, results });
    // THEN the request failed naming O-1's record by its key (an HMAC), and only O-1 is still there of user1's data
    expect(finished.status).toBe('failed');
    const o1 = planned.systems.find((s) => s.record !== 'crm' && results.find((r) => r.record === s.record)?.status === 'failed')!;
    expect(finished.failedSystems).toEqual([o1.record]);
    expect(Object.keys(appData(world)).sort()).toEqual(['C-10', 'O-1', 'O-2']);
    // WHEN the connector works again and the retry Map runs the per-system function with {system: <record key>}
    world.connectors.on('orders', orders);
    const retried = await makeSystem(() => world.rt)({ requestId, system: o1.record }, lambdaContext('lethe-erasure'));
    // THEN O-1 alone is erased, and the bystanders are byte-for-byte unchanged
    expect(retried).toMatchObject({ system: 'orders', record: o1.record, status: 'erased' });
    const after = appData(world);
    expect(Object.keys(after).sort()).toEqual(['C-10', 'O-2']);
    expect([after['C-10'], after['O-2']]).toEqual([before['C-10'], before['O-2']]);
    expect((await finishErasure(world.rt, { requestId, results: [] })).status).toBe('completed');
  });
});

describe('expiry per item (the sweep)', () => {
  const sweep = async (at: string, ...subjectIds: string[]) =>
    applyExpiry(
      world.rt,
      await Promise.all(subjectIds.map(async (id) => ({ subjectRef: await world.rt.refs.ref(id) }))),
      Temporal.Instant.from(at),
      { kind: 'sweep', sweepId: 's-1' },
    );

  it("expires O-1 alone when its clock runs out: O-10 and the customer's main record are byte-for-byte unchanged", async () => {
    // GIVEN user1's main record and orders O-1 and O-10, of which only O-1 was completed
    await registerAll();
    await api.event('user1', { type: 'order-completed', at: '2025-02-01T12:00:00+01:00', ref: 'O-1' });
    const before = appData(world);
    // WHEN the sweep runs after O-1's three years
    const report = await sweep('2028-03-01T00:00:00Z', 'user1', 'user10');
    // THEN O-1 alone is deleted
    expect(report).toMatchObject({ holdingsDone: 1, holdingsFailed: 0 });
    const after = appData(world);
    expect(Object.keys(after).sort()).toEqual(['C-1', 'C-10', 'O-10', 'O-2']);
    for (const id of ['C-1', 'C-10', 'O-10', 'O-2']) expect(after[id]).toBe(before[id]);
    // AND the connector was called for that item only, with its locator and ref
    expect(world.connectors.forSystem('orders').flatMap((i) => i.subjects.map((s) => [s.ref, s.locator]))).toEqual([
      ['O-1', { orderId: 'O-1' }],
    ]);
    expect(world.connectors.forSystem('crm')).toEqual([]);
    // AND in the ledger O-1 is done, O-10 active
    const subjectRef = await world.rt.refs.ref('user1');
    const o1 = await world.rt.refs.itemRef(subjectRef, 'O-1');
    const orders = (await world.rt.ledger.holdingsOf(subjectRef)).filter((h) => h.system === 'orders');
    expect(orders.map((h) => [h.itemRef === o1, h.status]).sort()).toEqual([
      [false, 'active'],
      [true, 'done'],
    ]);
    // AND the audit names the item by an HMAC
    const [record] = audits();
    expect(record).toMatchObject({ kind: 'sweep', system: 'orders', outcome: 'erased' });
    expect(record.item).toMatch(/^[0-9a-f]{64}$/);
  });

  it('expires two items of one subject due together, each in its own connector call', async () => {
    await registerAll();
    await api.event('user1', { type: 'order-completed', at: '2025-02-01T12:00:00+01:00', ref: 'O-1' });
    await api.event('user1', { type: 'order-completed', at: '2025-02-02T12:00:00+01:00', ref: 'O-10' });
    const before = appData(world);
    const report = await sweep('2028-03-01T00:00:00Z', 'user1', 'user10');
    expect(report).toMatchObject({ holdingsDone: 2, holdingsFailed: 0 });
    const invocations = world.connectors.forSystem('orders');
    // one subject appears once per call (outcomes are answered by subjectRef): one call per item, with distinct ids
    expect(invocations.map((i) => i.subjects.map((s) => s.ref)).sort()).toEqual([['O-1'], ['O-10']]);
    expect(new Set(invocations.map((i) => i.operationId)).size).toBe(2);
    const after = appData(world);
    expect(Object.keys(after).sort()).toEqual(['C-1', 'C-10', 'O-2']);
    for (const id of ['C-1', 'C-10', 'O-2']) expect(after[id]).toBe(before[id]);
  });
});
