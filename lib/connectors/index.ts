export {
  CONNECTOR_CONFIGS,
  DynamoDbConnectorConfig,
  HttpConnectorConfig,
  LambdaConnectorConfig,
  placeholders,
  S3ConnectorConfig,
} from './config';
export type { ConnectorConfig } from './config';
export { addCounts, Connector, outcomeOf, SubjectConnector } from './connector';
export type { ConnectorContext, ConnectorOptions, Counts, FieldChanges, Invocation, InvocationField, InvocationSubject } from './connector';
export { ConnectorPermanentError, ConnectorTransientError, isConnectorError, isTransient, toConnectorError } from './errors';
export type { ConnectorError } from './errors';
export {
  checkOutcomes,
  ConnectorCountsSchema,
  ConnectorFieldSchema,
  ConnectorInvocationSchema,
  ConnectorResultSchema,
  ConnectorSubjectFailureSchema,
  ConnectorSubjectOutcomeSchema,
  ConnectorSubjectSchema,
  OUTCOME_STATUSES,
  parseInvocation,
  parseOrThrow,
  parseResult,
} from './invocation';
export { createDynamoDbDocumentClient, createLambdaClient, createS3Client } from './clients';
export type { ClientOptions } from './clients';
export { buildUpdate, DynamoDbConnector } from './dynamodb';
export type { DynamoDbConnectorOptions } from './dynamodb';
export { DELETE_BATCH, S3Connector } from './s3';
export type { S3ConnectorOptions } from './s3';
export { DEFAULT_TIMEOUT_SECONDS, HttpConnector } from './http';
export type { HttpConnectorOptions } from './http';
export { invokeConnectorFunction, LambdaFunctionConnector } from './lambda';
export type { LambdaConnectorOptions } from './lambda';
export { BUILT_IN_CONNECTOR_TYPES, BUILT_IN_CONNECTORS, ConnectorRegistry, connectorRegistry } from './registry';
export type { AnyConnectorOptions, BuiltInConnectorType, ConnectorFactory } from './registry';
export { CONNECTOR_TYPE_ENV, configName, connectorFunctionEntry, defineConnectorType, GENERIC_CONNECTOR_ENTRY } from './descriptor';
export type {
  ArnParts,
  ArnRef,
  ConnectorDemo,
  ConnectorDescriptor,
  ConnectorRuntime,
  DemoStandIns,
  DemoSystemContext,
  GrantSpec,
} from './descriptor';
export { defineConnector } from './sdk';
export type { ConnectorHandler, ConnectorHandlers, DefineConnectorOptions } from './sdk';
export {
  DEFAULT_TOLERANCE_SECONDS,
  IDEMPOTENCY_HEADER,
  SIGNATURE_HEADER,
  signWebhook,
  verifyWebhookSignature,
  WebhookResponseSchema,
} from './webhook';
export type { WebhookField, WebhookRequest, WebhookResponse, WebhookSubject } from './webhook';
