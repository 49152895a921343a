/**
 * The sweep's cost model per expired holding (issue 16, section 3): the counts of the meter's snapshot ÷ the due
 * holdings. These do not depend on the machine's load (unlike Lambda GB-seconds and times), so a change to the
 * sweep's design is compared by them. Pure.
 */
import type { UsageSnapshot } from '../local/meter';

export interface SweepCountsPerHolding {
  readonly due: number;
  /** DynamoDB calls per holding, by operation (GetItem, Query, UpdateItem, ...). */
  readonly dynamodbCalls: Readonly<Record<string, number>>;
  readonly dynamodbReadUnits: number;
  readonly dynamodbWriteUnits: number;
  /** Read and write units per holding, per table (indexes count with their table). */
  readonly unitsByTable: Readonly<Record<string, { readonly read: number; readonly write: number }>>;
  readonly refusedWrites: number;
  readonly s3Requests: number;
  readonly lambdaInvocations: number;
  /** Invocations per holding, per function. */
  readonly invocationsByFunction: Readonly<Record<string, number>>;
  /** Standard transitions, the Distributed Map's child transitions included. */
  readonly stateTransitions: number;
  readonly expressRequests: number;
  /** The functions' own lines, Lambda's platform lines and Step Functions' events. */
  readonly logLines: number;
}

const per = (n: number, due: number): number => n / due;
const perRecord = (r: Readonly<Record<string, number>>, due: number): Record<string, number> =>
  Object.fromEntries(Object.entries(r).map(([k, v]) => [k, per(v, due)]));

export function sweepCountsPerHolding(snapshot: Omit<UsageSnapshot, 'spans' | 'spansDropped'>, due: number): SweepCountsPerHolding {
  if (!Number.isFinite(due) || due <= 0) throw new RangeError(`due must be a number > 0, got ${due}`);
  const d = snapshot.dynamodb;
  return {
    due,
    dynamodbCalls: perRecord(d.calls, due),
    dynamodbReadUnits: per(d.readCapacityUnits, due),
    dynamodbWriteUnits: per(d.writeCapacityUnits, due),
    unitsByTable: Object.fromEntries(
      Object.entries(d.unitsByTable).map(([t, u]) => [t, { read: per(u.read, due), write: per(u.write, due) }]),
    ),
    refusedWrites: per(d.refusedWrites, due),
    s3Requests: per(snapshot.s3.tier1Requests + snapshot.s3.tier2Requests, due),
    lambdaInvocations: per(snapshot.lambda.invocations, due),
    invocationsByFunction: Object.fromEntries(Object.entries(snapshot.lambda.byFunction).map(([f, u]) => [f, per(u.invocations, due)])),
    stateTransitions: per(snapshot.stepFunctions.standardTransitions + snapshot.stepFunctions.mapChildTransitions, due),
    expressRequests: per(snapshot.stepFunctions.expressRequests, due),
    logLines: per(snapshot.logs.functionLines + snapshot.logs.platformLines + snapshot.logs.workflowEvents, due),
  };
}
