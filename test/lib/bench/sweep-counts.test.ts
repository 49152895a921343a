/**
 * The sweep's counts per expired holding (lib/bench/sweep-counts.ts): what issue 16's design changes are compared by.
 */
import { sweepCountsPerHolding } from '../../../lib/bench/sweep-counts';
import type { UsageSnapshot } from '../../../lib/local/meter';

const snapshot: Omit<UsageSnapshot, 'spans' | 'spansDropped'> = {
  dynamodb: {
    calls: { Query: 4018, UpdateItem: 3040 },
    readCapacityUnits: 5130.5,
    writeCapacityUnits: 5164,
    itemsRead: 1000,
    itemsReadByTable: {},
    refusedWrites: 4,
    unitsByTable: { 'ledger-archive': { read: 1027.5, write: 4000 } },
  },
  s3: { tier1Requests: 50, tier2Requests: 5, deletes: 9, requestsByBucket: {} },
  aws: {},
  lambda: { invocations: 83, gbSeconds: 90, byFunction: { 'sweep-apply': { invocations: 40, durationMs: 1 } } },
  stepFunctions: { standardTransitions: 18, mapChildTransitions: 40, expressRequests: 40, expressGbSeconds: 1 },
  apiRequests: 0,
  logBytes: 1,
  logs: { functionLines: 184, platformLines: 249, platformBytes: 1, workflowEvents: 1, workflowBytes: 1 },
};

describe('sweepCountsPerHolding', () => {
  it('divides every count by the due holdings (transitions with the Map children, log lines of all three kinds)', () => {
    // GIVEN the meter's counts of a sweep of 1 000 due holdings WHEN taken per holding
    const per = sweepCountsPerHolding(snapshot, 1000);
    // THEN
    expect(per).toEqual({
      due: 1000,
      dynamodbCalls: { Query: 4.018, UpdateItem: 3.04 },
      dynamodbReadUnits: 5.1305,
      dynamodbWriteUnits: 5.164,
      unitsByTable: { 'ledger-archive': { read: 1.0275, write: 4 } },
      refusedWrites: 0.004,
      s3Requests: 0.055,
      lambdaInvocations: 0.083,
      invocationsByFunction: { 'sweep-apply': 0.04 },
      stateTransitions: 0.058,
      expressRequests: 0.04,
      logLines: 0.434,
    });
  });

  it.each([0, -1, Number.NaN])('refuses %s due holdings', (due) => {
    expect(() => sweepCountsPerHolding(snapshot, due)).toThrow(/due must be a number > 0/);
  });
});
