/**
 * The erasure API end to end on fakes (lambdas/api.ts): every route of issue 4, the Idempotency-Key, and bad
 * input: 400 with the offending path, 404, 409, 413, 415; never a 500 for what the caller sent; no subject id,
 * identifier or locator value in any log line.
 */
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { ENV, EVENTS, LEDGER, REQUESTS } from '../../lib/core/contract';
import { captureOutput, createWorld, ledgerTable, STATE_MACHINE_ARN, TABLES, type TestWorld } from '../lib/runtime/support/runtime';
import { basePolicyDoc, policyFromDoc } from '../helpers/policy';
import { apiClient, verification, withIdempotencyKey } from './helpers';

let world: TestWorld;
let api: ReturnType<typeof apiClient>;

beforeEach(() => {
  world = createWorld({ now: '2025-03-01T10:00:00Z' });
  api = apiClient(world);
});
afterEach(() => world.restore());

const SUBJECT = 'subject-4711';
const EMAIL = 'anna.andersson@example.se';
const LOCATOR = 'C-4711-LOCATOR';

describe('POST /subjects/{subjectId}/holdings', () => {
  it('registers an active holding with its expiry and due keys; the subject appears only as an HMAC', async () => {
    // GIVEN analytics data (kept P1Y) collected on 2025-01-15
    const answer = await api.holding(SUBJECT, {
      purpose: 'analytics',
      system: 'crm',
      collectedAt: '2025-01-15T12:00:00+01:00',
      locator: { customerId: LOCATOR },
    });
    // THEN 201 with the expiry in the policy's zone
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({
      purpose: 'analytics',
      system: 'crm',
      status: 'active',
      expiresAt: '2026-01-15T12:00:00+01:00',
      registered: true,
    });
    // AND the ledger item carries the due keys, sealed locator, no clear id
    const [item] = world.ddb.items(ledgerTable('analytics'));
    expect(item).toMatchObject({ system: 'crm', status: 'active', dueAt: Date.parse('2026-01-15T11:00:00Z') });
    expect(item.subjectRef).toMatch(/^[0-9a-f]{64}$/);
    expect(item.dueShard).toMatch(/^(0\d|1[0-5])$/);
    expect(item.ttl).toBe(Date.parse('2026-01-15T11:00:00Z') / 1000 + LEDGER.activeTtlGraceSeconds);
    expect(JSON.stringify(item)).not.toContain(SUBJECT);
    expect(JSON.stringify(item)).not.toContain(LOCATOR);
  });

  it('registers a holding whose clock has not started without due keys', async () => {
    const answer = await api.holding(SUBJECT, { purpose: 'customer', system: 'crm', collectedAt: '2025-01-15T12:00:00+01:00' });
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ expiresAt: null, waitingFor: ['account-closed'] });
    const [item] = world.ddb.items(ledgerTable('customer'));
    expect(item.dueAt).toBeUndefined();
    expect(item.dueShard).toBeUndefined();
    expect(item.ttl).toBeUndefined();
  });
});

describe('POST /subjects/{subjectId}/events', () => {
  it('records the event and recomputes every active holding of the subject', async () => {
    // GIVEN a customer holding waiting for account-closed, and another subject's
    await api.holding(SUBJECT, { purpose: 'customer', system: 'crm', collectedAt: '2025-01-15T12:00:00+01:00' });
    await api.holding('subject-47110', { purpose: 'customer', system: 'crm', collectedAt: '2025-01-15T12:00:00+01:00' });
    // WHEN the account is closed
    const answer = await api.event(SUBJECT, { type: 'account-closed', at: '2025-02-10T09:00:00+01:00' });
    // THEN 201, and the holding is due 3 months later; the other subject's is untouched
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ type: 'account-closed', holdingsRescheduled: 1 });
    const items = world.ddb.items(ledgerTable('customer'));
    const due = items.filter((i) => i.dueAt !== undefined);
    expect(due).toHaveLength(1);
    expect(due[0].dueAt).toBe(Date.parse('2025-05-10T07:00:00Z'));
    expect(due[0].expiresAt).toBe('2025-05-10T09:00:00+02:00');
    expect(world.ddb.items(TABLES.events).filter((e) => e.eventKey !== EVENTS.counterKey)).toHaveLength(1);
  });

  it('writes a repeated event once', async () => {
    await api.event(SUBJECT, { type: 'unsubscribed', at: '2025-02-10T09:00:00+01:00' });
    await api.event(SUBJECT, { type: 'unsubscribed', at: '2025-02-10T08:00:00Z' });
    expect(world.ddb.items(TABLES.events).filter((e) => e.eventKey !== EVENTS.counterKey)).toHaveLength(1);
  });
});

describe('POST /erasure-requests', () => {
  it('answers 202 with the deadline and starts the workflow with the request id only', async () => {
    const answer = await api.postRequest({ subjectId: SUBJECT, identifiers: { email: EMAIL }, verification, reason: 'asked by mail' });
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({ requestId: expect.any(String), status: 'received', deadline: '2025-04-01T11:00:00+02:00' });
    const requestId = answer.body.requestId as string;
    expect(world.sfn.executions).toEqual([{ name: requestId, input: { requestId }, stateMachineArn: STATE_MACHINE_ARN }]);
    const [item] = world.ddb.items(TABLES.requests);
    expect(item).toMatchObject({
      requestId,
      status: 'received',
      [REQUESTS.openAttribute]: REQUESTS.openValue,
      deadline: '2025-04-01T09:00:00.000Z',
    });
    for (const secret of [SUBJECT, EMAIL, 'asked by mail']) expect(JSON.stringify(item)).not.toContain(secret);
  });

  it('returns the same request for the same Idempotency-Key, never a second one', async () => {
    const body = { subjectId: SUBJECT, verification };
    const first = await api.postRequest(body, { 'Idempotency-Key': 'key-1' });
    const again = await api.postRequest(body, { 'idempotency-key': 'key-1' });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(world.ddb.items(TABLES.requests)).toHaveLength(1);
    expect(world.sfn.executions).toHaveLength(1);
    // Powertools kept the answer (ids and a date only)
    const [record] = world.ddb.items(TABLES.idempotency);
    expect(record.status).toBe('COMPLETED');
    expect(JSON.stringify(record)).not.toContain(SUBJECT);
    // A new key is a new request
    const other = await api.postRequest(body, { 'Idempotency-Key': 'key-2' });
    expect(other.body.requestId).not.toBe(first.body.requestId);
    expect(world.sfn.executions).toHaveLength(2);
  });

  it('refuses the same Idempotency-Key for another subject while the first answer is still kept', async () => {
    // GIVEN a request under key-1 whose Powertools record is alive
    const first = await api.postRequest({ subjectId: SUBJECT, verification }, { 'Idempotency-Key': 'key-1' });
    expect(first.status).toBe(202);
    // WHEN the same key is sent for another subject
    const misuse = await api.postRequest({ subjectId: 'someone-else', verification }, { 'Idempotency-Key': 'key-1' });
    // THEN it is refused, not answered with the first subject's request, and nothing new starts
    expect(misuse.status).toBe(409);
    expect(JSON.stringify(misuse.body)).not.toContain(first.body.requestId);
    expect(world.sfn.executions).toHaveLength(1);
  });

  it('finds the same request after the idempotency record expired, and refuses the key for another subject', async () => {
    const first = await api.postRequest({ subjectId: SUBJECT, verification }, { 'Idempotency-Key': 'key-1' });
    for (const item of world.ddb.items(TABLES.idempotency)) world.ddb.remove(TABLES.idempotency, item);
    const again = await api.postRequest({ subjectId: SUBJECT, verification }, { 'Idempotency-Key': 'key-1' });
    expect(again.body.requestId).toBe(first.body.requestId);
    expect(world.sfn.executions).toHaveLength(1);
    for (const item of world.ddb.items(TABLES.idempotency)) world.ddb.remove(TABLES.idempotency, item);
    const misuse = await api.postRequest({ subjectId: 'someone-else', verification }, { 'Idempotency-Key': 'key-1' });
    expect(misuse.status).toBe(409);
    expect(misuse.body.error?.code).toBe('conflict');
  });

  it('answers 202 with the stored request when starting the workflow fails; the same key returns it and starts it', async () => {
    // GIVEN a first attempt whose workflow start is throttled after the request was stored
    const body = { subjectId: SUBJECT, verification };
    world.sfn.failNext = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const first = await api.postRequest(body, { 'Idempotency-Key': 'key-1' });
    // THEN the caller learns the request id: it is stored and received, though nothing started yet
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ requestId: expect.any(String), status: 'received', deadline: '2025-04-01T11:00:00+02:00' });
    expect(world.ddb.items(TABLES.requests)).toEqual([expect.objectContaining({ requestId: first.body.requestId, status: 'received' })]);
    expect(world.sfn.executions).toHaveLength(0);
    // WHEN the client retries with the same key
    const retried = await api.postRequest(body, { 'Idempotency-Key': 'key-1' });
    // THEN the same request is answered and started, once
    expect(retried.status).toBe(202);
    expect(retried.body).toEqual(first.body);
    expect(world.ddb.items(TABLES.requests)).toHaveLength(1);
    expect(world.sfn.executions.map((e) => e.name)).toEqual([first.body.requestId]);
  });

  it('answers 202 within its budget when starting the workflow hangs, with the request stored', async () => {
    // GIVEN a Step Functions that never answers StartExecution
    world.sfn.mock.on(StartExecutionCommand).callsFake(() => new Promise(() => undefined));
    const budgeted = apiClient(world, { workflowStartBudgetMs: 300 });
    // WHEN an erasure is requested
    const began = Date.now();
    const answer = await budgeted.postRequest({ subjectId: SUBJECT, verification }, { 'Idempotency-Key': 'key-1' });
    const tookMs = Date.now() - began;
    // THEN it answers 202 once the start's budget is spent, not when the function times out
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ status: 'received' });
    expect(tookMs).toBeGreaterThanOrEqual(300);
    expect(tookMs).toBeLessThan(3_000);
    expect(world.ddb.items(TABLES.requests)).toEqual([expect.objectContaining({ requestId: answer.body.requestId, status: 'received' })]);
  });

  it('gives the start only what is left of the answer budget', async () => {
    world.sfn.mock.on(StartExecutionCommand).callsFake(() => new Promise(() => undefined));
    // GIVEN an answer budget already spent by the time the request is stored
    const spent = apiClient(world, { answerBudgetMs: 1 });
    const answer = await spent.postRequest({ subjectId: SUBJECT, verification }, { 'Idempotency-Key': 'key-1' });
    // THEN the start is not even tried, and the stored request is answered
    expect(answer.status).toBe(202);
    expect(world.sfn.mock.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(world.ddb.items(TABLES.requests)).toHaveLength(1);
  });

  it('a replay with the same key answers the request as it is now, not the first answer', async () => {
    // GIVEN a request that has since completed and been extended
    const body = { subjectId: SUBJECT, verification };
    const first = await api.postRequest(body, { 'Idempotency-Key': 'key-1' });
    const requestId = first.body.requestId as string;
    await api.extend(requestId, { months: 1, reason: 'many systems' });
    await world.rt.requests.finish(requestId, 'completed', world.clock.now);
    // WHEN the client sends the same request again with the same key (Powertools still keeps the first answer)
    const replay = await api.postRequest(body, { 'Idempotency-Key': 'key-1' });
    // THEN it sees the current status and deadline, and nothing starts again
    expect(replay.status).toBe(202);
    expect(replay.body).toEqual({ requestId, status: 'completed', deadline: '2025-05-01T11:00:00+02:00' });
    expect(world.sfn.executions).toHaveLength(1);
  });

  it.each([
    ['no Idempotency-Key header', {}],
    ['an empty Idempotency-Key', { 'Idempotency-Key': '' }],
  ])('refuses a request with %s: 400 naming the header, nothing stored or started', async (_what, headers) => {
    const answer = await api.call({ method: 'POST', path: '/erasure-requests', body: { subjectId: SUBJECT, verification }, headers });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'invalid-input', path: 'headers.Idempotency-Key' });
    expect(answer.body.error?.message).toMatch(/Idempotency-Key/);
    expect(world.ddb.items(TABLES.requests)).toHaveLength(0);
    expect(world.sfn.executions).toHaveLength(0);
    expect(world.kms.encrypts).toBe(0);
  });
});

describe('GET /erasure-requests/{requestId}', () => {
  it('answers the full status', async () => {
    const { body } = await api.postRequest({ subjectId: SUBJECT, verification, scope: ['marketing'] });
    const answer = await api.getRequest(body.requestId as string);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      requestId: body.requestId,
      subjectId: SUBJECT,
      status: 'received',
      receivedAt: '2025-03-01T11:00:00+01:00',
      deadline: '2025-04-01T11:00:00+02:00',
      systems: [],
      retained: [],
    });
  });

  it('answers 404 for an unknown id', async () => {
    const answer = await api.getRequest('00000000-0000-0000-0000-000000000000');
    expect(answer.status).toBe(404);
    expect(answer.body.error).toMatchObject({ code: 'not-found', path: 'requestId' });
  });
});

describe('POST /erasure-requests/{requestId}/extend', () => {
  it('extends once, by at most two months, from the original deadline', async () => {
    const { body } = await api.postRequest({ subjectId: SUBJECT, verification });
    const requestId = body.requestId as string;
    const extended = await api.extend(requestId, { months: 2, reason: 'many systems to search' });
    expect(extended.status).toBe(200);
    expect(extended.body).toEqual({
      requestId,
      deadline: '2025-06-01T11:00:00+02:00',
      extension: { months: 2, reason: 'many systems to search' },
    });
    expect((await api.getRequest(requestId)).body).toMatchObject({ deadline: '2025-06-01T11:00:00+02:00', extension: { months: 2 } });
    const twice = await api.extend(requestId, { months: 1, reason: 'again' });
    expect(twice.status).toBe(409);
    expect(twice.body.error?.message).toMatch(/already extended/);
  });

  it('refuses three months and an unknown request', async () => {
    const { body } = await api.postRequest({ subjectId: SUBJECT, verification });
    const three = await api.extend(body.requestId as string, { months: 3, reason: 'x' });
    expect(three.status).toBe(400);
    expect(three.body.error?.path).toBe('months');
    expect((await api.extend('00000000-0000-0000-0000-000000000000', { months: 1, reason: 'x' })).status).toBe(404);
  });
});

describe('bad input', () => {
  const request = { subjectId: SUBJECT, verification };
  const holding = { purpose: 'customer', system: 'crm', collectedAt: '2025-01-15T12:00:00+01:00' };
  // Table-driven: what the caller sends, and the status and path the answer must name.
  const cases: {
    name: string;
    send: () => Promise<{ status: number; body: { error?: { path?: string; code: string } } }>;
    status: number;
    path?: string;
    code?: string;
  }[] = [
    { name: 'request without verification', send: () => api.postRequest({ subjectId: SUBJECT }), status: 400, path: 'verification' },
    {
      name: 'request with a numeric subjectId',
      send: () => api.postRequest({ ...request, subjectId: 123 }),
      status: 400,
      path: 'subjectId',
    },
    { name: 'request with an empty subjectId', send: () => api.postRequest({ ...request, subjectId: '' }), status: 400, path: 'subjectId' },
    { name: 'request with an unknown key', send: () => api.postRequest({ ...request, subject: 'x' }), status: 400 },
    {
      name: 'request scoped to an unknown purpose',
      send: () => api.postRequest({ ...request, scope: ['customer', 'golf'] }),
      status: 400,
      path: 'scope[1]',
    },
    {
      name: 'request verified at a time without an offset',
      send: () => api.postRequest({ ...request, verification: { method: 'id', verifiedAt: '2025-03-01T09:00:00' } }),
      status: 400,
      path: 'verification.verifiedAt',
    },
    {
      name: 'request with a non-text identifier',
      send: () => api.postRequest({ ...request, identifiers: { email: 42 } }),
      status: 400,
      path: 'identifiers.email',
    },
    {
      name: 'request with identifiers too large to seal',
      send: () =>
        api.postRequest({ ...request, identifiers: Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, 'x'.repeat(200)])) }),
      status: 400,
      path: 'identifiers',
    },
    {
      name: 'request body that is a list',
      send: () => api.call({ method: 'POST', path: '/erasure-requests', body: [request], headers: withIdempotencyKey() }),
      status: 400,
    },
    {
      name: 'request body that is null',
      send: () => api.call({ method: 'POST', path: '/erasure-requests', rawBody: 'null', headers: withIdempotencyKey() }),
      status: 400,
    },
    {
      name: 'request body that is not JSON',
      send: () => api.call({ method: 'POST', path: '/erasure-requests', rawBody: '{"subjectId":', headers: withIdempotencyKey() }),
      status: 400,
      code: 'invalid-json',
    },
    {
      name: 'request body that is not sent as JSON',
      send: () =>
        api.call({
          method: 'POST',
          path: '/erasure-requests',
          rawBody: 'a=b',
          headers: withIdempotencyKey({ 'Content-Type': 'text/plain' }),
        }),
      status: 415,
    },
    {
      name: 'request body over 64 KiB',
      send: () => api.postRequest({ ...request, reason: 'x'.repeat(70 * 1024) }),
      status: 413,
      code: 'body-too-large',
    },
    {
      name: 'an Idempotency-Key too long',
      send: () => api.postRequest(request, { 'Idempotency-Key': 'k'.repeat(300) }),
      status: 400,
      path: 'headers.Idempotency-Key',
    },
    { name: 'a request id with a slash-like payload', send: () => api.getRequest('../../etc'), status: 400, path: 'requestId' },
    {
      name: 'holding of an unknown purpose',
      send: () => api.holding(SUBJECT, { ...holding, purpose: 'golf' }),
      status: 400,
      path: 'purpose',
    },
    { name: 'holding in an unknown system', send: () => api.holding(SUBJECT, { ...holding, system: 'erp' }), status: 400, path: 'system' },
    {
      name: 'holding in a system its purpose does not use',
      send: () => api.holding(SUBJECT, { ...holding, system: 'newsletter' }),
      status: 400,
      path: 'system',
    },
    {
      name: 'holding collected without an offset',
      send: () => api.holding(SUBJECT, { ...holding, collectedAt: '2025-01-15' }),
      status: 400,
      path: 'collectedAt',
    },
    {
      name: 'holding with a locator that is not a map of text',
      send: () => api.holding(SUBJECT, { ...holding, locator: { id: 7 } }),
      status: 400,
      path: 'locator.id',
    },
    {
      name: 'event of an unknown type',
      send: () => api.event(SUBJECT, { type: 'born', at: '2025-01-01T00:00:00Z' }),
      status: 400,
      path: 'type',
    },
    {
      name: 'event of type collected',
      send: () => api.event(SUBJECT, { type: 'collected', at: '2025-01-01T00:00:00Z' }),
      status: 400,
      path: 'type',
    },
    {
      name: 'event for an unknown purpose',
      send: () => api.event(SUBJECT, { type: 'invoiced', at: '2025-01-01T00:00:00Z', purpose: 'golf' }),
      status: 400,
      path: 'purpose',
    },
    {
      name: 'event at a time that is not a timestamp',
      send: () => api.event(SUBJECT, { type: 'invoiced', at: 'yesterday' }),
      status: 400,
      path: 'at',
    },
    { name: 'an unknown route', send: () => api.call({ method: 'GET', path: '/subjects' }), status: 404 },
    { name: 'a known path with the wrong method', send: () => api.call({ method: 'DELETE', path: '/erasure-requests' }), status: 404 },
  ];

  it.each(cases)('$name → $status', async ({ send, status, path, code }) => {
    const answer = await send();
    expect(answer.status).toBe(status);
    expect(answer.body.error).toBeDefined();
    if (path) expect(answer.body.error?.path).toBe(path);
    if (code) expect(answer.body.error?.code).toBe(code);
    // Nothing was written and nothing started for a refused request.
    expect(world.ddb.items(TABLES.requests)).toHaveLength(0);
    expect(world.sfn.executions).toHaveLength(0);
  });

  it('checks the size before parsing or sealing anything', async () => {
    await api.postRequest({ ...request, reason: 'x'.repeat(70 * 1024) });
    expect(world.kms.encrypts).toBe(0);
  });
});

describe('subject ids that are not well-formed text (issue 15, item 16)', () => {
  const holding = { purpose: 'customer', system: 'crm', collectedAt: '2025-01-15T12:00:00+01:00' };

  it('an erasure for u1\\ud800 cannot finish the holding of u1\\uFFFD: it is refused before anything is read or written', async () => {
    // GIVEN the holding of the subject whose id ends in U+FFFD
    expect((await api.holding('u1\uFFFD', holding)).status).toBe(201);
    const before = world.ddb.items(ledgerTable('customer'));
    // WHEN an erasure is asked for the id ending in a lone surrogate, scoped to that purpose
    const answer = await api.postRequest({ subjectId: 'u1\ud800', verification, scope: ['customer'] }, { 'Idempotency-Key': 'attack-1' });
    // THEN 400 naming subjectId; no request, no execution, the other subject's holding untouched
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'invalid-input', path: 'subjectId' });
    expect(world.ddb.items(TABLES.requests)).toHaveLength(0);
    expect(world.sfn.executions).toHaveLength(0);
    expect(world.ddb.items(ledgerTable('customer'))).toEqual(before);
  });

  const BAD_IDS: [string, string, RegExp][] = [
    ['u1\ud800', 'a lone high surrogate', /lone surrogate/],
    ['u1\udfff', 'a lone low surrogate', /lone surrogate/],
    ['u1\u0000', 'a NUL', /control character/],
    ['u1\nx', 'a line feed', /control character/],
    ['u1\u007f', 'a DEL', /control character/],
    ['..', 'the URL segment ..', /"\.\."/],
    ['.', 'the URL segment .', /"\."/],
  ];
  const ROUTES: [string, (id: string) => ReturnType<typeof api.call>][] = [
    ['POST /erasure-requests', (id) => api.postRequest({ subjectId: id, verification }, { 'Idempotency-Key': 'k-1' })],
    ['POST /subjects/{id}/holdings', (id) => api.holding(id, holding)],
    ['POST /subjects/{id}/events', (id) => api.event(id, { type: 'account-closed', at: '2025-02-10T09:00:00+01:00' })],
  ];
  const cases = BAD_IDS.flatMap(([id, what, message]) => ROUTES.map(([route, send]) => ({ id, what, message, route, send })));

  it.each(cases)('$route refuses an id with $what: 400 naming subjectId, nothing sealed or written', async ({ id, message, send }) => {
    const answer = await send(id);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'invalid-input', path: 'subjectId', message: expect.stringMatching(message) });
    expect(world.kms.encrypts).toBe(0);
    for (const table of [TABLES.requests, TABLES.events, ledgerTable('customer')]) expect(world.ddb.items(table)).toHaveLength(0);
    expect(world.sfn.executions).toHaveLength(0);
  });

  it('refuses an Idempotency-Key that is not well-formed text (the request id is derived from its bytes)', async () => {
    const answer = await api.postRequest({ subjectId: SUBJECT, verification }, { 'Idempotency-Key': 'k\ud800' });
    expect(answer.status).toBe(400);
    expect(answer.body.error?.path).toBe('headers.Idempotency-Key');
    expect(world.ddb.items(TABLES.requests)).toHaveLength(0);
  });
});

describe('registering an id that a system of the holding cannot locate safely (issue 15, item 16)', () => {
  // A policy whose documents live in S3 under a per-subject prefix.
  const prefixPolicy = policyFromDoc(
    basePolicyDoc({
      systems: {
        crm: { connector: 'dynamodb', location: 'eu-north-1', fields: { name: { category: 'identity' } } },
        documents: {
          connector: 's3',
          location: 'eu-north-1',
          config: { bucket: 'docs', prefix: 'customers/{subjectId}/' },
          fields: { name: { category: 'identity' } },
        },
        contracts: {
          connector: 's3',
          location: 'eu-north-1',
          config: { bucket: 'contracts', prefix: 'by-customer/{customerId}/' },
          fields: { name: { category: 'identity' } },
        },
      },
      purposes: {
        service: {
          legalBasis: 'contract',
          categories: ['identity'],
          systems: ['crm', 'documents', 'contracts'],
          retention: { keep: 'P1Y' },
        },
      },
    }),
  );
  let local: TestWorld;
  let localApi: ReturnType<typeof apiClient>;
  beforeEach(() => {
    local = createWorld({ now: '2025-03-01T10:00:00Z', policy: prefixPolicy });
    localApi = apiClient(local);
  });
  afterEach(() => local.restore());
  const at = '2025-01-15T12:00:00+01:00';

  it.each([
    ['an id with / in a {subjectId} prefix', 'a/b', { system: 'documents' }, 'subjectId'],
    ['an id with .. in a {subjectId} prefix', 'a..b', { system: 'documents' }, 'subjectId'],
    ['a locator value with /', 'a', { system: 'contracts', locator: { customerId: 'C/1' } }, 'locator.customerId'],
  ])('refuses %s: 400 naming the field, nothing written', async (_name, id, body, path) => {
    const answer = await localApi.holding(id, { purpose: 'service', collectedAt: at, ...body });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'invalid-input', path, message: expect.stringMatching(/documents|contracts/) });
    expect(local.ddb.items(ledgerTable('service'))).toHaveLength(0);
  });

  it('accepts the same id where no prefix uses it, and a safe one where one does', async () => {
    expect((await localApi.holding('a/b', { purpose: 'service', system: 'crm', collectedAt: at })).status).toBe(201);
    expect((await localApi.holding('a-b', { purpose: 'service', system: 'documents', collectedAt: at })).status).toBe(201);
    const contracts = { purpose: 'service', system: 'contracts', collectedAt: at, locator: { customerId: 'C-1' } };
    expect((await localApi.holding('a/b', contracts)).status).toBe(201);
  });
});

describe('instants from the future (issue 15, item 19)', () => {
  // The world's clock: 2025-03-01T10:00:00Z; the skew allowed: 5 minutes.
  const holding = { purpose: 'customer', system: 'crm' };
  it.each([
    ['a holding collected in 2036', () => api.holding(SUBJECT, { ...holding, collectedAt: '2036-01-01T00:00:00+01:00' }), 'collectedAt'],
    ['a holding collected 6 minutes ahead', () => api.holding(SUBJECT, { ...holding, collectedAt: '2025-03-01T10:06:00Z' }), 'collectedAt'],
    ['an invoiced event in 2099', () => api.event(SUBJECT, { type: 'invoiced', at: '2099-01-01T00:00:00Z' }), 'at'],
    ['an event 6 minutes ahead', () => api.event(SUBJECT, { type: 'invoiced', at: '2025-03-01T11:06:00+01:00' }), 'at'],
  ])('refuses %s: 400 naming the field, nothing written', async (_what, send, path) => {
    const answer = await send();
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'invalid-input', path, message: expect.stringMatching(/later than .* 5 minutes/) });
    expect(world.ddb.items(ledgerTable('customer'))).toHaveLength(0);
    expect(world.ddb.items(TABLES.events)).toHaveLength(0);
  });

  it('accepts an instant within the skew (a client clock 4 minutes ahead), and one in the past', async () => {
    expect((await api.holding(SUBJECT, { ...holding, collectedAt: '2025-03-01T10:04:00Z' })).status).toBe(201);
    expect((await api.event(SUBJECT, { type: 'invoiced', at: '2025-03-01T10:04:00Z' })).status).toBe(201);
    expect((await api.event(SUBJECT, { type: 'invoiced', at: '2024-03-01T10:04:00Z' })).status).toBe(201);
  });
});

describe('AWS throttling (issue 15, item 17)', () => {
  const throttled = (name: string) =>
    Object.assign(new Error('Rate exceeded'), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });
  it.each([
    [
      'a holding, DynamoDB throttled',
      'ThrottlingException',
      () => api.holding(SUBJECT, { purpose: 'customer', system: 'crm', collectedAt: '2025-01-15T12:00:00+01:00' }),
    ],
    [
      'an event, DynamoDB over its throughput',
      'ProvisionedThroughputExceededException',
      () => api.event(SUBJECT, { type: 'invoiced', at: '2025-02-10T09:00:00+01:00' }),
    ],
    [
      'an erasure request, the idempotency store throttled',
      'ThrottlingException',
      () => api.postRequest({ subjectId: SUBJECT, verification }),
    ],
  ])('answers %s with 503 and Retry-After, not 500', async (_what, name, send) => {
    world.ddb.beforeWrite = () => {
      throw throttled(name);
    };
    const answer = await send();
    expect(answer.status).toBe(503);
    expect(answer.raw.headers).toEqual({ 'content-type': 'application/json', 'retry-after': '5' });
    expect(answer.body).toEqual({ error: { code: 'unavailable', message: expect.stringMatching(/retry/i) } });
  });
});

describe('logs', () => {
  it('never contain a subject id, an identifier or a locator value', async () => {
    const { output } = await captureOutput(async () => {
      await api.holding(SUBJECT, {
        purpose: 'analytics',
        system: 'crm',
        collectedAt: '2024-01-15T12:00:00+01:00',
        locator: { customerId: LOCATOR },
      });
      await api.event(SUBJECT, { type: 'unsubscribed', at: '2025-02-10T09:00:00+01:00' });
      const { body } = await api.postRequest(
        { subjectId: SUBJECT, identifiers: { email: EMAIL }, verification },
        { 'Idempotency-Key': 'k' },
      );
      await api.postRequest({ subjectId: SUBJECT, identifiers: { email: EMAIL }, verification }, { 'Idempotency-Key': 'k' });
      await api.getRequest(body.requestId as string);
      // Bad input that quotes the caller's values in the answer must not quote them in the log.
      await api.postRequest({ subjectId: SUBJECT, identifiers: { email: EMAIL }, verification, scope: [EMAIL] });
      await api.postRequest({ subjectId: SUBJECT, identifiers: { email: 42 }, verification });
      await api.holding(SUBJECT, { purpose: LOCATOR, system: 'crm', collectedAt: '2025-01-15T12:00:00+01:00' });
      // An internal error is logged in full: make the store fail.
      world.ddb.beforeWrite = () => {
        throw new Error('DynamoDB is down');
      };
      await api.postRequest({ subjectId: SUBJECT, identifiers: { email: EMAIL }, verification });
      world.ddb.beforeWrite = undefined;
    });
    expect(output).toContain('erasure request received'); // the capture works
    expect(output).toContain('DynamoDB is down');
    for (const secret of [SUBJECT, EMAIL, LOCATOR]) expect(output).not.toContain(secret);
  });
});

it('fails clearly when deployed without its configuration', async () => {
  const broken = createWorld({ env: { [ENV.ledgerTables]: '{"customer": "t"}' } });
  try {
    const answer = await apiClient(broken).holding(SUBJECT, {
      purpose: 'customer',
      system: 'crm',
      collectedAt: '2025-01-15T12:00:00+01:00',
    });
    expect(answer.status).toBe(500);
    expect(answer.body.error?.code).toBe('internal');
  } finally {
    broken.restore();
  }
});
