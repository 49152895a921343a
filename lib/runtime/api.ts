/**
 * The erasure API (issue 4) on middy: routes with @middy/http-router, headers normalised, the body size checked
 * before anything parses it, JSON bodies parsed per route, shapes validated with the zod schemas the stack also
 * gives API Gateway, and every error answered as `{"error": {code, message, path?}}`. POST /erasure-requests is
 * made idempotent by Powertools Idempotency on the Idempotency-Key header.
 */
import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { makeHandlerIdempotent } from '@aws-lambda-powertools/idempotency/middleware';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import httpRouterHandler, { type Route } from '@middy/http-router';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { ErasureRequestBody, ExtendRequestBody, HoldingBody, SubjectEventBody } from './api-schemas';
import { ENV } from './contract';
import { extendErasureRequest, receiveErasureRequest, viewErasureRequest } from './erasure-requests';
import { bodySizeLimit, httpErrorResponse, jsonResponse, MAX_BODY_BYTES } from './http';
import { logger, metrics, tracer } from './observability';
import type { Runtime } from './runtime';
import { recordEvent, registerHolding } from './subjects';
import { parseBody } from './validate';

type Event = APIGatewayProxyEvent;
type Result = APIGatewayProxyResult;
type RouteHandler = (event: Event, context: Context) => Promise<Result>;

/** The header that makes POST /erasure-requests idempotent (lower case: the header normaliser runs first). */
export const IDEMPOTENCY_HEADER = 'idempotency-key';

/** How long the same Idempotency-Key returns the same answer. The request id itself is derived from the key for ever. */
export const IDEMPOTENCY_EXPIRES_SECONDS = 24 * 3600;

/** Event field that Powertools Idempotency keys on: `<Idempotency-Key>#<subjectRef>`, set by `idempotencyScope`. */
export const IDEMPOTENCY_SCOPE = 'letheIdempotencyScope';

/**
 * Middleware factory: scopes the Idempotency-Key to the subject (by its HMAC, never the id itself), so that
 * Powertools replays an answer only for the same key AND the same subject. Without the header it sets nothing,
 * and the request is not idempotent. A body without a usable subjectId is left to the handler's validation.
 */
export function idempotencyScope(rt: Runtime): middy.MiddlewareObj<Event, Result> {
  return {
    before: async function scopeIdempotencyKey(request) {
      const event = request.event as Event & Record<string, unknown>;
      const key = event.headers?.[IDEMPOTENCY_HEADER];
      const subjectId = (event.body as unknown as { subjectId?: unknown } | null)?.subjectId;
      if (!key || typeof subjectId !== 'string' || subjectId.length === 0) return;
      event[IDEMPOTENCY_SCOPE] = `${key}#${await rt.refs.ref(subjectId)}`;
    },
  };
}

export interface ApiOptions {
  /** @default MAX_BODY_BYTES (64 KiB) */
  readonly maxBodyBytes?: number;
  /** @default a DynamoDB persistence layer on LETHE_IDEMPOTENCY_TABLE */
  readonly idempotencyStore?: DynamoDBPersistenceLayer;
}

const param = (event: Event, name: string): string => event.pathParameters?.[name] ?? '';

/** A route whose body is JSON. */
const withJsonBody = (fn: RouteHandler) => middy<Event, Result>().use(httpJsonBodyParser()).handler(fn);

export function buildApiHandler(rt: Runtime, options: ApiOptions = {}): middy.MiddyfiedHandler<Event, Result> {
  const persistenceStore =
    options.idempotencyStore ?? new DynamoDBPersistenceLayer({ tableName: rt.required(ENV.idempotencyTable), awsSdkV3Client: rt.dynamodb });
  const idempotency = makeHandlerIdempotent({
    persistenceStore,
    keyPrefix: 'lethe-api#POST/erasure-requests',
    config: new IdempotencyConfig({
      // The key and the subject together: the same key sent for another subject must reach the handler (which
      // answers 409), never be answered with the first subject's request.
      eventKeyJmesPath: IDEMPOTENCY_SCOPE,
      throwOnNoIdempotencyKey: false,
      expiresAfterSeconds: IDEMPOTENCY_EXPIRES_SECONDS,
    }),
  });

  const postErasureRequest = middy<Event, Result>()
    .use(httpJsonBodyParser())
    .use(idempotencyScope(rt))
    .use(idempotency)
    .handler(async (event) => {
      const body = parseBody(ErasureRequestBody, event.body, 'erasure request');
      const answer = await receiveErasureRequest(rt, body, event.headers?.[IDEMPOTENCY_HEADER] ?? undefined);
      metrics.addMetric('ErasureRequestsReceived', MetricUnit.Count, 1);
      logger.info('erasure request received', { requestId: answer.requestId });
      return jsonResponse(202, answer);
    });

  const routes: Route<Event, Result>[] = [
    { method: 'POST', path: '/erasure-requests', handler: postErasureRequest },
    {
      method: 'GET',
      path: '/erasure-requests/{requestId}',
      handler: async (event: Event) => jsonResponse(200, await viewErasureRequest(rt, param(event, 'requestId'))),
    },
    {
      method: 'POST',
      path: '/erasure-requests/{requestId}/extend',
      handler: withJsonBody(async (event) => {
        const body = parseBody(ExtendRequestBody, event.body, 'extension');
        const answer = await extendErasureRequest(rt, param(event, 'requestId'), body);
        logger.info('erasure request extended', { requestId: answer.requestId, months: answer.extension.months });
        return jsonResponse(200, answer);
      }),
    },
    {
      method: 'POST',
      path: '/subjects/{subjectId}/holdings',
      handler: withJsonBody(async (event) => {
        const body = parseBody(HoldingBody, event.body, 'holding');
        const answer = await registerHolding(rt, param(event, 'subjectId'), body);
        metrics.addMetric('HoldingsRegistered', MetricUnit.Count, 1);
        logger.info('holding registered', { purpose: answer.purpose, system: answer.system, registered: answer.registered });
        return jsonResponse(201, answer);
      }),
    },
    {
      method: 'POST',
      path: '/subjects/{subjectId}/events',
      handler: withJsonBody(async (event) => {
        const body = parseBody(SubjectEventBody, event.body, 'event');
        const answer = await recordEvent(rt, param(event, 'subjectId'), body);
        logger.info('subject event recorded', { type: answer.type, holdingsRescheduled: answer.holdingsRescheduled });
        return jsonResponse(201, answer);
      }),
    },
  ];

  return middy<Event, Result>()
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(httpHeaderNormalizer())
    .use(bodySizeLimit({ maxBytes: options.maxBodyBytes ?? MAX_BODY_BYTES }))
    .use(httpErrorResponse({ logger }))
    .handler(httpRouterHandler<Event, Result>(routes));
}
