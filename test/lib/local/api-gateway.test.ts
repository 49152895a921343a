/**
 * lib/local/api-gateway.ts: the Bearer token, the routes of the API, the REST proxy event API Gateway would
 * build, the answer mapped back, and a clear error when the port is taken.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { LocalModeError } from '../../../lib/local/errors';
import { API_ROUTES, isAuthorized, type LocalApi, matchRoute, startLocalApi, toProxyEvent } from '../../../lib/local/api-gateway';
import type { InvokeResult } from '../../../lib/local/functions';

describe('matchRoute', () => {
  it.each([
    ['POST', '/erasure-requests', '/erasure-requests', null],
    ['GET', '/erasure-requests/r-1', '/erasure-requests/{requestId}', { requestId: 'r-1' }],
    ['GET', '/erasure-requests/r-1/', '/erasure-requests/{requestId}', { requestId: 'r-1' }],
    ['POST', '/erasure-requests/r-1/extend', '/erasure-requests/{requestId}/extend', { requestId: 'r-1' }],
    ['POST', '/subjects/a%20b%2Fc/holdings', '/subjects/{subjectId}/holdings', { subjectId: 'a b/c' }],
    ['POST', '/subjects/%C3%A5sa/events', '/subjects/{subjectId}/events', { subjectId: 'åsa' }],
    ['GET', '/subjects/x', '/subjects/{subjectId}', { subjectId: 'x' }],
    ['POST', '/subjects/u1/holds/h-1/release', '/subjects/{subjectId}/holds/{holdId}/release', { subjectId: 'u1', holdId: 'h-1' }],
    ['GET', '/access-requests/r-1', '/access-requests/{requestId}', { requestId: 'r-1' }],
  ])('%s %s → %s with path parameters decoded', (method, rawPath, resource, params) => {
    expect(matchRoute(method, rawPath)).toEqual({ kind: 'route', resource, pathParameters: params });
  });

  it.each([
    ['GET', '/', { kind: 'not-found' }],
    ['GET', '/subjects/x/unknown', { kind: 'not-found' }],
    ['GET', '/restriction-requests', { kind: 'method-not-allowed', allowed: ['POST'] }],
    // A path whose subject id a client dropped: empty, or "." / ".." that URL rules resolve away (issue 15, item 16).
    ['POST', '/subjects//holdings', { kind: 'no-subject-id' }],
    ['POST', '/holdings', { kind: 'no-subject-id' }],
    ['POST', '/events', { kind: 'no-subject-id' }],
    ['POST', '/subjects/holdings', { kind: 'no-subject-id' }],
    ['POST', '/subjects/events/', { kind: 'no-subject-id' }],
    ['DELETE', '/erasure-requests/r-1', { kind: 'method-not-allowed', allowed: ['GET'] }],
    ['GET', '/erasure-requests', { kind: 'method-not-allowed', allowed: ['POST'] }],
    ['GET', '/erasure-requests/%E0%A4%A', { kind: 'bad-path' }],
  ])('%s %s → %j', (method, rawPath, expected) => {
    expect(matchRoute(method, rawPath)).toEqual(expected);
  });

  it("knows the routes of the API, in the route table's order", () => {
    expect(API_ROUTES.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /erasure-requests',
      'GET /erasure-requests/{requestId}',
      'POST /erasure-requests/{requestId}/extend',
      'POST /subjects/{subjectId}/holdings',
      'POST /subjects/{subjectId}/events',
      'GET /subjects/{subjectId}',
      'POST /subjects/{subjectId}/holds',
      'POST /subjects/{subjectId}/holds/{holdId}/release',
      'GET /subjects/{subjectId}/holds',
      'POST /restriction-requests',
      'GET /restriction-requests/{requestId}',
      'POST /restriction-requests/{requestId}/extend',
      'POST /access-requests',
      'GET /access-requests/{requestId}',
      'POST /access-requests/{requestId}/extend',
      'GET /erasure-requests/{requestId}/receipt',
      'POST /restriction-requests/{requestId}/lift',
      'GET /requests',
      'GET /retention/calendar',
      'GET /retention/holdings',
      'GET /restriction-requests/{requestId}/receipt',
      'GET /access-requests/{requestId}/receipt',
    ]);
  });
});

test('a subject id of ".." sent as it is reaches the function, which refuses it by name', () => {
  expect(matchRoute('POST', '/subjects/../holdings')).toEqual({
    kind: 'route',
    resource: '/subjects/{subjectId}/holdings',
    pathParameters: { subjectId: '..' },
  });
  expect(matchRoute('POST', '/subjects/%2E%2E/events')).toMatchObject({ kind: 'route', pathParameters: { subjectId: '..' } });
});

test('the proxy event is what API Gateway sends: raw path, decoded parameters, headers as sent, no Authorization', () => {
  const route = matchRoute('POST', '/subjects/a%20b/holdings');
  if (route.kind !== 'route') throw new Error('no route');
  const event = toProxyEvent(
    {
      method: 'POST',
      url: '/subjects/a%20b/holdings?x=1&x=2',
      rawHeaders: [
        'Content-Type',
        'application/json',
        'Authorization',
        'Bearer t',
        'Idempotency-Key',
        'k1',
        'X-Multi',
        'a',
        'X-Multi',
        'b',
      ],
      body: '{"a":1}',
      sourceIp: '127.0.0.1',
      host: '127.0.0.1:8787',
    },
    route,
  );
  expect(event).toMatchObject({
    resource: '/subjects/{subjectId}/holdings',
    path: '/subjects/a%20b/holdings',
    httpMethod: 'POST',
    pathParameters: { subjectId: 'a b' },
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'k1', 'X-Multi': 'b' },
    multiValueHeaders: { 'X-Multi': ['a', 'b'] },
    queryStringParameters: { x: '2' },
    multiValueQueryStringParameters: { x: ['1', '2'] },
    body: '{"a":1}',
    isBase64Encoded: false,
    requestContext: {
      resourcePath: '/subjects/{subjectId}/holdings',
      httpMethod: 'POST',
      stage: 'local',
      identity: { sourceIp: '127.0.0.1' },
    },
  });
  expect(Object.keys(event.headers).map((h) => h.toLowerCase())).not.toContain('authorization');
});

// Issue 14, item 7: the API-inputs property found `GET /erasure-requests/<id>?toString=` answered 500 by the local
// gateway (`multiQuery['toString'] ??= []` found Object.prototype.toString, whose push is no function).
test.each(['toString', 'constructor', '__proto__', 'hasOwnProperty'])(
  'a query parameter and a header named %p are passed on as any other name',
  (name) => {
    const route = matchRoute('GET', '/requests');
    if (route.kind !== 'route') throw new Error('no route');
    const event = toProxyEvent(
      {
        method: 'GET',
        url: `/requests?${name}=1&${name}=2`,
        rawHeaders: [name, 'a'],
        body: null,
        sourceIp: '127.0.0.1',
        host: '127.0.0.1:8787',
      },
      route,
    );
    // (as the function receives it: JSON, own properties only)
    const received = JSON.parse(JSON.stringify(event)) as typeof event;
    expect(Object.entries(received.queryStringParameters ?? {})).toEqual([[name, '2']]);
    expect(Object.entries(received.multiValueQueryStringParameters ?? {})).toEqual([[name, ['1', '2']]]);
    expect(Object.entries(received.headers)).toEqual([[name, 'a']]);
    expect(Object.entries(received.multiValueHeaders)).toEqual([[name, ['a']]]);
  },
);

test.each([
  ['Bearer secret-token', true],
  ['bearer secret-token', true],
  ['Bearer wrong', false],
  ['Basic secret-token', false],
  [undefined, false],
  ['Bearer ', false],
])('isAuthorized(%p) is %p', (header, expected) => {
  expect(isAuthorized(header, 'secret-token')).toBe(expected);
});

describe('the local API server', () => {
  let api: LocalApi;
  let events: APIGatewayProxyEvent[];
  let answer: InvokeResult;
  beforeAll(async () => {
    events = [];
    api = await startLocalApi({
      port: 0,
      token: 'tok',
      tokenFile: '/data/token',
      invoke: async (payload) => {
        events.push(JSON.parse(payload) as APIGatewayProxyEvent);
        return answer;
      },
    });
  });
  afterAll(() => api.close());

  const call = (path: string, init: RequestInit = {}) => fetch(`${api.url}${path}`, init);

  it('refuses a request without the token with 401, naming where the token is, and runs nothing', async () => {
    const res = await call('/erasure-requests/r-1');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(((await res.json()) as { error: unknown }).error).toEqual({
      code: 'unauthorized',
      message: expect.stringContaining('/data/token'),
    });
    expect(events).toHaveLength(0);
  });

  it("passes an authorised request to the function and answers with the function's response", async () => {
    answer = {
      ok: true,
      payload: JSON.stringify({ statusCode: 202, headers: { 'content-type': 'application/json', 'x-a': '1' }, body: '{"ok":true}' }),
    };
    const res = await call('/erasure-requests', {
      method: 'POST',
      headers: { authorization: 'Bearer tok', 'content-type': 'application/json' },
      body: '{"subjectId":"s"}',
    });
    expect(res.status).toBe(202);
    expect(res.headers.get('x-a')).toBe('1');
    expect(await res.json()).toEqual({ ok: true });
    expect(events.at(-1)).toMatchObject({ resource: '/erasure-requests', body: '{"subjectId":"s"}', pathParameters: null });
  });

  it('answers 404 for a route the API does not have and 405 for a method it does not allow, without running the function', async () => {
    const before = events.length;
    const notFound = await call('/nope', { headers: { authorization: 'Bearer tok' } });
    expect(notFound.status).toBe(404);
    expect(((await notFound.json()) as { error: { code: string } }).error.code).toBe('not-found');
    const notAllowed = await call('/erasure-requests/r-1', { method: 'DELETE', headers: { authorization: 'Bearer tok' } });
    expect(notAllowed.status).toBe(405);
    expect(notAllowed.headers.get('allow')).toBe('GET');
    expect(events).toHaveLength(before);
  });

  it('answers a subject path whose id the client dropped (fetch resolves /subjects/%2E%2E/holdings to /holdings) with a 400 naming subjectId', async () => {
    const before = events.length;
    // GIVEN what fetch sends for a subject named ".." (the URL parser removes the segment)
    expect(new URL(`${api.url}/subjects/%2E%2E/holdings`).pathname).toBe('/holdings');
    const res = await call('/subjects/%2E%2E/holdings', { method: 'POST', headers: { authorization: 'Bearer tok' }, body: '{}' });
    // THEN a clear answer, not "no such route", and the function does not run
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: unknown }).error).toEqual({
      code: 'invalid-input',
      path: 'subjectId',
      message: expect.stringMatching(/no subject id.*"\.\."/),
    });
    expect(events).toHaveLength(before);
  });

  it('answers 502 when the function fails and 504 when it times out, as API Gateway does', async () => {
    answer = { ok: false, errorType: 'Error', errorMessage: 'boom' };
    expect((await call('/erasure-requests/r-1', { headers: { authorization: 'Bearer tok' } })).status).toBe(502);
    answer = { ok: false, errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out' };
    expect((await call('/erasure-requests/r-1', { headers: { authorization: 'Bearer tok' } })).status).toBe(504);
  });
});

test('a port in use is a LocalModeError naming the port and PORT', async () => {
  const blocker = http.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
  const { port } = blocker.address() as AddressInfo;
  try {
    const start = startLocalApi({ port, token: 't', tokenFile: 'f', invoke: async () => ({ ok: true, payload: '{}' }) });
    await expect(start).rejects.toThrow(LocalModeError);
    await expect(start).rejects.toThrow(new RegExp(`port ${port} on 127.0.0.1 is already in use.*PORT=${port + 1} npm start`));
  } finally {
    blocker.close();
  }
});
