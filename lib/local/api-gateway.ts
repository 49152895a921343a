/**
 * The local stand-in for API Gateway in front of lambdas/api.ts, on http://127.0.0.1:PORT.
 *
 * - Auth: every request needs `Authorization: Bearer <token>` (the token local mode prints at start and writes
 *   to <dataDir>/token); anything else is 401. (On AWS the API uses IAM/SigV4 by default.) The header is not
 *   passed on to the function.
 * - Routing: the API's route table (lib/runtime/routes.ts, which the stack and the handler read too), matched by
 *   the router the handler uses (@middy/http-router): a `{name}` matches one whole non-empty segment, as in API
 *   Gateway. A path that matches none is a 404 in the API's error shape, as is a method the resource does not have
 *   (405). A subject route without its subject id (`/holdings`: what a client sends for `/subjects/../holdings`) is
 *   a 400 naming subjectId.
 * - The request becomes a REST API proxy event, as API Gateway builds it: `path` as sent, `pathParameters`
 *   decoded, `resource` the template, headers with their case as sent (and `multiValueHeaders`), the query
 *   string, the body as text, and a `requestContext`.
 * - The function's answer (`statusCode`, headers, body) is the HTTP response; a function error is a 502 and a
 *   function time-out a 504, as API Gateway answers them, in the API's error shape.
 * Bodies up to API Gateway's 10 MB are passed on; the handler itself refuses anything over 64 KiB.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import httpRouterHandler from '@middy/http-router';
import { listenOnLoopback } from '../core/loopback';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { LocalModeError } from './errors';
import type { InvokeResult } from './functions';
import { API_ROUTES } from '../runtime/routes';
import { LOCAL_ACCOUNT } from './keys';

export { API_ROUTES } from '../runtime/routes';

/** API Gateway's payload limit. */
export const GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

export type RouteMatch =
  | { readonly kind: 'route'; readonly resource: string; readonly pathParameters: Record<string, string> | null }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'method-not-allowed'; readonly allowed: readonly string[] }
  | { readonly kind: 'bad-path' }
  | { readonly kind: 'no-subject-id' };

/** What the router answers for a path that matches a route: the route's resource and its raw (encoded) parameters. */
interface RouterMatch {
  readonly resource: string;
  readonly pathParameters: Readonly<Record<string, string>>;
}

/**
 * The table's routes on @middy/http-router, each answering with its match. The router's types promise a middy
 * handler of proxy events; what it returns is the matched route's handler's own answer, here synchronous.
 */
const routeOf = httpRouterHandler({
  routes: API_ROUTES.map((route) => ({
    method: route.method,
    path: route.path,
    handler: ((event: { pathParameters?: Record<string, string> }): RouterMatch => ({
      resource: route.path,
      pathParameters: event.pathParameters ?? {},
    })) as never,
  })),
  notFoundResponse: (() => undefined) as never,
}) as unknown as (event: { httpMethod: string; path: string }) => RouterMatch | undefined;

/** The methods of the table, in its order. */
const METHODS = [...new Set(API_ROUTES.map((route) => route.method))];

/** What follows the subject id in the routes under one subject (`holdings` of `/subjects/{subjectId}/holdings`). */
const SUBJECT_PREFIX = '/subjects/{subjectId}/';
const SUBJECT_TAILS = [
  ...new Set(API_ROUTES.filter((r) => r.path.startsWith(SUBJECT_PREFIX)).map((r) => r.path.slice(SUBJECT_PREFIX.length))),
];

/**
 * A subject route whose subject id is missing: empty (`/subjects//holdings`), or dropped by the client because it
 * was `.` or `..`, which URL rules resolve away (fetch and curl send `/subjects/../holdings` as `/holdings`).
 */
const NO_SUBJECT_ID = new RegExp(`^(/subjects/?)?/(${SUBJECT_TAILS.map((tail) => tail.replace(/\{[^/]+\}/g, '[^/]+')).join('|')})$`);

/** Matches a raw (percent-encoded) path against the routes; path parameters come out decoded. */
export function matchRoute(method: string, rawPath: string): RouteMatch {
  const path = rawPath.replace(/\/+$/, '') || '/';
  if (SUBJECT_TAILS.length > 0 && NO_SUBJECT_ID.test(path)) return { kind: 'no-subject-id' };
  const match = routeOf({ httpMethod: method, path });
  if (!match) {
    const allowed = METHODS.filter((other) => other !== method && routeOf({ httpMethod: other, path }));
    return allowed.length ? { kind: 'method-not-allowed', allowed } : { kind: 'not-found' };
  }
  const params = Object.entries(match.pathParameters);
  try {
    return {
      kind: 'route',
      resource: match.resource,
      pathParameters: params.length ? Object.fromEntries(params.map(([name, value]) => [name, decodeURIComponent(value)])) : null,
    };
  } catch {
    return { kind: 'bad-path' };
  }
}

export interface ProxyRequest {
  readonly method: string;
  /** Path and query as received, e.g. `/subjects/a%20b/holdings?x=1`. */
  readonly url: string;
  /** Raw headers as [name, value, name, value, ...] (node's `rawHeaders`). */
  readonly rawHeaders: readonly string[];
  readonly body: string | null;
  readonly sourceIp: string;
  readonly host: string;
}

/** The REST API proxy event API Gateway would send for this request and route. */
export function toProxyEvent(request: ProxyRequest, route: Extract<RouteMatch, { kind: 'route' }>, now = new Date()): APIGatewayProxyEvent {
  const url = new URL(request.url, 'http://local');
  // Maps without a prototype: a header or query parameter named `toString` or `__proto__` is a name like any other
  // (`map.toString ??= []` would find Object.prototype's, and `map.__proto__ = v` would set none).
  const record = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;
  const headers = record<string>();
  const multiValueHeaders = record<string[]>();
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i];
    if (name.toLowerCase() === 'authorization') continue;
    headers[name] = request.rawHeaders[i + 1];
    (multiValueHeaders[name] ??= []).push(request.rawHeaders[i + 1]);
  }
  const query = record<string>();
  const multiQuery = record<string[]>();
  for (const [k, v] of url.searchParams) {
    query[k] = v;
    (multiQuery[k] ??= []).push(v);
  }
  const hasQuery = Object.keys(query).length > 0;
  return {
    resource: route.resource,
    path: url.pathname,
    httpMethod: request.method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: route.pathParameters,
    stageVariables: null,
    body: request.body,
    isBase64Encoded: false,
    requestContext: {
      accountId: LOCAL_ACCOUNT,
      apiId: 'local',
      authorizer: null,
      domainName: request.host,
      domainPrefix: request.host.split('.')[0],
      httpMethod: request.method,
      path: `/local${url.pathname}`,
      protocol: 'HTTP/1.1',
      requestId: randomUUID(),
      requestTime: now.toUTCString(),
      requestTimeEpoch: now.getTime(),
      resourceId: 'local',
      resourcePath: route.resource,
      stage: 'local',
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: request.sourceIp,
        user: null,
        userAgent: headers['User-Agent'] ?? headers['user-agent'] ?? null,
        userArn: null,
      },
    },
  };
}

export interface LocalApiOptions {
  readonly port: number;
  readonly token: string;
  /** Invokes the API function with a proxy event (JSON). */
  readonly invoke: (payload: string) => Promise<InvokeResult>;
  /** Where the token can be read, for the 401 message. */
  readonly tokenFile: string;
}

export interface LocalApi {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

export function isAuthorized(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match !== null && timingSafeEqual(digest(match[1]), digest(token));
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const problem = (code: string, message: string) => ({ error: { code, message } });

export async function startLocalApi(options: LocalApiOptions): Promise<LocalApi> {
  const server = http.createServer((req, res) => {
    void serve(options, req, res).catch(() => {
      if (!res.headersSent) send(res, 500, problem('internal', 'the local API gateway failed; see the log'));
      else res.destroy();
    });
  });
  return listenOnLoopback(server, options.port, (error) => {
    if (error.code === 'EADDRINUSE') {
      return new LocalModeError(
        `port ${options.port} on 127.0.0.1 is already in use (another \`npm start\`?). Stop what uses it, or choose another port: PORT=${options.port + 1} npm start`,
        { cause: error },
      );
    }
    if (error.code === 'EACCES') {
      return new LocalModeError(`port ${options.port} may not be opened by this user; choose another: PORT=8787 npm start`, {
        cause: error,
      });
    }
    return error;
  });
}

async function serve(options: LocalApiOptions, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  if (!isAuthorized(req.headers.authorization, options.token)) {
    req.resume();
    send(
      res,
      401,
      problem('unauthorized', `send the local token: Authorization: Bearer <token> (printed at start; also in ${options.tokenFile})`),
      {
        'www-authenticate': 'Bearer',
      },
    );
    return;
  }
  const method = req.method ?? 'GET';
  const rawUrl = req.url ?? '/';
  const route = matchRoute(method, rawUrl.split('?')[0]);
  if (route.kind !== 'route') {
    req.resume();
    if (route.kind === 'method-not-allowed') {
      send(res, 405, problem('method-not-allowed', `${method} is not allowed here; use ${route.allowed.join(' or ')}`), {
        allow: route.allowed.join(', '),
      });
    } else if (route.kind === 'bad-path') {
      send(res, 400, problem('invalid-input', 'the path is not valid percent-encoding'));
    } else if (route.kind === 'no-subject-id') {
      send(res, 400, {
        error: {
          code: 'invalid-input',
          path: 'subjectId',
          message:
            `the path has no subject id: use ${SUBJECT_PREFIX}${SUBJECT_TAILS.join(' or /')}. ` +
            'An id of "." or ".." cannot be named in a path (clients resolve it away), and Lethe refuses such ids',
        },
      });
    } else {
      send(
        res,
        404,
        problem(
          'not-found',
          `no such route: ${method} ${rawUrl.split('?')[0]}; the API has ${API_ROUTES.map((r) => `${r.method} ${r.path}`).join(', ')}`,
        ),
      );
    }
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > GATEWAY_MAX_BODY_BYTES) {
      send(res, 413, problem('body-too-large', `the request body is over ${GATEWAY_MAX_BODY_BYTES} bytes`));
      req.destroy();
      return;
    }
    chunks.push(chunk as Buffer);
  }
  const body = chunks.length > 0 ? Buffer.concat(chunks).toString('utf8') : null;
  const event = toProxyEvent(
    {
      method,
      url: rawUrl,
      rawHeaders: req.rawHeaders,
      body,
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
      host: req.headers.host ?? '127.0.0.1',
    },
    route,
  );
  const result = await options.invoke(JSON.stringify(event));
  if (!result.ok) {
    if (result.errorType === 'Sandbox.Timedout') send(res, 504, problem('timeout', 'the API function timed out'));
    else send(res, 502, problem('internal', 'the API function failed; see the function log'));
    return;
  }
  let answer: APIGatewayProxyResult;
  try {
    answer = JSON.parse(result.payload) as APIGatewayProxyResult;
  } catch {
    send(res, 502, problem('internal', 'the API function returned no valid proxy response'));
    return;
  }
  if (!answer || typeof answer.statusCode !== 'number') {
    send(res, 502, problem('internal', 'the API function returned no valid proxy response'));
    return;
  }
  const headers: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(answer.multiValueHeaders ?? {})) headers[k] = v.map(String);
  for (const [k, v] of Object.entries(answer.headers ?? {})) headers[k] = String(v);
  res.writeHead(answer.statusCode, headers);
  res.end(answer.body === undefined ? '' : answer.isBase64Encoded ? Buffer.from(answer.body, 'base64') : answer.body);
}
