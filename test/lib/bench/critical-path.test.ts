/**
 * The critical path of one erasure in round trips (lib/bench/critical-path.ts): overlapping calls count once, and
 * the modelled fan-out prices each group at its slowest class's p50.
 */
import { classOf, criticalPathOf, erasurePathOf, modelledFanout, type RoundTrip, transitionsOf } from '../../../lib/bench/critical-path';
import { loadLatencies } from '../../../lib/bench/latency';

const trip = (cls: RoundTrip['cls'], start: number, end = start): RoundTrip => ({ cls, start, end });

describe('criticalPathOf', () => {
  it.each([
    { name: 'nothing', trips: [], expected: 0 },
    { name: 'three calls one after another', trips: [trip('dynamodb', 0, 5), trip('s3', 6, 9), trip('kms', 10, 12)], expected: 3 },
    {
      name: 'twenty overlapping calls (one per system) and a transition inside them',
      trips: [...Array.from({ length: 20 }, (_, i) => trip('lambdaInvoke', i, 100 + i)), trip('stepFunctionsTransition', 50)],
      expected: 1,
    },
    {
      name: 'a transition between two calls',
      trips: [trip('dynamodb', 0, 5), trip('stepFunctionsTransition', 7), trip('dynamodb', 8, 9)],
      expected: 3,
    },
  ])('$name: $expected round trips', ({ trips, expected }) => {
    expect(criticalPathOf(trips).durableRoundTrips).toBe(expected);
  });

  it('the busy time is the union of the groups', () => {
    expect(criticalPathOf([trip('dynamodb', 0, 10), trip('s3', 5, 20), trip('kms', 30, 35)]).busyMs).toBe(25);
  });
});

describe('classOf and transitionsOf', () => {
  it.each([
    [{ service: 'dynamodb', operation: 'Query' }, 'dynamodb'],
    [{ service: 's3', operation: 'PUT' }, 's3'],
    [{ service: 'aws', operation: 'TrentService:Decrypt' }, 'kms'],
    [{ service: 'aws', operation: 'lambda:Invoke' }, 'lambdaInvoke'],
    [{ service: 'aws', operation: 'secretsmanager:GetSecretValue' }, 'secretsManager'],
    [{ service: 'aws', operation: 'AWSStepFunctions:StartExecution' }, 'stepFunctionsApi'],
  ] as const)('%j is %s', (span, cls) => expect(classOf(span)).toBe(cls));

  it('every state entered is one transition', () => {
    const history = [
      { type: 'ExecutionStarted', timestamp: 0 },
      { type: 'StateEntered', timestamp: 1 },
      { type: 'StateExited', timestamp: 2 },
      { type: 'StateEntered', timestamp: 3 },
    ];
    expect(transitionsOf(history)).toEqual([trip('stepFunctionsTransition', 1), trip('stepFunctionsTransition', 3)]);
  });
});

describe('modelledFanout', () => {
  const latencies = loadLatencies();
  it('prices each group at its slowest priced class, counts the unpriced apart, and divides by the slowest connector', () => {
    // GIVEN a DynamoDB call overlapping an S3 call, a lone DynamoDB call and a lone KMS call (KMS has no published p50)
    const path = criticalPathOf([trip('dynamodb', 0, 5), trip('s3', 2, 8), trip('dynamodb', 10, 12), trip('kms', 20, 21)]);
    // WHEN modelled with 30 ms of CPU and a 200 ms connector
    const m = modelledFanout(path, latencies, 30, 200);
    // THEN
    const p50 = (c: 'dynamodb' | 's3') => latencies.latencies[c].value!;
    expect(m.roundTripMs).toBe(Math.max(p50('dynamodb'), p50('s3')) + p50('dynamodb'));
    expect(m.unpriced).toBe(1);
    expect(m.fanoutModelledAws).toBeCloseTo((m.roundTripMs + 30 + 200) / 200, 10);
  });
});

describe('erasurePathOf', () => {
  it("counts only what ran from the request to the execution's end (not a status read after it), and the idle time as CPU", () => {
    // GIVEN the request at 0, a call 0-10, a transition at 12, a call 20-30, the execution's end at 40, and a read of
    // the request's status at 50-55 (after the end)
    const spans = [
      { service: 'dynamodb' as const, operation: 'PutItem', start: 0, end: 10 },
      { service: 'aws' as const, operation: 'AWSStepFunctions:StartExecution', start: 20, end: 30 },
      { service: 'dynamodb' as const, operation: 'GetItem', start: 50, end: 55 },
    ];
    const history = [
      { type: 'StateEntered', timestamp: 12 },
      { type: 'ExecutionSucceeded', timestamp: 40 },
    ];
    // WHEN its path is taken
    const { path, cpuMs } = erasurePathOf(spans, history, 0);
    // THEN three round trips, and 40 ms of wall time of which 20 ms had a call in flight
    expect(path.durableRoundTrips).toBe(3);
    expect(cpuMs).toBe(20);
  });
});
