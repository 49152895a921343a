export { buildApiHandler, type ApiOptions, IDEMPOTENCY_EXPIRES_SECONDS, IDEMPOTENCY_HEADER } from './api';
export { DETAIL_TYPES, handleBusEvent, HoldingDetail, SubjectEventDetail } from './bus';
export { type ConnectorClient, LambdaConnectorClient } from './connector-client';
export { connectorFields, eraseInSystem, finishErasure, planErasure, plannable, ZERO_COUNTS } from './erasure';
export {
  checkIdempotencyKey,
  checkRequestId,
  extendErasureRequest,
  type ExtendAnswer,
  receiveErasureRequest,
  type ReceivedAnswer,
  requestIdForKey,
  type RequestView,
  viewErasureRequest,
} from './erasure-requests';
export { BodyTooLargeError, ConflictError, RequestNotFoundError, RuntimeTransientError, SealedValueError } from './errors';
export { contentEventId, type EventItem, EventStore } from './event-store';
export { applyExpiry, type ExpiryOrigin, type ExpiryReport, type ExpirySubject } from './expiry';
export { withPowertools, type PowertoolsOptions } from './handler';
export { bodySizeLimit, type BodySizeLimitOptions, httpErrorResponse, jsonResponse, MAX_BODY_BYTES, problemOf } from './http';
export { dueShardOf, type HoldingRecord, Ledger, type NewHolding, type SealedHolding, toHolding } from './ledger';
export { handleLedgerRecord, type StreamOutcome, tableOfStreamArn, ttlRemovedHolding } from './ledger-stream';
export { countOpenNearDeadline, DEFAULT_WARNING_DAYS, warningDays } from './monitor';
export {
  type Extension,
  FINAL_SYSTEM_STATUSES,
  isFinal,
  type RequestItem,
  RequestStore,
  type RetainedEntry,
  type SystemEntry,
} from './requests';
export { createRuntime, defaultRuntime, type Env, loadRuntimePolicy, type Runtime, type RuntimeOptions } from './runtime';
export { holdingContext, MAX_SEALED_BYTES, requestContext, type SealContext, Sealer } from './sealing';
export { checkSubjectId, type EventAnswer, type HoldingAnswer, recordEvent, registerHolding } from './subjects';
export { applyExpiryToBatch, readDuePage, type SweepReadOptions } from './sweep';
export { checkEventType, checkHolding, checkPurpose, checkSystem, parseBody } from './validate';
export { type ErasureWorkflow, StepFunctionsErasureWorkflow } from './workflow';
