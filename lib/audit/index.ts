export { canonicalJson, hashOfRecord, sha256Hex } from './canonical';
export { AuditChainError } from './errors';
export { type ChainHead, readChainHead } from './head';
export {
  AUDIT_PREFIX,
  type AuditEntry,
  auditFileName,
  auditObjectKey,
  chainRecord,
  GENESIS_HASH,
  padSeq,
  recordsOf,
  serialiseRecord,
  serialiseRecords,
} from './record';
export {
  type AuditSource,
  BREAK_KINDS,
  type BreakKind,
  type ChainBreak,
  DEFAULT_READ_AHEAD,
  directorySource,
  formatReport,
  s3Source,
  verifyChain,
  type VerifyOptions,
  type VerifyReport,
} from './verify';
export { AuditWriter, type AuditWriterProps, OBJECT_LOCK_MODES, type ObjectLockMode } from './writer';
