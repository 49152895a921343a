/**
 * The kernel: what the runtime, the connectors, the audit trail, the stack and local mode all rely on, and which
 * itself imports nothing else of Lethe's. The connector contract and the names the stack, the state machines and
 * the handlers share (contract), Powertools logger, metrics and tracer (observability), the subject's keyed
 * reference and its key source (subject-ref), the clock and the stored form of instants (time), the error base
 * class (errors), and two small helpers (dynamodb-errors, concurrency). docs/architecture.md, "Layers".
 *
 * Modules inside Lethe import the file they need (`../core/contract`), not this index: loading observability starts
 * Powertools, which the CLI's light commands do not need.
 */
export {
  ASL_SUBSTITUTIONS,
  type AslSubstitution,
  AUDIT_CHAIN,
  type AuditRecord,
  type ConnectorCounts,
  type ConnectorField,
  type ConnectorInvocation,
  type ConnectorResult,
  type ConnectorSubject,
  type ConnectorSubjectFailure,
  type ConnectorSubjectOutcome,
  ENV,
  type ErasureExecutionInput,
  type ErasureFinishInput,
  type ErasureFinishOutput,
  type ErasurePlanOutput,
  type ErasureSystemInput,
  type ErasureSystemOutput,
  ERROR_NAMES,
  EVENTS,
  HOLDING_STATUS,
  type HoldingStatus,
  LEDGER,
  METRICS,
  type RecordAction,
  REQUEST_STATUS,
  type RequestStatus,
  REQUESTS,
  type SweepApplyInput,
  type SweepApplyOutput,
  type SweepBatch,
  type SweepCursor,
  type SweepExecutionInput,
  type SweepReadInput,
  type SweepReadOutput,
  SYSTEM_STATUS,
  type SystemStatus,
} from './contract';
export { mapLimit } from './concurrency';
export { isConditionFailure } from './dynamodb-errors';
export { DocumentError, FileError, formatIssue, InputError, type Issue, issueCount, LetheError, RuntimeConfigError } from './errors';
export { errorName, logger, metrics, tracer } from './observability';
export { checkWellFormed, isWellFormed, type KeySource, secretKeySource, type SecretKeySourceOptions, SubjectRefs } from './subject-ref';
export { epochMs, epochSeconds, systemClock, utcIso } from './time';
