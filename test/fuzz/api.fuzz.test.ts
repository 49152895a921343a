/**
 * Hostile input for the erasure API (lambdas/api.ts, in-process over the in-memory fakes of
 * test/lib/runtime/support), issue 7 item 2: random and malformed bodies, truncations of valid ones, deep nesting,
 * bodies over 64 KiB, wrong types, `*`, empty strings, `../`, DynamoDB expression-injection strings, S3-key-like
 * strings and unicode, in bodies, path parameters, query strings and headers. The routes come from the route table
 * (lib/runtime/routes.ts): every POST route with a body (a new one does not compile here until it has a valid body
 * in VALID), every GET route. Properties:
 *   - every answer is a status below 500 (never a crash, never a 5xx); every 4xx is `{"error": {code, message}}`;
 *   - an invalid body is always a 4xx;
 *   - a request of each kind (erasure, restriction, access) starts exactly one execution per 202 and none for a refusal;
 *   - POST /subjects/{id}/holdings writes a ledger item only when it answers 201.
 */
import fc from 'fast-check';
import { captureOutput, createWorld, ledgerTable, TABLES, type TestWorld } from '../lib/runtime/support/runtime';
import { type Answer, apiClient, type Call, verification, withIdempotencyKey } from '../lambdas/helpers';
import { API_BODY_SCHEMAS, API_QUERY_SCHEMAS } from '../../lib/runtime/api-schemas';
import { API_ROUTE, API_ROUTES, pathParametersOf } from '../../lib/runtime/routes';

let world: TestWorld;
let api: ReturnType<typeof apiClient>;

beforeEach(() => {
  world = createWorld({ now: '2025-03-01T10:00:00Z' });
  api = apiClient(world);
});
afterEach(() => world.restore());

/** Strings that have broken parsers, paths and query languages before. */
import { HOSTILE_STRINGS } from './hostile-strings';
/** Each property's runs: all in its `.full.test.ts` twin (the integration lane), a fifth here (the unit lane). */
import { propertyRuns } from '../support/property-runs';
const hostileString = fc.oneof(
  fc.constantFrom(...HOSTILE_STRINGS),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.constantFrom(null, true, false, 0, -1, 1.5, 3, [], {}, [[]], { '': '' }, { '*': '*' }),
  fc.jsonValue({ maxDepth: 3 }),
);

const deepArray = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);
const deepObject = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

/** The POST routes with a body, from the route table, by operation. */
type BodyRoute = Extract<(typeof API_ROUTES)[number], { body: string }>;
type RouteName = BodyRoute['operation'];
const BODY_ROUTES = API_ROUTES.filter((route): route is BodyRoute => 'body' in route).map((route) => route.operation);

const extension = { months: 1, reason: 'many systems' };
/** A valid body per POST route with a body, the seed for truncations and plants (the compiler asks for a new route's). */
const VALID = {
  createErasureRequest: { subjectId: 'subject-4711', identifiers: { email: 'a@example.se' }, verification, reason: 'asked' },
  extendErasureRequest: extension,
  registerHolding: { purpose: 'analytics', system: 'crm', collectedAt: '2025-01-15T12:00:00+01:00', locator: { customerId: 'C-1' } },
  recordSubjectEvent: { type: 'unsubscribed', at: '2025-02-10T09:00:00+01:00' },
  placeHold: { reason: 'litigation', scope: { purposes: ['analytics'], systems: ['crm'] } },
  createRestrictionRequest: {
    subjectId: 'subject-4711',
    scope: ['analytics'],
    until: '2025-06-01T00:00:00+02:00',
    keep: true,
    verification,
  },
  extendRestrictionRequest: extension,
  createAccessRequest: { subjectId: 'subject-4711', scope: ['analytics'], lang: 'sv', verification },
  extendAccessRequest: extension,
} as const satisfies Record<RouteName, object>;

/** Whether the route's schema takes the body as it is (a broken body must not: it is the schema that refuses it). */
const schemaTakes = (route: RouteName, body: unknown): boolean => API_BODY_SCHEMAS[API_ROUTE[route].body].safeParse(body).success;

/** A raw body that no route accepts: random text, random JSON that is not an object of the right shape, truncations, depth, size. */
const invalidRawBody = (route: RouteName): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 200 }),
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.json({ maxDepth: 4 }),
    fc.nat({ max: JSON.stringify(VALID[route]).length - 1 }).map((n) => JSON.stringify(VALID[route]).slice(0, n)),
    fc.integer({ min: 1, max: 10_000 }).map((d) => `{"${Object.keys(VALID[route])[0]}":${deepArray(d)}}`),
    fc.integer({ min: 1, max: 10_000 }).map((d) => (d % 2 ? deepArray(d) : deepObject(d))),
    fc.constantFrom('a: 1\nb: &x [*x]', 'x: &a [&a]', 'null', '[]', '""', '0', 'true', '{}', '{"__proto__": {"subjectId": "x"}}'),
    fc.integer({ min: 64 * 1024 + 1, max: 200 * 1024 }).map((n) => JSON.stringify({ ...VALID[route], reason: 'x'.repeat(n) })),
  );

/**
 * A valid body with one field given a value of the wrong type, dropped, or an unknown key added; only what the
 * route's schema refuses (a `keep` given `true`, or an optional key dropped, is still a valid body).
 */
const brokenBody = (route: RouteName): fc.Arbitrary<unknown> =>
  fc
    .oneof(
      fc
        .tuple(
          fc.constantFrom(...Object.keys(VALID[route])),
          fc.oneof(
            fc.constantFrom(null, 0, true, [], 1.5),
            // (no objects: an empty object is a valid identifiers or locator map)
            fc.jsonValue({ maxDepth: 2 }).filter((v) => typeof v !== 'string' && (v === null || typeof v !== 'object' || Array.isArray(v))),
          ),
        )
        .map(([key, value]) => ({ ...VALID[route], [key]: value })),
      fc.constantFrom(...Object.keys(VALID[route])).map((key) => {
        const copy: Record<string, unknown> = { ...VALID[route] };
        delete copy[key];
        return copy;
      }),
      hostileString.filter((k) => !(k in VALID[route])).map((key) => ({ ...VALID[route], [key]: 'x' })),
    )
    .filter((body) => !schemaTakes(route, body));

/** A valid body with a hostile string or value planted in one field: may be accepted (a subjectId of `../` is a subject id). */
const plantedBody = (route: RouteName): fc.Arbitrary<unknown> =>
  fc.tuple(fc.constantFrom(...Object.keys(VALID[route])), hostileValue).map(([key, value]) => ({ ...VALID[route], [key]: value }));

const hostileHeaders = fc.oneof(
  fc.constant({}),
  fc.constantFrom<Record<string, string>>(
    { 'Content-Type': 'text/plain' },
    { 'content-type': 'application/json; charset=utf-16' },
    { 'Content-Type': '' },
    { 'Content-Type': 'application/x-www-form-urlencoded' },
    { 'Content-Type': 'multipart/form-data; boundary=x' },
  ),
  hostileString.map((key) => ({ 'Idempotency-Key': key })),
  // header names that are Object.prototype's (local mode's gateway answered a query parameter named toString 500)
  fc.constantFrom('toString', 'constructor', '__proto__', 'hasOwnProperty').map((name) => Object.fromEntries([[name, 'x']])),
);

/** Sends `call` with its output captured, and checks the promises every answer keeps. */
async function send(call: Call): Promise<Answer> {
  const { result, error, output } = await captureOutput(() => api.call(call));
  // THEN no crash: the handler answered
  if (error !== undefined) throw new Error(`the handler threw ${(error as Error)?.name}: ${(error as Error)?.message}`);
  const answer = result!;
  // AND never a 5xx, nor a 500 logged
  expect(answer.status).toBeGreaterThanOrEqual(200);
  expect(answer.status).toBeLessThan(500);
  expect(output).not.toContain('request failed');
  // AND every refusal says what was wrong, in the API's error shape
  if (answer.status >= 400) {
    expect(answer.raw.headers?.['content-type']).toBe('application/json');
    expect(answer.body).toEqual({ error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }) });
    expect(answer.body.error?.code.length).toBeGreaterThan(0);
    expect(answer.body.error?.message.length).toBeGreaterThan(0);
    expect(answer.body.error?.message).not.toMatch(/\n\s+at .+:\d+:\d+/);
  }
  return answer;
}

/** encodeURIComponent, except that a lone surrogate (which it refuses) is sent as API Gateway would: replaced. */
const enc = (s: string): string => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '\ufffd'));

/**
 * The call of a route of the table: `id` in every path parameter, and the Idempotency-Key a request of each kind
 * (202) requires: a fresh one unless the hostile headers plant their own.
 */
const callOf = (route: RouteName, id: string, body: { raw: string } | { json: unknown }, headers: Record<string, string> = {}): Call => {
  const { method, path, status } = API_ROUTE[route];
  const names = pathParametersOf(path);
  return {
    method,
    path: path.replace(/\{[^/{}]+\}/g, () => enc(id)),
    ...(names.length ? { pathParameters: Object.fromEntries(names.map((name) => [name, id])) } : {}),
    headers: status === 202 ? withIdempotencyKey(headers) : headers,
    ...('raw' in body ? { rawBody: body.raw } : { body: body.json }),
  };
};

const routeName = fc.constantFrom<RouteName>(...BODY_ROUTES);
const ledgerItems = (): number => Object.keys(world.policy.purposes).reduce((n, p) => n + world.ddb.items(ledgerTable(p)).length, 0);

describe('the API under hostile input', () => {
  it('refuses every invalid body on every POST route with a body with a 4xx, and starts nothing and writes no holding or hold', async () => {
    await fc.assert(
      fc.asyncProperty(
        routeName.chain((route) =>
          fc.tuple(
            fc.constant(route),
            fc.oneof(
              invalidRawBody(route).map((raw) => ({ raw })),
              brokenBody(route).map((json) => ({ json })),
            ),
          ),
        ),
        fc.oneof(fc.constant('subject-4711'), hostileString),
        hostileHeaders,
        async ([route, body], id, headers) => {
          // GIVEN the state before
          const executions = world.sfn.executions.length;
          const requests = world.ddb.items(TABLES.requests).length;
          const ledger = ledgerItems();
          const events = world.ddb.items(TABLES.events).length;
          // WHEN an invalid body is sent
          const answer = await send(callOf(route, id, body, headers));
          // THEN it is refused with a 4xx
          expect(answer.status).toBeGreaterThanOrEqual(400);
          // AND nothing started, no request stored, no holding written, no hold placed (holds are events' items)
          expect(world.sfn.executions).toHaveLength(executions);
          expect(world.ddb.items(TABLES.requests)).toHaveLength(requests);
          expect(ledgerItems()).toBe(ledger);
          expect(world.ddb.items(TABLES.events)).toHaveLength(events);
        },
      ),
      propertyRuns(400),
    );
  });

  it('starts exactly one workflow per 202, and none for a refusal, whatever is planted in a request of each kind', async () => {
    const kinds = BODY_ROUTES.filter((route) => API_ROUTE[route].status === 202);
    expect(kinds).toEqual(['createErasureRequest', 'createRestrictionRequest', 'createAccessRequest']);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...kinds).chain((route) => fc.tuple(fc.constant(route), plantedBody(route))),
        hostileHeaders,
        async ([route, body], headers) => {
          const executions = world.sfn.executions.length;
          const answer = await send(callOf(route, '', { json: body }, headers));
          if (answer.status === 202) {
            // An accepted hostile id is just an id: exactly one execution for the request id, ever, named by the id
            // only. (A body sent again with an Idempotency-Key already used for the same subject is answered with the
            // first answer by Powertools, even when the body differs: no new execution then.)
            const mine = world.sfn.executions.filter((e) => e.name === answer.body.requestId);
            expect(mine).toEqual([expect.objectContaining({ input: { requestId: answer.body.requestId } })]);
            expect(world.sfn.executions.length - executions).toBeLessThanOrEqual(1);
          } else if (answer.status === 200 || answer.status === 201) {
            throw new Error(`unexpected ${answer.status}`);
          } else {
            expect(world.sfn.executions).toHaveLength(executions);
          }
        },
      ),
      propertyRuns(300),
    );
  });

  it('writes a ledger item only for a holding it accepts, whatever is planted in the holding or its subject id', async () => {
    await fc.assert(
      fc.asyncProperty(plantedBody('registerHolding'), fc.oneof(fc.constant('subject-4711'), hostileString), async (body, subjectId) => {
        const ledger = ledgerItems();
        const answer = await send(callOf('registerHolding', subjectId, { json: body }));
        if (answer.status === 201) expect(ledgerItems()).toBeGreaterThanOrEqual(ledger);
        else expect(ledgerItems()).toBe(ledger);
        // An empty or over-long subject id is never a subject
        if (subjectId.length === 0 || subjectId.length > 256) expect(answer.status).toBeGreaterThanOrEqual(400);
        expect(world.sfn.executions).toHaveLength(0);
      }),
      propertyRuns(150),
    );
  });

  it('answers events, holds and extensions with hostile values and ids without a 5xx, and starts nothing', async () => {
    // Every POST route with a body that is not a request of a kind (those start a workflow when they are accepted)
    const routes = BODY_ROUTES.filter((route) => API_ROUTE[route].status !== 202 && route !== 'registerHolding');
    expect(routes).toEqual(expect.arrayContaining(['recordSubjectEvent', 'placeHold', 'extendErasureRequest', 'extendAccessRequest']));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        fc.oneof(fc.constant('00000000-0000-0000-0000-000000000000'), hostileString),
        fc.dictionary(fc.constantFrom('type', 'at', 'purpose', 'months', 'reason', 'scope', '*'), hostileValue),
        async (route, id, planted) => {
          await send(callOf(route, id, { json: { ...VALID[route], ...planted } }));
          expect(world.sfn.executions).toHaveLength(0);
        },
      ),
      propertyRuns(300),
    );
  });

  it('answers every route without a body (the GET routes, release, lift) with hostile ids and query strings without a 5xx', async () => {
    const routes = API_ROUTES.filter((route) => !('body' in route));
    expect(routes.map((route) => route.operation)).toEqual(
      expect.arrayContaining(['viewErasureRequest', 'releaseHold', 'liftRestrictionRequest', 'listRequests', 'viewDueCalendar']),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes).chain((route) => {
          const known = 'query' in route ? Object.keys(API_QUERY_SCHEMAS[route.query].shape) : [];
          const names = known.length ? fc.oneof(fc.constantFrom(...known), hostileString) : hostileString;
          return fc.tuple(fc.constant(route), fc.option(fc.dictionary(names, hostileString, { maxKeys: 3 }), { nil: undefined }));
        }),
        fc.oneof(fc.constant('00000000-0000-0000-0000-000000000000'), hostileString),
        async ([route, query], id) => {
          const names = pathParametersOf(route.path);
          const answer = await send({
            method: route.method,
            path: route.path.replace(/\{[^/{}]+\}/g, () => enc(id)),
            ...(names.length ? { pathParameters: Object.fromEntries(names.map((name) => [name, id])) } : {}),
            ...(query ? { queryStringParameters: query } : {}),
          });
          // A request or hold id that no request or hold of this world has (there are none) is a 4xx
          if (names.includes('requestId') || names.includes('holdId')) expect(answer.status).toBeGreaterThanOrEqual(400);
          expect(world.sfn.executions).toHaveLength(0);
        },
      ),
      propertyRuns(300),
    );
  });

  it('answers unknown routes, methods and hostile paths with a 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Call['method']>('GET', 'POST', 'PUT', 'DELETE'),
        fc.oneof(
          hostileString.map((s) => `/${s}`),
          hostileString.map((s) => `/erasure-requests/${s}/${s}`),
          fc.constantFrom('/', '//', '/erasure-requests/', '/subjects//holdings', '/../erasure-requests', '/subjects/*/events/x'),
        ),
        fc.option(fc.string({ maxLength: 100 }), { nil: undefined }),
        async (method, path, rawBody) => {
          const executions = world.sfn.executions.length;
          const answer = await send({ method, path, ...(rawBody === undefined ? {} : { rawBody }) });
          if (answer.status < 400) expect(method).toBe('POST'); // only a POST route can answer 2xx for a hostile path
          expect(world.sfn.executions.length).toBeLessThanOrEqual(executions + (answer.status === 202 ? 1 : 0));
        },
      ),
      propertyRuns(100),
    );
  });

  it('refuses a non-JSON body over 64 KiB with 413 and a 100 kB Idempotency-Key with 400', async () => {
    const big = 'x'.repeat(70 * 1024);
    const answer = await send({ method: 'POST', path: '/erasure-requests', rawBody: big });
    expect(answer.status).toBe(413);
    const headers = await send({
      method: 'POST',
      path: '/erasure-requests',
      body: VALID.createErasureRequest,
      headers: { 'Idempotency-Key': 'k'.repeat(100_000) },
    });
    expect(headers.status).toBe(400);
    expect(world.sfn.executions).toHaveLength(0);
  });

  // BUG (found by this fuzz, left visible): an event whose path is the empty string makes @middy/http-router throw
  // "Unknown http event format", which the API answers 500. API Gateway (REST) always sends at least "/", so only a
  // direct invocation can send it. Minimal counterexample: handler({...apiEvent, httpMethod: 'GET', path: ''}).
  // Fix: in lib/runtime/http.ts problemOf, map middy's "Unknown http event format" error to 400 bad-request.
  test('answers an event with an empty path with a 4xx (it was a 500 from @middy/http-router)', async () => {
    const answer = await send({ method: 'GET', path: '' });
    expect(answer.status).toBe(400);
  });
});
