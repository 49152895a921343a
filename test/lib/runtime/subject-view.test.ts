/**
 * GET /subjects/{subjectId} (lib/runtime/subject-view.ts): what Lethe holds about one subject, read from the ledger,
 * the events and the requests by the subject's HMAC. Nothing of another subject appears (user1 vs user10), an unknown
 * subject is 200 with empty lists, every expiry says its date or what it waits for, and done holdings, requests and
 * the restrictions an erasure puts on what it retains are shown.
 */
import { Temporal } from '@js-temporal/polyfill';
import { eraseInSystem, finishErasure, planErasure } from '../../../lib/runtime/erasure';
import { holdingContext } from '../../../lib/runtime/sealing';
import type { Hold } from '../../../lib/planner/plan';
import { holdsCovering, viewSubject } from '../../../lib/runtime/subject-view';
import { policyWithRetention } from '../../helpers/policy';
import { shopPolicyV2 } from '../../helpers/shop-policy-v2';
import { apiClient, verification } from '../../lambdas/helpers';
import { createWorld, type TestWorld } from './support/runtime';

let world: TestWorld;
let api: ReturnType<typeof apiClient>;

beforeEach(() => {
  world = createWorld({ policy: shopPolicyV2, now: '2025-03-01T10:00:00Z' });
  api = apiClient(world);
});
afterEach(() => world.restore());

const view = (subjectId: string) =>
  api.call({ method: 'GET', path: `/subjects/${encodeURIComponent(subjectId)}`, pathParameters: { subjectId } });

/** Registers an item holding (spec 2.2) straight in the ledger, sealed with its raw ref as registration seals it. */
async function itemHolding(subjectId: string, purpose: string, system: string, ref: string, collectedAt: string): Promise<string> {
  const { rt } = world;
  const subjectRef = await rt.refs.ref(subjectId);
  const itemRef = await rt.refs.itemRef(subjectRef, ref);
  const sealed = await rt.sealer.seal({ subjectId, locator: { orderId: ref }, ref }, holdingContext(purpose, system, subjectRef, itemRef));
  const events = await rt.events.list(subjectRef);
  await rt.ledger.register(
    { subjectRef, purpose, system, itemRef, collectedAt: Temporal.Instant.from(collectedAt), sealed },
    events,
    rt.now(),
  );
  return itemRef;
}

describe('a subject Lethe knows nothing of', () => {
  it('is answered 200 with empty lists (no difference from one whose holdings are all gone)', async () => {
    // GIVEN user10 has a holding, user1 has none WHEN user1 is viewed
    expect((await api.holding('user10', { purpose: 'customer', system: 'crm', collectedAt: '2025-01-15T12:00:00+01:00' })).status).toBe(
      201,
    );
    const answer = await view('user1');
    // THEN 200, nothing held, nothing of user10
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      subjectId: 'user1',
      asOf: '2025-03-01T11:00:00+01:00',
      holdings: [],
      events: [],
      holds: [],
      requests: [],
    });
  });

  it.each([
    ['an id too long', 'u'.repeat(2000), 'subjectId'],
    ['a control character', 'user\u00011', 'subjectId'],
  ])('refuses %s with a 400 naming subjectId', async (_what, subjectId, path) => {
    const answer = await view(subjectId);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'invalid-input', path });
  });
});

describe('user1 beside user10', () => {
  it("shows user1's holdings, events and requests only, however alike the ids", async () => {
    // GIVEN user1 and user10, each with a customer holding in crm and an order O-1, user10 with an event and a request
    for (const subject of ['user1', 'user10']) {
      await api.holding(subject, { purpose: 'customer', system: 'crm', collectedAt: '2025-01-15T12:00:00+01:00' });
      await itemHolding(subject, 'order', 'orders', 'O-1', '2025-01-20T12:00:00+01:00');
    }
    await api.event('user10', { type: 'account-closed', at: '2025-02-10T09:00:00+01:00' });
    expect((await api.postRequest({ subjectId: 'user10', verification })).status).toBe(202);

    // WHEN user1 is viewed
    const { status, body } = await view('user1');

    // THEN exactly user1's two holdings, both waiting for their events; no event, no request (they are user10's)
    expect(status).toBe(200);
    const holdings = body.holdings as Record<string, unknown>[];
    expect(holdings).toEqual([
      {
        purpose: 'customer',
        system: 'crm',
        collectedAt: '2025-01-15T12:00:00+01:00',
        status: 'active',
        expiresAt: null,
        waitingFor: ['account-closed'],
        explanation: expect.any(String),
        holds: [],
        restrictions: [],
      },
      {
        purpose: 'order',
        system: 'orders',
        ref: 'O-1',
        itemRef: expect.stringMatching(/^[0-9a-f]{64}$/),
        collectedAt: '2025-01-20T12:00:00+01:00',
        status: 'active',
        expiresAt: null,
        waitingFor: ['order-completed'],
        explanation: expect.any(String),
        holds: [],
        restrictions: [],
      },
    ]);
    expect(body.events).toEqual([]);
    expect(body.requests).toEqual([]);
    // AND user1's order O-1 is not user10's order O-1: the item HMACs differ
    const user10 = (await view('user10')).body;
    expect((user10.holdings as { itemRef?: string }[])[1].itemRef).not.toBe(holdings[1].itemRef);
    expect(user10.events).toEqual([{ type: 'account-closed', at: '2025-02-10T09:00:00+01:00' }]);
    expect(user10.requests).toEqual([
      expect.objectContaining({
        kind: 'erasure',
        status: 'received',
        receivedAt: '2025-03-01T11:00:00+01:00',
        deadline: expect.any(String),
      }),
    ]);
  });
});

describe('expiry', () => {
  it.each([
    [
      'dated, once its event is recorded',
      { type: 'account-closed', at: '2025-02-10T09:00:00+01:00' },
      { expiresAt: '2026-02-10T09:00:00+01:00', explanation: expect.stringContaining('account-closed') },
    ],
    ['waiting for the event that starts its clock', undefined, { expiresAt: null, waitingFor: ['account-closed'] }],
    // An event of another item does not start an item's clock, and an event before the collection does not count (2.1)
    [
      'waiting, when its event came before the collection',
      { type: 'account-closed', at: '2025-01-10T09:00:00+01:00' },
      { expiresAt: null, waitingFor: ['account-closed'] },
    ],
  ])('is %s', async (_what, event, expected) => {
    // GIVEN a customer holding (kept until account-closed + 1 year), and perhaps the event
    await api.holding('user1', { purpose: 'customer', system: 'crm', collectedAt: '2025-01-15T12:00:00+01:00' });
    if (event) expect((await api.event('user1', event)).status).toBe(201);
    // WHEN viewed THEN the expiry as the retention engine gives it
    const [holding] = (await view('user1')).body.holdings as Record<string, unknown>[];
    expect(holding).toMatchObject(expected);
    if (expected.expiresAt !== null) expect(holding).not.toHaveProperty('waitingFor');
  });

  it('is indefinite where the purpose keeps data indefinitely', async () => {
    world.restore();
    world = createWorld({ policy: policyWithRetention({ indefinite: true, justification: 'Kept for the archive.' }) });
    api = apiClient(world);
    await api.holding('user1', { purpose: 'p', system: 'crm', collectedAt: '2025-01-15T12:00:00+01:00' });
    const [holding] = (await view('user1')).body.holdings as Record<string, unknown>[];
    expect(holding).toMatchObject({ expiresAt: null, indefinite: true });
    expect(holding).not.toHaveProperty('waitingFor');
  });
});

describe('after an erasure request', () => {
  it('shows the done holdings with their outcome, the retained one restricted, and the request completed', async () => {
    // GIVEN user1's customer holding (erased on request) and an invoice kept by the Bookkeeping Act (retained)
    await api.holding('user1', { purpose: 'customer', system: 'crm', collectedAt: '2025-01-15T12:00:00+01:00' });
    const invoice = await itemHolding('user1', 'bookkeeping', 'orders', 'INV-1', '2025-01-20T12:00:00+01:00');
    const requestId = (await api.postRequest({ subjectId: 'user1', verification })).body.requestId as string;
    // WHEN the request runs to its end
    const planned = await planErasure(world.rt, requestId);
    const results = [];
    for (const { system, record } of planned.systems) results.push(await eraseInSystem(world.rt, requestId, system, record));
    await finishErasure(world.rt, { requestId, results });

    // THEN
    const { body } = await view('user1');
    expect(body.holdings).toEqual([
      expect.objectContaining({
        purpose: 'customer',
        system: 'crm',
        status: 'done',
        outcome: 'erased',
        finishedAt: '2025-03-01T11:00:00+01:00',
        finishedBy: `request:${requestId}`,
        holds: [],
        restrictions: [],
      }),
      expect.objectContaining({
        purpose: 'bookkeeping',
        system: 'orders',
        ref: 'INV-1',
        itemRef: invoice,
        status: 'active',
        restrictions: [{ requestId, kind: 'erasure', by: 'retained' }],
      }),
    ]);
    expect(body.requests).toEqual([
      {
        requestId,
        kind: 'erasure',
        status: 'completed',
        receivedAt: '2025-03-01T11:00:00+01:00',
        deadline: '2025-04-01T11:00:00+02:00',
        finishedAt: '2025-03-01T11:00:00+01:00',
      },
    ]);
  });
});

describe('legal holds (spec 2.3)', () => {
  const placed = '2025-02-01T09:00:00Z';
  const hold = (placedAt: string, scope?: Hold['scope'], releasedAt?: string): Hold => ({
    holdId: 'h-1',
    reason: 'Litigation',
    placedAt: Temporal.Instant.from(placedAt),
    ...(releasedAt ? { releasedAt: Temporal.Instant.from(releasedAt) } : {}),
    ...(scope ? { scope } : {}),
  });
  const holding = { purpose: 'order', system: 'orders', ref: 'abc', collectedAt: Temporal.Instant.from('2025-01-01T00:00:00Z') };
  const now = Temporal.Instant.from('2025-03-01T10:00:00Z');

  it.each([
    ['no scope', hold(placed), true],
    ['its purpose', hold(placed, { purposes: ['order'] }), true],
    ['another purpose', hold(placed, { purposes: ['customer'] }), false],
    ['its purpose and another system (AND)', hold(placed, { purposes: ['order'], systems: ['crm'] }), false],
    ['its item', hold(placed, { refs: ['abc'] }), true],
    ['another item', hold(placed, { refs: ['abd'] }), false],
    ['no scope, released', hold(placed, undefined, '2025-02-20T10:00:00Z'), false],
    ['no scope, placed later', hold('2025-03-02T10:00:00Z'), false],
  ])('a hold with %s covers the holding now: %s', (_what, h, covers) => {
    expect(holdsCovering([h], holding, now).length === 1).toBe(covers);
  });

  it("lists the subject's holds, and each holding names those in force over it", async () => {
    // GIVEN user1's customer holding and order O-1, and a hold on user1's orders; user10 with the same, no hold
    for (const subject of ['user1', 'user10']) {
      await api.holding(subject, { purpose: 'customer', system: 'crm', collectedAt: '2025-01-15T12:00:00+01:00' });
      await itemHolding(subject, 'order', 'orders', 'O-1', '2025-01-20T12:00:00+01:00');
    }
    const placedHold = await api.call({
      method: 'POST',
      path: '/subjects/user1/holds',
      pathParameters: { subjectId: 'user1' },
      body: { reason: 'Tax audit', scope: { purposes: ['order'], refs: ['O-1'] } },
    });
    expect(placedHold.status).toBe(201);
    const holdId = placedHold.body.holdId as string;
    // WHEN user1 and user10 are viewed
    const answer = await viewSubject(world.rt, 'user1');
    // THEN user1's hold is listed with its scope as sent, and it covers the order only
    expect(answer.holds).toEqual([
      expect.objectContaining({ holdId, reason: 'Tax audit', releasedAt: null, scope: { purposes: ['order'], refs: ['O-1'] } }),
    ]);
    expect(answer.holdings.map((h) => [h.purpose, h.holds])).toEqual([
      ['customer', []],
      ['order', [holdId]],
    ]);
    // AND user10 has no hold
    const other = await viewSubject(world.rt, 'user10');
    expect(other.holds).toEqual([]);
    expect(other.holdings.map((h) => h.holds)).toEqual([[], []]);
  });
});
