/**
 * HTTP pieces of the erasure API, as middy middlewares: a body size limit checked before any parsing, and the
 * error answer `{"error": {code, message, path?}}`. Whatever the caller sent gets a 4xx naming the problem; an AWS
 * service that throttles or is briefly unavailable is a 503 with Retry-After (the caller retries, with the same
 * Idempotency-Key for an erasure request); only Lethe's own failures are a 500, and their details go to the log,
 * not to the caller.
 */
import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { DocumentError, InputError, LetheError, RuntimeConfigError } from '../core/errors';
import {
  BodyTooLargeError,
  ConflictError,
  HoldNotFoundError,
  RequestNotFoundError,
  RuntimeTransientError,
  SealedValueError,
} from './errors';
import { isTransient } from '../connectors/errors';
import { errorName } from '../core/observability';

/** The API's largest request body. */
export const MAX_BODY_BYTES = 64 * 1024;

/** What a 503 tells the caller to wait before retrying (AWS throttling clears within seconds). */
export const RETRY_AFTER_SECONDS = 5;

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly path?: string };
}

export interface HttpProblem {
  readonly statusCode: number;
  readonly code: string;
  readonly message: string;
  readonly path?: string;
  /** Seconds, sent as Retry-After. */
  readonly retryAfter?: number;
}

export function jsonResponse(statusCode: number, body: unknown, headers: Readonly<Record<string, string>> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

interface HttpErrorLike {
  readonly statusCode?: unknown;
  readonly message?: unknown;
  readonly name?: unknown;
}

/** Maps an error to the answer: 4xx for what the caller sent, 500 otherwise. */
export function problemOf(error: unknown): HttpProblem {
  if (error instanceof BodyTooLargeError) return { statusCode: 413, code: 'body-too-large', message: error.message };
  if (error instanceof RequestNotFoundError) return { statusCode: 404, code: 'not-found', message: error.message, path: 'requestId' };
  if (error instanceof HoldNotFoundError) return { statusCode: 404, code: 'not-found', message: error.message, path: 'holdId' };
  if (error instanceof ConflictError) return { statusCode: 409, code: 'conflict', message: error.message };
  if (error instanceof InputError) {
    // InputError prefixes the message with its path; the answer carries the path separately.
    const message = error.path && error.message.startsWith(`${error.path}: `) ? error.message.slice(error.path.length + 2) : error.message;
    return { statusCode: 400, code: 'invalid-input', message, ...(error.path ? { path: error.path } : {}) };
  }
  if (error instanceof RuntimeConfigError || error instanceof DocumentError) {
    return { statusCode: 500, code: 'internal', message: 'Lethe is misconfigured; the operator has been told in the log' };
  }
  // A sealed value that does not open is Lethe's own failure (an item altered or copied), never the caller's.
  if (error instanceof SealedValueError) return { statusCode: 500, code: 'internal', message: 'internal error; it has been logged' };
  // Throttling, a 5xx of an AWS service, a dropped connection: nothing is wrong with the request, try it again.
  if (error instanceof RuntimeTransientError || (!(error instanceof LetheError) && isTransient(error))) {
    return {
      statusCode: 503,
      code: 'unavailable',
      message: `a service Lethe uses is busy or briefly unavailable; retry in ${RETRY_AFTER_SECONDS} seconds (an erasure request with the same Idempotency-Key)`,
      retryAfter: RETRY_AFTER_SECONDS,
    };
  }
  if (error instanceof LetheError) return { statusCode: 400, code: 'invalid-input', message: error.message };
  const e = (error ?? {}) as HttpErrorLike;
  if (e.name === 'IdempotencyAlreadyInProgressError') {
    return { statusCode: 409, code: 'in-progress', message: 'a request with this Idempotency-Key is being processed; retry in a moment' };
  }
  // @middy/http-router on an event without a usable path or method (only a direct invoke can send one).
  if (typeof e.message === 'string' && e.message.startsWith('Unknown http event format')) {
    return { statusCode: 400, code: 'bad-request', message: 'the request has no path or method' };
  }
  const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  if (status !== undefined && status >= 400 && status < 500) {
    // middy's own: the router (404), the JSON body parser (415).
    if (status === 404) return { statusCode: 404, code: 'not-found', message: 'no such route' };
    if (status === 415 && typeof e.message === 'string' && e.message.includes('JSON')) {
      return { statusCode: 400, code: 'invalid-json', message: 'the body is not valid JSON', path: 'body' };
    }
    if (status === 415)
      return { statusCode: 415, code: 'unsupported-media-type', message: 'send the body as JSON with Content-Type: application/json' };
    return { statusCode: status, code: 'bad-request', message: typeof e.message === 'string' ? e.message : 'bad request' };
  }
  return { statusCode: 500, code: 'internal', message: 'internal error; it has been logged' };
}

export interface ProblemLogger {
  info(message: string, ...extra: unknown[]): void;
  error(message: string, ...extra: unknown[]): void;
}

export interface ErrorResponseOptions {
  /** Where problems are logged: 4xx by code and path only (never the message, which may quote input), 5xx in full. */
  readonly logger?: ProblemLogger;
}

/** Turns any error into the API's error answer. Register it last, so that it handles errors first. */
export function httpErrorResponse(options: ErrorResponseOptions = {}): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  const httpErrorResponseOnError = async (request: Request<APIGatewayProxyEvent, APIGatewayProxyResult>): Promise<void> => {
    if (request.response !== undefined) return;
    const problem = problemOf(request.error);
    if (problem.statusCode >= 500) {
      // A library's wrapper (Powertools Idempotency's persistence error) carries what happened as its cause.
      const cause = (request.error as { cause?: unknown } | null)?.cause;
      options.logger?.error('request failed', {
        error: errorName(request.error),
        errorMessage: request.error?.message,
        stack: request.error?.stack,
        ...(cause ? { cause: { error: errorName(cause), errorMessage: (cause as Error).message } } : {}),
      });
    } else {
      options.logger?.info('request refused', {
        status: problem.statusCode,
        code: problem.code,
        ...(problem.path ? { path: problem.path } : {}),
      });
    }
    const body: ErrorBody = { error: { code: problem.code, message: problem.message, ...(problem.path ? { path: problem.path } : {}) } };
    request.response = jsonResponse(problem.statusCode, body, problem.retryAfter ? { 'retry-after': String(problem.retryAfter) } : {});
  };
  return { onError: httpErrorResponseOnError };
}

export interface BodySizeLimitOptions {
  /** @default MAX_BODY_BYTES (64 KiB) */
  readonly maxBytes?: number;
}

/** Refuses a body over the limit with 413, before anything parses it. */
export function bodySizeLimit(options: BodySizeLimitOptions = {}): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  const maxBytes = options.maxBytes ?? MAX_BODY_BYTES;
  if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new RangeError(`maxBytes must be a whole number >= 1, got ${options.maxBytes}`);
  const bodySizeLimitBefore = (request: Request<APIGatewayProxyEvent, APIGatewayProxyResult>): void => {
    const { body, isBase64Encoded } = request.event;
    if (typeof body !== 'string') return;
    const size = isBase64Encoded ? Buffer.byteLength(body, 'base64') : Buffer.byteLength(body, 'utf8');
    if (size > maxBytes) throw new BodyTooLargeError(size, maxBytes);
  };
  return { before: bodySizeLimitBefore };
}
