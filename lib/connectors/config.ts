/**
 * Each built-in connector's `config`, as zod schemas: each is defined with its type's descriptor
 * (types/<type>.ts) and gathered here. The policy validator checks a system's config against its connector's
 * schema (with file:line:column like every other rule, through the registry); the stack reads it to grant least
 * privilege; the connector reads it at run time. This module loads only zod.
 *
 * Placeholders: a template such as `customers/{customerId}/` is filled from the holding's locator; the
 * placeholder `{subjectId}` is the subject's id when the locator does not name it.
 */
import { BUILT_IN_CONNECTORS, type ConnectorConfig } from './registry';

export { placeholders } from './descriptor';
export { DynamoDbConnectorConfig } from './types/dynamodb';
export { HttpConnectorConfig } from './types/http';
export { LambdaConnectorConfig } from './types/lambda';
export { S3ConnectorConfig } from './types/s3';
export type { ConnectorConfig } from './registry';

/** Built-in type → its config schema. */
export const CONNECTOR_CONFIGS = Object.fromEntries(BUILT_IN_CONNECTORS.map((d) => [d.type, d.configSchema])) as {
  readonly [T in keyof ConnectorConfig]: Extract<(typeof BUILT_IN_CONNECTORS)[number], { type: T }>['configSchema'];
};
