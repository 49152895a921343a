/**
 * Audit records (contract `AuditRecord`): one per action on a subject's data in one system. A record holds no
 * raw personal data: the subject appears only as a keyed HMAC of its id, the rest is ids, names from the policy,
 * statuses and counts. Records are chained: each carries the previous record's hash, and its own hash covers
 * every field, so an edited, removed or inserted record breaks the chain (see `verify.ts`).
 *
 * Storage: a record written alone is one object, `audit/<seq>.json`, holding the record. Records written
 * together (a sweep batch: `AuditWriter.writeMany`) are one object, a segment, `audit/<first>-<last>.json`,
 * holding a JSON array of consecutive records, each exactly as it would be alone: one S3 request for the batch
 * instead of one per record. Names sort in chain order either way (the first number is zero-padded).
 */
import type { AuditRecord } from '../core/contract';
import { hashOfRecord } from './canonical';

/** What the caller says about an action; the chain adds `seq`, `prevHash` and `hash`. */
export type AuditEntry = Omit<AuditRecord, 'seq' | 'prevHash' | 'hash'>;

/** `prevHash` of the first record. */
export const GENESIS_HASH = '0'.repeat(64);

/** Records are stored under this prefix, one object per record. */
export const AUDIT_PREFIX = 'audit/';

const SEQ_DIGITS = 12;

/** `000000000042` */
export function padSeq(seq: number): string {
  if (!Number.isSafeInteger(seq) || seq < 1) throw new RangeError(`an audit sequence number is a whole number >= 1, got ${seq}`);
  return String(seq).padStart(SEQ_DIGITS, '0');
}

/** `audit/000000000042.json`, or for a segment of records 42 to 66, `audit/000000000042-000000000066.json`. */
export function auditObjectKey(seq: number, last = seq): string {
  return `${AUDIT_PREFIX}${auditFileName(seq, last)}`;
}

/** The file name a record must have, `000000000042.json`, or a segment, `000000000042-000000000066.json`. */
export function auditFileName(seq: number, last = seq): string {
  if (last < seq) throw new RangeError(`an audit segment ends at or after its first record, got ${seq} to ${last}`);
  return last === seq ? `${padSeq(seq)}.json` : `${padSeq(seq)}-${padSeq(last)}.json`;
}

/** Builds the chained record: `seq` after a record whose hash is `prevHash`. Fields are in a fixed order. */
export function chainRecord(entry: AuditEntry, seq: number, prevHash: string): AuditRecord {
  const unhashed: Omit<AuditRecord, 'hash'> = {
    seq,
    prevHash,
    at: entry.at,
    kind: entry.kind,
    ...(entry.requestId === undefined ? {} : { requestId: entry.requestId }),
    ...(entry.sweepId === undefined ? {} : { sweepId: entry.sweepId }),
    ...(entry.replayId === undefined ? {} : { replayId: entry.replayId }),
    ...(entry.holdId === undefined ? {} : { holdId: entry.holdId }),
    purposes: [...entry.purposes],
    system: entry.system,
    ...(entry.item === undefined ? {} : { item: entry.item }),
    action: entry.action,
    outcome: entry.outcome,
    counts: { records: entry.counts.records, fields: entry.counts.fields, objects: entry.counts.objects },
    subject: entry.subject,
    policyHash: entry.policyHash,
    ...(entry.objectHash === undefined ? {} : { objectHash: entry.objectHash }),
    // Issue 19, additive: absent where nothing was verified, so every record written before it hashes as it did.
    ...(entry.verification === undefined ? {} : { verification: entry.verification }),
  };
  return { ...unhashed, hash: hashOfRecord(unhashed) };
}

/** The bytes stored for a record: its JSON, two-space indented, fields in the order `chainRecord` builds. */
export function serialiseRecord(record: AuditRecord): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}

/** The bytes stored for consecutive records: one record alone as `serialiseRecord`, several as a JSON array. */
export function serialiseRecords(records: readonly AuditRecord[]): string {
  if (records.length === 0) throw new RangeError('an audit object holds at least one record');
  return records.length === 1 ? serialiseRecord(records[0]) : `${JSON.stringify(records, null, 2)}\n`;
}

/** The records a stored object holds (a record, or a segment's array), as parsed JSON: not checked here. */
export function recordsOf(text: string): AuditRecord[] {
  const data = JSON.parse(text) as AuditRecord | AuditRecord[];
  return Array.isArray(data) ? data : [data];
}
