/**
 * The erasure workflow's tasks (erasure-plan, erasure-system, erasure-finish) run in the order the state
 * machine runs them, on fakes. Covers the plan (shared data, retention, scope), the per-system connector call,
 * the ledger and the audit; and that a retry, a redrive and a re-submission never act twice.
 */
import { s3Source, verifyChain } from '../../lib/audit/verify';
import { recordsOf } from '../../lib/audit/record';
import { ConnectorPermanentError, ConnectorTransientError } from '../../lib/connectors/errors';
import { RequestNotFoundError } from '../../lib/runtime/errors';
import type { ErasureSystemOutput } from '../../lib/core/contract';
import { makeHandler as makeFinish } from '../../lambdas/erasure-finish';
import { makeHandler as makePlan } from '../../lambdas/erasure-plan';
import { makeHandler as makeSystem } from '../../lambdas/erasure-system';
import { answerAll } from '../lib/runtime/support/aws';
import {
  AUDIT_BUCKET,
  captureOutput,
  createWorld,
  lambdaContext,
  ledgerTable,
  TABLES,
  type TestWorld,
} from '../lib/runtime/support/runtime';
import { S3Client } from '@aws-sdk/client-s3';
import { apiClient, verification } from './helpers';

let world: TestWorld;
let api: ReturnType<typeof apiClient>;
const context = lambdaContext('lethe-erasure') as never;

beforeEach(() => {
  world = createWorld({ now: '2025-03-01T10:00:00Z' });
  api = apiClient(world);
});
afterEach(() => world.restore());

const SUBJECT = 'user1';
const OTHER = 'user10';
const EMAIL = 'user1@example.se';

/** The shop customer: holdings in every purpose, invoiced in 2024. */
async function registerShopCustomer(subjectId: string, locatorId: string): Promise<void> {
  const at = '2024-01-10T12:00:00+01:00';
  await api.holding(subjectId, { purpose: 'customer', system: 'crm', collectedAt: at, locator: { customerId: locatorId } });
  await api.holding(subjectId, { purpose: 'customer', system: 'orders', collectedAt: at, locator: { customerId: locatorId } });
  await api.holding(subjectId, { purpose: 'marketing', system: 'crm', collectedAt: at, locator: { customerId: locatorId } });
  await api.holding(subjectId, { purpose: 'marketing', system: 'newsletter', collectedAt: at });
  await api.holding(subjectId, { purpose: 'analytics', system: 'crm', collectedAt: at, locator: { customerId: locatorId } });
  await api.holding(subjectId, { purpose: 'bookkeeping', system: 'orders', collectedAt: at, locator: { customerId: locatorId } });
  await api.event(subjectId, { type: 'invoiced', at: '2024-02-01T10:00:00+01:00' });
}

async function submit(body: Record<string, unknown> = {}, key?: string): Promise<string> {
  const answer = await api.postRequest(
    { subjectId: SUBJECT, identifiers: { email: EMAIL }, verification, ...body },
    key ? { 'Idempotency-Key': key } : {},
  );
  expect(answer.status).toBe(202);
  return answer.body.requestId as string;
}

const plan = (requestId: string) => makePlan(() => world.rt)({ requestId }, context);
const system = (requestId: string, name: string) => makeSystem(() => world.rt)({ requestId, system: name }, context);
const finish = (requestId: string, results: ErasureSystemOutput[]) => makeFinish(() => world.rt)({ requestId, results }, context);

/** What the state machine does: plan, each system (a failure caught as {status: failed, error: name}), finish. */
async function runWorkflow(requestId: string) {
  const planned = await plan(requestId);
  const results: ErasureSystemOutput[] = [];
  for (const { system: name } of planned.systems) {
    try {
      results.push(await system(requestId, name));
    } catch (error) {
      results.push({ system: name, status: 'failed', error: (error as Error).name });
    }
  }
  return { planned, results, finished: await finish(requestId, results) };
}

const auditBodies = () => [...world.s3.bodies(AUDIT_BUCKET, 'audit/').values()].flatMap((b) => recordsOf(b));
const activeHoldings = (purpose: string) => world.ddb.items(ledgerTable(purpose)).filter((i) => i.status === 'active');

describe('a full erasure', () => {
  it('tells the subject what a retained date waits for, never a bare "until null" (spec 2.7)', async () => {
    // GIVEN a customer whose bookkeeping holding has not been invoiced yet (its clock has not started)
    const at = '2024-01-10T12:00:00+01:00';
    await api.holding(SUBJECT, { purpose: 'customer', system: 'orders', collectedAt: at, locator: { customerId: 'C-1' } });
    await api.holding(SUBJECT, { purpose: 'bookkeeping', system: 'orders', collectedAt: at, locator: { customerId: 'C-1' } });
    const requestId = await submit();
    // WHEN the workflow runs
    await runWorkflow(requestId);
    // THEN the answer says the data is kept until invoiced (and then the rule's years), not "until null"
    const view = await api.getRequest(requestId);
    expect(view.body.retained).toEqual([
      { purpose: 'bookkeeping', reason: expect.stringMatching(/Bookkeeping Act/), until: null, waitingFor: ['invoiced'] },
    ]);
  });

  it('erases, anonymises and retains as the policy says, and records it', async () => {
    // GIVEN a customer with holdings in every purpose
    await registerShopCustomer(SUBJECT, 'C-1');
    const requestId = await submit();
    // WHEN the workflow runs
    const { planned, results, finished } = await runWorkflow(requestId);
    // THEN it planned every system the subject is in, by id only
    expect(planned).toEqual({
      requestId,
      policyHash: 'a'.repeat(64),
      systems: [
        { system: 'crm', record: 'crm' },
        { system: 'orders', record: 'orders' },
        { system: 'newsletter', record: 'newsletter' },
      ],
    });
    // AND each connector got what it needs: crm loses the whole record (erasure wins over analytics' anonymise)
    const [crm] = world.connectors.forSystem('crm');
    expect([...crm.purposes].sort()).toEqual(['analytics', 'customer', 'marketing']);
    expect(crm.operationId).toBe(`${requestId}:crm`);
    expect(crm.subjects).toEqual([
      expect.objectContaining({
        subjectId: SUBJECT,
        locator: { customerId: 'C-1' },
        identifiers: { email: EMAIL },
        record: 'delete',
        removeFields: [],
        anonymiseFields: [],
      }),
    ]);
    // orders keeps the record for bookkeeping and loses only the contact field
    const [orders] = world.connectors.forSystem('orders');
    expect(orders.subjects[0]).toMatchObject({
      record: 'keep',
      removeFields: [{ name: 'address', category: 'contact', anonymise: { strategy: 'truncate', keep: 3 } }],
      anonymiseFields: [],
    });
    expect(orders.purposes).toEqual(['customer']);
    expect(results.map((r) => r.status)).toEqual(['erased', 'erased', 'erased']);
    expect(finished).toEqual({ requestId, status: 'completed', failedSystems: [] });

    // AND the ledger: gone holdings are done (locator and due keys removed), bookkeeping still active
    expect(activeHoldings('customer')).toHaveLength(0);
    expect(activeHoldings('marketing')).toHaveLength(0);
    expect(activeHoldings('analytics')).toHaveLength(0);
    expect(activeHoldings('bookkeeping')).toHaveLength(1);
    for (const item of world.ddb.items(ledgerTable('analytics'))) {
      expect(item).toMatchObject({ status: 'done', outcome: 'erased', finishedBy: `request:${requestId}` });
      expect(item.sealed).toBeUndefined();
      expect(item.dueAt).toBeUndefined();
      expect(item.dueShard).toBeUndefined();
      expect(item.ttl).toBe(Date.parse('2025-03-01T10:00:00Z') / 1000 + 30 * 24 * 3600);
    }

    // AND the answer names the retained purpose, its reason and when it goes
    const view = await api.getRequest(requestId);
    expect(view.body).toMatchObject({
      status: 'completed',
      systems: [
        { system: 'crm', status: 'erased' },
        { system: 'orders', status: 'erased' },
        { system: 'newsletter', status: 'erased' },
      ],
      retained: [{ purpose: 'bookkeeping', reason: expect.stringMatching(/Bookkeeping Act/), until: '2032-01-01T00:00:00+01:00' }],
    });
    // AND the request left the open index and dropped its identifiers
    const [item] = world.ddb.items(TABLES.requests);
    expect(item.openSince).toBeUndefined();
    expect(item.sealedDetails).toBeUndefined();

    // AND one audit record per system, chained, without the subject's id, written by the finish task as one object
    expect(world.s3.bodies(AUDIT_BUCKET, 'audit/').size).toBe(1);
    const records = auditBodies();
    expect(records.map((r) => [r.system, r.action, r.outcome])).toEqual([
      ['crm', 'delete', 'erased'],
      ['orders', 'keep', 'erased'],
      ['newsletter', 'delete', 'erased'],
    ]);
    expect(new Set(records.map((r) => r.subject)).size).toBe(1);
    expect(records[0].subject).toBe(await world.rt.refs.auditSubject(SUBJECT));
    expect(records[0].subject).not.toBe(await world.rt.refs.ref(SUBJECT));
    for (const r of records) expect(JSON.stringify(r)).not.toMatch(/user1|C-1|example\.se/);
    const report = await verifyChain(s3Source(new S3Client({ region: 'eu-north-1' }), AUDIT_BUCKET));
    expect(report).toMatchObject({ records: 3 });
    expect(report.break).toBeUndefined();
  });

  it("touches only the requested subject's data (user1, not user10)", async () => {
    await registerShopCustomer(SUBJECT, 'C-1');
    await registerShopCustomer(OTHER, 'C-10');
    const requestId = await submit();
    await runWorkflow(requestId);
    const refs = new Set(world.connectors.invocations.flatMap((i) => i.subjects.map((s) => s.subjectRef)));
    expect(refs).toEqual(new Set([await world.rt.refs.ref(SUBJECT)]));
    expect(world.connectors.invocations.flatMap((i) => i.subjects.map((s) => s.subjectId))).not.toContain(OTHER);
    const otherRef = await world.rt.refs.ref(OTHER);
    for (const purpose of ['customer', 'marketing', 'analytics', 'bookkeeping']) {
      for (const item of world.ddb.items(ledgerTable(purpose)).filter((i) => i.subjectRef === otherRef)) expect(item.status).toBe('active');
    }
  });

  it('with a scope, erases only that purpose; shared data may leave nothing to change in a system', async () => {
    await registerShopCustomer(SUBJECT, 'C-1');
    const requestId = await submit({ scope: ['marketing'] });
    const { planned, results, finished } = await runWorkflow(requestId);
    expect(planned.systems).toEqual([
      { system: 'crm', record: 'crm' },
      { system: 'newsletter', record: 'newsletter' },
    ]);
    // In crm, customer and analytics still need the contact fields: no connector call there.
    expect(world.connectors.forSystem('crm')).toHaveLength(0);
    expect(world.connectors.forSystem('newsletter')).toHaveLength(1);
    expect(results).toEqual([
      { system: 'crm', status: 'kept-shared', counts: { records: 0, fields: 0, objects: 0 } },
      // the test world's connectors cannot ask the system afterwards (issue 19)
      { system: 'newsletter', status: 'erased', counts: { records: 1, fields: 0, objects: 0 }, verification: 'unverified' },
    ]);
    expect(finished.status).toBe('completed');
    expect(activeHoldings('marketing')).toHaveLength(0);
    expect(activeHoldings('customer')).toHaveLength(2);
    expect(activeHoldings('analytics')).toHaveLength(1);
  });

  it('completes a request about a subject Lethe holds nothing of', async () => {
    const requestId = await submit();
    const { planned, finished } = await runWorkflow(requestId);
    expect(planned.systems).toEqual([]);
    expect(finished).toEqual({ requestId, status: 'completed', failedSystems: [] });
    expect(world.connectors.invocations).toHaveLength(0);
  });

  it('refuses an unknown request with RequestNotFoundError (the state machine catches it)', async () => {
    await expect(plan('00000000-0000-0000-0000-000000000000')).rejects.toBeInstanceOf(RequestNotFoundError);
    await expect(plan('00000000-0000-0000-0000-000000000000')).rejects.toMatchObject({ name: 'RequestNotFoundError' });
  });
});

describe('never twice', () => {
  it('a retried system task does not call the connector again, nor write the ledger or audit again', async () => {
    await registerShopCustomer(SUBJECT, 'C-1');
    const requestId = await submit();
    await plan(requestId);
    const first = await system(requestId, 'crm');
    const updates = world.ddb.callsOf('Update').length;
    const audits = auditBodies().length;
    // WHEN Step Functions runs the same task again (a retry after a lost response)
    const again = await system(requestId, 'crm');
    // THEN the same answer, and nothing acted twice
    expect(again).toEqual(first);
    expect(world.connectors.forSystem('crm')).toHaveLength(1);
    expect(world.ddb.callsOf('Update').length).toBe(updates);
    expect(auditBodies()).toHaveLength(audits);
  });

  it('a re-run plan keeps the first plan', async () => {
    await registerShopCustomer(SUBJECT, 'C-1');
    const requestId = await submit();
    const first = await plan(requestId);
    await system(requestId, 'crm');
    expect(await plan(requestId)).toEqual(first);
  });

  it('a transient failure is thrown for the state machine to retry; the retry succeeds once', async () => {
    await registerShopCustomer(SUBJECT, 'C-1');
    const requestId = await submit();
    await plan(requestId);
    let calls = 0;
    world.connectors.on('newsletter', (invocation) => {
      calls++;
      if (calls === 1) throw new ConnectorTransientError('http: POST failed: TimeoutError');
      return answerAll()(invocation);
    });
    await expect(system(requestId, 'newsletter')).rejects.toMatchObject({ name: 'ConnectorTransientError' });
    expect((await api.getRequest(requestId)).body.systems).toContainEqual({ system: 'newsletter', status: 'pending' });
    expect(await system(requestId, 'newsletter')).toMatchObject({ status: 'erased' });
    expect(await system(requestId, 'newsletter')).toMatchObject({ status: 'erased' });
    expect(calls).toBe(2);
  });

  it('a permanent failure fails the request naming the system; a redrive finishes only what is left', async () => {
    // GIVEN orders fails permanently
    await registerShopCustomer(SUBJECT, 'C-1');
    const requestId = await submit();
    world.connectors.on('orders', () => {
      throw new ConnectorPermanentError('s3: ListObjectVersions failed: AccessDenied (HTTP 403)');
    });
    const first = await runWorkflow(requestId);
    // THEN the request failed, naming orders and its error; the other systems are done
    expect(first.finished).toEqual({ requestId, status: 'failed', failedSystems: ['orders'] });
    const failedView = await api.getRequest(requestId);
    expect(failedView.body).toMatchObject({ status: 'failed' });
    expect(failedView.body.systems).toEqual([
      { system: 'crm', status: 'erased', verification: 'unverified' },
      { system: 'orders', status: 'failed', error: 'ConnectorPermanentError' },
      { system: 'newsletter', status: 'erased', verification: 'unverified' },
    ]);
    expect(world.ddb.items(TABLES.requests)[0].openSince).toBe('open');
    expect(activeHoldings('customer').map((h) => h.system)).toEqual(['orders']);
    // AND the finish task audited every system at once, in the plan's order
    expect(auditBodies().map((r) => [r.system, r.outcome])).toEqual([
      ['crm', 'erased'],
      ['orders', 'failed'],
      ['newsletter', 'erased'],
    ]);

    // WHEN the cause is fixed and the execution is redriven
    world.connectors.on('orders', answerAll('fields-removed', { records: 1, fields: 1, objects: 0 }));
    const second = await runWorkflow(requestId);
    // THEN only orders ran again
    expect(second.finished).toEqual({ requestId, status: 'completed', failedSystems: [] });
    expect(world.connectors.forSystem('crm')).toHaveLength(1);
    expect(world.connectors.forSystem('newsletter')).toHaveLength(1);
    // (orders: the failed call, then the fields and, since bookkeeping keeps the record, its restriction: spec 2.4)
    expect(world.connectors.forSystem('orders').map((i) => i.subjects[0].record)).toEqual(['keep', 'keep', 'restrict']);
    expect((await api.getRequest(requestId)).body.systems).toContainEqual({
      system: 'orders',
      status: 'fields-removed',
      fields: ['address'],
      verification: 'unverified',
    });
    expect(activeHoldings('customer')).toHaveLength(0);
    expect(auditBodies().map((r) => [r.system, r.outcome])).toEqual([
      ['crm', 'erased'],
      ['orders', 'failed'],
      ['newsletter', 'erased'],
      ['orders', 'fields-removed'],
    ]);
  });

  it('a re-submitted request finds nothing left to erase, only what is retained, which it restricts', async () => {
    await registerShopCustomer(SUBJECT, 'C-1');
    world.connectors.on('orders', (invocation) =>
      answerAll(invocation.subjects[0].record === 'restrict' ? 'restricted' : 'fields-removed')(invocation),
    );
    await runWorkflow(await submit());
    const calls = world.connectors.invocations.length;
    const requestId = await submit();
    const again = await runWorkflow(requestId);
    expect(again.planned.systems).toEqual([{ system: 'orders', record: 'orders' }]);
    // spec 2.3, 2.4: the retained record gets restrict (marked with this request), and nothing else
    expect(again.results).toEqual([{ system: 'orders', status: 'restricted', counts: { records: 1, fields: 0, objects: 0 } }]);
    expect(world.connectors.invocations.slice(calls).map((i) => [i.system, i.subjects[0].record, i.subjects[0].restriction])).toEqual([
      ['orders', 'restrict', { requestId }],
    ]);
  });

  it('records a system the state machine caught failing (a timeout) with the error name only', async () => {
    await registerShopCustomer(SUBJECT, 'C-1');
    const requestId = await submit();
    await plan(requestId);
    await system(requestId, 'crm');
    await system(requestId, 'newsletter');
    const finished = await finish(requestId, [
      { system: 'crm', status: 'erased' },
      { system: 'orders', status: 'failed', error: 'States.Timeout' },
      { system: 'newsletter', status: 'erased' },
    ]);
    expect(finished.failedSystems).toEqual(['orders']);
    expect((await api.getRequest(requestId)).body.systems).toContainEqual({ system: 'orders', status: 'failed', error: 'States.Timeout' });
  });
});

describe('privacy of the workflow', () => {
  it('payloads (execution history) and logs carry no subject id, identifier or locator', async () => {
    await registerShopCustomer(SUBJECT, 'C-1');
    world.connectors.on('orders', () => {
      throw new ConnectorPermanentError('boom');
    });
    const { result, output } = await captureOutput(async () => runWorkflow(await submit()));
    const history = JSON.stringify(result);
    expect(output).toContain('erasure planned');
    for (const secret of [SUBJECT, EMAIL, 'C-1']) {
      expect(history).not.toContain(secret);
      expect(output).not.toContain(secret);
    }
  });

  it('a sealed value copied onto another request does not open', async () => {
    await submit({}, 'k1');
    const other = await api.postRequest({ subjectId: OTHER, verification });
    const [a, b] = world.ddb.items(TABLES.requests);
    const victim = a.requestId === other.body.requestId ? a : b;
    const source = victim === a ? b : a;
    world.ddb.seed(TABLES.requests, { ...victim, sealedSubject: source.sealedSubject });
    const view = await api.getRequest(victim.requestId as string);
    expect(view.status).toBe(500);
  });
});
