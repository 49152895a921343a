/**
 * The DPO console's server (issue 18; docs/console.md): on 127.0.0.1 only, it serves the built front-end
 * (`dist/console/`, `npm run build:console`), passes the browser's `/api/*` calls to a Lethe API (forward.ts: local
 * mode's with its token, or a deployed stack's signed with the user's credentials), and answers `/console-api/*`
 * itself from the policy file and the audit bucket (contract.ts has the shapes).
 *
 * Security model: it listens on 127.0.0.1 only; it answers only requests whose Host is `127.0.0.1:<port>` or
 * `localhost:<port>` (a web page cannot reach it through a DNS name rebound to 127.0.0.1) and refuses cross-site
 * requests (an `Origin` or `Sec-Fetch-Site` of another site): it sends no CORS headers and answers no preflight. It is
 * read-only except extending a deadline: every other method or API route is 405. Its log lines carry the method, the
 * route template (never the path: a subject id may be in it, never the query), the status and the milliseconds.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import * as path from 'node:path';
import { Temporal } from '@js-temporal/polyfill';
import type { AuditSource } from '../audit/verify';
import { LetheError } from '../core/errors';
import { listenOnLoopback, type LoopbackServer } from '../core/loopback';
import type { LoadedPolicy } from '../policy/load';
import { buildRegister } from '../register/register';
import { AuditReadCache } from './audit-cache';
import { type AuditHeadReader, checkRequestId, consoleAudit } from './audit-view';
import { ConsoleError, ConsoleRequestError } from './errors';
import { type ApiForwarder, decideApiCall, type ForwardAnswer } from './forward';
import { consoleLang, consolePolicy } from './policy-view';

/** The console's port when none is given (`lethe console --port`, `npm start -- --console-port`). */
export const DEFAULT_CONSOLE_PORT = 8790;

/** The largest request body passed on (an extend request is a few hundred bytes). */
const MAX_BODY_BYTES = 16 * 1024;

export interface ConsoleServerOptions {
  /** On 127.0.0.1; 0 picks a free one. @default 8790 */
  readonly port?: number;
  readonly api: ApiForwarder;
  /** The policy the console shows (`/console-api/policy`, `/console-api/register`). */
  readonly policy: LoadedPolicy;
  /** The audit records; undefined: `/console-api/audit` answers 404 saying how to give the bucket. @default - none */
  readonly audit?: () => AuditSource;
  /** The audit-chain table's head, to check the chain's end against; undefined: the proof page says it was not checked. @default - none */
  readonly auditHead?: AuditHeadReader;
  /** What was read of the audit bucket, kept between visits (audit-cache.ts). @default - a cache of its own, 64 Mi characters */
  readonly auditCache?: AuditReadCache;
  /** The built front-end. @default - `dist/console/` of the repository this file is in */
  readonly staticDir?: string;
  /** Receives one line per request (method, route template, status, ms). @default - nothing */
  readonly log?: (line: string) => void;
  /** @default - the system clock */
  readonly now?: () => Date;
}

/** The console's server: `http://127.0.0.1:<port>`, as every server Lethe runs here (lib/core/loopback.ts). */
export type ConsoleServer = LoopbackServer;

/** `dist/console/` of the nearest directory above this file with a package.json (the sources and the CLI bundle alike). */
export function defaultStaticDir(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return path.join(dir, 'dist', 'console');
    if (path.dirname(dir) === dir) return path.join(from, 'dist', 'console');
  }
}

const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Sent with every answer: nothing cached (a subject's lookup must not stay in the browser), no framing, no sniffing. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
};

export const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lethe console: not built</title></head>
<body><h1>The Lethe console is not built</h1>
<p>Its front-end is missing from dist/console/. Build it with <code>npm run build:console</code> (npm install does it),
then reload this page.</p></body></html>
`;

interface Answer {
  readonly status: number;
  readonly body: Buffer | string;
  readonly contentType: string;
  readonly headers?: Readonly<Record<string, string>>;
}

const json = (status: number, value: unknown, headers?: Record<string, string>): Answer => ({
  status,
  body: `${JSON.stringify(value)}\n`,
  contentType: 'application/json; charset=utf-8',
  ...(headers ? { headers } : {}),
});
const problem = (status: number, code: string, message: string, headers?: Record<string, string>): Answer =>
  json(status, { error: { code, message } }, headers);

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Past the limit: refused, and the rest read and dropped, so that the answer reaches the client.
      if (size > MAX_BODY_BYTES)
        reject(new ConsoleRequestError(413, 'too-large', `the request body is larger than ${MAX_BODY_BYTES} bytes`));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The answer to a request that failed: its own status for a refusal, 502 when what is behind is not there, else 500. */
function errorAnswer(error: unknown): Answer {
  if (error instanceof ConsoleRequestError) return problem(error.status, error.code, error.message);
  if (error instanceof LetheError) return problem(502, 'unavailable', error.message);
  return problem(500, 'internal', `the console server failed (${(error as Error).name}); please report it`);
}

/** Starts the console server on 127.0.0.1; a ConsoleError when the port is taken. */
export async function startConsoleServer(options: ConsoleServerOptions): Promise<ConsoleServer> {
  const staticDir = path.resolve(options.staticDir ?? defaultStaticDir());
  const now = options.now ?? (() => new Date());
  const log = options.log ?? (() => undefined);
  const { policy, hash } = options.policy;
  const auditCache = options.auditCache ?? new AuditReadCache();
  let allowedHosts = new Set<string>();
  let allowedOrigins = new Set<string>();

  /** The static file for a URL path, or undefined (outside the directory, or none). */
  function staticFile(urlPath: string): string | undefined {
    let decoded: string;
    try {
      decoded = decodeURIComponent(urlPath);
    } catch {
      return undefined;
    }
    const file = path.resolve(staticDir, `.${decoded}`);
    if (file !== staticDir && !file.startsWith(`${staticDir}${path.sep}`)) return undefined;
    return statSync(file, { throwIfNoEntry: false })?.isFile() ? file : undefined;
  }

  async function serveStatic(method: string, urlPath: string): Promise<{ answer: Answer; template: string }> {
    if (method !== 'GET' && method !== 'HEAD') {
      return {
        answer: problem(405, 'method-not-allowed', `${method} is not allowed here; the console's pages are read with GET`, {
          allow: 'GET, HEAD',
        }),
        template: '(page)',
      };
    }
    const index = path.join(staticDir, 'index.html');
    if (!existsSync(index)) return { answer: { status: 503, body: NOT_BUILT_PAGE, contentType: MIME['.html'] }, template: '(not built)' };
    const file = urlPath === '/' ? index : staticFile(urlPath);
    if (file)
      return {
        answer: { status: 200, body: readFileSync(file), contentType: MIME[path.extname(file)] ?? 'application/octet-stream' },
        template: urlPath === '/' ? '/' : `/${path.relative(staticDir, file).split(path.sep).join('/')}`,
      };
    // The front-end's own routes (a path without a file extension) are its page; a missing file is 404.
    if (!path.posix.extname(urlPath))
      return { answer: { status: 200, body: readFileSync(index), contentType: MIME['.html'] }, template: '(page)' };
    return { answer: problem(404, 'not-found', 'no such file in the console'), template: '(no such file)' };
  }

  async function consoleApi(method: string, route: string, query: URLSearchParams): Promise<Answer> {
    if (method !== 'GET') return problem(405, 'method-not-allowed', `${method} is not allowed here; use GET`, { allow: 'GET' });
    switch (route) {
      case '/console-api/policy':
        return json(200, consolePolicy(policy, hash, consoleLang(query.get('lang'))));
      case '/console-api/register': {
        const lang = consoleLang(query.get('lang'));
        const date = Temporal.Instant.fromEpochMilliseconds(now().getTime()).toZonedDateTimeISO(policy.timezone).toPlainDate().toString();
        return json(200, buildRegister(policy, hash, { lang, date }));
      }
      case '/console-api/audit': {
        const requestId = checkRequestId(query.get('requestId'));
        if (!options.audit) {
          return problem(
            404,
            'no-audit-bucket',
            'the console was started without an audit bucket: give --audit-bucket <name> to lethe console',
          );
        }
        try {
          return json(
            200,
            await consoleAudit(auditCache.wrap(options.audit()), {
              ...(requestId === undefined ? {} : { requestId }),
              now: now(),
              ...(options.auditHead ? { head: options.auditHead } : {}),
            }),
          );
        } catch (error) {
          if (error instanceof ConsoleRequestError) throw error;
          const name = (error as { name?: unknown }).name;
          throw new ConsoleRequestError(
            502,
            'audit-unreadable',
            `the audit bucket cannot be read (${typeof name === 'string' ? name : 'error'}): the credentials need s3:ListBucket and s3:GetObject on it`,
            { cause: error },
          );
        }
      }
      default:
        return problem(
          404,
          'not-found',
          'no such console route; there are /console-api/policy, /console-api/register and /console-api/audit',
        );
    }
  }

  async function forwardApi(
    req: IncomingMessage,
    method: string,
    apiPath: string,
    query: string,
  ): Promise<{ answer: Answer; template: string }> {
    const decision = decideApiCall(method, apiPath);
    const template = `/api${decision.template}`;
    if (decision.kind === 'refuse') {
      req.resume();
      return {
        answer: problem(
          405,
          'method-not-allowed',
          `${method} is not allowed here: the console reads, and changes nothing but a deadline (allowed: ${decision.allow})`,
          {
            allow: decision.allow,
          },
        ),
        template,
      };
    }
    let body: string | undefined;
    if (method === 'POST') {
      const contentType = req.headers['content-type'] ?? '';
      if (!/^application\/json\b/i.test(contentType)) {
        req.resume();
        return { answer: problem(415, 'unsupported-media-type', 'send the body as JSON (Content-Type: application/json)'), template };
      }
      body = await readBody(req);
    } else {
      req.resume();
    }
    let answer: ForwardAnswer;
    try {
      answer = await options.api.forward({
        method: method as 'GET' | 'POST',
        path: apiPath,
        query,
        ...(body === undefined ? {} : { body, contentType: 'application/json' }),
      });
    } catch (error) {
      // Answered and logged under the route's template, whatever went wrong.
      return { answer: errorAnswer(error), template };
    }
    return {
      answer: { status: answer.status, body: answer.body, contentType: answer.contentType ?? 'application/octet-stream' },
      template,
    };
  }

  async function handle(req: IncomingMessage): Promise<{ answer: Answer; template: string }> {
    const method = req.method ?? 'GET';
    if (!allowedHosts.has((req.headers.host ?? '').toLowerCase())) {
      req.resume();
      return {
        answer: problem(403, 'host-not-allowed', 'open the console at the address it printed (http://127.0.0.1:<port>)'),
        template: '(other host)',
      };
    }
    const origin = req.headers.origin;
    const site = req.headers['sec-fetch-site'];
    if ((origin !== undefined && !allowedOrigins.has(origin.toLowerCase())) || site === 'cross-site') {
      req.resume();
      return { answer: problem(403, 'cross-origin', 'the console answers its own pages only'), template: '(cross-origin)' };
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const urlPath = url.pathname;
    if (urlPath === '/api' || urlPath.startsWith('/api/'))
      return forwardApi(req, method, urlPath.slice('/api'.length) || '/', url.search.slice(1));
    if (urlPath === '/console-api' || urlPath.startsWith('/console-api/')) {
      req.resume();
      const route = urlPath.replace(/\/+$/, '');
      const known = ['/console-api/policy', '/console-api/register', '/console-api/audit'].includes(route);
      return { answer: await consoleApi(method, route, url.searchParams), template: known ? route : '/console-api/(no such route)' };
    }
    req.resume();
    return serveStatic(method, urlPath);
  }

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    const method = req.method ?? 'GET';
    void handle(req)
      .catch((error: unknown): { answer: Answer; template: string } => {
        return { answer: errorAnswer(error), template: '(failed)' };
      })
      .then(({ answer, template }) => {
        if (!res.headersSent) {
          const body = typeof answer.body === 'string' ? Buffer.from(answer.body) : answer.body;
          res.writeHead(answer.status, {
            ...SECURITY_HEADERS,
            'content-type': answer.contentType,
            'content-length': body.length,
            ...(answer.headers ?? {}),
          });
          res.end(method === 'HEAD' ? undefined : body);
        }
        log(`${method} ${template} ${answer.status} ${Math.round(performance.now() - started)} ms`);
      });
  });

  const port = options.port ?? DEFAULT_CONSOLE_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConsoleError(`the console's port must be a whole number from 0 to 65535, got ${port}`);
  const listening = await listenOnLoopback(server, port, (error) =>
    error.code === 'EADDRINUSE'
      ? new ConsoleError(
          `port ${port} on 127.0.0.1 is in use: stop what uses it, or give the console another port (--port, or --console-port for npm start)`,
          { cause: error },
        )
      : error,
  );
  const bound = listening.port;
  allowedHosts = new Set([`127.0.0.1:${bound}`, `localhost:${bound}`]);
  allowedOrigins = new Set([`http://127.0.0.1:${bound}`, `http://localhost:${bound}`]);
  return listening;
}
