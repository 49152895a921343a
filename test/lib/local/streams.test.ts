/**
 * lib/local/streams.ts: the ledger streams handed to ledger-stream as Lambda's event source mapping would:
 * removals only, in Lambda's record format, from the trim horizon, retried from the first failed record.
 */
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { InvokeResult } from '../../../lib/local/functions';
import { isRemoval, LedgerStreamPoller, toLambdaRecord } from '../../../lib/local/streams';

const STREAM = 'arn:aws:dynamodb:ddblocal:000000000000:table/lethe-local-ledger-marketing/stream/2026-01-01T00:00:00.000';

const record = (seq: number, kind: 'insert' | 'ttl' | 'remove'): StreamRecord => ({
  eventID: `e${seq}`,
  eventName: kind === 'insert' ? 'INSERT' : kind === 'remove' ? 'REMOVE' : ('UNKNOWN_TO_SDK_VERSION' as never),
  eventVersion: '1.1',
  eventSource: 'aws:dynamodb',
  awsRegion: 'ddblocal',
  dynamodb: {
    ApproximateCreationDateTime: new Date('2026-01-01T00:00:10Z'),
    Keys: { subjectRef: { S: `ref-${seq}` }, system: { S: 'crm' } },
    ...(kind === 'insert' ? { NewImage: { subjectRef: { S: `ref-${seq}` }, status: { S: 'active' } } } : {}),
    ...(kind !== 'insert' ? { OldImage: { subjectRef: { S: `ref-${seq}` }, status: { S: 'active' }, ttl: { N: '1' } } } : {}),
    SequenceNumber: String(seq).padStart(21, '0'),
    SizeBytes: 10,
    StreamViewType: 'NEW_AND_OLD_IMAGES',
  },
});

test('a stream record becomes a Lambda DynamoDB record: epoch seconds, the stream ARN, the region, no userIdentity when there is none', () => {
  expect(toLambdaRecord(record(2, 'ttl'), STREAM, 'eu-north-1')).toEqual({
    eventID: 'e2',
    eventName: 'UNKNOWN_TO_SDK_VERSION',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'eu-north-1',
    eventSourceARN: STREAM,
    dynamodb: {
      ApproximateCreationDateTime: 1767225610,
      Keys: { subjectRef: { S: 'ref-2' }, system: { S: 'crm' } },
      OldImage: { subjectRef: { S: 'ref-2' }, status: { S: 'active' }, ttl: { N: '1' } },
      SequenceNumber: '000000000000000000002',
      SizeBytes: 10,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  });
  expect(
    toLambdaRecord({ ...record(3, 'remove'), userIdentity: { Type: 'Service', PrincipalId: 'dynamodb.amazonaws.com' } }, STREAM, 'r')
      .userIdentity,
  ).toEqual({
    type: 'Service',
    principalId: 'dynamodb.amazonaws.com',
  });
});

test.each([
  ['insert', false],
  ['ttl', true],
  ['remove', true],
] as const)('a %s record is a removal: %p', (kind, expected) => {
  expect(isRemoval(record(1, kind))).toBe(expected);
});

describe('LedgerStreamPoller', () => {
  const ddb = mockClient(DynamoDBClient);
  const streams = mockClient(DynamoDBStreamsClient);
  let calls: DynamoDBStreamEvent[];
  let answers: InvokeResult[];

  beforeEach(() => {
    ddb.reset();
    streams.reset();
    calls = [];
    answers = [];
    ddb.on(DescribeTableCommand).resolves({ Table: { LatestStreamArn: STREAM } });
    streams.on(DescribeStreamCommand).resolves({ StreamDescription: { Shards: [{ ShardId: 'shard-1' }] } });
  });

  const poller = (retryAttempts = 10) =>
    new LedgerStreamPoller({
      ddb: new DynamoDBClient({}),
      streams: new DynamoDBStreamsClient({}),
      tables: ['lethe-local-ledger-marketing'],
      region: 'eu-north-1',
      retryAttempts,
      invoke: async (payload) => {
        calls.push(JSON.parse(payload) as DynamoDBStreamEvent);
        return answers.shift() ?? { ok: true, payload: JSON.stringify({ batchItemFailures: [] }) };
      },
    });

  it('reads from the trim horizon and hands only the removals to the function, then continues after the last record', async () => {
    streams.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-0' });
    streams
      .on(GetRecordsCommand, { ShardIterator: 'it-0' })
      .resolves({ Records: [record(1, 'insert'), record(2, 'ttl'), record(3, 'remove')], NextShardIterator: 'it-1' })
      .on(GetRecordsCommand, { ShardIterator: 'it-1' })
      .resolves({ Records: [], NextShardIterator: 'it-2' });
    const report = await poller().poll();
    expect(report).toEqual({ records: 3, delivered: 2, invocations: 1, failures: 0 });
    expect(calls).toHaveLength(1);
    expect(calls[0].Records.map((r) => r.eventID)).toEqual(['e2', 'e3']);
    expect(streams.commandCalls(GetShardIteratorCommand)[0].args[0].input).toMatchObject({ ShardIteratorType: 'TRIM_HORIZON' });
  });

  it('retries from the first failed record (partial batch response) on the next poll, as the event source mapping does', async () => {
    streams
      .on(GetShardIteratorCommand, { ShardIteratorType: 'TRIM_HORIZON' })
      .resolves({ ShardIterator: 'it-0' })
      .on(GetShardIteratorCommand, { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER' })
      .resolves({ ShardIterator: 'it-retry' });
    streams
      .on(GetRecordsCommand, { ShardIterator: 'it-0' })
      .resolves({ Records: [record(1, 'ttl'), record(2, 'ttl'), record(3, 'ttl')], NextShardIterator: 'it-1' })
      .on(GetRecordsCommand, { ShardIterator: 'it-retry' })
      .resolves({ Records: [record(2, 'ttl'), record(3, 'ttl')], NextShardIterator: 'it-2' })
      .on(GetRecordsCommand, { ShardIterator: 'it-2' })
      .resolves({ Records: [], NextShardIterator: 'it-3' });
    const p = poller();
    // GIVEN the function fails record 2 WHEN the stream is polled twice
    answers.push({ ok: true, payload: JSON.stringify({ batchItemFailures: [{ itemIdentifier: '000000000000000000002' }] }) });
    expect(await p.poll()).toMatchObject({ delivered: 3, failures: 1 });
    expect(await p.poll()).toMatchObject({ delivered: 2, failures: 0 });
    // THEN the second delivery starts at record 2, after record 1
    expect(calls.map((c) => c.Records.map((r) => r.eventID))).toEqual([
      ['e1', 'e2', 'e3'],
      ['e2', 'e3'],
    ]);
    expect(streams.commandCalls(GetShardIteratorCommand)[1].args[0].input).toMatchObject({
      ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
      SequenceNumber: '000000000000000000001',
    });
  });

  it('discards a batch that keeps failing after the retries (on AWS: the on-failure destination)', async () => {
    streams.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-0' });
    streams
      .on(GetRecordsCommand, { ShardIterator: 'it-0' })
      .resolves({ Records: [record(1, 'ttl')], NextShardIterator: 'it-1' })
      .on(GetRecordsCommand, { ShardIterator: 'it-1' })
      .resolves({ Records: [], NextShardIterator: 'it-2' })
      .on(GetRecordsCommand, { ShardIterator: 'it-2' })
      .resolves({ Records: [], NextShardIterator: 'it-3' });
    const p = poller(1);
    answers.push({ ok: false, errorType: 'Error', errorMessage: 'x' }, { ok: false, errorType: 'Error', errorMessage: 'x' });
    expect(await p.poll()).toMatchObject({ failures: 1 });
    expect(await p.poll()).toMatchObject({ failures: 1 });
    expect(await p.poll()).toMatchObject({ delivered: 0, failures: 0 });
    expect(calls).toHaveLength(2);
  });
});
