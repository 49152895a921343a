/**
 * The middy chain every Lethe function shares: Powertools tracer, logger (Lambda context, keys reset per
 * invocation, the event never logged) and, where the function publishes metrics, metrics.
 */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { logger, metrics, tracer } from './observability';

export interface PowertoolsOptions {
  /** Publish the metrics the handler adds. @default false */
  readonly metrics?: boolean;
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
  return handler.handler(fn);
}
