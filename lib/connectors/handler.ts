/**
 * The Lambda handler of a built-in connector function (lambdas/connectors/*.ts): one function per system.
 *
 * - Reads its system (`LETHE_SYSTEM`) and config (`LETHE_CONNECTOR_CONFIG`, JSON) once, validated against
 *   the connector type's schema; a problem is a `ConnectorPermanentError` naming it.
 * - Reads the HMAC key of the `hmac` strategy from Secrets Manager (`LETHE_HMAC_SECRET`, cached), only when a
 *   field uses it.
 * - Runs the connector of its type from `connectorRegistry` (the type is the entry's, or `LETHE_CONNECTOR_TYPE` for
 *   the generic entry lambdas/connectors/connector.ts), logs and counts what happened, rethrows connector errors
 *   (Lambda reports their name as `errorType`, which the state machine retries or catches).
 *
 * Logs carry the system, the operation id, subjectRefs, statuses, counts and error names and messages (which
 * connectors write without personal data); never the invocation itself, a subject id, an identifier, a
 * locator or a field value.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { ENV, type ConnectorResult } from '../core/contract';
import { logger as defaultLogger, metrics as defaultMetrics } from '../core/observability';
import { secretKeySource } from '../core/subject-ref';
import type { Connector } from './connector';
import { ConnectorPermanentError, toConnectorError } from './errors';
import { CONNECTOR_TYPE_ENV } from './descriptor';
import { connectorRegistry, type AnyConnectorOptions, type ConnectorRegistry } from './registry';

/** Metrics a connector function publishes (dimension `system`; errors also `error`: the error's name). */
export const CONNECTOR_METRICS = {
  subjects: 'ConnectorSubjects',
  records: 'ConnectorRecords',
  fields: 'ConnectorFields',
  objects: 'ConnectorObjects',
  errors: 'ConnectorErrors',
} as const;

export type BuiltInFunctionConnector = 'dynamodb' | 's3' | 'http';

export interface ConnectorHandlerOptions extends AnyConnectorOptions {
  /** @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** @default the shared Powertools logger (lib/core/observability.ts) */
  readonly logger?: typeof defaultLogger;
  /** @default the shared Powertools metrics */
  readonly metrics?: typeof defaultMetrics;
  /** @default connectorRegistry (the built-in types) */
  readonly connectors?: ConnectorRegistry;
}

/** The connector type of this function: the entry's, or the environment's (`LETHE_CONNECTOR_TYPE`). */
function typeOf(type: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  const resolved = type ?? env[CONNECTOR_TYPE_ENV];
  if (!resolved) throw new ConnectorPermanentError(`${CONNECTOR_TYPE_ENV} is not set: the function does not know its connector type`);
  return resolved;
}

/**
 * Builds the connector of this function from its environment. `type` is the entry's; without it (the generic
 * entry) the type is `LETHE_CONNECTOR_TYPE`'s.
 */
export function connectorFromEnv(type: string | undefined, options: ConnectorHandlerOptions = {}): Connector {
  const env = options.env ?? process.env;
  const connectorType = typeOf(type, env);
  const system = env[ENV.connectorSystem];
  if (!system) throw new ConnectorPermanentError(`${ENV.connectorSystem} is not set: the function does not know which system it serves`);
  const raw = env[ENV.connectorConfig];
  if (!raw) throw new ConnectorPermanentError(`${ENV.connectorConfig} is not set: system "${system}" has no connector config`);
  let config: unknown;
  try {
    config = JSON.parse(raw);
  } catch (error) {
    throw new ConnectorPermanentError(`${ENV.connectorConfig} of system "${system}" is not JSON`, { cause: error });
  }
  const hmacSecret = env[ENV.hmacSecret];
  const hmacKey = options.hmacKey ?? (hmacSecret ? secretKeySource(hmacSecret) : undefined);
  return (options.connectors ?? connectorRegistry).create(connectorType, system, config, { ...options, hmacKey });
}

/**
 * The Lambda handler of a connector function: of `type`, or (without it, the generic entry) of the type in
 * `LETHE_CONNECTOR_TYPE`.
 */
export function createConnectorHandler(type?: string, options: ConnectorHandlerOptions = {}) {
  const logger = options.logger ?? defaultLogger;
  const metrics = options.metrics ?? defaultMetrics;
  let connector: Connector | undefined;

  async function runConnector(event: unknown): Promise<ConnectorResult> {
    const system = (options.env ?? process.env)[ENV.connectorSystem] ?? 'unknown';
    metrics.addDimension('system', system);
    const operationId = (event as { operationId?: unknown } | null)?.operationId;
    const subjects = (event as { subjects?: unknown } | null)?.subjects;
    logger.info('connector invoked', {
      system,
      connector: type ?? (options.env ?? process.env)[CONNECTOR_TYPE_ENV],
      operationId: typeof operationId === 'string' ? operationId : undefined,
      subjects: Array.isArray(subjects) ? subjects.length : undefined,
    });
    try {
      connector ??= connectorFromEnv(type, options);
      const result = await connector.run(event);
      const total = { records: 0, fields: 0, objects: 0 };
      for (const outcome of result.subjects) {
        // Per subject only at DEBUG (issue 16): the invocation's line above and the sweep's 'batch applied' carry the counts.
        logger.debug('subject done', { system, subjectRef: outcome.subjectRef, status: outcome.status, counts: outcome.counts });
        total.records += outcome.counts.records;
        total.fields += outcome.counts.fields;
        total.objects += outcome.counts.objects;
      }
      metrics.addMetric(CONNECTOR_METRICS.subjects, MetricUnit.Count, result.subjects.length);
      metrics.addMetric(CONNECTOR_METRICS.records, MetricUnit.Count, total.records);
      metrics.addMetric(CONNECTOR_METRICS.fields, MetricUnit.Count, total.fields);
      metrics.addMetric(CONNECTOR_METRICS.objects, MetricUnit.Count, total.objects);
      return result;
    } catch (caught) {
      const error = toConnectorError(caught, `${type ?? (options.env ?? process.env)[CONNECTOR_TYPE_ENV]} connector of system "${system}"`);
      logger.error('connector failed', { system, error: error.name, reason: error.message });
      metrics.addDimension('error', error.name);
      metrics.addMetric(CONNECTOR_METRICS.errors, MetricUnit.Count, 1);
      throw error;
    }
  }

  return middy<unknown, ConnectorResult>(runConnector).use(injectLambdaContext(logger)).use(logMetrics(metrics));
}
