/**
 * The ledger tables' streams → lambdas/ledger-stream.ts, as Lambda's event source mapping does it on AWS
 * (lib/stack/runtime-functions.ts: from the trim horizon, batches of up to 100, partial batch responses,
 * 10 retries, then the on-failure destination).
 *
 * The stream records are read from DynamoDB Local with the DynamoDB Streams API and handed to the function as a
 * Lambda DynamoDB stream event. On AWS the mapping's filter passes only removals by DynamoDB's TTL
 * (`userIdentity` = the dynamodb service principal). DynamoDB Local gives its TTL removals no `userIdentity`
 * (and an eventName of its own, `UNKNOWN_TO_SDK_VERSION`), so the local filter passes every removal (an
 * old image and no new one); the function itself tells TTL's removals by the `ttl` that has passed.
 *
 * Note that DynamoDB Local deletes expired items within seconds, where DynamoDB takes up to a few days.
 */
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { InvokeResult } from './functions';

export interface LedgerStreamPollerOptions {
  readonly ddb: DynamoDBClient;
  readonly streams: DynamoDBStreamsClient;
  /** The ledger tables whose streams are read. */
  readonly tables: readonly string[];
  /** Invokes ledger-stream with a stream event (JSON). */
  readonly invoke: (payload: string) => Promise<InvokeResult>;
  readonly region: string;
  /** Notices for the operator (a discarded batch). */
  readonly log?: (line: string) => void;
  /** @default 100 */
  readonly batchSize?: number;
  /** @default 10 */
  readonly retryAttempts?: number;
}

export interface StreamPollReport {
  /** Stream records read. */
  readonly records: number;
  /** Records handed to the function (removals). */
  readonly delivered: number;
  readonly invocations: number;
  /** Batches that failed (and will be retried, or were discarded after the retries). */
  readonly failures: number;
}

interface ShardState {
  iterator?: string;
  lastSequence?: string;
  closed: boolean;
  failures: number;
}

interface StreamState {
  arn?: string;
  readonly shards: Map<string, ShardState>;
}

/** A stream record as Lambda delivers it: attribute values as JSON, the creation time in epoch seconds. */
export function toLambdaRecord(record: StreamRecord, streamArn: string, region: string): DynamoDBRecord {
  const d = record.dynamodb ?? {};
  const created = d.ApproximateCreationDateTime;
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion,
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    dynamodb: {
      ...(created ? { ApproximateCreationDateTime: Math.floor(new Date(created).getTime() / 1000) } : {}),
      ...(d.Keys ? { Keys: asJson(d.Keys) } : {}),
      ...(d.NewImage ? { NewImage: asJson(d.NewImage) } : {}),
      ...(d.OldImage ? { OldImage: asJson(d.OldImage) } : {}),
      SequenceNumber: d.SequenceNumber,
      SizeBytes: d.SizeBytes,
      StreamViewType: d.StreamViewType,
    },
    eventSourceARN: streamArn,
    ...(record.userIdentity ? { userIdentity: { type: record.userIdentity.Type, principalId: record.userIdentity.PrincipalId } } : {}),
  } as DynamoDBRecord;
}

/** Binary attribute values become base64, as in Lambda's JSON event. */
function asJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v))) as T;
}

/** The local stand-in for the mapping's filter: removals only. */
export function isRemoval(record: StreamRecord): boolean {
  return record.dynamodb?.OldImage !== undefined && record.dynamodb?.NewImage === undefined;
}

export class LedgerStreamPoller {
  private readonly state = new Map<string, StreamState>();
  private running: Promise<StreamPollReport> | undefined;

  public constructor(private readonly options: LedgerStreamPollerOptions) {}

  /** Reads every ledger stream to its end now and delivers the removals; one pass at a time. */
  public poll(): Promise<StreamPollReport> {
    const previous = this.running ?? Promise.resolve(undefined);
    const next = previous.then(() => this.pass());
    this.running = next.catch(() => ({ records: 0, delivered: 0, invocations: 0, failures: 1 }));
    return next;
  }

  private async pass(): Promise<StreamPollReport> {
    const total = { records: 0, delivered: 0, invocations: 0, failures: 0 };
    for (const table of this.options.tables) {
      let stream = this.state.get(table);
      if (!stream) {
        stream = { shards: new Map() };
        this.state.set(table, stream);
      }
      if (!stream.arn) {
        const { Table } = await this.options.ddb.send(new DescribeTableCommand({ TableName: table }));
        stream.arn = Table?.LatestStreamArn;
        if (!stream.arn) continue;
      }
      for (const shard of await this.shards(stream.arn)) {
        const id = shard.ShardId!;
        let state = stream.shards.get(id);
        if (!state) {
          state = { closed: false, failures: 0 };
          stream.shards.set(id, state);
        }
        if (state.closed) continue;
        const report = await this.readShard(stream.arn, id, state);
        total.records += report.records;
        total.delivered += report.delivered;
        total.invocations += report.invocations;
        total.failures += report.failures;
      }
    }
    return total;
  }

  private async shards(streamArn: string): Promise<Shard[]> {
    const shards: Shard[] = [];
    let start: string | undefined;
    do {
      const { StreamDescription } = await this.options.streams.send(
        new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: start }),
      );
      shards.push(...(StreamDescription?.Shards ?? []));
      start = StreamDescription?.LastEvaluatedShardId;
    } while (start);
    return shards;
  }

  private async readShard(streamArn: string, shardId: string, state: ShardState): Promise<StreamPollReport> {
    const report = { records: 0, delivered: 0, invocations: 0, failures: 0 };
    const batchSize = this.options.batchSize ?? 100;
    for (let round = 0; round < 100; round++) {
      if (!state.iterator) {
        const { ShardIterator } = await this.options.streams.send(
          new GetShardIteratorCommand({
            StreamArn: streamArn,
            ShardId: shardId,
            ...(state.lastSequence
              ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: state.lastSequence }
              : { ShardIteratorType: 'TRIM_HORIZON' }),
          }),
        );
        state.iterator = ShardIterator;
        if (!state.iterator) {
          state.closed = true;
          return report;
        }
      }
      let page;
      try {
        page = await this.options.streams.send(new GetRecordsCommand({ ShardIterator: state.iterator, Limit: batchSize }));
      } catch (error) {
        const name = (error as Error).name;
        if (name === 'ExpiredIteratorException' || name === 'TrimmedDataAccessException') {
          state.iterator = undefined;
          continue;
        }
        throw error;
      }
      const records = page.Records ?? [];
      report.records += records.length;
      const removals = records.filter(isRemoval);
      if (removals.length > 0) {
        report.invocations++;
        report.delivered += removals.length;
        const failedAt = await this.deliver(streamArn, removals);
        if (failedAt !== undefined) {
          report.failures++;
          state.failures++;
          if (state.failures <= (this.options.retryAttempts ?? 10)) {
            // Retry from the first failed record on the next poll, as the event source mapping does.
            const index = records.indexOf(removals[failedAt]);
            state.lastSequence = index > 0 ? records[index - 1].dynamodb?.SequenceNumber : state.lastSequence;
            state.iterator = undefined;
            return report;
          }
          this.options.log?.(
            `ledger stream: ${removals.length} record(s) of ${streamArn} failed ${state.failures} times; discarded (on AWS: sent to the on-failure destination)`,
          );
        }
      }
      state.failures = 0;
      if (records.length > 0) state.lastSequence = records[records.length - 1].dynamodb?.SequenceNumber ?? state.lastSequence;
      state.iterator = page.NextShardIterator;
      if (!state.iterator) {
        state.closed = true;
        return report;
      }
      if (records.length === 0) return report;
    }
    return report;
  }

  /** Invokes the function with one batch; the index (in `records`) of the first record to retry, if any. */
  private async deliver(streamArn: string, records: StreamRecord[]): Promise<number | undefined> {
    const event: DynamoDBStreamEvent = { Records: records.map((r) => toLambdaRecord(r, streamArn, this.options.region)) };
    const result = await this.options.invoke(JSON.stringify(event));
    if (!result.ok) return 0;
    const response = JSON.parse(result.payload) as DynamoDBBatchResponse | null;
    const failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    if (failed.size === 0) return undefined;
    const index = records.findIndex((r) => failed.has(r.dynamodb?.SequenceNumber ?? ''));
    return index === -1 ? 0 : index;
  }
}
