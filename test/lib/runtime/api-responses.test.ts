/**
 * The answers' schemas (lib/runtime/api-responses.ts), which docs/openapi.json publishes, against the handler's real
 * answers on fakes: every route with a schema is called in the cases that shape its answer differently, and each
 * answer must be exactly what the schema says (parsing it drops no key, the status is the route's). Refused calls
 * answer the error schema with a status the document lists for that operation, so the document cannot drift from
 * the API without a test failing.
 */
import type { ErasureSystemOutput } from '../../../lib/core/contract';
import { makeHandler as makeFinish } from '../../../lambdas/erasure-finish';
import { makeHandler as makePlan } from '../../../lambdas/erasure-plan';
import { makeHandler as makeSystem } from '../../../lambdas/erasure-system';
import { API_RESPONSE_SCHEMAS, ErrorAnswer, RestrictionRequestView } from '../../../lib/runtime/api-responses';
import { IDEMPOTENT_OPERATIONS, openApiDocument } from '../../../lib/runtime/openapi';
import { API_ROUTES, type ApiRoute } from '../../../lib/runtime/routes';
import { type Answer, apiClient, verification, withIdempotencyKey } from '../../lambdas/helpers';
import { createWorld, lambdaContext, type TestWorld } from './support/runtime';

let world: TestWorld;
let api: ReturnType<typeof apiClient>;

beforeEach(() => {
  world = createWorld({ now: '2025-03-01T10:00:00Z' });
  api = apiClient(world);
});
afterEach(() => world.restore());

const SUBJECT = 'user1';
const AT = '2024-01-10T12:00:00+01:00';
const context = lambdaContext('lethe-erasure') as never;

/** What the erasure state machine does: plan, each system, finish. */
async function runWorkflow(requestId: string): Promise<void> {
  const planned = await makePlan(() => world.rt)({ requestId }, context);
  const results: ErasureSystemOutput[] = [];
  for (const { system } of planned.systems) {
    try {
      results.push(await makeSystem(() => world.rt)({ requestId, system }, context));
    } catch (error) {
      results.push({ system, status: 'failed', error: (error as Error).name });
    }
  }
  await makeFinish(() => world.rt)({ requestId, results }, context);
}

const postRequest = async (body: Record<string, unknown> = {}): Promise<string> =>
  (await api.postRequest({ subjectId: SUBJECT, verification, ...body })).body.requestId as string;

/** A restriction or access request: POST (202), GET and extend, as for erasure requests. */
const postKind = (kind: 'restriction' | 'access', body: Record<string, unknown> = {}): Promise<Answer> =>
  api.call({
    method: 'POST',
    path: `/${kind}-requests`,
    body: { subjectId: SUBJECT, verification, ...body },
    headers: withIdempotencyKey(),
  });
const getKind = (kind: 'restriction' | 'access', posted: Answer): Promise<Answer> => {
  const requestId = posted.body.requestId as string;
  return api.call({ method: 'GET', path: `/${kind}-requests/${requestId}`, pathParameters: { requestId } });
};
const extendKind = (kind: 'restriction' | 'access', posted: Answer): Promise<Answer> => {
  const requestId = posted.body.requestId as string;
  return api.call({
    method: 'POST',
    path: `/${kind}-requests/${requestId}/extend`,
    pathParameters: { requestId },
    body: { months: 1, reason: 'many systems' },
  });
};

const placeHold = (scope?: Record<string, string[]>): Promise<Answer> =>
  api.call({
    method: 'POST',
    path: `/subjects/${SUBJECT}/holds`,
    pathParameters: { subjectId: SUBJECT },
    body: { reason: 'Tax audit, case 131-2026', ...(scope ? { scope } : {}) },
  });
const holdIdOf = (answer: Answer): string => answer.body.holdId as string;
const receiptOf = (requestId: string): Promise<Answer> =>
  api.call({ method: 'GET', path: `/erasure-requests/${requestId}/receipt`, pathParameters: { requestId } });
const kindReceiptOf = (kind: 'restriction' | 'access', requestId: string): Promise<Answer> =>
  api.call({ method: 'GET', path: `/${kind}-requests/${requestId}/receipt`, pathParameters: { requestId } });
/** The newsletter connector answers `status` (an export: one record with its email), as a restrict or export would. */
const newsletterAnswers = (status: 'restricted' | 'exported'): void => {
  world.connectors.on('newsletter', (invocation) => ({
    system: invocation.system,
    subjects: invocation.subjects.map((s) => ({
      subjectRef: s.subjectRef,
      status,
      counts: { records: 1, fields: status === 'exported' ? 1 : 0, objects: 0 },
      ...(status === 'exported' ? { export: { records: [{ source: 'newsletter list', fields: { email: 'ada@example.com' } }] } } : {}),
    })),
  }));
};
const releaseHold = (holdId: string): Promise<Answer> =>
  api.call({ method: 'POST', path: `/subjects/${SUBJECT}/holds/${holdId}/release`, pathParameters: { subjectId: SUBJECT, holdId } });

/**
 * Per operation: calls that give each shape of its answer (optional keys present and absent, nulls). An operation
 * with a schema in API_RESPONSE_SCHEMAS needs an entry here.
 */
const SCENARIOS: Readonly<Record<string, () => Promise<Answer[]>>> = {
  registerHolding: async () => [
    // an expiry; a clock waiting for an event; a repeat of an older collection (registered: false)
    await api.holding(SUBJECT, { purpose: 'analytics', system: 'crm', collectedAt: AT, locator: { customerId: 'C-1' } }),
    await api.holding(SUBJECT, { purpose: 'customer', system: 'crm', collectedAt: AT }),
    await api.holding(SUBJECT, { purpose: 'customer', system: 'crm', collectedAt: '2023-01-10T12:00:00+01:00' }),
  ],
  recordSubjectEvent: async () => {
    await api.holding(SUBJECT, { purpose: 'customer', system: 'crm', collectedAt: AT });
    return [
      await api.event(SUBJECT, { type: 'account-closed', at: '2025-02-10T09:00:00+01:00' }),
      await api.event(SUBJECT, { type: 'unsubscribed', at: '2025-02-10T09:00:00+01:00', purpose: 'marketing' }),
    ];
  },
  createErasureRequest: async () => [
    await api.postRequest({ subjectId: SUBJECT, verification }),
    await api.postRequest({
      subjectId: SUBJECT,
      identifiers: { email: 'user1@example.se' },
      scope: ['marketing'],
      verification,
      reason: 'asked',
    }),
  ],
  viewErasureRequest: async () => {
    // open (subject id shown); then completed with erased, anonymised and retained systems, extended
    const open = await api.getRequest(await postRequest());
    for (const [purpose, system] of [
      ['customer', 'orders'],
      ['analytics', 'crm'],
      ['bookkeeping', 'orders'],
      ['marketing', 'newsletter'],
    ]) {
      await api.holding('user2', { purpose, system, collectedAt: AT, locator: { customerId: 'C-2' } });
    }
    const completedId = (await api.postRequest({ subjectId: 'user2', verification })).body.requestId as string;
    await api.extend(completedId, { months: 1, reason: 'many systems' });
    await runWorkflow(completedId);
    const completed = await api.getRequest(completedId);
    expect(completed.body).toMatchObject({ status: 'completed', extension: { months: 1 } });
    expect(completed.body.retained).toEqual([expect.objectContaining({ purpose: 'bookkeeping', until: null, waitingFor: ['invoiced'] })]);
    return [open, completed];
  },
  extendErasureRequest: async () => [await api.extend(await postRequest(), { months: 2, reason: 'complex' })],
  viewSubject: async () => {
    const view = (subjectId: string) => api.call({ method: 'GET', path: `/subjects/${subjectId}`, pathParameters: { subjectId } });
    // nothing held; then dated, waiting, done (erased by a request) and retained (restricted) holdings, an event, a hold
    const empty = await view('user9');
    for (const [purpose, system] of [
      ['analytics', 'crm'],
      ['bookkeeping', 'orders'],
      ['marketing', 'newsletter'],
    ]) {
      await api.holding(SUBJECT, { purpose, system, collectedAt: AT });
    }
    await api.event(SUBJECT, { type: 'unsubscribed', at: '2025-02-10T09:00:00+01:00', purpose: 'marketing' });
    const held = await view(SUBJECT);
    const hold = await api.call({
      method: 'POST',
      path: `/subjects/${SUBJECT}/holds`,
      pathParameters: { subjectId: SUBJECT },
      body: { reason: 'Tax audit', scope: { purposes: ['analytics'] } },
    });
    expect(hold.status).toBe(201);
    await runWorkflow(await postRequest({ scope: ['marketing', 'bookkeeping'] }));
    const after = await view(SUBJECT);
    expect(after.body.holdings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ purpose: 'marketing', status: 'done', outcome: 'erased' }),
        expect.objectContaining({ purpose: 'bookkeeping', status: 'active', waitingFor: ['invoiced'], restrictions: [expect.anything()] }),
        expect.objectContaining({ purpose: 'analytics', status: 'active', holds: [expect.any(String)] }),
      ]),
    );
    return [empty, held, after];
  },
  createRestrictionRequest: async () => [
    await postKind('restriction'),
    await postKind('restriction', { scope: ['marketing'], keep: true }),
  ],
  viewRestrictionRequest: async () => [
    await getKind('restriction', await postKind('restriction')),
    await getKind('restriction', await postKind('restriction', { until: '2025-06-01T00:00:00+02:00', keep: true })),
  ],
  extendRestrictionRequest: async () => [await extendKind('restriction', await postKind('restriction'))],
  createAccessRequest: async () => [await postKind('access'), await postKind('access', { scope: ['marketing'] })],
  viewAccessRequest: async () => [await getKind('access', await postKind('access'))],
  extendAccessRequest: async () => [await extendKind('access', await postKind('access'))],
  // the receipt of a completed erasure with an erased, an anonymised and a retained record (bookkeeping, waiting)
  viewErasureReceipt: async () => {
    for (const [purpose, system] of [
      ['analytics', 'crm'],
      ['bookkeeping', 'orders'],
      ['marketing', 'newsletter'],
    ]) {
      await api.holding(SUBJECT, { purpose, system, collectedAt: AT });
    }
    const requestId = await postRequest();
    await runWorkflow(requestId);
    const receipt = await receiptOf(requestId);
    expect(receipt.body.retained).toEqual([expect.objectContaining({ purpose: 'bookkeeping', until: null, waitingFor: ['invoiced'] })]);
    return [receipt];
  },
  // the receipts of restriction requests, completed: one with until and keep, one without (until null)
  viewRestrictionReceipt: async () => {
    newsletterAnswers('restricted');
    await api.holding(SUBJECT, { purpose: 'marketing', system: 'newsletter', collectedAt: AT });
    const answers: Answer[] = [];
    for (const body of [{ keep: true, until: '2025-06-01T00:00:00+02:00' }, {}]) {
      const requestId = (await postKind('restriction', body)).body.requestId as string;
      await runWorkflow(requestId);
      answers.push(await kindReceiptOf('restriction', requestId));
    }
    expect(answers.map((a) => a.body.restriction)).toEqual([
      { until: '2025-06-01T00:00:00+02:00', keep: true },
      { until: null, keep: false },
    ]);
    return answers;
  },
  // the receipt of a completed access request: each record exported
  viewAccessReceipt: async () => {
    newsletterAnswers('exported');
    await api.holding(SUBJECT, { purpose: 'marketing', system: 'newsletter', collectedAt: AT });
    const requestId = (await postKind('access')).body.requestId as string;
    await runWorkflow(requestId);
    const receipt = await kindReceiptOf('access', requestId);
    expect(receipt.body.systems).toEqual([expect.objectContaining({ system: 'newsletter', action: 'export', outcome: 'exported' })]);
    return [receipt];
  },
  // a restriction with keep and until over a newsletter record, completed, lifted; then GET shows the lift
  liftRestrictionRequest: async () => {
    await api.holding(SUBJECT, { purpose: 'marketing', system: 'newsletter', collectedAt: AT });
    const posted = await postKind('restriction', { keep: true, until: '2025-06-01T00:00:00+02:00' });
    const requestId = posted.body.requestId as string;
    await runWorkflow(requestId);
    const lifted = await api.call({ method: 'POST', path: `/restriction-requests/${requestId}/lift`, pathParameters: { requestId } });
    expect(lifted.body.unrestricted).toEqual([{ system: 'newsletter', status: expect.any(String) }]);
    const view = await getKind('restriction', posted);
    expect(RestrictionRequestView.safeParse(view.body).success).toBe(true);
    expect(view.body.lifted).toMatchObject({ by: 'api' });
    return [lifted];
  },
  // an empty list; a page with a cursor; every kind, one extended
  listRequests: async () => {
    const list = (query: Record<string, string> = {}) => api.call({ method: 'GET', path: '/requests', queryStringParameters: query });
    const empty = await list();
    const erasure = await postRequest();
    await api.extend(erasure, { months: 1, reason: 'many systems' });
    await postKind('restriction');
    await postKind('access');
    const page = await list({ limit: '1' });
    expect(page.body.cursor).toEqual(expect.any(String));
    return [empty, page, await list({ cursor: page.body.cursor as string, limit: '1' }), await list()];
  },
  // a calendar without holdings expiring in it, and one with (analytics keeps P1Y from collection)
  viewDueCalendar: async () => {
    await api.holding(SUBJECT, {
      purpose: 'analytics',
      system: 'crm',
      collectedAt: '2025-02-20T12:00:00+01:00',
      locator: { customerId: 'C-1' },
    });
    const calendar = (days: string) => api.call({ method: 'GET', path: '/retention/calendar', queryStringParameters: { days } });
    const year = await calendar('366');
    expect((year.body.purposes as Record<string, unknown>).analytics).toEqual([{ date: '2026-02-20', count: 1 }]);
    return [await calendar('7'), year];
  },
  // a ledger with one holding counting and one due
  viewHoldingStates: async () => {
    await api.holding(SUBJECT, {
      purpose: 'analytics',
      system: 'crm',
      collectedAt: '2025-02-20T12:00:00+01:00',
      locator: { customerId: 'C-1' },
    });
    await api.holding('user10', { purpose: 'analytics', system: 'crm', collectedAt: AT, locator: { customerId: 'C-10' } });
    const states = await api.call({ method: 'GET', path: '/retention/holdings' });
    expect((states.body.purposes as Record<string, unknown>).analytics).toEqual({
      waiting: 0,
      counting: 1,
      due: 1,
      held: 0,
      indefinite: 0,
      quarantined: 0,
      nothingFound: 0,
    });
    return [states];
  },
  // a hold without scope, and one with every key of a scope
  placeHold: async () => [await placeHold(), await placeHold({ purposes: ['customer'], systems: ['crm'], refs: ['O-1'] })],
  releaseHold: async () => [await releaseHold(holdIdOf(await placeHold()))],
  listHolds: async () => {
    const empty = await api.call({ method: 'GET', path: `/subjects/${SUBJECT}/holds`, pathParameters: { subjectId: SUBJECT } });
    await releaseHold(holdIdOf(await placeHold({ purposes: ['customer'] })));
    await placeHold();
    return [empty, await api.call({ method: 'GET', path: `/subjects/${SUBJECT}/holds`, pathParameters: { subjectId: SUBJECT } })];
  },
};

const routeOf = (operation: string): ApiRoute | undefined => (API_ROUTES as readonly ApiRoute[]).find((r) => r.operation === operation);

describe('the answers docs/openapi.json publishes', () => {
  it('every answer schema belongs to a route of the route table', () => {
    const unknown = Object.keys(API_RESPONSE_SCHEMAS).filter((operation) => !routeOf(operation));
    expect(unknown).toEqual([]);
  });

  it.each(Object.keys(API_RESPONSE_SCHEMAS))('%s answers exactly its schema, with its route status', async (operation) => {
    const scenario = SCENARIOS[operation] as (typeof SCENARIOS)[string] | undefined;
    if (!scenario) throw new Error(`${operation} has an answer schema but no scenario in ${__filename}: add calls that answer it`);
    const { schema } = API_RESPONSE_SCHEMAS[operation];
    const answers = await scenario();
    expect(answers.length).toBeGreaterThan(0);
    for (const answer of answers) {
      expect({ status: answer.status, body: answer.body }).toEqual({ status: routeOf(operation)!.status, body: answer.body });
      const parsed = schema.safeParse(answer.body);
      expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
      // zod drops keys its schema does not know: an answer with a key the document lacks differs here. Add the key
      // to lib/runtime/api-responses.ts, then run `npm run openapi`.
      expect(parsed.data).toEqual(answer.body);
    }
  });

  it('a schema that lacks a key of the answer fails the comparison (the check can fail)', async () => {
    const answer = await api.holding(SUBJECT, { purpose: 'analytics', system: 'crm', collectedAt: AT, locator: { customerId: 'C-1' } });
    const narrower = API_RESPONSE_SCHEMAS.registerHolding.schema as unknown as {
      omit(keys: Record<string, true>): { parse(v: unknown): unknown };
    };
    expect(narrower.omit({ registered: true }).parse(answer.body)).not.toEqual(answer.body);
  });
});

describe('refused calls answer the error schema, with a status the document lists for the operation', () => {
  const doc = openApiDocument('0.0.0') as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
  const listed = (operation: string): string[] => {
    const route = routeOf(operation)!;
    return Object.keys(doc.paths[route.path][route.method.toLowerCase()].responses);
  };

  const CASES: readonly { name: string; operation: string; send: () => Promise<Answer>; status: number }[] = [
    { name: 'the receipt of an unknown request', operation: 'viewErasureReceipt', send: () => receiptOf('no-such-request'), status: 404 },
    {
      name: 'the receipt of a request not completed',
      operation: 'viewErasureReceipt',
      send: async () => receiptOf(await postRequest()),
      status: 409,
    },
    {
      name: "an erasure request's id asked for on the access receipt route",
      operation: 'viewAccessReceipt',
      send: async () => kindReceiptOf('access', await postRequest()),
      status: 404,
    },
    {
      name: 'the receipt of a restriction request not completed',
      operation: 'viewRestrictionReceipt',
      send: async () => kindReceiptOf('restriction', (await postKind('restriction')).body.requestId as string),
      status: 409,
    },
    {
      name: 'a body that is not JSON',
      operation: 'createErasureRequest',
      send: () => api.call({ method: 'POST', path: '/erasure-requests', rawBody: '{"subjectId":', headers: withIdempotencyKey() }),
      status: 400,
    },
    {
      name: 'a body not sent as JSON',
      operation: 'createErasureRequest',
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
      name: 'a body over 64 KiB',
      operation: 'createErasureRequest',
      send: () => api.postRequest({ subjectId: SUBJECT, verification, reason: 'x'.repeat(70 * 1024) }),
      status: 413,
    },
    {
      name: 'an Idempotency-Key used for another subject',
      operation: 'createErasureRequest',
      send: async () => {
        await api.postRequest({ subjectId: SUBJECT, verification }, { 'Idempotency-Key': 'k-1' });
        return api.postRequest({ subjectId: 'user2', verification }, { 'Idempotency-Key': 'k-1' });
      },
      status: 409,
    },
    { name: 'an unknown request id', operation: 'viewErasureRequest', send: () => api.getRequest('no-such-request'), status: 404 },
    {
      name: 'an unknown restriction request',
      operation: 'viewRestrictionRequest',
      send: () =>
        api.call({ method: 'GET', path: '/restriction-requests/no-such-request', pathParameters: { requestId: 'no-such-request' } }),
      status: 404,
    },
    {
      name: 'a second extension of an access request',
      operation: 'extendAccessRequest',
      send: async () => {
        const posted = await postKind('access');
        await extendKind('access', posted);
        return extendKind('access', posted);
      },
      status: 409,
    },
    {
      name: 'a restriction request without verification',
      operation: 'createRestrictionRequest',
      send: () => api.call({ method: 'POST', path: '/restriction-requests', body: { subjectId: SUBJECT }, headers: withIdempotencyKey() }),
      status: 400,
    },
    {
      name: 'a second extension',
      operation: 'extendErasureRequest',
      send: async () => {
        const id = await postRequest();
        await api.extend(id, { months: 1, reason: 'once' });
        return api.extend(id, { months: 1, reason: 'twice' });
      },
      status: 409,
    },
    {
      name: 'a holding of an unknown purpose',
      operation: 'registerHolding',
      send: () => api.holding(SUBJECT, { purpose: 'golf', system: 'crm', collectedAt: AT }),
      status: 400,
    },
    { name: 'an event without a type', operation: 'recordSubjectEvent', send: () => api.event(SUBJECT, { at: AT }), status: 400 },
    {
      name: 'a hold without a reason',
      operation: 'placeHold',
      send: () => api.call({ method: 'POST', path: `/subjects/${SUBJECT}/holds`, pathParameters: { subjectId: SUBJECT }, body: {} }),
      status: 400,
    },
    {
      name: 'an Idempotency-Key that placed a hold with another reason',
      operation: 'placeHold',
      send: async () => {
        const call = (reason: string) =>
          api.call({
            method: 'POST',
            path: `/subjects/${SUBJECT}/holds`,
            pathParameters: { subjectId: SUBJECT },
            headers: { 'Idempotency-Key': 'hold-key-1' },
            body: { reason },
          });
        await call('litigation');
        return call('tax audit');
      },
      status: 409,
    },
    { name: 'an unknown hold', operation: 'releaseHold', send: () => releaseHold('0b6f0c5e-0000-4000-8000-000000000000'), status: 404 },
    {
      name: 'a second release',
      operation: 'releaseHold',
      send: async () => {
        const holdId = holdIdOf(await placeHold());
        await releaseHold(holdId);
        return releaseHold(holdId);
      },
      status: 409,
    },
  ];

  it.each(CASES)('$name ($operation): $status', async ({ operation, send, status }) => {
    const answer = await send();
    expect(answer.status).toBe(status);
    const parsed = ErrorAnswer.safeParse(answer.body);
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
    expect(parsed.data).toEqual(answer.body);
    expect(listed(operation)).toContain(String(status));
  });

  /** A valid body of each operation that requires an Idempotency-Key. */
  const VALID_BODIES: Readonly<Record<string, unknown>> = {
    createErasureRequest: { subjectId: SUBJECT, verification },
    createRestrictionRequest: { subjectId: SUBJECT, verification },
    createAccessRequest: { subjectId: SUBJECT, verification },
  };

  it.each(IDEMPOTENT_OPERATIONS)('%s, documented with a required Idempotency-Key, refuses a call without one', async (operation) => {
    const route = routeOf(operation)!;
    if (!(operation in VALID_BODIES)) throw new Error(`${operation}: add a valid body to VALID_BODIES in ${__filename}`);
    const answer = await api.call({ method: route.method, path: route.path, body: VALID_BODIES[operation] });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'invalid-input', path: 'headers.Idempotency-Key' });
  });
});
