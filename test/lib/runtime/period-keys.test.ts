/**
 * lib/runtime/period-keys.ts: a period's sealing data key in the idempotency table, the first writer wins.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoPeriodKeys, periodKeyId } from '../../../lib/runtime/period-keys';

const mock = mockClient(DynamoDBDocumentClient);
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-north-1' }));
const PERIOD = '2026-12-04T12:00:00Z';

beforeEach(() => mock.reset());

describe('DynamoPeriodKeys', () => {
  it('writes the key only where none is, with its expiration, and answers it', async () => {
    mock.on(PutCommand).resolves({});
    const stored = await new DynamoPeriodKeys(documents, 'idem').putFirst(PERIOD, 'KEY-A', 1_765_000_000);
    expect(stored).toBe('KEY-A');
    expect(mock.commandCalls(PutCommand)[0].args[0].input).toEqual({
      TableName: 'idem',
      Item: { id: 'sealing-key#2026-12-04T12:00:00Z', key: 'KEY-A', expiration: 1_765_000_000 },
      ConditionExpression: 'attribute_not_exists(#id)',
      ExpressionAttributeNames: { '#id': 'id' },
    });
  });

  it('answers the first writer’s key, read strongly consistent, when another wrote first', async () => {
    // GIVEN another function stored KEY-A for the period a moment ago
    mock.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    mock.on(GetCommand).resolves({ Item: { id: periodKeyId(PERIOD), key: 'KEY-A' } });
    // WHEN this one tries to store KEY-B
    const stored = await new DynamoPeriodKeys(documents, 'idem').putFirst(PERIOD, 'KEY-B', 1);
    // THEN it is told KEY-A, from a consistent read
    expect(stored).toBe('KEY-A');
    expect(mock.commandCalls(GetCommand)[0].args[0].input).toEqual({
      TableName: 'idem',
      Key: { id: periodKeyId(PERIOD) },
      ConsistentRead: true,
    });
  });

  it.each([
    ['a throttled write', new Error('ProvisionedThroughputExceededException'), undefined, 'ProvisionedThroughputExceededException'],
    [
      'a refused write whose item is gone',
      new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      {},
      'the sealing key of period 2026-12-04T12:00:00Z was refused as present but is not there',
    ],
  ])('fails on %s rather than answering a key nobody stored', async (_what, error, item, message) => {
    mock.on(PutCommand).rejects(error);
    mock.on(GetCommand).resolves(item ?? {});
    await expect(new DynamoPeriodKeys(documents, 'idem').putFirst(PERIOD, 'KEY-B', 1)).rejects.toThrow(message);
  });

  it.each([
    ['stored', { Item: { id: periodKeyId(PERIOD), key: 'KEY-A' } }, 'KEY-A'],
    ['not stored', {}, undefined],
    ['stored without a key', { Item: { id: periodKeyId(PERIOD) } }, undefined],
  ])('reads the key of a period (%s), eventually consistent', async (_what, answer, expected) => {
    mock.on(GetCommand).resolves(answer);
    expect(await new DynamoPeriodKeys(documents, 'idem').get(PERIOD)).toBe(expected);
    expect(mock.commandCalls(GetCommand)[0].args[0].input.ConsistentRead).toBe(false);
  });
});
