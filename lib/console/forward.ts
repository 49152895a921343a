/**
 * How the console server passes the browser's `/api/*` calls to a Lethe API: which calls it lets through (the read-only
 * GET routes and the extend POSTs; the console changes nothing else), the route template each is logged under (never
 * the path itself: a subject id may be in it), and the two ways to reach an API:
 * - local mode's, with the bearer token it writes to `<dataDir>/token` (read again on every call: a restarted local
 *   mode has a new token);
 * - a deployed stack's (API Gateway, IAM authorization), each call signed with SigV4 with the user's own credentials
 *   (`@smithy/signature-v4`, the AWS SDK's signer; SHA-256 from `@smithy/core/checksum`).
 */
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { API_ROUTES } from '../runtime/routes';
import { ConsoleError, ConsoleRequestError } from './errors';

/** A call to pass on, as the browser made it (the `/api` prefix taken off). */
export interface ForwardRequest {
  readonly method: 'GET' | 'POST';
  /** The API path, percent-encoded as received, e.g. `/erasure-requests/abc/extend`. */
  readonly path: string;
  /** The query string without `?`, as received; empty for none. */
  readonly query: string;
  readonly body?: string;
  readonly contentType?: string;
}

export interface ForwardAnswer {
  readonly status: number;
  readonly contentType?: string;
  readonly body: Buffer;
}

/** A Lethe API the console reaches. */
export interface ApiForwarder {
  /** For messages: the API's base URL. */
  readonly description: string;
  forward(request: ForwardRequest): Promise<ForwardAnswer>;
}

/** What the console server does with a call to `/api<path>`. */
export type ApiCallDecision =
  { readonly kind: 'forward'; readonly template: string } | { readonly kind: 'refuse'; readonly template: string; readonly allow: string };

const routeRegex = (path: string): RegExp => new RegExp(`^${path.replace(/\{[^/{}]+\}/g, '[^/]+')}$`);
const ROUTES = API_ROUTES.map((route) => ({ ...route, regex: routeRegex(route.path) }));
/** How a path that is no route of the API is logged. */
export const UNKNOWN_API_PATH = '/(no such route)';

/**
 * Whether a call is passed on: every GET (the API answers 404 for a path that is none of its routes), and a POST to
 * a route whose operation extends a deadline (`/erasure-requests/{requestId}/extend`, ...). Anything else is refused
 * (405), with the methods the console allows on that path.
 */
export function decideApiCall(method: string, path: string): ApiCallDecision {
  const matching = ROUTES.filter((route) => route.regex.test(path));
  const template = matching[0]?.path ?? UNKNOWN_API_PATH;
  const extend = matching.some((route) => route.method === 'POST' && route.operation.startsWith('extend'));
  if (method === 'GET' || (method === 'POST' && extend)) return { kind: 'forward', template };
  return { kind: 'refuse', template, allow: extend ? 'GET, POST' : 'GET' };
}

/** Checks a base URL given by the user (`--api-url`): http(s), no query or fragment; without its trailing slash. */
export function parseApiUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConsoleError(
      `--api-url: expected an http or https URL such as https://abc123.execute-api.eu-north-1.amazonaws.com/prod; got "${text}"`,
    );
  }
  if (!['http:', 'https:'].includes(url.protocol) || url.search || url.hash || url.username || url.password) {
    throw new ConsoleError(
      `--api-url: expected an http or https URL without query, fragment or user such as https://abc123.execute-api.eu-north-1.amazonaws.com/prod; got "${text}"`,
    );
  }
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url;
}

/** The region of an API Gateway URL (`https://<id>.execute-api.<region>.amazonaws.com/<stage>`), if it names one. */
export function regionOfApiUrl(url: URL): string | undefined {
  return /\.execute-api\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?$/.exec(url.hostname)?.[1];
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'UND_ERR_SOCKET']);

/** The network error's code under fetch's "fetch failed". */
function networkCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  // fetch refuses some ports outright ("bad port"), with a message and no code
  return typeof cause?.message === 'string' ? cause.message : undefined;
}

async function send(
  url: URL,
  init: { method: string; headers: Record<string, string>; body?: string },
  what: string,
): Promise<ForwardAnswer> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    const code = networkCode(error) ?? (error as Error).name;
    const hint = UNREACHABLE.has(code) ? `: is it running? (${code})` : ` (${code})`;
    throw new ConsoleRequestError(502, 'api-unreachable', `the Lethe API at ${what} cannot be reached${hint}`, { cause: error });
  }
  const contentType = response.headers.get('content-type') ?? undefined;
  return { status: response.status, ...(contentType ? { contentType } : {}), body: Buffer.from(await response.arrayBuffer()) };
}

function target(base: URL, request: ForwardRequest): URL {
  const url = new URL(base.href);
  // A base without a path is `/`: not doubled.
  url.pathname = `${base.pathname.replace(/\/+$/, '')}${request.path}`;
  url.search = request.query;
  return url;
}

function headersOf(request: ForwardRequest): Record<string, string> {
  return {
    accept: 'application/json',
    ...(request.body !== undefined ? { 'content-type': request.contentType ?? 'application/json' } : {}),
  };
}

/** Local mode's API, with the token `token()` answers (read from its data directory). */
export function localForwarder(options: { readonly apiUrl: string | (() => string); readonly token: () => string }): ApiForwarder {
  const base = () => parseApiUrl(typeof options.apiUrl === 'string' ? options.apiUrl : options.apiUrl());
  return {
    get description() {
      return base().href;
    },
    async forward(request) {
      const url = target(base(), request);
      const headers = { ...headersOf(request), authorization: `Bearer ${options.token()}` };
      return send(url, { method: request.method, headers, ...(request.body === undefined ? {} : { body: request.body }) }, base().href);
    },
  };
}

export interface SigV4ForwarderOptions {
  readonly apiUrl: string;
  /** @default - the region in the URL (`execute-api.<region>.amazonaws.com`); a ConsoleError when it names none */
  readonly region?: string;
  /** The user's credentials (the SDK's standard chain: `fromNodeProviderChain({ profile })`). */
  readonly credentials: ConstructorParameters<typeof SignatureV4>[0]['credentials'];
}

/** Query parameters as the signer takes them: repeated names as lists. */
function queryOf(search: URLSearchParams): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of search) {
    const seen = query[name];
    query[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  return query;
}

/** A deployed stack's API (API Gateway with IAM authorization): each call signed with SigV4 for `execute-api`. */
export function sigV4Forwarder(options: SigV4ForwarderOptions): ApiForwarder {
  const base = parseApiUrl(options.apiUrl);
  const region = options.region ?? regionOfApiUrl(base);
  if (!region) {
    throw new ConsoleError(
      `no region for ${base.href}: it is not an execute-api URL with a region in it; give --region, e.g. --region eu-north-1`,
    );
  }
  const signer = new SignatureV4({ service: 'execute-api', region, credentials: options.credentials, sha256: Sha256 });
  return {
    description: base.href,
    async forward(request) {
      const url = target(base, request);
      let signed: { headers: Record<string, string> };
      try {
        signed = await signer.sign({
          method: request.method,
          protocol: url.protocol,
          hostname: url.hostname,
          ...(url.port ? { port: Number(url.port) } : {}),
          path: url.pathname,
          query: queryOf(url.searchParams),
          headers: { ...headersOf(request), host: url.host },
          ...(request.body === undefined ? {} : { body: request.body }),
        });
      } catch (error) {
        throw new ConsoleRequestError(
          502,
          'no-credentials',
          `no AWS credentials to sign the call to ${base.href} (${(error as Error).name}): set AWS_PROFILE or give --profile`,
          { cause: error },
        );
      }
      // fetch sets Host itself, to the same value.
      const { host: _host, ...headers } = signed.headers;
      return send(url, { method: request.method, headers, ...(request.body === undefined ? {} : { body: request.body }) }, base.href);
    },
  };
}
