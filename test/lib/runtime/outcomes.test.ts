/**
 * Outcomes say what happened. When shared data protects every field of a system (other purposes still need the
 * record and every field of it), no connector runs and nothing changes there: the request, the ledger and the
 * audit say `kept-shared` with zero counts, never `fields-removed` (which says fields were removed).
 */
import { Temporal } from '@js-temporal/polyfill';
import { recordsOf } from '../../../lib/audit/record';
import type { ErasureSystemOutput } from '../../../lib/core/contract';
import { finishErasure, eraseInSystem, planErasure } from '../../../lib/runtime/erasure';
import { applyExpiry } from '../../../lib/runtime/expiry';
import { apiClient, verification } from '../../lambdas/helpers';
import { AUDIT_BUCKET, createWorld, ledgerTable, type TestWorld } from './support/runtime';

let world: TestWorld;
let api: ReturnType<typeof apiClient>;
beforeEach(() => {
  world = createWorld({ now: '2025-03-01T10:00:00Z' });
  api = apiClient(world);
});
afterEach(() => world.restore());

const SUBJECT = 'user1';
const ZERO = { records: 0, fields: 0, objects: 0 };
const auditRecords = () => [...world.s3.bodies(AUDIT_BUCKET, 'audit/').values()].flatMap((b) => recordsOf(b));

/** crm holds the subject for customer, marketing and analytics: marketing's contact fields are all shared. */
async function registerCrmCustomer(): Promise<void> {
  const at = '2025-01-10T12:00:00+01:00';
  for (const purpose of ['customer', 'marketing', 'analytics']) {
    expect((await api.holding(SUBJECT, { purpose, system: 'crm', collectedAt: at, locator: { customerId: 'C-1' } })).status).toBe(201);
  }
}

it('an erasure request scoped to marketing: crm is kept-shared, with zero counts, in the answer, the ledger and the audit', async () => {
  // GIVEN the crm customer, and a request to erase marketing only
  await registerCrmCustomer();
  const answer = await api.postRequest({ subjectId: SUBJECT, scope: ['marketing'], verification }, { 'Idempotency-Key': 'k-1' });
  const requestId = answer.body.requestId as string;
  // WHEN the workflow runs
  const planned = await planErasure(world.rt, requestId);
  const results: ErasureSystemOutput[] = [];
  for (const { system } of planned.systems) results.push(await eraseInSystem(world.rt, requestId, system));
  await finishErasure(world.rt, { requestId, results });
  // THEN no connector ran, and every record of it says kept-shared
  expect(world.connectors.invocations).toHaveLength(0);
  expect(results).toEqual([{ system: 'crm', status: 'kept-shared', counts: ZERO }]);
  const view = await api.getRequest(requestId);
  expect(view.body.systems).toEqual([{ system: 'crm', status: 'kept-shared' }]);
  expect(auditRecords().map((r) => ({ system: r.system, outcome: r.outcome, counts: r.counts, purposes: r.purposes }))).toEqual([
    { system: 'crm', outcome: 'kept-shared', counts: ZERO, purposes: ['marketing'] },
  ]);
  const marketing = world.ddb.items(ledgerTable('marketing'));
  expect(marketing.map((h) => ({ status: h.status, outcome: h.outcome }))).toEqual([{ status: 'done', outcome: 'kept-shared' }]);
});

it('a sweep after unsubscribing: crm is kept-shared, with zero counts, in the ledger and the audit', async () => {
  // GIVEN the crm customer, who unsubscribed
  await registerCrmCustomer();
  expect((await api.event(SUBJECT, { type: 'unsubscribed', at: '2025-02-01T10:00:00+01:00' })).status).toBe(201);
  // WHEN the sweep applies expiry
  const ref = await world.rt.refs.ref(SUBJECT);
  const report = await applyExpiry(world.rt, [{ subjectRef: ref }], Temporal.Instant.from('2025-03-01T12:00:00Z'), {
    kind: 'sweep',
    sweepId: 's-1',
  });
  // THEN marketing's holding is done as kept-shared, no connector ran, and the audit says so
  expect(report).toMatchObject({ holdingsDone: 1, holdingsFailed: 0 });
  expect(world.connectors.invocations).toHaveLength(0);
  expect(auditRecords().map((r) => ({ system: r.system, outcome: r.outcome, counts: r.counts, purposes: r.purposes }))).toEqual([
    { system: 'crm', outcome: 'kept-shared', counts: ZERO, purposes: ['marketing'] },
  ]);
  const marketing = world.ddb.items(ledgerTable('marketing'));
  expect(marketing.map((h) => ({ status: h.status, outcome: h.outcome }))).toEqual([{ status: 'done', outcome: 'kept-shared' }]);
});
