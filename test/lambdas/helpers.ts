/**
 * Helpers for the handler tests: API Gateway proxy events as API Gateway sends them (path parameters decoded,
 * headers as the client wrote them), and a Lambda context.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { makeHandler as makeApi } from '../../lambdas/api';
import type { TestWorld } from '../lib/runtime/support/runtime';
import { lambdaContext } from '../lib/runtime/support/runtime';

export interface Call {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
  readonly pathParameters?: Record<string, string>;
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
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: {} as never,
  };
}

export interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown> & { error?: { code: string; message: string; path?: string } };
  readonly raw: APIGatewayProxyResult;
}

/** An API client on the world's runtime. */
export function apiClient(world: TestWorld) {
  const handler = makeApi(() => world.rt);
  const context = lambdaContext('lethe-api') as never;
  const call = async (c: Call): Promise<Answer> => {
    const raw = await handler(apiEvent(c), context);
    return { status: raw.statusCode, body: raw.body ? JSON.parse(raw.body) : {}, raw };
  };
  return {
    call,
    postRequest: (body: unknown, headers: Record<string, string> = {}) =>
      call({ method: 'POST', path: '/erasure-requests', body, headers }),
    getRequest: (requestId: string) =>
      call({ method: 'GET', path: `/erasure-requests/${encodeURIComponent(requestId)}`, pathParameters: { requestId } }),
    extend: (requestId: string, body: unknown) =>
      call({ method: 'POST', path: `/erasure-requests/${encodeURIComponent(requestId)}/extend`, body, pathParameters: { requestId } }),
    holding: (subjectId: string, body: unknown) =>
      call({ method: 'POST', path: `/subjects/${encodeURIComponent(subjectId)}/holdings`, body, pathParameters: { subjectId } }),
    event: (subjectId: string, body: unknown) =>
      call({ method: 'POST', path: `/subjects/${encodeURIComponent(subjectId)}/events`, body, pathParameters: { subjectId } }),
  };
}

export const verification = { method: 'e-mail link', verifiedAt: '2025-03-01T09:30:00+01:00' };
