import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { deployedTarget, localTarget } from '../../../lib/console/targets';

const ddb = mockClient(DynamoDBClient);
afterEach(() => ddb.reset());
afterAll(() => ddb.restore());

const credentials = () => Promise.resolve({ accessKeyId: 'AKID', secretAccessKey: 'secret' });

describe('what the console talks to', () => {
  it('local mode: its API and its audit bucket in s3rver', () => {
    const target = localTarget({
      apiUrl: 'http://127.0.0.1:8787',
      token: () => 't',
      s3Endpoint: 'http://127.0.0.1:4569',
      auditBucket: 'lethe-local-audit',
    });
    expect(target.api.description).toBe('http://127.0.0.1:8787/');
    expect(target.audit!().description).toBe('s3://lethe-local-audit/audit/');
    expect(target.description).toBe(
      "local mode's API http://127.0.0.1:8787, audit s3://lethe-local-audit on http://127.0.0.1:4569, no audit-chain table",
    );
    expect(target.auditHead).toBeUndefined();
  });

  it("local mode with DynamoDB Local's endpoint and the audit-chain table: the head read there, strongly consistent", async () => {
    ddb.on(GetItemCommand).resolves({ Item: { id: { S: 'head' }, seq: { N: '7' }, hash: { S: 'h' } } });
    const target = localTarget({
      apiUrl: 'http://127.0.0.1:8787',
      token: () => 't',
      s3Endpoint: 'http://127.0.0.1:4569',
      auditBucket: 'lethe-local-audit',
      dynamodbEndpoint: 'http://127.0.0.1:8000',
      auditChainTable: 'lethe-local-audit-chain',
    });
    expect(target.description).toMatch(/, head in lethe-local-audit-chain on http:\/\/127\.0\.0\.1:8000$/);
    expect(target.auditHead!.table).toBe('lethe-local-audit-chain');
    expect(await target.auditHead!.read()).toEqual({ seq: 7, hash: 'h' });
    const [call] = ddb.commandCalls(GetItemCommand);
    expect(call.args[0].input).toMatchObject({ TableName: 'lethe-local-audit-chain', ConsistentRead: true });
    expect(await call.thisValue.config.endpoint?.()).toMatchObject({ hostname: '127.0.0.1', port: 8000 });
  });

  it.each([
    [
      { apiUrl: 'https://a1.execute-api.eu-north-1.amazonaws.com/prod' },
      'https://a1.execute-api.eu-north-1.amazonaws.com/prod in eu-north-1 (SigV4), no audit bucket (--audit-bucket), no audit-chain table (--audit-chain-table)',
      false,
    ],
    [
      { apiUrl: 'https://api.example.se/prod', region: 'eu-central-1', profile: 'dpo', auditBucket: 'lethe-audit-1' },
      'https://api.example.se/prod in eu-central-1 (SigV4, profile dpo), audit s3://lethe-audit-1, no audit-chain table (--audit-chain-table)',
      true,
    ],
  ])('a deployed stack %j: %s', (options, description, audit) => {
    const target = deployedTarget({ ...options, credentials });
    expect(target.description).toBe(description);
    expect(target.audit !== undefined).toBe(audit);
    if (audit) expect(target.audit!().description).toBe('s3://lethe-audit-1/audit/');
    expect(target.auditHead).toBeUndefined();
  });

  it("a deployed stack with --audit-chain-table: the head read from that table in the API's region, with the user's credentials", async () => {
    ddb.on(GetItemCommand).resolves({});
    const target = deployedTarget({
      apiUrl: 'https://a1.execute-api.eu-north-1.amazonaws.com/prod',
      auditBucket: 'b',
      auditChainTable: 'Lethe-LedgerAuditChain1A2B',
      credentials,
    });
    expect(target.description).toMatch(/, audit s3:\/\/b, head in Lethe-LedgerAuditChain1A2B$/);
    expect(await target.auditHead!.read()).toBeUndefined();
    const [call] = ddb.commandCalls(GetItemCommand);
    expect(call.args[0].input.TableName).toBe('Lethe-LedgerAuditChain1A2B');
    expect(await call.thisValue.config.region()).toBe('eu-north-1');
    expect(await call.thisValue.config.credentials()).toMatchObject({ accessKeyId: 'AKID' });
  });

  it('a deployed stack without a region anywhere: a ConsoleError asking for --region', () => {
    expect(() => deployedTarget({ apiUrl: 'https://api.example.se/prod', credentials })).toThrow(/give --region/);
  });
});
