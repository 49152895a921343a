/**
 * The middy chain every Lethe function shares: Powertools tracer, logger (Lambda context, keys reset per
 * invocation, the event never logged) and, where the function publishes metrics, metrics. A state machine task
 * also gets `transientAwsErrors`: an AWS call that failed transiently (throttling, a 5xx, a refused or dropped
 * connection, a time-out) is rethrown as `RuntimeTransientError`, the name its Retry lists, instead of the SDK's
 * own name (`Error` for a refused connection), which no Retry can list in advance.
 */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { isTransient } from '../connectors/errors';
import { LetheError } from '../core/errors';
import { RuntimeTransientError } from './errors';
import { errorName, logger, metrics, tracer } from '../core/observability';

export interface PowertoolsOptions {
  /** Publish the metrics the handler adds. @default false */
  readonly metrics?: boolean;
  /** Rethrow transient AWS failures as `RuntimeTransientError` (state machine tasks). @default false */
  readonly transientErrors?: boolean;
}

/**
 * A middy middleware: an error that is not Lethe's own and that the AWS SDK or the network reports as transient
 * becomes a `RuntimeTransientError`, whose message names only the error, its code and its HTTP status.
 */
export function transientAwsErrors(): middy.MiddlewareObj {
  return {
    onError: function renameTransientAwsError(request) {
      const error = request.error;
      if (!error || error instanceof LetheError || !isTransient(error)) return;
      const e = error as { code?: unknown; $metadata?: { httpStatusCode?: number } };
      const detail = [
        typeof e.code === 'string' ? e.code : undefined,
        e.$metadata?.httpStatusCode ? `HTTP ${e.$metadata.httpStatusCode}` : undefined,
      ]
        .filter(Boolean)
        .join(', ');
      const name = errorName(error);
      logger.warn('transient AWS failure: the state machine retries', { error: name, ...(detail ? { detail } : {}) });
      request.error = new RuntimeTransientError(`an AWS call failed transiently: ${name}${detail ? ` (${detail})` : ''}`, { cause: error });
    },
  };
}

/** Wraps a handler in the shared Powertools middlewares. */
export function withPowertools<TEvent, TResult>(
  fn: (event: TEvent, context: Context) => Promise<TResult>,
  options: PowertoolsOptions = {},
): middy.MiddyfiedHandler<TEvent, TResult> {
  const handler = middy<TEvent, TResult>()
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger, { resetKeys: true }));
  if (options.metrics) handler.use(logMetrics(metrics));
  if (options.transientErrors) handler.use(transientAwsErrors());
  return handler.handler(fn);
}
