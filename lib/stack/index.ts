/**
 * The Lethe CDK stack and its constructs. `bin/app.ts` builds the app with `buildLetheApp`; the constructs can be
 * used on their own in another CDK app.
 */
export {
  applyFeatureFlags,
  type BuildOptions,
  buildLetheApp,
  chooseRegion,
  DEFAULT_POLICY,
  DEFAULT_STACK_NAME,
  FEATURE_FLAGS,
  type PolicyForDeployment,
  readPolicyForDeployment,
} from './app';
export { AslStateMachine, type AslStateMachineProps, aslPlaceholders, distributedMapStates } from './asl-state-machine';
export { AuditBucket, type AuditBucketProps, OBJECT_LOCK_MODES, type ObjectLockModeName } from './audit-bucket';
export { dropRedundantRoleDependency } from './cfn-tidy';
export {
  ConnectorFunctions,
  type ConnectorFunctionsProps,
  DYNAMODB_CONNECTOR_ACTIONS,
  S3_CONNECTOR_BUCKET_ACTIONS,
  S3_CONNECTOR_OBJECT_ACTIONS,
} from './connector-functions';
export { DeadLetterQueue, type DeadLetterQueueProps } from './dead-letter-queue';
export { DIAGRAM_END, DIAGRAM_START, diagramOf, generateDiagram, withDiagram } from './diagram';
export { ErasureApi, type ErasureApiProps, toModelSchema } from './erasure-api';
export { ErasureWorkflow, type ErasureWorkflowProps } from './erasure-workflow';
export { RegionNotAllowedError, StackConfigError } from './errors';
export { ReceiptKey, type ReceiptKeyProps } from './receipt-key';
export {
  grantIndexQuery,
  grantInvoke,
  grantKey,
  grantTable,
  KEY_USE_ACTIONS,
  TABLE_READ_ACTIONS,
  TABLE_WRITE_ACTIONS,
  type TableAccess,
} from './grants';
export { LETHE_RUNTIME, LetheFunction, type LetheFunctionProps } from './lethe-function';
export { LetheKeys, type LetheKeysProps } from './lethe-keys';
export { LetheStack, type LetheStackProps } from './lethe-stack';
export { acknowledgeNag, arnFinding } from './nag';
export { Operations, type OperationsProps } from './operations';
export { assertRegionAllowed, REGION_PINNING_POLICY_NAME, RegionPinning, regionDenyStatement } from './region-pinning';
export { RetentionLedger, type RetentionLedgerProps } from './retention-ledger';
export { RUNTIME_ENTRIES, RuntimeFunctions, type RuntimeFunctionsProps, type RuntimeEntry } from './runtime-functions';
export { SubjectEventsBus, type SubjectEventsBusProps } from './subject-events-bus';
export { SweepSchedules, type SweepSchedulesProps } from './sweep-schedules';
export { SweepWorkflow, type SweepWorkflowProps } from './sweep-workflow';
export {
  AUDIT_CHAIN_TABLE,
  type AttributeType,
  DUE_INDEX_ATTRIBUTES,
  EVENTS_TABLE,
  IDEMPOTENCY_TABLE,
  type IndexSpec,
  type KeySpec,
  LEDGER_TABLE,
  REQUESTS_TABLE,
  TABLE_SPECS,
  type TableSpec,
} from './table-specs';
