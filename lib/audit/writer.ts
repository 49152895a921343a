/**
 * Writes audit records as a hash chain: one S3 object per write (`audit/<seq>.json` for a record alone,
 * `audit/<first>-<last>.json` for a segment of records written together, record.ts), sequence numbers claimed
 * in the audit-chain table so that concurrent writers never share or skip a number.
 *
 * Claiming records N to M: read the head (the last record known stored), walk forward over claims past it, then
 * put the claim item `N` with `attribute_not_exists(id)`; the item says where it ends (`seq` = M, `hash` = M's
 * hash), so a walker goes from N straight to M + 1. Exactly one writer wins each number; a loser walks on and
 * tries after the claims it finds. The claim item carries the object's bytes (a segment's gzipped), so a writer
 * that walks past a claim whose object may not be stored yet (its writer crashed, or is still writing) stores
 * it again, byte for byte the same: a crash never leaves a gap. The head advances only after the object is
 * stored.
 *
 * Why segments: a sweep batch writes one record per subject and system. One object and one claim for the batch
 * cost one S3 PUT and one conditional put instead of one each per record, and 25 writers racing for single
 * numbers made most claims lose and walk (docs/benchmarks.md).
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { gunzipSync, gzipSync } from 'node:zlib';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from '../core/dynamodb-errors';
import { AuditChainError } from './errors';
import { AUDIT_CHAIN, type AuditRecord } from '../core/contract';
import { type AuditEntry, auditObjectKey, chainRecord, GENESIS_HASH, padSeq, serialiseRecords } from './record';

export const OBJECT_LOCK_MODES = ['COMPLIANCE', 'GOVERNANCE'] as const;
export type ObjectLockMode = (typeof OBJECT_LOCK_MODES)[number];

export interface AuditWriterProps {
  /** The audit-chain table (contract AUDIT_CHAIN). */
  readonly chainTable: string;
  /** The audit bucket. */
  readonly bucket: string;
  /**
   * Per-object retention for a bucket with Object Lock.
   * @default undefined: no per-object retention (the bucket's default retention, if any, applies)
   */
  readonly objectLock?: { readonly mode: ObjectLockMode; readonly retainDays: number };
  /**
   * How many sequence numbers a writer tries before giving up (each lost race costs one).
   * @default 25
   */
  readonly maxAttempts?: number;
  /**
   * The most records in one segment (`writeMany`): more are written as several segments, one after another.
   * @default 100
   */
  readonly maxSegment?: number;
  /**
   * The clock, for the Object Lock retain-until date.
   * @default () => new Date()
   */
  readonly clock?: () => Date;
}

interface ChainPosition {
  readonly seq: number;
  readonly hash: string;
}

interface ClaimItem {
  /** The first number claimed, padded. */
  readonly id: string;
  /** The last number claimed (the first, for a record alone). */
  readonly seq: number;
  /** The hash of the last record claimed. */
  readonly hash: string;
  /** A record alone: the object's text, as stored in S3. */
  readonly record?: string;
  /** A segment: the object's text, gzipped. */
  readonly segment?: Uint8Array;
}

/** The first number, the last, and the object's text of a claim. */
function claimed(item: ClaimItem): { first: number; last: number; text: string } {
  const text = item.segment ? gunzipSync(item.segment).toString('utf8') : item.record;
  if (text === undefined) throw new AuditChainError(`audit claim ${item.id} holds no record`);
  return { first: Number(item.id), last: Number(item.seq), text };
}

const DAY_MS = 24 * 3600 * 1000;

export class AuditWriter {
  private readonly maxAttempts: number;
  private readonly maxSegment: number;
  private readonly clock: () => Date;

  public constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly s3: S3Client,
    private readonly props: AuditWriterProps,
  ) {
    this.maxAttempts = props.maxAttempts ?? 25;
    this.maxSegment = props.maxSegment ?? 100;
    this.clock = props.clock ?? (() => new Date());
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) {
      throw new AuditChainError(`maxAttempts must be a whole number >= 1, got ${props.maxAttempts}`);
    }
    if (!Number.isInteger(this.maxSegment) || this.maxSegment < 1) {
      throw new AuditChainError(`maxSegment must be a whole number >= 1, got ${props.maxSegment}`);
    }
    const lock = props.objectLock;
    if (lock && (!OBJECT_LOCK_MODES.includes(lock.mode) || !Number.isInteger(lock.retainDays) || lock.retainDays < 1)) {
      throw new AuditChainError(
        `objectLock must be {mode: COMPLIANCE | GOVERNANCE, retainDays: a whole number >= 1}, got ${JSON.stringify(lock)}`,
      );
    }
  }

  /** Appends one record to the chain and returns it as stored. */
  public async write(entry: AuditEntry): Promise<AuditRecord> {
    const [record] = await this.writeMany([entry]);
    return record;
  }

  /**
   * Appends records to the chain, consecutive and in this order, as one object (a segment) per `maxSegment` of
   * them, and returns them as stored. Nothing to write is no write.
   */
  public async writeMany(entries: readonly AuditEntry[]): Promise<AuditRecord[]> {
    const written: AuditRecord[] = [];
    for (let i = 0; i < entries.length; i += this.maxSegment) written.push(...(await this.append(entries.slice(i, i + this.maxSegment))));
    return written;
  }

  private async append(entries: readonly AuditEntry[]): Promise<AuditRecord[]> {
    let last = await this.lastClaimed();
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      let previous: ChainPosition = last;
      const records = entries.map((entry) => (previous = chainRecord(entry, previous.seq + 1, previous.hash)));
      const text = serialiseRecords(records);
      if (await this.claim(records, text)) {
        await this.store(records[0].seq, records.at(-1)!.seq, text);
        await this.advanceHead(records.at(-1)!);
        return records;
      }
      // Lost the race for this number to a live writer, which stores its record itself: chain on after the
      // claims made meanwhile, rather than walking again from the head (with many writers at once, that walk
      // was the cost: every loss read, and stored again, every claim past the head).
      last = await this.claimsAfter(last);
    }
    throw new AuditChainError(`could not claim an audit sequence number in ${this.maxAttempts} attempts (too many concurrent writers)`);
  }

  /** The head, then every claim past it (stored again, in case its writer did not finish). */
  private async lastClaimed(): Promise<ChainPosition> {
    const head = await this.get(AUDIT_CHAIN.headId);
    let position: ChainPosition = head ? { seq: Number(head.seq), hash: String(head.hash) } : { seq: 0, hash: GENESIS_HASH };
    for (;;) {
      const next = await this.get(padSeq(position.seq + 1));
      if (!next) return position;
      const { first, last, text } = claimed(next);
      await this.store(first, last, text);
      position = { seq: last, hash: next.hash };
    }
  }

  /** The last claim after `position`, following claims one by one (without storing them). */
  private async claimsAfter(position: ChainPosition): Promise<ChainPosition> {
    let current = position;
    for (;;) {
      const next = await this.get(padSeq(current.seq + 1));
      if (!next) return current;
      current = { seq: next.seq, hash: next.hash };
    }
  }

  private async get(id: string): Promise<ClaimItem | undefined> {
    const { Item } = await this.ddb.send(
      new GetCommand({ TableName: this.props.chainTable, Key: { [AUDIT_CHAIN.partitionKey]: id }, ConsistentRead: true }),
    );
    return Item as ClaimItem | undefined;
  }

  private async claim(records: readonly AuditRecord[], text: string): Promise<boolean> {
    const last = records.at(-1)!;
    try {
      await this.ddb.send(
        new PutCommand({
          TableName: this.props.chainTable,
          Item: {
            [AUDIT_CHAIN.partitionKey]: padSeq(records[0].seq),
            seq: last.seq,
            hash: last.hash,
            ...(records.length === 1 ? { record: text } : { segment: gzipSync(text) }),
          },
          ConditionExpression: 'attribute_not_exists(#id)',
          ExpressionAttributeNames: { '#id': AUDIT_CHAIN.partitionKey },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  private async store(first: number, last: number, text: string): Promise<void> {
    const lock = this.props.objectLock;
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.props.bucket,
        Key: auditObjectKey(first, last),
        Body: text,
        ContentType: 'application/json',
        ...(lock
          ? { ObjectLockMode: lock.mode, ObjectLockRetainUntilDate: new Date(this.clock().getTime() + lock.retainDays * DAY_MS) }
          : {}),
      }),
    );
  }

  /** Moves the head forward to `record`, never back (a slower writer of an earlier number leaves it alone). */
  private async advanceHead(record: AuditRecord): Promise<void> {
    try {
      await this.ddb.send(
        new UpdateCommand({
          TableName: this.props.chainTable,
          Key: { [AUDIT_CHAIN.partitionKey]: AUDIT_CHAIN.headId },
          UpdateExpression: 'SET #seq = :seq, #hash = :hash',
          ConditionExpression: 'attribute_not_exists(#seq) OR #seq < :seq',
          ExpressionAttributeNames: { '#seq': 'seq', '#hash': 'hash' },
          ExpressionAttributeValues: { ':seq': record.seq, ':hash': record.hash },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) return;
      throw error;
    }
  }
}
