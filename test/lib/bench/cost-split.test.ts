/**
 * Lethe's own cost and the user's store cost, apart (lib/bench/cost-split.ts), per connector type.
 */
import { costOf, loadPrices, type Usage, ZERO_USAGE } from '../../../lib/bench/cost-model';
import { splitCost, userStoresOf } from '../../../lib/bench/cost-split';
import { UsageMeter } from '../../../lib/local/meter';
import type { Policy } from '../../../lib/policy/model';

const prices = loadPrices();
const policy = {
  systems: {
    accounts: { connector: 'dynamodb', config: { tableName: 'user-accounts' } },
    docs: { connector: 's3', config: { bucket: 'user-docs' } },
    mailer: { connector: 'http', config: {} },
  },
} as unknown as Pick<Policy, 'systems'>;

describe('userStoresOf', () => {
  it("names each system's table or bucket with its connector type, and every type", () => {
    expect(userStoresOf(policy)).toEqual({
      tables: { 'user-accounts': 'dynamodb' },
      buckets: { 'user-docs': 's3' },
      connectorTypes: ['dynamodb', 'http', 's3'],
    });
  });
});

describe('splitCost', () => {
  it.each([
    { name: "only Lethe's ledger and audit", user: { ddbWrites: 0, s3Puts: 0 } },
    { name: "the user's table and bucket too", user: { ddbWrites: 4, s3Puts: 2 } },
  ])('$name: each request is on exactly one bill', ({ user }) => {
    // GIVEN a meter that saw ledger writes, audit PUTs and the user's own requests
    const meter = new UsageMeter();
    meter.dynamodbCall('PutItem', { TableName: 'lethe-ledger' }, { ConsumedCapacity: { TableName: 'lethe-ledger', CapacityUnits: 3 } });
    meter.s3Request('PUT', new URL('/lethe-audit/segment', 'http://127.0.0.1'));
    for (let i = 0; i < user.ddbWrites; i++)
      meter.dynamodbCall(
        'DeleteItem',
        { TableName: 'user-accounts' },
        { ConsumedCapacity: { TableName: 'user-accounts', CapacityUnits: 1 } },
      );
    for (let i = 0; i < user.s3Puts; i++) meter.s3Request('PUT', new URL('/user-docs/k', 'http://127.0.0.1'));
    meter.lambdaInvocation('f', 1024, 1000);
    const snapshot = meter.snapshot();
    const usage: Usage = {
      ...ZERO_USAGE,
      dynamodb: { readRequestUnits: 0, writeRequestUnits: snapshot.dynamodb.writeCapacityUnits },
      s3: { tier1Requests: snapshot.s3.tier1Requests, tier2Requests: 0 },
      lambda: { requests: 1, gbSeconds: 1 },
      kms: { requests: 2 },
    };
    // WHEN the cost is split
    const split = splitCost(snapshot, usage, userStoresOf(policy), prices);
    // THEN the user's store is its own requests, per connector type; Lethe's is the rest, by line; together the whole
    const at = (u: Partial<Usage>) => costOf({ ...ZERO_USAGE, ...u }, prices).totalUSD;
    expect(split.userStore.byConnector).toEqual({
      dynamodb: at({ dynamodb: { readRequestUnits: 0, writeRequestUnits: user.ddbWrites } }),
      http: 0,
      s3: at({ s3: { tier1Requests: user.s3Puts, tier2Requests: 0 } }),
    });
    expect(split.lethe.byLine.ledger).toBeCloseTo(at({ dynamodb: { readRequestUnits: 0, writeRequestUnits: 3 } }), 15);
    expect(split.lethe.byLine.audit).toBeCloseTo(at({ s3: { tier1Requests: 1, tier2Requests: 0 } }), 15);
    expect(split.lethe.byLine.functions).toBeCloseTo(at({ lambda: { requests: 1, gbSeconds: 1 } }), 15);
    expect(split.lethe.byLine.keys).toBeCloseTo(at({ kms: { requests: 2 } }), 15);
    expect(split.endToEndUSD).toBeCloseTo(costOf(usage, prices).totalUSD, 15);
    expect(split.lethe.totalUSD + split.userStore.totalUSD).toBeCloseTo(split.endToEndUSD, 15);
  });
});
