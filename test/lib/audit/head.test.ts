/** lib/audit/head.ts: the chain's head, read from the audit-chain table. */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { AuditChainError, readChainHead } from '../../../lib/audit';

const ddb = mockClient(DynamoDBClient);
afterEach(() => ddb.reset());
afterAll(() => ddb.restore());

const hash = 'c'.repeat(64);

describe('readChainHead', () => {
  it('GIVEN a head item THEN its seq and hash, read strongly consistent by the id "head" from the given table', async () => {
    ddb.on(GetItemCommand).resolves({ Item: { id: { S: 'head' }, seq: { N: '42' }, hash: { S: hash } } });
    expect(await readChainHead(new DynamoDBClient({ region: 'eu-north-1' }), 'chain-table')).toEqual({ seq: 42, hash });
    const calls = ddb.commandCalls(GetItemCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input).toEqual({ TableName: 'chain-table', Key: { id: { S: 'head' } }, ConsistentRead: true });
  });

  it('GIVEN no head item (nothing written yet) THEN undefined', async () => {
    ddb.on(GetItemCommand).resolves({});
    expect(await readChainHead(new DynamoDBClient({ region: 'eu-north-1' }), 't')).toBeUndefined();
  });

  it('GIVEN a head without a hash THEN the seq alone', async () => {
    ddb.on(GetItemCommand).resolves({ Item: { id: { S: 'head' }, seq: { N: '3' } } });
    expect(await readChainHead(new DynamoDBClient({ region: 'eu-north-1' }), 't')).toEqual({ seq: 3 });
  });

  it.each([
    ['no seq', {}],
    ['a seq of 0', { seq: { N: '0' } }],
    ['a fractional seq', { seq: { N: '1.5' } }],
    ['a seq stored as text', { seq: { S: '4' } }],
  ])('GIVEN a head item with %s THEN an AuditChainError naming the table', async (_what, fields) => {
    ddb.on(GetItemCommand).resolves({ Item: { id: { S: 'head' }, ...fields } });
    const read = readChainHead(new DynamoDBClient({ region: 'eu-north-1' }), 'not-the-chain');
    await expect(read).rejects.toThrow(AuditChainError);
    await expect(read).rejects.toThrow(/not-the-chain has no seq .* is it the audit-chain table\?/);
  });

  it('GIVEN DynamoDB refuses THEN its error is passed on', async () => {
    ddb.on(GetItemCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    await expect(readChainHead(new DynamoDBClient({ region: 'eu-north-1' }), 't')).rejects.toThrow('denied');
  });
});
