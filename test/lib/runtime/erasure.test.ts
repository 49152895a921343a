/**
 * eraseInSystem when the connector answers the request's subject in `failed` (ConnectorResult) instead of throwing, as
 * a user's function or a SaaS may: it ends exactly as a thrown error of that name would. (The workflow as a whole is
 * covered through its handlers in test/lambdas/erasure.test.ts.)
 */
import { ConnectorPermanentError, ConnectorTransientError } from '../../../lib/connectors/errors';
import { eraseInSystem, finishErasure, planErasure } from '../../../lib/runtime/erasure';
import { apiClient, verification } from '../../lambdas/helpers';
import { answerAll } from './support/aws';
import { Temporal } from '@js-temporal/polyfill';
import { shopPolicyV2 } from '../../helpers/shop-policy-v2';
import { AUDIT_BUCKET, captureOutput, createWorld, ledgerTable, TABLES, type TestWorld } from './support/runtime';

let world: TestWorld;
let api: ReturnType<typeof apiClient>;

beforeEach(() => {
  world = createWorld({ now: '2025-03-01T10:00:00Z' });
  api = apiClient(world);
});
afterEach(() => world.restore());

/** user1 subscribed to the newsletter; an erasure request for user1, planned. */
async function plannedRequest(): Promise<string> {
  await api.holding('user1', { purpose: 'marketing', system: 'newsletter', collectedAt: '2024-01-10T12:00:00+01:00' });
  const answer = await api.postRequest({ subjectId: 'user1', identifiers: { email: 'user1@example.se' }, verification });
  expect(answer.status).toBe(202);
  const requestId = answer.body.requestId as string;
  expect((await planErasure(world.rt, requestId)).systems).toEqual([{ system: 'newsletter', record: 'newsletter' }]);
  return requestId;
}

const systemsOf = async (requestId: string) => (await api.getRequest(requestId)).body.systems;
const audits = () => world.s3.bodies(AUDIT_BUCKET, 'audit/').size;

describe('the subject answered in failed', () => {
  test.each([
    [
      'transient',
      'ThrottlingException',
      true,
      ConnectorTransientError,
      // retried by the state machine: the system stays pending
      { system: 'newsletter', status: 'pending' },
    ],
    [
      'permanent',
      'AccessDeniedException',
      false,
      ConnectorPermanentError,
      // caught by the state machine: the system is recorded as failed, with the error's name
      { system: 'newsletter', status: 'failed', error: 'AccessDeniedException' },
    ],
  ] as const)(
    'GIVEN a %s failure WHEN the system runs THEN it throws as a thrown %s would',
    async (_what, error, transient, expected, view) => {
      const requestId = await plannedRequest();
      world.connectors.on('newsletter', (invocation) => ({
        system: invocation.system,
        subjects: [],
        failed: [{ subjectRef: invocation.subjects[0].subjectRef, error, transient }],
      }));
      // WHEN
      const { error: thrown, output } = await captureOutput(() => eraseInSystem(world.rt, requestId, 'newsletter'));
      // THEN the error the state machine retries or catches, naming the system and the error, nothing else
      expect(thrown).toBeInstanceOf(expected);
      expect((thrown as Error).message).toBe(`system "newsletter" failed: ${error}`);
      expect(await systemsOf(requestId)).toEqual([view]);
      // AND the holding is still active, nothing audited yet, and the log names the error, not the subject
      expect(world.ddb.items(ledgerTable('marketing'))[0]).toMatchObject({ status: 'active' });
      expect(audits()).toBe(0);
      expect(output).toContain(error);
      expect(output).not.toMatch(/user1/);
    },
  );

  test('GIVEN a transient failure WHEN the retry succeeds THEN the system is erased, once', async () => {
    const requestId = await plannedRequest();
    let calls = 0;
    world.connectors.on('newsletter', (invocation) => {
      calls++;
      if (calls > 1) return answerAll()(invocation);
      return {
        system: invocation.system,
        subjects: [],
        failed: [{ subjectRef: invocation.subjects[0].subjectRef, error: 'ThrottlingException', transient: true }],
      };
    });
    await expect(eraseInSystem(world.rt, requestId, 'newsletter')).rejects.toBeInstanceOf(ConnectorTransientError);
    expect(await eraseInSystem(world.rt, requestId, 'newsletter')).toMatchObject({ status: 'erased' });
    expect(await eraseInSystem(world.rt, requestId, 'newsletter')).toMatchObject({ status: 'erased' });
    expect(calls).toBe(2);
    expect(world.ddb.items(ledgerTable('marketing'))[0]).toMatchObject({ status: 'done', outcome: 'erased' });
    // AND the finish task writes the system's audit record, once however often it runs
    expect(audits()).toBe(0);
    const results = [{ system: 'newsletter', status: 'erased' as const }];
    await finishErasure(world.rt, { requestId, results });
    await finishErasure(world.rt, { requestId, results });
    expect(audits()).toBe(1);
  });
});

describe('an ID document kept until the request is handled (spec 2.4, 2.7)', () => {
  /** user1 (and user10, the same) sent an ID document with an erasure request; it is held per item, ref = the request id. */
  async function idDocumentRequest(client: ReturnType<typeof apiClient>, subjectId: string): Promise<string> {
    await client.holding(subjectId, { purpose: 'customer', system: 'crm', collectedAt: '2025-01-15T12:00:00+01:00' });
    const requestId = (await client.postRequest({ subjectId, verification })).body.requestId as string;
    const held = await client.holding(subjectId, {
      purpose: 'id-check',
      system: 'documents',
      ref: requestId,
      collectedAt: '2025-03-01T10:30:00+01:00',
      locator: { key: `id/${requestId}.jpg` },
    });
    expect({ status: held.status, error: held.body.error }).toEqual({ status: 201, error: undefined });
    expect(held.body).toMatchObject({ expiresAt: null, waitingFor: ['request-handled'] });
    return requestId;
  }

  async function runToEnd(w: TestWorld, requestId: string): Promise<void> {
    const planned = await planErasure(w.rt, requestId);
    const results = [];
    for (const { system, record } of planned.systems) results.push(await eraseInSystem(w.rt, requestId, system, record));
    expect((await finishErasure(w.rt, { requestId, results })).status).toBe('completed');
  }

  it('is told what its date waits for, and once the request completes the document is due then', async () => {
    const v2 = createWorld({ policy: shopPolicyV2, now: '2025-03-01T10:00:00Z' });
    try {
      const client = apiClient(v2);
      // GIVEN user1's and user10's ID documents, each kept until its own request is handled
      const requestId = await idDocumentRequest(client, 'user1');
      const other = await idDocumentRequest(client, 'user10');
      // WHEN user1's request runs to its end, an hour later
      v2.clock.now = Temporal.Instant.from('2025-03-01T11:00:00Z');
      await runToEnd(v2, requestId);

      // THEN the answer says what the document's date depends on, never a bare "until null"
      const answer = (await client.getRequest(requestId)).body;
      expect(answer.retained).toEqual([expect.objectContaining({ purpose: 'id-check', until: null, waitingFor: ['request-handled'] })]);
      // AND Lethe recorded request-handled for that request: the document is due at the completion
      const docs = v2.ddb.items(ledgerTable('id-check'));
      const subjectRef = await v2.rt.refs.ref('user1');
      const mine = docs.find((d) => d.subjectRef === subjectRef)!;
      expect(mine).toMatchObject({ status: 'active', expiresAt: '2025-03-01T12:00:00+01:00', dueAt: Date.parse('2025-03-01T11:00:00Z') });
      // AND user10's document, waiting for user10's request, is untouched
      expect(docs.find((d) => d.subjectRef !== subjectRef)).not.toHaveProperty('expiresAt');
      expect(other).not.toBe(requestId);
      // AND a finish that runs again records nothing more (the event is recorded once)
      await finishErasure(v2.rt, { requestId, results: [] });
      const handled = v2.ddb.items(TABLES.events).filter((e) => e.type === 'request-handled');
      expect(handled).toHaveLength(1);
      expect(handled[0]).toMatchObject({ subjectRef, ref: await v2.rt.refs.itemRef(subjectRef, requestId) });
    } finally {
      v2.restore();
    }
  });
});

describe('a record that keeps retained data is restricted (spec 2.3, 2.4)', () => {
  /** user1's customer data in crm and orders, and bookkeeping in orders (retained on erasure: Bokföringslagen). */
  async function plannedWithRetained(): Promise<string> {
    for (const [purpose, system] of [
      ['customer', 'crm'],
      ['customer', 'orders'],
      ['bookkeeping', 'orders'],
    ])
      await api.holding('user1', { purpose, system, collectedAt: '2024-12-01T00:00:00Z', locator: { key: 'user1' } });
    const requestId = (await api.postRequest({ subjectId: 'user1', verification })).body.requestId as string;
    await planErasure(world.rt, requestId);
    return requestId;
  }
  const actionsOn = (system: string) =>
    world.connectors.forSystem(system).map((i) => [i.subjects[0].record, i.subjects[0].restriction?.requestId ?? null]);

  test('GIVEN a record kept for bookkeeping with customer fields going WHEN it runs THEN the fields go, then the record is restricted', async () => {
    const requestId = await plannedWithRetained();
    world.connectors.on('orders', (invocation) => ({
      system: invocation.system,
      subjects: invocation.subjects.map((s) => ({
        subjectRef: s.subjectRef,
        status: s.record === 'restrict' ? ('restricted' as const) : ('fields-anonymised' as const),
        counts: { records: 1, fields: 1, objects: 0 },
      })),
    }));
    expect(await eraseInSystem(world.rt, requestId, 'orders')).toMatchObject({ status: 'fields-anonymised' });
    // THEN two calls on orders: the fields, then restrict marked with the erasure request (what retains it)
    expect(actionsOn('orders')).toEqual([
      ['keep', null],
      ['restrict', requestId],
    ]);
    expect(world.connectors.forSystem('orders')[1].purposes).toEqual(['bookkeeping']);
    expect((await world.rt.requests.get(requestId))!.systems!.orders).toMatchObject({ restrictedStatus: 'restricted' });
    // AND crm, where nothing is retained, gets no restrict
    await eraseInSystem(world.rt, requestId, 'crm');
    expect(actionsOn('crm')).toEqual([['delete', null]]);
  });

  test('GIVEN the restrict fails transiently WHEN the task runs again THEN only the restrict is made again', async () => {
    const requestId = await plannedWithRetained();
    let restrictCalls = 0;
    world.connectors.on('orders', (invocation) => {
      const s = invocation.subjects[0];
      if (s.record === 'restrict' && restrictCalls++ === 0) throw new ConnectorTransientError('throttled');
      return {
        system: invocation.system,
        subjects: [
          {
            subjectRef: s.subjectRef,
            status: s.record === 'restrict' ? 'restricted' : 'fields-anonymised',
            counts: { records: 1, fields: 1, objects: 0 },
          },
        ],
      };
    });
    await expect(eraseInSystem(world.rt, requestId, 'orders')).rejects.toThrow(ConnectorTransientError);
    expect(await eraseInSystem(world.rt, requestId, 'orders')).toMatchObject({ status: 'fields-anonymised' });
    expect(actionsOn('orders')).toEqual([
      ['keep', null],
      ['restrict', requestId],
      ['restrict', requestId],
    ]);
  });
});
