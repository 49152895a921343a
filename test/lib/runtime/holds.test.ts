/**
 * lib/runtime/holds.ts: legal holds (spec 2.3) through the API (place, list, release and their errors), stored
 * beside the events, audited, and honoured by the sweep (applyExpiry) and by an erasure request's plan.
 */
import { Temporal } from '@js-temporal/polyfill';
import { recordsOf } from '../../../lib/audit';
import { EVENTS } from '../../../lib/core/contract';
import { planErasure } from '../../../lib/runtime/erasure';
import { applyExpiry } from '../../../lib/runtime/expiry';
import { holdKey } from '../../../lib/runtime/holds';
import { apiClient, verification } from '../../lambdas/helpers';
import { answerAll } from './support/aws';
import { COLLECTED, itemsWorld } from './support/items';
import { AUDIT_BUCKET, createWorld, ledgerTable, TABLES, type TestWorld } from './support/runtime';

let world: TestWorld;
let api: ReturnType<typeof apiClient>;

beforeEach(() => {
  world = createWorld({ now: '2025-01-01T10:00:00Z' });
  api = apiClient(world);
});
afterEach(() => world.restore());

const place = (subjectId: string, body: unknown) =>
  api.call({ method: 'POST', path: `/subjects/${subjectId}/holds`, body, pathParameters: { subjectId } });
const release = (subjectId: string, holdId: string) =>
  api.call({ method: 'POST', path: `/subjects/${subjectId}/holds/${holdId}/release`, pathParameters: { subjectId, holdId } });
const list = (subjectId: string) => api.call({ method: 'GET', path: `/subjects/${subjectId}/holds`, pathParameters: { subjectId } });
const auditRecords = () => [...world.s3.bodies(AUDIT_BUCKET, 'audit/').values()].flatMap((b) => recordsOf(b));
const at = (iso: string) => Temporal.Instant.from(iso);
const sweep = async (sweepId: string, subjectIds: readonly string[], now: string) =>
  applyExpiry(world.rt, await Promise.all(subjectIds.map(async (id) => ({ subjectRef: await world.rt.refs.ref(id) }))), at(now), {
    kind: 'sweep',
    sweepId,
  });
const analyticsItem = async (subjectId: string) => {
  const ref = await world.rt.refs.ref(subjectId);
  return world.ddb.items(ledgerTable('analytics')).find((i) => i.subjectRef === ref);
};

describe('placing, listing and releasing', () => {
  test('GIVEN a hold placed with a scope WHEN it is listed, released and listed again THEN each answer says what is stored', async () => {
    // WHEN a hold is placed on user1's orders O-1
    const placed = await place('user1', { reason: 'Tax audit 2025-17', scope: { purposes: ['bookkeeping'], refs: ['O-1'] } });
    // THEN 201 with its id
    expect(placed.status).toBe(201);
    const holdId = placed.body.holdId as string;
    expect(holdId).toMatch(/^[0-9a-f-]{36}$/);

    // AND it is listed with its reason, when it was placed (policy time zone), not released, the ref as sent
    const listed = await list('user1');
    expect(listed.status).toBe(200);
    expect(listed.body.holds).toEqual([
      {
        holdId,
        reason: 'Tax audit 2025-17',
        placedAt: '2025-01-01T11:00:00+01:00',
        releasedAt: null,
        scope: { purposes: ['bookkeeping'], refs: ['O-1'] },
      },
    ]);
    // AND another subject has none
    expect((await list('user10')).body.holds).toEqual([]);

    // AND the stored item keeps the ref only as an HMAC and sealed, never as given
    const item = world.ddb.items(TABLES.events).find((i) => i[EVENTS.sortKey] === holdKey(holdId))!;
    expect(item.scope).toEqual({ purposes: ['bookkeeping'], refs: [await world.rt.refs.itemRef(await world.rt.refs.ref('user1'), 'O-1')] });
    expect(JSON.stringify(item)).not.toContain('O-1');

    // WHEN it is released a day later
    world.clock.now = at('2025-01-02T10:00:00Z');
    const released = await release('user1', holdId);
    // THEN 200 with the release time; the list shows it
    expect(released.status).toBe(200);
    expect(released.body).toMatchObject({ holdId, releasedAt: '2025-01-02T11:00:00+01:00', holdingsRescheduled: 0 });
    expect((await list('user1')).body.holds).toEqual([expect.objectContaining({ holdId, releasedAt: '2025-01-02T11:00:00+01:00' })]);

    // AND placing and releasing are audited, one record per system covered (bookkeeping: orders), ids and HMACs only
    const subject = await world.rt.refs.auditSubject('user1');
    expect(auditRecords().map((r) => [r.kind, r.holdId, r.system, r.purposes, r.action, r.outcome, r.subject])).toEqual([
      ['hold', holdId, 'orders', ['bookkeeping'], 'hold', 'held', subject],
      ['hold', holdId, 'orders', ['bookkeeping'], 'release', 'released', subject],
    ]);
    expect(JSON.stringify(auditRecords())).not.toMatch(/user1|O-1|Tax audit/);
  });

  test('GIVEN a released hold WHEN it is released again THEN 409 naming when, and the release time is unchanged', async () => {
    const holdId = (await place('user1', { reason: 'litigation' })).body.holdId as string;
    expect((await release('user1', holdId)).status).toBe(200);
    world.clock.now = at('2025-02-01T10:00:00Z');
    const again = await release('user1', holdId);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'conflict', message: expect.stringContaining('released already') });
    expect((await list('user1')).body.holds).toEqual([expect.objectContaining({ releasedAt: '2025-01-01T11:00:00+01:00' })]);
  });

  test.each([
    ['an id no hold has', () => '00000000-0000-4000-8000-000000000000'],
    ['an id that is no hold id at all', () => 'not-a-hold'],
    ["a keep-restriction's id (released by its lift only)", () => 'restriction-00000000-0000-4000-8000-000000000000'],
  ])('GIVEN %s WHEN it is released THEN 404 with path holdId', async (_what, id) => {
    const answer = await release('user1', id());
    expect(answer.status).toBe(404);
    expect(answer.body.error).toMatchObject({ code: 'not-found', path: 'holdId' });
  });

  // Issue 14, item 7: an id that cannot be an id (as a request id: letters, digits and -, at most 80) is a 400
  test.each([
    ['spaces', 'not a hold'],
    ['a dot', 'a.b'],
    ['3000 characters', 'h'.repeat(3000)],
    ['a NUL', 'a\u0000b'],
  ])('GIVEN a hold id with %s WHEN it is released THEN 400 with path holdId', async (_what, id) => {
    const answer = await release('user1', id);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'invalid-input', path: 'holdId', message: expect.stringContaining('hold id') });
  });

  test("GIVEN user1's hold WHEN it is released as user10's THEN 404: a hold is its subject's only", async () => {
    const holdId = (await place('user1', { reason: 'litigation' })).body.holdId as string;
    expect((await release('user10', holdId)).status).toBe(404);
    expect((await list('user1')).body.holds).toEqual([expect.objectContaining({ holdId, releasedAt: null })]);
  });

  test.each([
    ['no reason', {}, 'reason'],
    ['an empty reason', { reason: '' }, 'reason'],
    ['an unknown key', { reason: 'x', until: 'never' }, ''],
    ['an unknown purpose', { reason: 'x', scope: { purposes: ['customer', 'sales'] } }, 'scope.purposes[1]'],
    ['an unknown system', { reason: 'x', scope: { systems: ['erp'] } }, 'scope.systems[0]'],
    ['an empty list', { reason: 'x', scope: { refs: [] } }, 'scope.refs'],
    ['an unknown scope key', { reason: 'x', scope: { items: ['O-1'] } }, 'scope'],
    ['a ref with a line break', { reason: 'x', scope: { refs: ['O-1\nO-2'] } }, 'scope.refs[0]'],
  ])('GIVEN %s WHEN a hold is placed THEN 400 naming %j, and nothing is stored', async (_what, body, path) => {
    const answer = await place('user1', body);
    expect(answer.status).toBe(400);
    expect(answer.body.error?.code).toBe('invalid-input');
    if (path) expect(answer.body.error?.path).toBe(path);
    expect(world.ddb.items(TABLES.events)).toEqual([]);
  });
});

describe('the sweep', () => {
  // analytics (crm) keeps data P1Y from collection: collected 2024-06-01, it expires 2025-06-01.
  const EXPIRES = '2025-06-01T00:00:00Z';

  test.each([
    ['before the holding expired: it is due at its own expiry', '2025-03-01T00:00:00Z', EXPIRES],
    ['after it expired: it is due at the release', '2025-09-01T00:00:00Z', '2025-09-01T00:00:00Z'],
  ])('GIVEN a held holding WHEN the hold is released %s', async (_what, releaseAt, dueAt) => {
    world.connectors.on('crm', answerAll('anonymised', { records: 1, fields: 2, objects: 0 }));
    // GIVEN user1's analytics holding, and a hold on user1's analytics placed before it expired
    await api.holding('user1', { purpose: 'analytics', system: 'crm', collectedAt: '2024-06-01T00:00:00Z' });
    await api.holding('user10', { purpose: 'analytics', system: 'crm', collectedAt: '2024-06-01T00:00:00Z' });
    world.clock.now = at('2025-02-01T00:00:00Z');
    const holdId = (await place('user1', { reason: 'litigation', scope: { purposes: ['analytics'] } })).body.holdId as string;
    // THEN it left the due index at once (and lost its TTL backstop), its own expiry kept
    expect(await analyticsItem('user1')).toMatchObject({ status: 'active', expiresAt: '2025-06-01T02:00:00+02:00' });
    expect(await analyticsItem('user1')).not.toHaveProperty('dueAt');
    expect(await analyticsItem('user1')).not.toHaveProperty('ttl');

    if (Temporal.Instant.compare(at(releaseAt), at(EXPIRES)) > 0) {
      // AND a sweep after its expiry leaves it active; user10's goes
      const during = await sweep('sweep-held', ['user1', 'user10'], '2025-07-01T00:00:00Z');
      expect(during).toMatchObject({ holdingsDone: 1 });
      expect(await analyticsItem('user1')).toMatchObject({ status: 'active' });
      expect(await analyticsItem('user10')).toMatchObject({ status: 'done', outcome: 'anonymised' });
    }

    // WHEN the hold is released
    world.clock.now = at(releaseAt);
    expect((await release('user1', holdId)).body).toMatchObject({ holdingsRescheduled: 1 });
    // THEN the holding is due again at the later of its expiry and the release
    expect(await analyticsItem('user1')).toMatchObject({ status: 'active', dueAt: at(dueAt).epochMilliseconds });
    // AND a sweep just before that leaves it; one at that instant expires it
    const before = at(dueAt).subtract({ milliseconds: 1 }).toString();
    expect(await sweep('sweep-before', ['user1'], before)).toMatchObject({ holdingsDone: 0 });
    expect(await analyticsItem('user1')).toMatchObject({ status: 'active' });
    expect(await sweep('sweep-after', ['user1'], dueAt)).toMatchObject({ holdingsDone: 1 });
    expect(await analyticsItem('user1')).toMatchObject({ status: 'done', outcome: 'anonymised', finishedBy: 'sweep:sweep-after' });
  });

  test('GIVEN a holding due before a hold was placed WHEN a sweep finds it THEN it is retained and leaves the due index', async () => {
    world.connectors.on('crm', answerAll('anonymised', { records: 1, fields: 2, objects: 0 }));
    await api.holding('user1', { purpose: 'analytics', system: 'crm', collectedAt: '2024-06-01T00:00:00Z' });
    // GIVEN a hold stored directly (as if its placing stopped before it rescheduled the holding)
    const subjectRef = await world.rt.refs.ref('user1');
    await world.rt.holds.place({
      subjectRef,
      eventKey: holdKey('h-1'),
      holdId: 'h-1',
      reason: 'court order',
      placedAt: '2025-02-01T00:00:00.000Z',
    });
    expect(await analyticsItem('user1')).toHaveProperty('dueAt');
    // WHEN the sweep runs after the expiry
    const report = await sweep('sweep-1', ['user1'], '2025-07-01T00:00:00Z');
    // THEN nothing expired, and the holding is out of the due index
    expect(report).toMatchObject({ holdingsDone: 0, rescheduled: 1 });
    // AND its record was only restricted (spec 2.3), marked with the hold's id, and that is audited
    expect(world.connectors.invocations.map((i) => [i.system, i.purposes, i.subjects[0].record, i.subjects[0].restriction])).toEqual([
      ['crm', ['analytics'], 'restrict', { requestId: 'h-1' }],
    ]);
    expect(auditRecords().map((r) => [r.kind, r.sweepId, r.system, r.action])).toEqual([['sweep', 'sweep-1', 'crm', 'restrict']]);
    expect(await analyticsItem('user1')).toMatchObject({ status: 'active' });
    expect(await analyticsItem('user1')).not.toHaveProperty('dueAt');
  });
});

describe('the release unrestricts (spec 2.3)', () => {
  const unrestricts = () =>
    world.connectors.invocations
      .filter((i) => i.subjects[0].record === 'unrestrict')
      .map((i) => [i.system, i.purposes, i.subjects[0].subjectId, i.subjects[0].restriction]);
  const unrestricted =
    (status = 'unrestricted') =>
    (invocation: { system: string; subjects: readonly { subjectRef: string }[] }) => ({
      system: invocation.system,
      subjects: invocation.subjects.map((s) => ({ subjectRef: s.subjectRef, status, counts: { records: 1, fields: 0, objects: 0 } })),
    });
  const holdings = async () => {
    for (const id of ['user1', 'user10'])
      await api.holding(id, { purpose: 'analytics', system: 'crm', collectedAt: '2024-06-01T00:00:00Z' });
  };

  test("GIVEN user1's held analytics record WHEN the hold is released THEN its mark is removed (unrestrict with the hold's id), audited; user10 untouched", async () => {
    world.connectors.on('crm', unrestricted() as never);
    await holdings();
    const holdId = (await place('user1', { reason: 'litigation', scope: { purposes: ['analytics'] } })).body.holdId as string;
    const answer = await release('user1', holdId);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ holdId, unrestricted: [{ system: 'crm', status: 'unrestricted' }], holdingsRescheduled: 1 });
    expect(unrestricts()).toEqual([['crm', ['analytics'], 'user1', { requestId: holdId }]]);
    const subject = await world.rt.refs.auditSubject('user1');
    expect(
      auditRecords()
        .filter((r) => r.action === 'unrestrict')
        .map((r) => [r.kind, r.holdId, r.system, r.outcome, r.subject]),
    ).toEqual([['hold', holdId, 'crm', 'unrestricted', subject]]);
  });

  test.each([
    ['another active hold', { reason: 'court order' }],
    ['a keep-restriction', { reason: 'restriction request r-1', restriction: { requestId: 'r-1', keep: true } }],
  ])(
    'GIVEN a record also covered by %s WHEN the hold is released THEN nothing is unrestricted: it stays restricted',
    async (_what, other) => {
      world.connectors.on('crm', unrestricted() as never);
      await holdings();
      const holdId = (await place('user1', { reason: 'litigation', scope: { purposes: ['analytics'] } })).body.holdId as string;
      await world.rt.holds.place({
        subjectRef: await world.rt.refs.ref('user1'),
        eventKey: holdKey('h-other'),
        holdId: 'h-other',
        placedAt: '2025-01-01T00:00:00.000Z',
        ...other,
      });
      const answer = await release('user1', holdId);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ unrestricted: [] });
      expect(unrestricts()).toEqual([]);
      expect(auditRecords().filter((r) => r.action === 'unrestrict')).toEqual([]);
    },
  );

  test('GIVEN two holds on a record WHEN the second is released after the first THEN the first mark (left while the second held) goes too', async () => {
    world.connectors.on('crm', unrestricted() as never);
    await holdings();
    const first = (await place('user1', { reason: 'litigation', scope: { purposes: ['analytics'] } })).body.holdId as string;
    const second = (await place('user1', { reason: 'court order' })).body.holdId as string;
    await release('user1', first);
    expect(unrestricts()).toEqual([]);
    await release('user1', second);
    expect(unrestricts()).toEqual([
      ['crm', ['analytics'], 'user1', { requestId: second }],
      ['crm', ['analytics'], 'user1', { requestId: first }],
    ]);
  });

  test('GIVEN a failing unrestrict WHEN the hold is released THEN 503 and nothing recorded; released again, it is done', async () => {
    world.connectors.on('crm', () => Promise.reject(new Error('throttled')));
    await holdings();
    const holdId = (await place('user1', { reason: 'litigation', scope: { purposes: ['analytics'] } })).body.holdId as string;
    const failed = await release('user1', holdId);
    expect(failed.status).toBe(503);
    expect((await list('user1')).body.holds).toEqual([expect.objectContaining({ holdId, releasedAt: null })]);
    expect(auditRecords().filter((r) => r.action === 'unrestrict' || r.action === 'release')).toEqual([]);

    world.connectors.on('crm', unrestricted() as never);
    const again = await release('user1', holdId);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ unrestricted: [{ system: 'crm', status: 'unrestricted' }] });
    expect(auditRecords().map((r) => r.action)).toEqual(expect.arrayContaining(['unrestrict', 'release']));
  });
});

describe('a connector that cannot unrestrict', () => {
  // An SDK connector without unrestrictRecord answers every unrestrict with a permanent failure: a 503 would make the
  // hold impossible to release (and the data impossible to expire). The release goes on and says the record failed.
  test("GIVEN a permanent unrestrict failure WHEN the hold is released THEN 200, released, the record reported failed and audited so; user10's hold untouched", async () => {
    world.connectors.on('crm', (invocation: { system: string; subjects: readonly { subjectRef: string }[] }) => ({
      system: invocation.system,
      subjects: [],
      failed: invocation.subjects.map((s) => ({ subjectRef: s.subjectRef, error: 'ConnectorPermanentError', transient: false })),
    }));
    for (const id of ['user1', 'user10'])
      await api.holding(id, { purpose: 'analytics', system: 'crm', collectedAt: '2024-06-01T00:00:00Z' });
    const holdId = (await place('user1', { reason: 'litigation' })).body.holdId as string;
    const other = (await place('user10', { reason: 'litigation' })).body.holdId as string;
    const answer = await release('user1', holdId);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ holdId, unrestricted: [{ system: 'crm', status: 'failed' }] });
    expect((await list('user1')).body.holds).toEqual([expect.objectContaining({ holdId, releasedAt: expect.any(String) })]);
    expect((await list('user10')).body.holds).toEqual([expect.objectContaining({ holdId: other, releasedAt: null })]);
    expect(
      auditRecords()
        .filter((r) => r.action === 'unrestrict')
        .map((r) => [r.holdId, r.outcome]),
    ).toEqual([[holdId, 'failed']]);
  });
});

describe('an erasure request', () => {
  test.each([
    ['every holding', undefined, ['customer', 'marketing', 'analytics']],
    ['marketing only', { purposes: ['marketing'] }, ['marketing']],
    ['crm and marketing (AND)', { purposes: ['marketing', 'customer'], systems: ['crm'] }, ['customer', 'marketing']],
  ])(
    'GIVEN a hold on %s WHEN the subject asks for erasure THEN what it covers is retained with its id and reason, the rest erased',
    async (_what, scope, held) => {
      for (const [purpose, system] of [
        ['customer', 'crm'],
        ['marketing', 'crm'],
        ['analytics', 'crm'],
      ])
        await api.holding('user1', { purpose, system, collectedAt: '2024-12-01T00:00:00Z' });
      const holdId = (await place('user1', { reason: 'Police investigation 123', ...(scope ? { scope } : {}) })).body.holdId as string;

      const requestId = (await api.postRequest({ subjectId: 'user1', verification })).body.requestId as string;
      await planErasure(world.rt, requestId);
      const view = await api.getRequest(requestId);

      const retained = (view.body.retained as { purpose: string; hold?: string; reason: string; until: unknown }[]).filter((r) => r.hold);
      expect(retained.map((r) => r.purpose).sort()).toEqual([...held].sort());
      for (const r of retained) expect(r).toMatchObject({ hold: holdId, reason: 'Police investigation 123', until: null });
      // AND the others go: crm is acted on (fields or record); when every holding there is held, it is only
      // restricted (spec 2.3: a held holding's record gets restrict, marked with the hold's id)
      const crm = (await world.rt.requests.get(requestId))!.systems!.crm;
      // (a kept record with fields going is restricted after them: restrictRetained)
      expect([crm.status, crm.action, crm.record, crm.restrictionId]).toEqual(
        held.length === 3 ? ['pending', 'retain', 'restrict', holdId] : ['pending', 'keep', 'keep', holdId],
      );
    },
  );
});

describe('a hold on one item (scope.refs)', () => {
  test('GIVEN a hold on order O-1 WHEN the subject asks for erasure THEN O-1 is retained with the hold; O-10 and the customer record go', async () => {
    world.restore();
    world = itemsWorld();
    api = apiClient(world);
    // GIVEN user1's customer record C-1 and orders O-1 and O-10, and a hold on O-1 only
    await api.holding('user1', { purpose: 'customer', system: 'crm', collectedAt: COLLECTED, locator: { customerId: 'C-1' } });
    for (const ref of ['O-1', 'O-10'])
      await api.holding('user1', { purpose: 'order', system: 'orders', ref, collectedAt: COLLECTED, locator: { orderId: ref } });
    const holdId = (await place('user1', { reason: 'Disputed delivery', scope: { refs: ['O-1'] } })).body.holdId as string;

    // WHEN user1 asks for erasure and the request is planned
    const requestId = (await api.postRequest({ subjectId: 'user1', verification })).body.requestId as string;
    await planErasure(world.rt, requestId);
    const view = await api.getRequest(requestId);

    // THEN only O-1's order data is retained by the hold, with its reason
    const retained = view.body.retained as { purpose: string; ref?: string; hold?: string; reason: string }[];
    expect(retained.filter((r) => r.hold)).toEqual([
      expect.objectContaining({ purpose: 'order', ref: 'O-1', hold: holdId, reason: 'Disputed delivery' }),
    ]);
    // AND O-10's record and the customer record are to be erased; O-1's is retained
    const status = (view.body.systems as { system: string; ref?: string; status: string }[]).map((s) => [
      s.system,
      s.ref ?? null,
      s.status,
    ]);
    expect(status).toEqual(
      expect.arrayContaining([
        ['crm', null, 'pending'],
        ['orders', 'O-1', 'pending'],
        ['orders', 'O-10', 'pending'],
      ]),
    );
  });
});

describe('the events beside the holds', () => {
  test("GIVEN an active and a released hold WHEN the subject's events retire THEN the active hold keeps no ttl; the events list holds no hold", async () => {
    const subjectRef = await world.rt.refs.ref('user1');
    await api.event('user1', { type: 'account-closed', at: '2024-12-01T00:00:00Z' });
    const active = (await place('user1', { reason: 'litigation' })).body.holdId as string;
    const released = (await place('user1', { reason: 'audit' })).body.holdId as string;
    await release('user1', released);

    const events = await world.rt.events.list(subjectRef);
    expect(events.map((e) => e.type)).toEqual(['account-closed']);
    expect(events.holds.map((h) => [h.holdId, h.releasedAt !== undefined]).sort()).toEqual(
      [
        [active, false],
        [released, true],
      ].sort(),
    );

    expect(await world.rt.events.retireIfIdle(subjectRef, world.clock.now, () => Promise.resolve(false))).toBe(true);
    const ttlOf = (key: string) => world.ddb.items(TABLES.events).find((i) => i[EVENTS.sortKey] === key)?.ttl;
    expect(ttlOf(holdKey(active))).toBeUndefined();
    expect(ttlOf(holdKey(released))).toEqual(expect.any(Number));
    expect(ttlOf(EVENTS.counterKey)).toEqual(expect.any(Number));
  });
});
