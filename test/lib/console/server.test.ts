import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { auditFileName, chainRecord, directorySource, GENESIS_HASH, serialiseRecord } from '../../../lib/audit';
import { ConsoleError, ConsoleRequestError } from '../../../lib/console/errors';
import type { ApiForwarder, ForwardRequest } from '../../../lib/console/forward';
import { type ConsoleServer, defaultStaticDir, NOT_BUILT_PAGE, startConsoleServer } from '../../../lib/console/server';
import { loadPolicyFile } from '../../../lib/policy/load';

const ROOT = path.join(__dirname, '..', '..', '..');
const policy = loadPolicyFile(path.join(ROOT, 'examples', 'dh-solutions.yaml'));

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** A request with the headers given, Host included (fetch would set its own). */
function call(server: ConsoleServer, method: string, urlPath: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        method,
        path: urlPath,
        headers: {
          host: `127.0.0.1:${server.port}`,
          // Node frames no body of a DELETE or OPTIONS unless told its length
          ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

let staticDir: string;
let auditDir: string;
let server: ConsoleServer;
const forwarded: ForwardRequest[] = [];
const logLines: string[] = [];
let failNext: Error | undefined;
const api: ApiForwarder = {
  description: 'http://127.0.0.1:1',
  async forward(req) {
    forwarded.push(req);
    if (failNext) {
      const error = failNext;
      failNext = undefined;
      throw error;
    }
    return { status: 200, contentType: 'application/json', body: Buffer.from(JSON.stringify({ echoed: req.path })) };
  },
};

beforeAll(async () => {
  staticDir = mkdtempSync(path.join(tmpdir(), 'lethe-console-static-'));
  writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Lethe console</title><script src="/app.js"></script>');
  writeFileSync(path.join(staticDir, 'app.js'), 'console.log("app")');
  writeFileSync(path.join(staticDir, 'app.css'), 'body{}');
  auditDir = mkdtempSync(path.join(tmpdir(), 'lethe-console-audit-'));
  const record = chainRecord(
    {
      at: '2026-12-01T10:00:00Z',
      kind: 'erasure-request',
      requestId: 'r-1',
      purposes: ['support'],
      system: 'support-desk',
      action: 'delete',
      outcome: 'erased',
      counts: { records: 1, fields: 0, objects: 0 },
      subject: 'c'.repeat(64),
      policyHash: policy.hash,
    },
    1,
    GENESIS_HASH,
  );
  writeFileSync(path.join(auditDir, auditFileName(1)), serialiseRecord(record));
  server = await startConsoleServer({
    port: 0,
    api,
    policy,
    audit: () => directorySource(auditDir),
    staticDir,
    log: (line) => logLines.push(line),
    now: () => new Date('2026-12-04T18:00:00Z'),
  });
});
afterAll(async () => {
  await server.close();
  rmSync(staticDir, { recursive: true, force: true });
  rmSync(auditDir, { recursive: true, force: true });
});
beforeEach(() => {
  forwarded.length = 0;
  logLines.length = 0;
});

describe('only on 127.0.0.1, only for its own pages', () => {
  it('listens on 127.0.0.1 at the port it says', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
  });

  it.each([
    ['127.0.0.1:<port>', (p: number) => `127.0.0.1:${p}`, 200],
    ['localhost:<port>', (p: number) => `localhost:${p}`, 200],
    ['a rebound DNS name', (p: number) => `attacker.example:${p}`, 403],
    ['another port', (p: number) => `127.0.0.1:${p + 1}`, 403],
    ['no port', () => '127.0.0.1', 403],
  ])('Host %s: %s', async (_what, host, status) => {
    const reply = await call(server, 'GET', '/api/requests', { host: host(server.port) });
    expect(reply.status).toBe(status);
    // THEN a refused request never reaches the API
    expect(forwarded.length).toBe(status === 200 ? 1 : 0);
    if (status === 403)
      expect(JSON.parse(reply.text)).toEqual({
        error: { code: 'host-not-allowed', message: expect.stringContaining('http://127.0.0.1:<port>') },
      });
  });

  it.each([
    ['Origin of another site', { origin: 'https://attacker.example' }, 403],
    ['Sec-Fetch-Site cross-site', { 'sec-fetch-site': 'cross-site' }, 403],
    ['its own Origin', { origin: 'http://127.0.0.1:PORT' }, 200],
    ['same-origin', { 'sec-fetch-site': 'same-origin' }, 200],
  ])('%s: %s', async (_what, headers, status) => {
    const fixed = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.replace('PORT', String(server.port))]));
    const reply = await call(
      server,
      'POST',
      '/api/erasure-requests/r-1/extend',
      { ...fixed, 'content-type': 'application/json' },
      '{"months":1}',
    );
    expect(reply.status).toBe(status);
    expect(forwarded.length).toBe(status === 200 ? 1 : 0);
  });

  it('sends no CORS headers and answers no preflight; nothing is cached, framed or sniffed', async () => {
    const preflight = await call(server, 'OPTIONS', '/api/requests', { origin: `http://127.0.0.1:${server.port}` });
    expect(preflight.status).toBe(405);
    const page = await call(server, 'GET', '/');
    for (const reply of [preflight, page]) {
      expect(Object.keys(reply.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
      expect(reply.headers).toMatchObject({ 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY' });
      expect(reply.headers['content-security-policy']).toMatch(/script-src 'self';.*frame-ancestors 'none'/);
    }
  });
});

describe('the built front-end', () => {
  it.each([
    ['/', 200, 'text/html; charset=utf-8', /Lethe console/],
    ['/app.js', 200, 'text/javascript; charset=utf-8', /console\.log/],
    ['/app.css', 200, 'text/css; charset=utf-8', /body/],
    // a page of the front-end: its index
    ['/requests', 200, 'text/html; charset=utf-8', /Lethe console/],
    ['/missing.js', 404, 'application/json; charset=utf-8', /no such file/],
    // out of the directory: never served
    ['/%2e%2e/%2e%2e/package.json', 404, 'application/json; charset=utf-8', /no such file/],
    ['/..%2fpackage.json', 404, 'application/json; charset=utf-8', /no such file/],
  ])('GET %s: %s %s', async (urlPath, status, type, body) => {
    const reply = await call(server, 'GET', urlPath);
    expect([reply.status, reply.headers['content-type']]).toEqual([status, type]);
    expect(reply.text).toMatch(body);
  });

  it('POST to a page is 405', async () => {
    expect((await call(server, 'POST', '/')).status).toBe(405);
  });

  it('not built: every page says how to build it (503)', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'lethe-console-empty-'));
    const bare = await startConsoleServer({ port: 0, api, policy, staticDir: empty });
    try {
      const reply = await call(bare, 'GET', '/');
      expect([reply.status, reply.text]).toEqual([503, NOT_BUILT_PAGE]);
      expect(reply.text).toContain('npm run build:console');
    } finally {
      await bare.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it("defaults to dist/console of the repository, from the sources and from the CLI bundle's dist/ alike", () => {
    expect(defaultStaticDir(path.join(ROOT, 'lib', 'console'))).toBe(path.join(ROOT, 'dist', 'console'));
    mkdirSync(path.join(ROOT, 'dist'), { recursive: true });
    expect(defaultStaticDir(path.join(ROOT, 'dist'))).toBe(path.join(ROOT, 'dist', 'console'));
  });
});

describe('/api/*: the Lethe API, read-only but for extending a deadline', () => {
  it('a GET goes on with its path and query, and its answer comes back', async () => {
    const reply = await call(server, 'GET', '/api/subjects/customer-1?lang=sv');
    expect([reply.status, JSON.parse(reply.text)]).toEqual([200, { echoed: '/subjects/customer-1' }]);
    expect(forwarded).toEqual([{ method: 'GET', path: '/subjects/customer-1', query: 'lang=sv' }]);
  });

  it('an extend POST goes on with its JSON body', async () => {
    const body = JSON.stringify({ months: 2, reason: 'The request is complex.' });
    const reply = await call(server, 'POST', '/api/erasure-requests/r-1/extend', { 'content-type': 'application/json' }, body);
    expect(reply.status).toBe(200);
    expect(forwarded).toEqual([{ method: 'POST', path: '/erasure-requests/r-1/extend', query: '', body, contentType: 'application/json' }]);
  });

  it.each([
    ['POST', '/api/erasure-requests', 'GET'],
    ['POST', '/api/subjects/customer-1/holdings', 'GET'],
    ['DELETE', '/api/erasure-requests/r-1', 'GET'],
    ['PUT', '/api/erasure-requests/r-1/extend', 'GET, POST'],
    ['PATCH', '/api/requests', 'GET'],
  ])('%s %s: 405, allowed %s, never forwarded', async (method, urlPath, allow) => {
    const reply = await call(server, method, urlPath, { 'content-type': 'application/json' }, '{}');
    expect([reply.status, reply.headers.allow]).toEqual([405, allow]);
    expect(JSON.parse(reply.text).error.code).toBe('method-not-allowed');
    expect(forwarded).toEqual([]);
  });

  it('an extend POST that is not JSON is 415 (a form post from another page cannot pass as one)', async () => {
    const reply = await call(server, 'POST', '/api/erasure-requests/r-1/extend', { 'content-type': 'text/plain' }, '{"months":1}');
    expect(reply.status).toBe(415);
    expect(forwarded).toEqual([]);
  });

  it('a body larger than 16 KiB is 413', async () => {
    const reply = await call(
      server,
      'POST',
      '/api/erasure-requests/r-1/extend',
      { 'content-type': 'application/json' },
      `"${'x'.repeat(20_000)}"`,
    );
    expect(reply.status).toBe(413);
  });

  it.each<[string, Error, number, string]>([
    [
      'the API cannot be reached',
      new ConsoleRequestError(502, 'api-unreachable', 'the Lethe API at http://127.0.0.1:1/ cannot be reached'),
      502,
      'api-unreachable',
    ],
    ['local mode stopped (no token)', new ConsoleError('no API token in /x/.lethe/token'), 502, 'unavailable'],
    ['a bug', new TypeError('x is undefined'), 500, 'internal'],
  ])('%s: %s with code %s', async (_what, error, status, code) => {
    failNext = error;
    const reply = await call(server, 'GET', '/api/requests');
    expect([reply.status, JSON.parse(reply.text).error.code]).toEqual([status, code]);
    // logged under the route's template all the same
    expect(logLines).toEqual([expect.stringMatching(new RegExp(`^GET /api/requests ${status} \\d+ ms$`))]);
  });
});

describe('/console-api/*', () => {
  it('policy: the ConsolePolicy, in the language asked', async () => {
    const en = JSON.parse((await call(server, 'GET', '/console-api/policy')).text);
    const sv = JSON.parse((await call(server, 'GET', '/console-api/policy?lang=sv')).text);
    expect(en).toMatchObject({ controller: 'DH Solutions AB', policyHash: policy.hash, timeZone: 'Europe/Stockholm' });
    expect(en.purposes[0].legalBasis).toBe('Performance of a contract, Art. 6(1)(b)');
    expect(sv.purposes[0].legalBasis).toBe('Avtal, art. 6.1 b');
  });

  it("register: the Art. 30 register as JSON, dated today in the policy's time zone", async () => {
    const register = JSON.parse((await call(server, 'GET', '/console-api/register?lang=sv')).text);
    expect(register).toMatchObject({ lang: 'sv', date: '2026-12-04', policyHash: policy.hash });
    expect(register.activities.length).toBe(Object.keys(policy.policy.purposes).length);
  });

  it("audit: the chain verified, and a request's records", async () => {
    expect(JSON.parse((await call(server, 'GET', '/console-api/audit')).text)).toEqual({
      checkedAt: '2026-12-04T18:00:00.000Z',
      intact: true,
      records: 1,
      head: null,
      headUnchecked: 'no-chain-table',
    });
    const one = JSON.parse((await call(server, 'GET', '/console-api/audit?requestId=r-1')).text);
    expect(one.requestRecords).toEqual([expect.objectContaining({ seq: 1, system: 'support-desk', subjectRef: 'c'.repeat(64) })]);
  });

  it.each([
    ['/console-api/policy?lang=de', 400, 'invalid-input'],
    ['/console-api/register?lang=fr', 400, 'invalid-input'],
    ['/console-api/audit?requestId=../x', 400, 'invalid-input'],
    ['/console-api/other', 404, 'not-found'],
  ])('GET %s: %s %s', async (urlPath, status, code) => {
    const reply = await call(server, 'GET', urlPath);
    expect([reply.status, JSON.parse(reply.text).error.code]).toEqual([status, code]);
  });

  it('POST is 405', async () => {
    expect((await call(server, 'POST', '/console-api/policy')).status).toBe(405);
  });

  it('audit without a bucket: 404 saying how to give one', async () => {
    const bare = await startConsoleServer({ port: 0, api, policy, staticDir });
    try {
      const reply = await call(bare, 'GET', '/console-api/audit');
      expect([reply.status, JSON.parse(reply.text).error]).toEqual([
        404,
        { code: 'no-audit-bucket', message: expect.stringContaining('--audit-bucket') },
      ]);
    } finally {
      await bare.close();
    }
  });

  it.each([
    ['at the last record: intact', 1, true],
    ['ahead of the records (the newest removed): broken, truncated', 2, false],
  ])("audit with the audit-chain table's head %s", async (_what, seq, intact) => {
    const withHead = await startConsoleServer({
      port: 0,
      api,
      policy,
      staticDir,
      audit: () => directorySource(auditDir),
      auditHead: { table: 'chain', read: async () => ({ seq }) },
    });
    try {
      const answer = JSON.parse((await call(withHead, 'GET', '/console-api/audit')).text);
      expect(answer).toMatchObject({ intact, head: { seq } });
      expect(answer.break?.kind).toBe(intact ? undefined : 'truncated');
    } finally {
      await withHead.close();
    }
  });

  it("audit, visited again: the objects read before (listed with the same version) come from the server's cache, and the answer is the same", async () => {
    // GIVEN a bucket whose listing gives each object's version (an ETag), its reads counted
    const reads: string[] = [];
    const dir = directorySource(auditDir);
    const versioned = await startConsoleServer({
      port: 0,
      api,
      policy,
      staticDir,
      now: () => new Date('2026-12-04T18:00:00Z'),
      audit: () => ({
        description: dir.description,
        names: () => dir.names(),
        listedVersion: () => '"etag-1"',
        read: (name) => {
          reads.push(name);
          return dir.read(name);
        },
      }),
    });
    try {
      const first = JSON.parse((await call(versioned, 'GET', '/console-api/audit?requestId=r-1')).text);
      // WHEN the proof is asked for again
      const second = JSON.parse((await call(versioned, 'GET', '/console-api/audit?requestId=r-1')).text);
      // THEN the record was read once, and both answers are the same
      expect(reads).toEqual([auditFileName(1)]);
      expect(second).toEqual(first);
      expect(second.requestRecords).toHaveLength(1);
    } finally {
      await versioned.close();
    }
  });

  it('audit bucket that cannot be read: 502 naming the permissions, not the error text', async () => {
    const failing = await startConsoleServer({
      port: 0,
      api,
      policy,
      staticDir,
      audit: () => ({
        description: 's3://b/audit/',
        names: () => Promise.reject(Object.assign(new Error('secret detail'), { name: 'AccessDenied' })),
        read: () => Promise.reject(new Error()),
      }),
    });
    try {
      const reply = await call(failing, 'GET', '/console-api/audit');
      expect(reply.status).toBe(502);
      expect(reply.text).toMatch(/AccessDenied.*s3:ListBucket and s3:GetObject/);
      expect(reply.text).not.toContain('secret detail');
    } finally {
      await failing.close();
    }
  });
});

describe('its log', () => {
  it('one line per request: method, route template, status, ms; never an id, a path or a query', async () => {
    await call(server, 'GET', '/api/subjects/customer-1?name=Astrid');
    await call(server, 'GET', '/api/erasure-requests/5b0e7d0c-1111-4222-8333-944445555666');
    await call(
      server,
      'POST',
      '/api/erasure-requests/5b0e7d0c-1111-4222-8333-944445555666/extend',
      { 'content-type': 'application/json' },
      '{"reason":"Astrid"}',
    );
    await call(server, 'GET', '/api/customer-1/x');
    await call(server, 'GET', '/console-api/audit?requestId=r-1');
    await call(server, 'GET', '/customer-1');
    await call(server, 'GET', '/app.js', { host: 'customer-1.example' });
    expect(logLines.map((l) => l.replace(/ \d+ ms$/, ' N ms'))).toEqual([
      'GET /api/subjects/{subjectId} 200 N ms',
      'GET /api/erasure-requests/{requestId} 200 N ms',
      'POST /api/erasure-requests/{requestId}/extend 200 N ms',
      'GET /api/(no such route) 200 N ms',
      'GET /console-api/audit 200 N ms',
      'GET (page) 200 N ms',
      'GET (other host) 403 N ms',
    ]);
  });
});

it('a port in use is a ConsoleError naming the port and the option', async () => {
  await expect(startConsoleServer({ port: server.port, api, policy, staticDir })).rejects.toThrow(
    new ConsoleError(
      `port ${server.port} on 127.0.0.1 is in use: stop what uses it, or give the console another port (--port, or --console-port for npm start)`,
    ),
  );
});
