/**
 * The erasure API (issue 4) on middy: routes with @middy/http-router, from the route table (lib/runtime/routes.ts)
 * with one handler per operation, headers normalised, the body size checked
 * before anything parses it, JSON bodies parsed per route, shapes validated with the zod schemas the stack also
 * gives API Gateway, and every error answered as `{"error": {code, message, path?}}`.
 *
 * POST /erasure-requests requires an Idempotency-Key (the request id is derived from it; Powertools Idempotency
 * keeps the first answer). It answers 202 as soon as the request is stored: starting the workflow comes after,
 * within a time budget that keeps the whole answer inside API Gateway's 29 s even on a cold start, and a start
 * that fails or runs out of time leaves a stored `received` request that the next retry with the same key, or
 * the deadline monitor, starts. Every answer, a replay's too, shows the request's current status.
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
import { API_BODY_SCHEMAS, API_QUERY_SCHEMAS } from './api-schemas';
import { ENV } from '../core/contract';
import {
  checkIdempotencyKey,
  extendErasureRequest,
  type ReceivedAnswer,
  receiveErasureRequest,
  startErasureRequest,
  viewErasureRequest,
} from './erasure-requests';
import { listHolds, placeHold } from './holds';
import { InputError } from '../core/errors';
import { bodySizeLimit, httpErrorResponse, jsonResponse, MAX_BODY_BYTES } from './http';
import { logger, metrics, tracer } from '../core/observability';
import { issueReceipt } from './receipts';
import { listRequests } from './request-list';
import { liftRestrictionRequest, releaseHold } from './restrictions';
import { dueCalendar, holdingStates } from './retention-stats';
import { API_ROUTE, API_ROUTES, type ApiOperation } from './routes';
import type { RequestKind } from './requests';
import type { Runtime } from './runtime';
import {
  extendAccessRequest,
  extendRestrictionRequest,
  receiveAccessRequest,
  receiveRestrictionRequest,
  viewAccessRequest,
  viewRestrictionRequest,
} from './subject-requests';
import { viewSubject } from './subject-view';
import { checkSubjectId, recordEvent, registerHolding } from './subjects';
import { parseBody } from './validate';

type Event = APIGatewayProxyEvent;
type Result = APIGatewayProxyResult;
type RouteHandler = (event: Event, context: Context) => Promise<Result>;

/** The header POST /erasure-requests requires (lower case: the header normaliser runs first). */
export const IDEMPOTENCY_HEADER = 'idempotency-key';

/**
 * API Gateway gives up on an integration after 29 s, and on a cold start that includes the function's init. The
 * API answers within this many milliseconds of the route starting, whatever it could not finish.
 */
export const ANSWER_BUDGET_MS = 20_000;

/**
 * The longest that starting an erasure workflow may take before the answer goes without waiting for it (and never
 * more than what is left of ANSWER_BUDGET_MS). Generous, so that the SDK's own retries of a throttled start fit: a
 * start that is given up on waits for a retry with the same key or for the deadline monitor.
 */
export const WORKFLOW_START_BUDGET_MS = 15_000;

/** Kept back from a budget for reading the request and answering. */
const ANSWER_RESERVE_MS = 1_000;

/** How long the same Idempotency-Key returns the same answer. The request id itself is derived from the key for ever. */
export const IDEMPOTENCY_EXPIRES_SECONDS = 24 * 3600;

/** Event field that Powertools Idempotency keys on: `<Idempotency-Key>#<subjectRef>`, set by `idempotencyScope`. */
export const IDEMPOTENCY_SCOPE = 'letheIdempotencyScope';

/**
 * Middleware factory: scopes the Idempotency-Key to the subject (by its HMAC, never the id itself), so that
 * Powertools replays an answer only for the same key AND the same subject. A missing or unusable key, or a subject
 * id Lethe refuses, is a 400 here, before any HMAC; a body without a subjectId is left to the handler's validation.
 */
export function idempotencyScope(rt: Runtime): middy.MiddlewareObj<Event, Result> {
  return {
    before: async function scopeIdempotencyKey(request) {
      const event = request.event as Event & Record<string, unknown>;
      const key = checkIdempotencyKey(event.headers?.[IDEMPOTENCY_HEADER]);
      const subjectId = (event.body as unknown as { subjectId?: unknown } | null)?.subjectId;
      if (typeof subjectId !== 'string' || subjectId.length === 0) return;
      event[IDEMPOTENCY_SCOPE] = `${key}#${await rt.refs.ref(checkSubjectId(subjectId))}`;
    },
  };
}

export interface ApiOptions {
  /** @default MAX_BODY_BYTES (64 KiB) */
  readonly maxBodyBytes?: number;
  /** @default a DynamoDB persistence layer on LETHE_IDEMPOTENCY_TABLE */
  readonly idempotencyStore?: DynamoDBPersistenceLayer;
  /** @default ANSWER_BUDGET_MS (20 s) */
  readonly answerBudgetMs?: number;
  /** @default WORKFLOW_START_BUDGET_MS (15 s) */
  readonly workflowStartBudgetMs?: number;
}

const param = (event: Event, name: string): string => event.pathParameters?.[name] ?? '';

/**
 * A route's query string, checked against its schema (api-schemas.ts API_QUERY_SCHEMAS): a parameter given twice or
 * not known to the route is a 400 naming it, as is a value of the wrong shape.
 */
function parseQuery<K extends keyof typeof API_QUERY_SCHEMAS>(event: Event, name: K): ReturnType<(typeof API_QUERY_SCHEMAS)[K]['parse']> {
  const schema = API_QUERY_SCHEMAS[name];
  const query = event.queryStringParameters ?? {};
  for (const [param, values] of Object.entries(event.multiValueQueryStringParameters ?? {})) {
    if ((values?.length ?? 0) > 1) throw new InputError(`give ${param} once (it was given ${values!.length} times)`, { path: param });
  }
  const known = Object.keys(schema.shape);
  for (const param of Object.keys(query)) {
    if (!known.includes(param)) {
      throw new InputError(`unknown query parameter "${param}"; this route takes ${known.length ? known.join(', ') : 'none'}`, {
        path: param,
      });
    }
  }
  return parseBody(schema, query, 'the query') as ReturnType<(typeof API_QUERY_SCHEMAS)[K]['parse']>;
}

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

  const answerBudgetMs = options.answerBudgetMs ?? ANSWER_BUDGET_MS;
  const startBudgetMs = options.workflowStartBudgetMs ?? WORKFLOW_START_BUDGET_MS;

  // Step 1: store the request (or find the one this key stored before). Powertools keeps this answer.
  const receive = middy<Event, Result>()
    .use(httpJsonBodyParser())
    .use(idempotencyScope(rt))
    .use(idempotency)
    .handler(async (event) => {
      const body = parseBody(API_BODY_SCHEMAS[API_ROUTE.createErasureRequest.body], event.body, 'erasure request');
      const answer = await receiveErasureRequest(rt, body, event.headers?.[IDEMPOTENCY_HEADER] ?? undefined);
      metrics.addMetric('ErasureRequestsReceived', MetricUnit.Count, 1);
      logger.info('erasure request received', { requestId: answer.requestId });
      return jsonResponse(API_ROUTE.createErasureRequest.status, answer);
    });

  // Step 2: start its workflow if it is still `received`, with what is left of the budget, and answer the
  // request as it is now.
  const postErasureRequest: RouteHandler = async (event, context) => {
    const began = Date.now();
    checkIdempotencyKey(event.headers?.[IDEMPOTENCY_HEADER]);
    const received = await receive(event, context);
    if (received.statusCode !== API_ROUTE.createErasureRequest.status) return received;
    const { requestId } = JSON.parse(received.body) as ReceivedAnswer;
    const left = Math.min(answerBudgetMs - (Date.now() - began), context.getRemainingTimeInMillis?.() ?? answerBudgetMs);
    const { answer, start } = await startErasureRequest(rt, requestId, Math.min(startBudgetMs, left - ANSWER_RESERVE_MS));
    if (start === 'deferred') metrics.addMetric('ErasureStartsDeferred', MetricUnit.Count, 1);
    return jsonResponse(API_ROUTE.createErasureRequest.status, answer);
  };

  // Restriction and access requests (lib/runtime/subject-requests.ts): the same two steps, each kind with its own
  // Idempotency-Key namespace (its request ids and Powertools' records), so a key never finds another kind's request.
  const postRequestOf = (
    kind: 'restriction' | 'access',
    operation: 'createRestrictionRequest' | 'createAccessRequest',
    receiveOfKind: (body: never, key: string | undefined) => Promise<ReceivedAnswer>,
  ): RouteHandler => {
    const route = API_ROUTE[operation];
    const receiveKind = middy<Event, Result>()
      .use(httpJsonBodyParser())
      .use(idempotencyScope(rt))
      .use(
        makeHandlerIdempotent({
          persistenceStore,
          keyPrefix: `lethe-api#POST/${kind}-requests`,
          config: new IdempotencyConfig({
            eventKeyJmesPath: IDEMPOTENCY_SCOPE,
            throwOnNoIdempotencyKey: false,
            expiresAfterSeconds: IDEMPOTENCY_EXPIRES_SECONDS,
          }),
        }),
      )
      .handler(async (event) => {
        const body = parseBody(API_BODY_SCHEMAS[route.body], event.body, `${kind} request`);
        const answer = await receiveOfKind(body as never, event.headers?.[IDEMPOTENCY_HEADER] ?? undefined);
        metrics.singleMetric().addDimension('kind', kind).addMetric('RequestsReceived', MetricUnit.Count, 1);
        logger.info(`${kind} request received`, { requestId: answer.requestId });
        return jsonResponse(route.status, answer);
      });
    return async (event, context) => {
      const began = Date.now();
      checkIdempotencyKey(event.headers?.[IDEMPOTENCY_HEADER]);
      const received = await receiveKind(event, context);
      if (received.statusCode !== route.status) return received;
      const { requestId } = JSON.parse(received.body) as ReceivedAnswer;
      const left = Math.min(answerBudgetMs - (Date.now() - began), context.getRemainingTimeInMillis?.() ?? answerBudgetMs);
      const { answer, start } = await startErasureRequest(rt, requestId, Math.min(startBudgetMs, left - ANSWER_RESERVE_MS));
      if (start === 'deferred') metrics.singleMetric().addDimension('kind', kind).addMetric('RequestStartsDeferred', MetricUnit.Count, 1);
      return jsonResponse(route.status, answer);
    };
  };
  const extendOf = (operation: 'extendRestrictionRequest' | 'extendAccessRequest', extend: typeof extendRestrictionRequest): RouteHandler =>
    withJsonBody(async (event) => {
      const body = parseBody(API_BODY_SCHEMAS[API_ROUTE[operation].body], event.body, 'extension');
      const answer = await extend(rt, param(event, 'requestId'), body);
      logger.info('request extended', { requestId: answer.requestId, months: answer.extension.months });
      return jsonResponse(API_ROUTE[operation].status, answer);
    });

  // GET /{kind}-requests/{requestId}/receipt (lib/runtime/receipts.ts): the receipt stored at completion.
  const receiptOf =
    (kind: RequestKind, operation: 'viewErasureReceipt' | 'viewRestrictionReceipt' | 'viewAccessReceipt'): RouteHandler =>
    async (event) => {
      const receipt = await issueReceipt(rt, param(event, 'requestId'), kind);
      metrics.addMetric('ReceiptsIssued', MetricUnit.Count, 1);
      logger.info('receipt issued', { requestId: receipt.requestId, kind, keyId: receipt.signature.keyId });
      return jsonResponse(API_ROUTE[operation].status, receipt);
    };

  // One handler per operation of the route table; the table gives each its method, path and status.
  const handlers: Record<ApiOperation, RouteHandler> = {
    createErasureRequest: postErasureRequest,
    viewErasureRequest: async (event) =>
      jsonResponse(API_ROUTE.viewErasureRequest.status, await viewErasureRequest(rt, param(event, 'requestId'))),
    extendErasureRequest: withJsonBody(async (event) => {
      const body = parseBody(API_BODY_SCHEMAS[API_ROUTE.extendErasureRequest.body], event.body, 'extension');
      const answer = await extendErasureRequest(rt, param(event, 'requestId'), body);
      logger.info('erasure request extended', { requestId: answer.requestId, months: answer.extension.months });
      return jsonResponse(API_ROUTE.extendErasureRequest.status, answer);
    }),
    registerHolding: withJsonBody(async (event) => {
      const body = parseBody(API_BODY_SCHEMAS[API_ROUTE.registerHolding.body], event.body, 'holding');
      const answer = await registerHolding(rt, param(event, 'subjectId'), body);
      metrics.addMetric('HoldingsRegistered', MetricUnit.Count, 1);
      logger.info('holding registered', { purpose: answer.purpose, system: answer.system, registered: answer.registered });
      return jsonResponse(API_ROUTE.registerHolding.status, answer);
    }),
    recordSubjectEvent: withJsonBody(async (event) => {
      const body = parseBody(API_BODY_SCHEMAS[API_ROUTE.recordSubjectEvent.body], event.body, 'event');
      const answer = await recordEvent(rt, param(event, 'subjectId'), body);
      logger.info('subject event recorded', { type: answer.type, holdingsRescheduled: answer.holdingsRescheduled });
      return jsonResponse(API_ROUTE.recordSubjectEvent.status, answer);
    }),
    viewSubject: async (event) => {
      const answer = await viewSubject(rt, param(event, 'subjectId'));
      logger.info('subject viewed', { holdings: answer.holdings.length, requests: answer.requests.length });
      return jsonResponse(API_ROUTE.viewSubject.status, answer);
    },
    placeHold: withJsonBody(async (event) => {
      const body = parseBody(API_BODY_SCHEMAS[API_ROUTE.placeHold.body], event.body, 'hold');
      // Idempotency-Key optional here: with one, the same placement again answers the same hold (holds.ts).
      const answer = await placeHold(rt, param(event, 'subjectId'), body, event.headers?.[IDEMPOTENCY_HEADER] ?? undefined);
      metrics.addMetric('HoldsPlaced', MetricUnit.Count, 1);
      logger.info('legal hold placed', { holdId: answer.holdId });
      return jsonResponse(API_ROUTE.placeHold.status, answer);
    }),
    releaseHold: async (event) => {
      const answer = await releaseHold(rt, param(event, 'subjectId'), param(event, 'holdId'));
      metrics.addMetric('HoldsReleased', MetricUnit.Count, 1);
      logger.info('legal hold released', { holdId: answer.holdId, holdingsRescheduled: answer.holdingsRescheduled });
      return jsonResponse(API_ROUTE.releaseHold.status, answer);
    },
    listHolds: async (event) => jsonResponse(API_ROUTE.listHolds.status, await listHolds(rt, param(event, 'subjectId'))),
    createRestrictionRequest: postRequestOf('restriction', 'createRestrictionRequest', (body, key) =>
      receiveRestrictionRequest(rt, body, key),
    ),
    viewRestrictionRequest: async (event) =>
      jsonResponse(API_ROUTE.viewRestrictionRequest.status, await viewRestrictionRequest(rt, param(event, 'requestId'))),
    extendRestrictionRequest: extendOf('extendRestrictionRequest', extendRestrictionRequest),
    createAccessRequest: postRequestOf('access', 'createAccessRequest', (body, key) => receiveAccessRequest(rt, body, key)),
    viewAccessRequest: async (event) =>
      jsonResponse(API_ROUTE.viewAccessRequest.status, await viewAccessRequest(rt, param(event, 'requestId'))),
    extendAccessRequest: extendOf('extendAccessRequest', extendAccessRequest),
    viewErasureReceipt: receiptOf('erasure', 'viewErasureReceipt'),
    listRequests: async (event) => {
      const answer = await listRequests(rt, parseQuery(event, API_ROUTE.listRequests.query));
      logger.info('requests listed', { requests: answer.requests.length, more: answer.cursor !== undefined });
      return jsonResponse(API_ROUTE.listRequests.status, answer);
    },
    viewDueCalendar: async (event) =>
      jsonResponse(API_ROUTE.viewDueCalendar.status, await dueCalendar(rt, parseQuery(event, API_ROUTE.viewDueCalendar.query))),
    viewHoldingStates: async (event) => {
      parseQuery(event, API_ROUTE.viewHoldingStates.query);
      return jsonResponse(API_ROUTE.viewHoldingStates.status, await holdingStates(rt));
    },
    liftRestrictionRequest: async (event) => {
      const answer = await liftRestrictionRequest(rt, param(event, 'requestId'));
      metrics.addMetric('RestrictionsLifted', MetricUnit.Count, 1);
      logger.info('restriction lifted', { requestId: answer.requestId, records: answer.unrestricted.length });
      return jsonResponse(API_ROUTE.liftRestrictionRequest.status, answer);
    },
    viewRestrictionReceipt: receiptOf('restriction', 'viewRestrictionReceipt'),
    viewAccessReceipt: receiptOf('access', 'viewAccessReceipt'),
  };
  const routes: Route<Event, Result>[] = API_ROUTES.map((route) => ({
    method: route.method,
    path: route.path,
    handler: handlers[route.operation],
  }));

  return middy<Event, Result>()
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(httpHeaderNormalizer())
    .use(bodySizeLimit({ maxBytes: options.maxBodyBytes ?? MAX_BODY_BYTES }))
    .use(httpErrorResponse({ logger }))
    .handler(httpRouterHandler(routes));
}
