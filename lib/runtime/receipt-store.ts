/**
 * Where receipts are kept (issue 19, item 2): the audit bucket, under `receipts/<requestId>.json`, so that a receipt
 * outlives its request (TTL removes a completed request after REQUESTS.completedTtlSeconds) and cannot be altered:
 * the bucket has Object Lock (the default retention, COMPLIANCE 7 years unless the stack says otherwise, or the
 * audit records' per-object retention when configured), and its policy refuses a put under `receipts/` without
 * `If-None-Match: *` (lib/stack/audit-bucket.ts), so a stored receipt is never replaced by another version.
 *
 * A receipt holds no personal data (lib/runtime/receipts.ts), and its key is the request id (derived from the
 * Idempotency-Key by a hash: erasure-requests.ts requestIdForKey).
 *
 * Stored once: `putOnce` writes with `If-None-Match: *`, and when a receipt is there already (S3 answers 412, or 409
 * for a write racing another) it answers the stored one, so that a finish run again never issues a second receipt.
 */
import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ObjectLockMode } from '../audit';
import { RuntimeTransientError } from './errors';
import type { Receipt } from './receipts';

/** The receipts' prefix in the audit bucket (the audit records are under `audit/`). */
export const RECEIPT_PREFIX = 'receipts/';

/** A request's receipt's key. */
export const receiptKeyOf = (requestId: string): string => `${RECEIPT_PREFIX}${requestId}.json`;

export interface ReceiptStoreProps {
  readonly client: S3Client;
  /** The audit bucket. */
  readonly bucket: string;
  /**
   * Per-object retention, as the audit records get it (AuditWriterProps.objectLock).
   * @default undefined: the bucket's default retention applies
   */
  readonly objectLock?: { readonly mode: ObjectLockMode; readonly retainDays: number };
  /** @default () => new Date() */
  readonly clock?: () => Date;
}

const DAY_MS = 24 * 3600 * 1000;

/** S3's answers to a conditional put whose key exists (412), or that raced another conditional put of the key (409). */
const EXISTS = new Set(['PreconditionFailed', 'ConditionalRequestConflict']);

export class ReceiptStore {
  public constructor(private readonly props: ReceiptStoreProps) {}

  /**
   * The stored receipt of a request, or undefined when none is stored: 404 NoSuchKey, or 403 AccessDenied, which S3
   * answers for a missing key to a role without s3:ListBucket on the bucket (the functions have none on the audit
   * bucket: its keys are not theirs to list).
   */
  public async get(requestId: string): Promise<Receipt | undefined> {
    let text: string;
    try {
      const object = await this.props.client.send(new GetObjectCommand({ Bucket: this.props.bucket, Key: receiptKeyOf(requestId) }));
      text = (await object.Body?.transformToString('utf-8')) ?? '';
    } catch (error) {
      const name = (error as { name?: unknown }).name;
      if (error instanceof NoSuchKey || name === 'NoSuchKey' || name === 'AccessDenied') return undefined;
      throw error;
    }
    try {
      return JSON.parse(text) as Receipt;
    } catch (error) {
      throw new RuntimeTransientError(`the stored receipt of request ${requestId} (${receiptKeyOf(requestId)}) is not JSON`, {
        cause: error,
      });
    }
  }

  /**
   * Stores the receipt unless one is stored for its request already; answers the receipt that is stored (this one,
   * or the one stored before) and whether this call stored it.
   */
  public async putOnce(receipt: Receipt): Promise<{ readonly stored: boolean; readonly receipt: Receipt }> {
    const lock = this.props.objectLock;
    const now = (this.props.clock ?? (() => new Date()))();
    try {
      await this.props.client.send(
        new PutObjectCommand({
          Bucket: this.props.bucket,
          Key: receiptKeyOf(receipt.requestId),
          Body: `${JSON.stringify(receipt, null, 2)}\n`,
          ContentType: 'application/json; charset=utf-8',
          IfNoneMatch: '*',
          ...(lock ? { ObjectLockMode: lock.mode, ObjectLockRetainUntilDate: new Date(now.getTime() + lock.retainDays * DAY_MS) } : {}),
        }),
      );
      return { stored: true, receipt };
    } catch (error) {
      if (!EXISTS.has(String((error as { name?: unknown }).name))) throw error;
    }
    const stored = await this.get(receipt.requestId);
    if (stored === undefined) {
      // 409: the racing write has not landed yet; the caller's retry finds it.
      throw new RuntimeTransientError(`a receipt of request ${receipt.requestId} is being stored by another writer; try again`);
    }
    return { stored: false, receipt: stored };
  }
}
