/**
 * Filling a purpose's ledger table for the benchmarks, fast: items are written with BatchWriteItem straight into
 * DynamoDB Local (not metered: the fill is the setup, not the work measured).
 *
 * Every filler item is a copy of a holding the API registered (the template), with its own random subjectRef,
 * due shard and expiry, so items have the real size and shape. The sealed blob is the template's: filler
 * holdings are only ever read by discovery (index or scan), never erased, so nothing unseals them.
 */
import { randomBytes } from 'node:crypto';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mapLimit } from '../core/concurrency';
import { dueShardOf } from '../runtime/ledger';
import { LEDGER } from '../core/contract';

export interface FillOptions {
  readonly documents: DynamoDBDocumentClient;
  readonly table: string;
  /** A ledger item as the API wrote it. */
  readonly template: Record<string, unknown>;
  readonly count: number;
  /** Expiry of each item, epoch ms (index i of count). */
  readonly dueAtOf: (i: number) => number;
  /** Concurrent BatchWriteItem calls. @default 8 */
  readonly concurrency?: number;
  readonly onProgress?: (written: number) => void;
}

const BATCH = 25;

/** Writes `count` filler holdings; resolves when all are written (unprocessed items are sent again). */
export async function fillLedger(options: FillOptions): Promise<void> {
  const batches = Math.ceil(options.count / BATCH);
  let written = 0;
  await mapLimit(
    Array.from({ length: batches }, (_, b) => b),
    options.concurrency ?? 8,
    async (b) => {
      const items = [];
      for (let i = b * BATCH; i < Math.min(options.count, (b + 1) * BATCH); i++) {
        const subjectRef = randomBytes(32).toString('hex');
        const dueAt = options.dueAtOf(i);
        items.push({
          ...options.template,
          [LEDGER.partitionKey]: subjectRef,
          [LEDGER.dueShardAttribute]: dueShardOf(subjectRef),
          [LEDGER.dueAtAttribute]: dueAt,
          [LEDGER.ttlAttribute]: Math.floor(dueAt / 1000) + LEDGER.activeTtlGraceSeconds,
          expiresAt: new Date(dueAt).toISOString(),
        });
      }
      let pending: Record<string, unknown>[] = items.map((Item) => ({ PutRequest: { Item } }));
      while (pending.length > 0) {
        const answer = await options.documents.send(new BatchWriteCommand({ RequestItems: { [options.table]: pending } }));
        pending = answer.UnprocessedItems?.[options.table] ?? [];
      }
      written += items.length;
      options.onProgress?.(written);
    },
  );
}
