import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { ConsoleError, ConsoleRequestError } from '../../../lib/console/errors';
import { decideApiCall, localForwarder, parseApiUrl, regionOfApiUrl, sigV4Forwarder, UNKNOWN_API_PATH } from '../../../lib/console/forward';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let server: Server;
let base: string;
const received: Received[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(201, { 'content-type': 'application/json', 'x-internal': 'not passed on' });
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => (received.length = 0));

describe('which calls the console passes on', () => {
  it.each([
    ['GET', '/requests', 'forward', '/requests'],
    ['GET', '/erasure-requests/3f2a', 'forward', '/erasure-requests/{requestId}'],
    ['GET', '/subjects/customer-1', 'forward', '/subjects/{subjectId}'],
    ['POST', '/erasure-requests/3f2a/extend', 'forward', '/erasure-requests/{requestId}/extend'],
    ['POST', '/access-requests/3f2a/extend', 'forward', '/access-requests/{requestId}/extend'],
    ['POST', '/restriction-requests/3f2a/extend', 'forward', '/restriction-requests/{requestId}/extend'],
    // Everything that changes data but a deadline is refused
    ['POST', '/erasure-requests', 'refuse', '/erasure-requests'],
    ['POST', '/subjects/customer-1/holdings', 'refuse', '/subjects/{subjectId}/holdings'],
    ['POST', '/subjects/customer-1/holds/h1/release', 'refuse', '/subjects/{subjectId}/holds/{holdId}/release'],
    ['POST', '/restriction-requests/3f2a/lift', 'refuse', '/restriction-requests/{requestId}/lift'],
    ['PUT', '/erasure-requests/3f2a/extend', 'refuse', '/erasure-requests/{requestId}/extend'],
    ['DELETE', '/erasure-requests/3f2a', 'refuse', '/erasure-requests/{requestId}'],
    ['OPTIONS', '/erasure-requests/3f2a', 'refuse', '/erasure-requests/{requestId}'],
    // A path that is no route: GET goes on (the API answers 404), logged without the path
    ['GET', '/customer-1/anything', 'forward', UNKNOWN_API_PATH],
  ])('%s %s: %s, logged as %s', (method, path, kind, template) => {
    expect(decideApiCall(method, path)).toMatchObject({ kind, template });
  });

  it('says which methods a refused path allows', () => {
    expect(decideApiCall('PUT', '/erasure-requests/x/extend')).toEqual({
      kind: 'refuse',
      template: '/erasure-requests/{requestId}/extend',
      allow: 'GET, POST',
    });
    expect(decideApiCall('POST', '/erasure-requests')).toEqual({ kind: 'refuse', template: '/erasure-requests', allow: 'GET' });
  });

  it('a route template never matches across segments (an id with a slash is not an extend)', () => {
    expect(decideApiCall('POST', '/erasure-requests/a/b/extend').kind).toBe('refuse');
  });
});

describe('--api-url', () => {
  it.each([
    ['https://abc123.execute-api.eu-north-1.amazonaws.com/prod/', 'https://abc123.execute-api.eu-north-1.amazonaws.com/prod', 'eu-north-1'],
    [
      'https://abc123.execute-api.eu-central-1.amazonaws.com/prod',
      'https://abc123.execute-api.eu-central-1.amazonaws.com/prod',
      'eu-central-1',
    ],
    ['https://api.example.se/lethe', 'https://api.example.se/lethe', undefined],
    ['http://127.0.0.1:8787', 'http://127.0.0.1:8787/', undefined],
  ])('%s: base %s, region %s', (text, href, region) => {
    const url = parseApiUrl(text);
    expect(url.href).toBe(href);
    expect(regionOfApiUrl(url)).toBe(region);
  });

  it.each(['not a url', 'ftp://example.se', 'https://example.se/prod?stage=1', 'https://user:pw@example.se/prod'])(
    '"%s" is a ConsoleError',
    (text) => {
      expect(() => parseApiUrl(text)).toThrow(ConsoleError);
      expect(() => parseApiUrl(text)).toThrow(/--api-url: expected an http or https URL/);
    },
  );
});

describe("local mode's API", () => {
  it('gets the call with the token read at call time, the path, the query and the body; answers status, type and body', async () => {
    // GIVEN a forwarder whose token changes (local mode restarted)
    let token = 'first-token';
    const forwarder = localForwarder({ apiUrl: base, token: () => token });
    // WHEN a GET and then an extend POST go through
    const got = await forwarder.forward({ method: 'GET', path: '/requests', query: 'status=open&limit=25' });
    token = 'second-token';
    await forwarder.forward({
      method: 'POST',
      path: '/erasure-requests/r-1/extend',
      query: '',
      body: '{"months":2}',
      contentType: 'application/json',
    });
    // THEN each carries the token of its time, and the answer is passed back as it came
    expect(got).toEqual({ status: 201, contentType: 'application/json', body: Buffer.from('{"ok":true}') });
    expect(received.map((r) => [r.method, r.url, r.headers.authorization, r.body])).toEqual([
      ['GET', '/requests?status=open&limit=25', 'Bearer first-token', ''],
      ['POST', '/erasure-requests/r-1/extend', 'Bearer second-token', '{"months":2}'],
    ]);
    expect(received[1].headers['content-type']).toBe('application/json');
  });

  it('an API that is not running is a 502 saying so', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const forwarder = localForwarder({ apiUrl: `http://127.0.0.1:${port}`, token: () => 't' });
    const error = (await forwarder
      .forward({ method: 'GET', path: '/requests', query: '' })
      .catch((e: unknown) => e)) as ConsoleRequestError;
    expect(error).toBeInstanceOf(ConsoleRequestError);
    expect([error.status, error.code]).toEqual([502, 'api-unreachable']);
    expect(error.message).toMatch(/cannot be reached: is it running\? \(ECONNREFUSED\)/);
  });
});

/** SigV4 for execute-api computed here from AWS's documented algorithm, independently of the signer under test. */
function expectedSignature(r: Received, secret: string, region: string): string {
  const amzDate = String(r.headers['x-amz-date']);
  const signed = /SignedHeaders=([^,]+)/.exec(String(r.headers.authorization))![1].split(';');
  const [rawPath, rawQuery = ''] = r.url.split('?');
  // Every service but S3: each path segment URI-encoded once more.
  const canonicalPath = rawPath
    .split('/')
    .map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
  const canonicalQuery = rawQuery
    .split('&')
    .filter(Boolean)
    .map((pair) => pair.split('=').map((p) => encodeURIComponent(decodeURIComponent(p))) as [string, string])
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v ?? ''}`)
    .join('&');
  const canonicalHeaders = signed.map((h) => `${h}:${String(r.headers[h]).trim()}\n`).join('');
  const payloadHash = createHash('sha256').update(r.body).digest('hex');
  const canonicalRequest = [r.method, canonicalPath, canonicalQuery, canonicalHeaders, signed.join(';'), payloadHash].join('\n');
  const scope = `${amzDate.slice(0, 8)}/${region}/execute-api/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, amzDate.slice(0, 8)), region), 'execute-api'), 'aws4_request');
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

describe("a deployed stack's API, signed with SigV4", () => {
  const credentials = {
    accessKeyId: 'AKIDEXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    sessionToken: 'session-token',
  };

  it.each([
    ['a GET with a query', { method: 'GET' as const, path: '/requests', query: 'status=open&kind=erasure' }],
    ['a GET of an id that needs encoding', { method: 'GET' as const, path: '/subjects/a%20b', query: '' }],
    [
      'an extend POST with its body',
      { method: 'POST' as const, path: '/erasure-requests/r-1/extend', query: '', body: '{"months":1,"reason":"complex"}' },
    ],
  ])('%s: the signature is the one AWS computes, for the stage path, with the session token', async (_what, call) => {
    // GIVEN a forwarder for the API under a stage path, region given
    const forwarder = sigV4Forwarder({ apiUrl: `${base}/prod`, region: 'eu-north-1', credentials });
    // WHEN the call goes through
    await forwarder.forward(call);
    // THEN the API got it under its stage, signed for execute-api in the region, with no bearer token
    const r = received[0];
    expect(r.url).toBe(`/prod${call.path}${call.query ? `?${call.query}` : ''}`);
    expect(r.headers['x-amz-security-token']).toBe('session-token');
    const authorization = String(r.headers.authorization);
    expect(authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-north-1\/execute-api\/aws4_request, SignedHeaders=[^,]*host[^,]*, Signature=[0-9a-f]{64}$/,
    );
    expect(authorization.split('Signature=')[1]).toBe(expectedSignature(r, credentials.secretAccessKey, 'eu-north-1'));
  });

  it('takes the region from an execute-api URL, and without one asks for --region', () => {
    expect(() => sigV4Forwarder({ apiUrl: 'https://abc.execute-api.eu-north-1.amazonaws.com/prod', credentials })).not.toThrow();
    expect(() => sigV4Forwarder({ apiUrl: 'https://api.example.se/prod', credentials })).toThrow(/no region for .*give --region/);
  });

  it('credentials that cannot be found are a 502 naming --profile', async () => {
    const forwarder = sigV4Forwarder({
      apiUrl: `${base}/prod`,
      region: 'eu-north-1',
      credentials: () =>
        Promise.reject(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' })),
    });
    const error = (await forwarder
      .forward({ method: 'GET', path: '/requests', query: '' })
      .catch((e: unknown) => e)) as ConsoleRequestError;
    expect([error.status, error.code]).toEqual([502, 'no-credentials']);
    expect(error.message).toMatch(/CredentialsProviderError.*--profile/);
    expect(received).toEqual([]);
  });
});
