/**
 * Restriction and access requests (lib/runtime/subject-requests.ts, issue 14) through the API handler on the
 * in-memory world: receipt with the deadline, Idempotency-Key per kind, bad input (400 naming the field), 404 across
 * kinds, one extension (409 on the second), and the workflow's tasks for each kind.
 */
import { eraseInSystem, finishErasure, planErasure } from '../../../lib/runtime/erasure';
import { apiClient, verification, withIdempotencyKey } from '../../lambdas/helpers';
import { AUDIT_BUCKET, createWorld, EXPORTS_BUCKET, TABLES, type TestWorld } from './support/runtime';

let world: TestWorld;
let api: ReturnType<typeof apiClient>;
beforeEach(() => {
  world = createWorld({ now: '2025-03-01T10:00:00Z' });
  api = apiClient(world);
});
afterEach(() => world.restore());

type Kind = 'restriction' | 'access';
const post = (kind: Kind, body: unknown, headers: Record<string, string> = {}) =>
  api.call({ method: 'POST', path: `/${kind}-requests`, body, headers: withIdempotencyKey(headers) });
const get = (kind: Kind | 'erasure', requestId: string) =>
  api.call({ method: 'GET', path: `/${kind}-requests/${requestId}`, pathParameters: { requestId } });
const extend = (kind: Kind, requestId: string, body: unknown) =>
  api.call({ method: 'POST', path: `/${kind}-requests/${requestId}/extend`, body, pathParameters: { requestId } });

describe.each(['restriction', 'access'] as const)('%s requests', (kind) => {
  test('POST answers 202 {requestId, status, deadline}: the deadline is receipt + P1M in the policy time zone', async () => {
    const answer = await post(kind, { subjectId: 'user1', verification });
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({ requestId: expect.any(String), status: 'received', deadline: '2025-04-01T11:00:00+02:00' });
    // AND it is stored with its kind, in the one requests table, open (the monitor's index)
    const stored = world.ddb.item(TABLES.requests, { requestId: answer.body.requestId });
    expect(stored).toMatchObject({ kind, status: 'received', openSince: 'open', deadline: '2025-04-01T09:00:00.000Z' });
    // AND the subject id is sealed, never stored in clear
    expect(JSON.stringify(stored)).not.toContain('user1');
  });

  test('the same Idempotency-Key answers the same request; the same key on another kind is another request', async () => {
    const key = { 'Idempotency-Key': 'key-42' };
    const first = await post(kind, { subjectId: 'user1', verification }, key);
    const again = await post(kind, { subjectId: 'user1', verification }, key);
    expect(again.body.requestId).toBe(first.body.requestId);
    const other = await post(kind === 'access' ? 'restriction' : 'access', { subjectId: 'user1', verification }, key);
    const erasure = await api.postRequest({ subjectId: 'user1', verification }, key);
    expect(new Set([first.body.requestId, other.body.requestId, erasure.body.requestId]).size).toBe(3);
    // AND the same key for another subject is a conflict, not user1's request
    const conflict = await post(kind, { subjectId: 'user10', verification }, key);
    expect(conflict.status).toBe(409);
    expect(JSON.stringify(conflict.body)).not.toContain(first.body.requestId as string);
  });

  test.each([
    ['no subjectId', { verification }, 'subjectId'],
    ['no verification', { subjectId: 'user1' }, 'verification'],
    [
      'a verifiedAt without offset',
      { subjectId: 'user1', verification: { method: 'x', verifiedAt: '2025-03-01T09:00:00' } },
      'verification.verifiedAt',
    ],
    ['an unknown purpose in scope', { subjectId: 'user1', scope: ['nope'], verification }, 'scope[0]'],
    ['an empty scope', { subjectId: 'user1', scope: [], verification }, 'scope'],
    ['an unknown key', { subjectId: 'user1', verification, colour: 'red' }, ''],
  ])('%s: 400 naming the field, nothing stored', async (_what, body, path) => {
    const answer = await post(kind, body);
    expect(answer.status).toBe(400);
    if (path) expect(answer.body.error?.path).toBe(path);
    expect(world.ddb.items(TABLES.requests)).toEqual([]);
  });

  test('without an Idempotency-Key: 400 naming the header', async () => {
    const answer = await api.call({ method: 'POST', path: `/${kind}-requests`, body: { subjectId: 'user1', verification } });
    expect(answer.status).toBe(400);
    expect(answer.body.error?.path).toBe('headers.Idempotency-Key');
  });

  test('GET answers the request; its id is not found on the other kinds’ routes, nor is an unknown id (404)', async () => {
    const { requestId } = (await post(kind, { subjectId: 'user1', verification })).body as { requestId: string };
    const view = await get(kind, requestId);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ requestId, kind, subjectId: 'user1', status: 'received', deadline: '2025-04-01T11:00:00+02:00' });
    for (const other of (['erasure', 'restriction', 'access'] as const).filter((k) => k !== kind)) {
      const answer = await get(other, requestId);
      expect(answer.status).toBe(404);
      expect(answer.body.error?.message).toContain(`no ${other} request has id`);
    }
    expect((await get(kind, 'f00-not-there')).status).toBe(404);
    // and an erasure request's id is not found here
    const erasure = (await api.postRequest({ subjectId: 'user1', verification })).body.requestId as string;
    expect((await get(kind, erasure)).status).toBe(404);
  });

  test('extend: once (200, the deadline moves from the original one), a second time 409; bad months 400', async () => {
    const { requestId } = (await post(kind, { subjectId: 'user1', verification })).body as { requestId: string };
    expect((await extend(kind, requestId, { months: 3, reason: 'x' })).body.error?.path).toBe('months');
    const first = await extend(kind, requestId, { months: 2, reason: 'many systems' });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ requestId, deadline: '2025-06-01T11:00:00+02:00', extension: { months: 2, reason: 'many systems' } });
    const second = await extend(kind, requestId, { months: 1, reason: 'again' });
    expect(second.status).toBe(409);
    expect(second.body.error?.message).toContain(`${kind} request "${requestId}" was already extended`);
    expect((await extend(kind, 'f00-not-there', { months: 1, reason: 'x' })).status).toBe(404);
  });
});

describe('restriction', () => {
  test('until and keep are stored and answered; until in the past or without offset, keep not a boolean: 400 naming it', async () => {
    const { requestId } = (await post('restriction', { subjectId: 'user1', verification, until: '2025-09-01T00:00:00+02:00', keep: true }))
      .body as { requestId: string };
    expect((await get('restriction', requestId)).body).toMatchObject({ until: '2025-09-01T00:00:00+02:00', keep: true });
    for (const [body, path] of [
      [{ until: '2025-02-01T00:00:00+01:00' }, 'until'],
      [{ until: '2025-09-01T00:00:00' }, 'until'],
      [{ keep: 'yes' }, 'keep'],
    ] as const) {
      const answer = await post('restriction', { subjectId: 'user2', verification, ...body });
      expect({ status: answer.status, path: answer.body.error?.path }).toEqual({ status: 400, path });
    }
  });

  test('the workflow: plan restricts each record in scope, the system task calls the connector with restrict, finish completes and audits', async () => {
    // GIVEN user1 and user10 subscribed to the newsletter, and a restriction request for user1 until September
    await api.holding('user1', { purpose: 'marketing', system: 'newsletter', collectedAt: '2024-01-10T12:00:00+01:00' });
    await api.holding('user10', { purpose: 'marketing', system: 'newsletter', collectedAt: '2024-01-10T12:00:00+01:00' });
    const { requestId } = (await post('restriction', { subjectId: 'user1', verification, until: '2025-09-01T00:00:00+02:00' })).body as {
      requestId: string;
    };
    world.connectors.on('newsletter', (invocation) => ({
      system: invocation.system,
      subjects: invocation.subjects.map((s) => ({
        subjectRef: s.subjectRef,
        status: 'restricted' as const,
        counts: { records: 1, fields: 0, objects: 0 },
      })),
    }));
    // WHEN the plan runs THEN the newsletter record is to be restricted
    expect((await planErasure(world.rt, requestId)).systems).toEqual([{ system: 'newsletter', record: 'newsletter' }]);
    // WHEN the system task runs THEN the connector gets record restrict with the request id and end, for user1 only
    expect(await eraseInSystem(world.rt, requestId, 'newsletter')).toMatchObject({ system: 'newsletter', status: 'restricted' });
    const [invocation] = world.connectors.forSystem('newsletter');
    expect(invocation.purposes).toEqual(['marketing']);
    expect(invocation.subjects).toEqual([
      expect.objectContaining({
        subjectId: 'user1',
        record: 'restrict',
        removeFields: [],
        anonymiseFields: [],
        restriction: { requestId, until: '2025-08-31T22:00:00.000Z' },
      }),
    ]);
    // WHEN finish runs THEN completed, one audit record of kind restriction-request with action restrict
    expect(await finishErasure(world.rt, { requestId, results: [] })).toEqual({ requestId, status: 'completed', failedSystems: [] });
    const records = [...world.s3.bodies(AUDIT_BUCKET, 'audit/').values()].map((b) => JSON.parse(b) as Record<string, unknown>);
    expect(records.map((r) => [r.kind, r.action, r.outcome, r.system])).toEqual([
      ['restriction-request', 'restrict', 'restricted', 'newsletter'],
    ]);
    // AND the holdings stay active: a restriction erases nothing
    const view = await get('restriction', requestId);
    expect(view.body).toMatchObject({ status: 'completed', systems: [{ system: 'newsletter', status: 'restricted' }] });
  });

  test('a connector that marked nothing (counts 0) is recorded as nothing-found', async () => {
    await api.holding('user1', { purpose: 'marketing', system: 'newsletter', collectedAt: '2024-01-10T12:00:00+01:00' });
    const { requestId } = (await post('restriction', { subjectId: 'user1', verification })).body as { requestId: string };
    world.connectors.on('newsletter', (invocation) => ({
      system: invocation.system,
      subjects: invocation.subjects.map((s) => ({
        subjectRef: s.subjectRef,
        status: 'restricted' as const,
        counts: { records: 0, fields: 0, objects: 0 },
      })),
    }));
    await planErasure(world.rt, requestId);
    expect((await eraseInSystem(world.rt, requestId, 'newsletter')).status).toBe('nothing-found');
    expect(world.connectors.forSystem('newsletter')[0].subjects[0].restriction).toEqual({ requestId });
  });
});

describe('access', () => {
  /** The crm table as the fake DynamoDB connector sees it: user1's and user10's items, every field. */
  const crm: Record<string, Record<string, string>> = {
    user1: { name: 'Ada One', email: 'ada@example.com', phone: '+46 70 111', allergies: 'nuts' },
    user10: { name: 'Ten Person', email: 'ten@example.com', phone: '+46 70 999', allergies: 'gluten' },
  };
  const exportingCrm = () =>
    world.connectors.on('crm', (invocation) => ({
      system: invocation.system,
      subjects: invocation.subjects.map((s) => {
        const item = crm[s.subjectId];
        const fields = Object.fromEntries((s.exportFields ?? []).filter((f) => f.name in item).map((f) => [f.name, item[f.name]]));
        return {
          subjectRef: s.subjectRef,
          status: 'exported' as const,
          counts: { records: 1, fields: Object.keys(fields).length, objects: 0 },
          export: { records: [{ source: `table crm, key userId=${s.subjectId}`, fields }] },
        };
      }),
    }));

  test('plan → system → finish: each record exported with its listed fields only, the document written and audited, GET gives the links', async () => {
    // GIVEN user1 and user10 with marketing (contact: email, phone) in crm, and an access request for user1's marketing
    for (const subject of ['user1', 'user10']) {
      await api.holding(subject, { purpose: 'marketing', system: 'crm', collectedAt: '2024-01-10T12:00:00+01:00' });
    }
    exportingCrm();
    const { requestId } = (await post('access', { subjectId: 'user1', scope: ['marketing'], verification })).body as { requestId: string };
    expect((await get('access', requestId)).body).toMatchObject({ access: null, export: 'not-yet-available' });
    // WHEN the plan runs THEN one record, crm, to export
    expect((await planErasure(world.rt, requestId)).systems).toEqual([{ system: 'crm', record: 'crm' }]);
    // WHEN the system task runs THEN the connector is asked for user1's email and phone only (the plan's fields)
    const out = await eraseInSystem(world.rt, requestId, 'crm');
    expect(out).toEqual({ system: 'crm', status: 'exported', counts: { records: 1, fields: 2, objects: 0 } });
    const [invocation] = world.connectors.forSystem('crm');
    expect(invocation.subjects).toEqual([
      expect.objectContaining({
        subjectId: 'user1',
        record: 'export',
        removeFields: [],
        anonymiseFields: [],
        exportFields: [
          { name: 'email', category: 'contact' },
          { name: 'phone', category: 'contact' },
        ],
      }),
    ]);
    // AND the values are in the exports bucket only: not in the request item, not in the task's answer
    expect(JSON.stringify(world.ddb.items(TABLES.requests))).not.toContain('ada@example.com');
    expect(JSON.stringify(out)).not.toContain('ada@example.com');
    // WHEN finish runs THEN completed; the document (JSON and HTML) is written; one audit record says exported
    expect(await finishErasure(world.rt, { requestId, results: [] })).toEqual({ requestId, status: 'completed', failedSystems: [] });
    const json = world.s3.bodies(EXPORTS_BUCKET, `exports/${requestId}/export.json`).get(`exports/${requestId}/export.json`)!;
    expect(json).toContain('ada@example.com');
    expect(json).toContain('+46 70 111');
    // AND it holds no field outside the plan (name, allergies) and nothing of user10
    for (const absent of ['Ada One', 'nuts', 'user10', 'ten@example.com', 'Ten Person']) expect(json).not.toContain(absent);
    expect(world.s3.bodies(EXPORTS_BUCKET, `exports/${requestId}/export.html`).size).toBe(1);
    const records = [...world.s3.bodies(AUDIT_BUCKET, 'audit/').values()].map((b) => JSON.parse(b) as Record<string, unknown>);
    expect(records.map((r) => [r.kind, r.action, r.outcome, r.system])).toEqual([
      ['access-request', 'export', 'exported', 'crm'],
      ['access-request', 'export', 'exported', '*'],
    ]);
    expect(JSON.stringify(records)).not.toContain('ada@example.com');
    // AND GET answers completed with two links, valid the 7 days from now
    const view = await get('access', requestId);
    expect(view.body).toMatchObject({
      status: 'completed',
      access: [{ system: 'crm', purposes: ['marketing'], categories: ['contact'], fields: ['email', 'phone'] }],
      export: {
        json: { key: `exports/${requestId}/export.json`, url: `https://exports.test/exports/${requestId}/export.json?expiresIn=604800` },
        html: { key: `exports/${requestId}/export.html`, url: `https://exports.test/exports/${requestId}/export.html?expiresIn=604800` },
        expiresAt: '2025-03-08T10:00:00.000Z',
      },
    });
    // AND a day later the links are signed for what is left; after 7 days they are no longer handed out
    world.clock.now = world.clock.now.add({ hours: 24 });
    expect(((await get('access', requestId)).body.export as { json: { url: string } }).json.url).toMatch(/expiresIn=518400$/);
    world.clock.now = world.clock.now.add({ hours: 6 * 24 });
    expect((await get('access', requestId)).body.export).toBe('expired');
  });

  test('lang sv is stored and the document is in Swedish; lang other than en/sv: 400 naming lang', async () => {
    await api.holding('user1', { purpose: 'marketing', system: 'crm', collectedAt: '2024-01-10T12:00:00+01:00' });
    exportingCrm();
    const bad = await post('access', { subjectId: 'user1', verification, lang: 'de' });
    expect({ status: bad.status, path: bad.body.error?.path }).toEqual({ status: 400, path: 'lang' });
    const { requestId } = (await post('access', { subjectId: 'user1', verification, lang: 'sv' })).body as { requestId: string };
    await planErasure(world.rt, requestId);
    await eraseInSystem(world.rt, requestId, 'crm');
    await finishErasure(world.rt, { requestId, results: [] });
    const json = JSON.parse(world.s3.bodies(EXPORTS_BUCKET, `exports/${requestId}/export.json`).get(`exports/${requestId}/export.json`)!);
    expect(json.lang).toBe('sv');
  });
});
