/** console/api.ts: the fetch wrapper turns the API's error answers into ApiErrors carrying their message. */
import { ApiError, getJson, postJson, withQuery } from '../../console/api';

interface Call {
  url: string;
  init?: RequestInit;
}

/** A fetch that answers `status` with `body` (text as given, else JSON) and records its calls. */
function fakeFetch(status: number, body: unknown) {
  const calls: Call[] = [];
  const fetchImpl = async (url: string, init?: RequestInit) => {
    calls.push({ url, init });
    return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status });
  };
  return { calls, fetchImpl };
}

const failure = (promise: Promise<unknown>): Promise<ApiError> =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error as ApiError,
  );

describe('getJson', () => {
  it('GIVEN a 200 answer WHEN getting THEN its JSON is the result, asked for as JSON on the same origin', async () => {
    const { calls, fetchImpl } = fakeFetch(200, { requests: [] });
    await expect(getJson('/api/requests', fetchImpl)).resolves.toEqual({ requests: [] });
    expect(calls).toEqual([
      { url: '/api/requests', init: { method: 'GET', credentials: 'same-origin', headers: { accept: 'application/json' } } },
    ]);
  });

  it.each([
    [404, { error: { code: 'not-found', message: 'no erasure request abc' } }, 'not-found', 'no erasure request abc'],
    [409, { error: { code: 'conflict', message: 'the deadline was extended already' } }, 'conflict', 'the deadline was extended already'],
    [400, { error: { message: 'expected months 1 or 2' } }, 'error', 'expected months 1 or 2'],
    [502, 'Bad Gateway', 'http', 'HTTP 502'],
    [500, { unexpected: true }, 'http', 'HTTP 500'],
    [503, { error: { code: 'unavailable', message: '' } }, 'http', 'HTTP 503'],
  ])('GIVEN a %i answer %j WHEN getting THEN an ApiError %s: %s', async (status, body, code, message) => {
    const error = await failure(getJson('/api/x', fakeFetch(status, body).fetchImpl));
    expect(error).toBeInstanceOf(ApiError);
    expect({ status: error.status, code: error.code, message: error.message }).toEqual({ status, code, message });
  });

  it('GIVEN the server does not answer WHEN getting THEN an ApiError of code network with the reason', async () => {
    const error = await failure(getJson('/api/x', () => Promise.reject(new TypeError('Failed to fetch'))));
    expect({ status: error.status, code: error.code, message: error.message }).toEqual({
      status: 0,
      code: 'network',
      message: 'Failed to fetch',
    });
  });
});

describe('postJson', () => {
  it('GIVEN a body WHEN posting THEN it is sent as JSON and the answer returned', async () => {
    const { calls, fetchImpl } = fakeFetch(200, { requestId: 'r1' });
    await expect(postJson('/api/erasure-requests/r1/extend', { months: 2, reason: 'complex' }, fetchImpl)).resolves.toEqual({
      requestId: 'r1',
    });
    expect(calls[0].init).toEqual({
      method: 'POST',
      body: '{"months":2,"reason":"complex"}',
      credentials: 'same-origin',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
    });
  });

  it('GIVEN a refusal WHEN posting THEN the API message is the error', async () => {
    const error = await failure(
      postJson('/api/x', {}, fakeFetch(409, { error: { code: 'conflict', message: 'extended already' } }).fetchImpl),
    );
    expect(error.message).toBe('extended already');
  });
});

describe('withQuery', () => {
  it.each([
    ['/api/requests', {}, '/api/requests'],
    ['/api/requests', { kind: 'erasure', status: undefined, cursor: '' }, '/api/requests?kind=erasure'],
    ['/api/requests', { limit: 25, cursor: 'a b&c' }, '/api/requests?limit=25&cursor=a+b%26c'],
  ])('GIVEN %s and %j THEN %s', (path, query, expected) => {
    expect(withQuery(path, query)).toBe(expected);
  });
});
