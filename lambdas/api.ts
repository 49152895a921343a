/**
 * The erasure API behind API Gateway (REST, Lambda proxy). Routes (issue 4):
 *   POST /erasure-requests                       → 202 {requestId, status, deadline} once stored; Idempotency-Key required
 *   GET  /erasure-requests/{requestId}           → 200 the request's status, or 404
 *   POST /erasure-requests/{requestId}/extend    → 200 the new deadline (once, by 1 or 2 months)
 *   POST /subjects/{subjectId}/holdings          → 201
 *   POST /subjects/{subjectId}/events            → 201
 * Everything is in lib/runtime/api.ts; this builds it once per container, on first use.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { type ApiOptions, buildApiHandler } from '../lib/runtime/api';
import { defaultRuntime, type Runtime } from '../lib/runtime/runtime';

export function makeHandler(getRuntime: () => Runtime = defaultRuntime, options: ApiOptions = {}) {
  let built: ReturnType<typeof buildApiHandler> | undefined;
  return async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    built ??= buildApiHandler(getRuntime(), options);
    return built(event, context);
  };
}

export const handler = makeHandler();
