/**
 * Powertools logger, metrics and tracer, one of each per process. Service name and metrics namespace come from
 * POWERTOOLS_SERVICE_NAME and POWERTOOLS_METRICS_NAMESPACE (set by the stack); the namespace falls back to
 * the contract's.
 *
 * What may be logged: request ids, sweep ids, system and purpose ids, statuses, counts, error names, and
 * subjectRef (an HMAC). Never a subject id, an identifier, a locator or a field value: pass ids, not objects
 * that might carry them.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { METRICS } from './contract';

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'lethe' });
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS.namespace,
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'lethe',
});
export const tracer = new Tracer({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'lethe' });

/** The name of an error, for a log line: never its message, which may quote input. */
export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
