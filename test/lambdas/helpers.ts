/**
 * Helpers for the handler tests: API Gateway proxy events as API Gateway sends them (path parameters decoded,
 * headers as the client wrote them), and a Lambda context.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { makeHandler as makeApi } from '../../lambdas/api';
import type { ApiOptions } from '../../lib/runtime/api';
import type { TestWorld } from '../lib/runtime/support/runtime';
import { lambdaContext } from '../lib/runtime/support/runtime';

export interface Call {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
  readonly pathParameters?: Record<string, string>;
  /** The query string, one value per name (as API Gateway gives it; `multiValueQueryStringParameters` follows). */
  readonly queryStringParameters?: Record<string, string>;
  /** Names given more than once: all their values (the single-value map then has the last). */
  readonly multiValueQueryStringParameters?: Record<string, string[]>;
}

export function apiEvent(call: Call): APIGatewayProxyEvent {
  return {
    httpMethod: call.method,
    path: call.path,
    resource: call.path,
    headers: { ...(call.body !== undefined || call.rawBody !== undefined ? { 'Content-Type': 'application/json' } : {}), ...call.headers },
    multiValueHeaders: {},
    body: call.rawBody ?? (call.body === undefined ? null : JSON.stringify(call.body)),
    isBase64Encoded: false,
    pathParameters: call.pathParameters ?? null,
    queryStringParameters: call.queryStringParameters ?? null,
    multiValueQueryStringParameters:
      call.multiValueQueryStringParameters ??
      (call.queryStringParameters ? Object.fromEntries(Object.entries(call.queryStringParameters).map(([k, v]) => [k, [v]])) : null),
    stageVariables: null,
    requestContext: {} as never,
  };
}

export interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown> & { error?: { code: string; message: string; path?: string } };
  readonly raw: APIGatewayProxyResult;
}

/**
 * A path segment as a client would encode it. A lone surrogate cannot be percent-encoded (UTF-8 has no bytes for
 * it): the path gets U+FFFD in its place, while `pathParameters` carry the id as sent, as a direct invoke could.
 */
const segment = (text: string): string => encodeURIComponent((text as string & { toWellFormed(): string }).toWellFormed());

/** `headers` with an Idempotency-Key: theirs, or a fresh one. */
export function withIdempotencyKey(headers: Record<string, string> = {}): Record<string, string> {
  return Object.keys(headers).some((h) => h.toLowerCase() === 'idempotency-key')
    ? headers
    : { 'Idempotency-Key': randomUUID(), ...headers };
}

/** An API client on the world's runtime. */
export function apiClient(world: TestWorld, options: ApiOptions = {}) {
  const handler = makeApi(() => world.rt, options);
  const context = lambdaContext('lethe-api') as never;
  const call = async (c: Call): Promise<Answer> => {
    const raw = await handler(apiEvent(c), context);
    return { status: raw.statusCode, body: raw.body ? JSON.parse(raw.body) : {}, raw };
  };
  return {
    call,
    /** POST /erasure-requests with a fresh Idempotency-Key unless `headers` name one (the API requires it). */
    postRequest: (body: unknown, headers: Record<string, string> = {}) =>
      call({ method: 'POST', path: '/erasure-requests', body, headers: withIdempotencyKey(headers) }),
    getRequest: (requestId: string) =>
      call({ method: 'GET', path: `/erasure-requests/${segment(requestId)}`, pathParameters: { requestId } }),
    extend: (requestId: string, body: unknown) =>
      call({ method: 'POST', path: `/erasure-requests/${segment(requestId)}/extend`, body, pathParameters: { requestId } }),
    holding: (subjectId: string, body: unknown) =>
      call({ method: 'POST', path: `/subjects/${segment(subjectId)}/holdings`, body, pathParameters: { subjectId } }),
    event: (subjectId: string, body: unknown) =>
      call({ method: 'POST', path: `/subjects/${segment(subjectId)}/events`, body, pathParameters: { subjectId } }),
  };
}

export const verification = { method: 'e-mail link', verifiedAt: '2025-03-01T09:30:00+01:00' };
