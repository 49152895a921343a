/**
 * The usage meter (lib/local/meter.ts): Step Functions billing from event logs, DynamoDB capacity and items read,
 * S3 price classes, Lambda GB-seconds; and the DynamoDB proxy against DynamoDB Local.
 */
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import {
  billingOf,
  type BillingEvent,
  CONFIGURED_LOG_LEVELS,
  expressMaps,
  lambdaPlatformLines,
  MAX_SPANS,
  startMeteringProxy,
  UsageMeter,
} from '../../../lib/local/meter';
import { readStateMachine } from '../../../lib/local/run-asl';
import { listenOnLoopback } from '../../../lib/core/loopback';

jest.setTimeout(30_000);

const sweep = JSON.parse(readStateMachine('sweep')) as { States: Record<string, unknown> };
const erasure = JSON.parse(readStateMachine('erasure')) as { States: Record<string, unknown> };

const entered = (name: string, timestamp = 0, index?: number): BillingEvent => ({
  type: 'StateEntered',
  timestamp,
  state: { name },
  ...(index === undefined ? {} : { index }),
});

describe('expressMaps', () => {
  it('finds the sweep Distributed Map (Express) and the states inside it; the erasure has none', () => {
    // GIVEN the two definitions WHEN their Express maps are listed
    const s = expressMaps(sweep);
    const e = expressMaps(erasure);
    // THEN the sweep has exactly one, with its task inside; the erasure's inline Maps are Standard states
    expect([...s.maps]).toEqual(['Apply expiry to each batch']);
    expect(s.inner.size).toBeGreaterThan(0);
    expect(s.inner.has('Read a page of due holdings')).toBe(false);
    expect(e.maps.size).toBe(0);
  });
});

describe('billingOf', () => {
  const map = 'Apply expiry to each batch';
  const inner = [...expressMaps(sweep).inner][0];
  it.each([
    {
      name: 'Standard states and retries are transitions',
      events: [
        entered('Read a page of due holdings'),
        { type: 'StateRetried', timestamp: 1, state: { name: 'Read a page of due holdings' } },
        entered(map),
      ],
      // Log events: a Task entered and retried (3 each: entered or failed, scheduled, started), the Map entered.
      expected: { standardTransitions: 3, mapChildTransitions: 0, expressRequests: 0, expressBilledMs: 0, logEvents: 7 },
    },
    {
      name: 'each Express iteration is a request billed in 100 ms steps, its states are not transitions',
      events: [
        entered(map, 0),
        { type: 'MapIterationStarted', timestamp: 0, index: 0, parentState: { name: map } },
        entered(inner, 1, 0),
        { type: 'MapIterationSucceeded', timestamp: 150, index: 0, parentState: { name: map } },
        { type: 'MapIterationStarted', timestamp: 10, index: 1, parentState: { name: map } },
        entered(inner, 11, 1),
        { type: 'MapIterationFailed', timestamp: 30, index: 1, parentState: { name: map } },
      ],
      // 150 ms → 200 ms; 20 ms → 100 ms (the minimum step)
      // Log events: the Map entered, and per child its start, its Task entered (3) and its end.
      expected: { standardTransitions: 1, mapChildTransitions: 2, expressRequests: 2, expressBilledMs: 300, logEvents: 11 },
    },
  ])('$name', ({ events, expected }) => {
    // GIVEN an event log WHEN it is billed THEN the units are as Step Functions counts them
    const { logBytes, ...billing } = billingOf(sweep, events, { logLevel: 'ALL' });
    expect(billing).toEqual(expected);
    expect(logBytes).toBeGreaterThan(200 * expected.logEvents);
  });
});

describe('UsageMeter', () => {
  it('counts DynamoDB units with the documented minimum per read, items read, and refused writes', () => {
    // GIVEN a meter
    const meter = new UsageMeter();
    // WHEN a query that read 7 items, an empty eventually consistent get, a strongly consistent query that found
    // nothing, a put and a refused conditional put pass
    meter.dynamodbCall(
      'Query',
      { TableName: 't', IndexName: 'due' },
      { ScannedCount: 7, Count: 7, ConsumedCapacity: { CapacityUnits: 1.5 } },
    );
    meter.dynamodbCall('GetItem', { TableName: 't' }, { ConsumedCapacity: { CapacityUnits: 0 } });
    meter.dynamodbCall('Query', { TableName: 'e', ConsistentRead: true }, { ScannedCount: 0, ConsumedCapacity: { CapacityUnits: 0 } });
    meter.dynamodbCall('PutItem', { TableName: 't' }, { ConsumedCapacity: { CapacityUnits: 2 } });
    meter.dynamodbCall('PutItem', { TableName: 't' }, undefined);
    // THEN
    const d = meter.snapshot().dynamodb;
    expect(d.readCapacityUnits).toBe(1.5 + 0.5 + 1);
    expect(d.writeCapacityUnits).toBe(2 + 1);
    expect(d.itemsRead).toBe(7);
    expect(d.itemsReadByTable).toEqual({ 't/due': 7, e: 0 });
    expect(d.refusedWrites).toBe(1);
    expect(d.calls).toEqual({ Query: 2, GetItem: 1, PutItem: 2 });
  });

  it.each([
    ['PUT', '/bucket/key', 'tier1Requests'],
    ['POST', '/bucket/key?uploads', 'tier1Requests'],
    ['GET', '/bucket?list-type=2', 'tier1Requests'],
    ['GET', '/bucket/key', 'tier2Requests'],
    ['HEAD', '/bucket/key', 'tier2Requests'],
    ['DELETE', '/bucket/key', 'deletes'],
  ] as const)('counts S3 %s %s as %s', (method, url, field) => {
    const meter = new UsageMeter();
    meter.s3Request(method, new URL(url, 'http://127.0.0.1'));
    expect(meter.snapshot().s3[field]).toBe(1);
  });

  it('bills Lambda by memory and duration rounded up to 1 ms, and resets', () => {
    const meter = new UsageMeter();
    meter.lambdaInvocation('f', 512, 99.2); // 0.5 GB × 0.100 s
    meter.lambdaInvocation('f', 1024, 1000); // 1 GB × 1 s
    expect(meter.snapshot().lambda.gbSeconds).toBeCloseTo(0.05 + 1, 10);
    expect(meter.snapshot().lambda.byFunction.f.invocations).toBe(2);
    meter.reset();
    expect(meter.snapshot().lambda.invocations).toBe(0);
  });
});

describe('the DynamoDB metering proxy', () => {
  it('asks for the capacity, counts it, and answers the caller as DynamoDB would have without it', async () => {
    // GIVEN an upstream that answers with ConsumedCapacity only when asked, and a proxy in front of it
    let seen: Record<string, unknown> | undefined;
    const upstream = await listenOnLoopback(
      http.createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          seen = JSON.parse(body) as Record<string, unknown>;
          const answer = {
            Items: [],
            Count: 3,
            ScannedCount: 3,
            ...(seen.ReturnConsumedCapacity === 'TOTAL' ? { ConsumedCapacity: { TableName: 't', CapacityUnits: 2 } } : {}),
          };
          res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(JSON.stringify(answer));
        });
      }),
      0,
    );
    const meter = new UsageMeter();
    const proxy = await startMeteringProxy('dynamodb', upstream.url, meter);
    try {
      // WHEN a Query that did not ask for capacity goes through
      const response = await fetch(proxy.url, {
        method: 'POST',
        headers: { 'x-amz-target': 'DynamoDB_20120810.Query', 'content-type': 'application/x-amz-json-1.0' },
        body: JSON.stringify({ TableName: 't' }),
      });
      const answer = (await response.json()) as Record<string, unknown>;
      // THEN DynamoDB was asked, the meter counted, and the caller sees no capacity it did not ask for
      expect(seen?.ReturnConsumedCapacity).toBe('TOTAL');
      expect(answer).toEqual({ Items: [], Count: 3, ScannedCount: 3 });
      expect(meter.snapshot().dynamodb.readCapacityUnits).toBe(2);
      expect(meter.snapshot().dynamodb.itemsRead).toBe(3);
    } finally {
      await proxy.close();
      await upstream.close();
    }
  });
});

describe('what AWS bills that the event log does not show (issue 16, section 1)', () => {
  const map = 'Apply expiry to each batch';
  const inner = [...expressMaps(sweep).inner][0];
  const children = (n: number): BillingEvent[] =>
    Array.from({ length: n }, (_, index): BillingEvent[] => [
      { type: 'MapIterationStarted', timestamp: index, index, parentState: { name: map } },
      entered(inner, index + 1, index),
      { type: 'MapIterationSucceeded', timestamp: index + 50, index, parentState: { name: map } },
    ]).flat();

  it.each([0, 1, 40])('a Distributed Map that starts %i children bills that many parent transitions', (n) => {
    // GIVEN a sweep whose Map started n Express children WHEN it is billed
    const billing = billingOf(sweep, [entered(map), ...children(n)]);
    // THEN one parent transition per child started, apart from the states' own
    expect({ standardTransitions: billing.standardTransitions, mapChildTransitions: billing.mapChildTransitions }).toEqual({
      standardTransitions: 1,
      mapChildTransitions: n,
    });
  });

  it.each([
    // A Task state stands for TaskStateEntered, TaskScheduled, TaskStarted, then TaskSucceeded and TaskStateExited.
    { level: 'ALL', events: 2 + 3 + 2, errors: 0 },
    { level: 'ERROR', events: 0, errors: 0 },
    { level: 'OFF', events: 0, errors: 0 },
  ] as const)('at log level $level, an execution of one Task logs $events events', ({ level, events }) => {
    // GIVEN an execution that ran one Lambda task
    const log: BillingEvent[] = [
      { type: 'ExecutionStarted', timestamp: 0 },
      entered('Read a page of due holdings', 1),
      { type: 'StateExited', timestamp: 2, state: { name: 'Read a page of due holdings' } },
      { type: 'ExecutionSucceeded', timestamp: 3 },
    ];
    // WHEN it is billed at that level THEN the log events are those Step Functions writes, each a JSON line
    const billing = billingOf(sweep, log, { logLevel: level });
    expect(billing.logEvents).toBe(events);
    expect(billing.logBytes > 100 * events || events === 0).toBe(true);
  });

  it('at level ERROR, only the failures are logged', () => {
    const log: BillingEvent[] = [
      { type: 'ExecutionStarted', timestamp: 0 },
      entered('Read a page of due holdings', 1),
      { type: 'StateFailed', timestamp: 2, state: { name: 'Read a page of due holdings' } },
      { type: 'ExecutionFailed', timestamp: 3 },
    ];
    expect(billingOf(sweep, log, { logLevel: 'ERROR' }).logEvents).toBe(2);
    expect(billingOf(sweep, log, { logLevel: 'FATAL' }).logEvents).toBe(1);
  });

  it("uses the stack's configured levels: Step Functions at ERROR, the functions at INFO", () => {
    // GIVEN the stack's sources WHEN their default levels are read THEN the meter models the same
    const source = (file: string) => readFileSync(path.join(__dirname, '../../../lib/stack', file), 'utf8');
    expect(source('asl-state-machine.ts')).toContain(`props.logLevel ?? sfn.LogLevel.${CONFIGURED_LOG_LEVELS.workflows}`);
    expect(source('lethe-function.ts')).toContain(`POWERTOOLS_LOG_LEVEL: '${CONFIGURED_LOG_LEVELS.functions}'`);
    expect(CONFIGURED_LOG_LEVELS.workflows).toBe('ERROR');
  });

  it('logs nothing of a successful execution at the configured level, and its failures when one fails', () => {
    // GIVEN a sweep that succeeded and one that failed, billed at the stack's level (no level given)
    const ok: BillingEvent[] = [
      { type: 'ExecutionStarted', timestamp: 0 },
      entered('Read a page of due holdings', 1),
      { type: 'StateExited', timestamp: 2, state: { name: 'Read a page of due holdings' } },
      { type: 'ExecutionSucceeded', timestamp: 3 },
    ];
    const failed: BillingEvent[] = [
      { type: 'ExecutionStarted', timestamp: 0 },
      entered('Read a page of due holdings', 1),
      { type: 'StateFailed', timestamp: 2, state: { name: 'Read a page of due holdings' } },
      { type: 'ExecutionFailed', timestamp: 3 },
    ];
    // THEN the success writes no log event, the failure its two (the state's and the execution's)
    expect([billingOf(sweep, ok).logEvents, billingOf(sweep, failed).logEvents]).toEqual([0, 2]);
  });

  it.each([
    { memoryMb: 512, durationMs: 12.3 },
    { memoryMb: 1024, durationMs: 2200 },
  ])("every invocation adds Lambda's START, END and REPORT lines ($memoryMb MB, $durationMs ms)", ({ memoryMb, durationMs }) => {
    // GIVEN a meter WHEN one invocation is counted
    const meter = new UsageMeter();
    meter.lambdaInvocation('f', memoryMb, durationMs);
    // THEN three platform lines, their bytes those of the lines Lambda writes (text format, X-Ray active)
    const lines = lambdaPlatformLines(memoryMb, durationMs);
    expect(lines.map((l) => l.split(/\s/)[0])).toEqual(['START', 'END', 'REPORT']);
    expect(lines[2]).toContain(`Memory Size: ${memoryMb} MB`);
    expect(lines[2]).toContain('XRAY TraceId: ');
    const logs = meter.snapshot().logs;
    expect(logs.platformLines).toBe(3);
    expect(logs.platformBytes).toBe(lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0));
  });

  it("counts a function's own lines and Step Functions' events apart", () => {
    const meter = new UsageMeter();
    meter.logLine(100);
    meter.logLine(50);
    meter.stepFunctionsExecution({ ...billingOf(sweep, [entered(map), ...children(2)], { logLevel: 'ALL' }) });
    const s = meter.snapshot();
    expect(s.logBytes).toBe(150);
    expect(s.logs.functionLines).toBe(2);
    expect(s.stepFunctions.mapChildTransitions).toBe(2);
    expect(s.logs.workflowEvents).toBeGreaterThan(0);
  });

  it('counts DynamoDB units per table and S3 requests per bucket (whose store they are)', () => {
    const meter = new UsageMeter();
    meter.dynamodbCall('PutItem', { TableName: 'ledger' }, { ConsumedCapacity: { TableName: 'ledger', CapacityUnits: 2 } });
    meter.dynamodbCall('GetItem', { TableName: 'user-table' }, { ConsumedCapacity: { TableName: 'user-table', CapacityUnits: 0 } });
    meter.dynamodbCall(
      'BatchWriteItem',
      { RequestItems: {} },
      {
        ConsumedCapacity: [
          { TableName: 'ledger', CapacityUnits: 1 },
          { TableName: 'user-table', CapacityUnits: 3 },
        ],
      },
    );
    meter.dynamodbCall('DeleteItem', { TableName: 'user-table' }, undefined);
    meter.s3Request('PUT', new URL('/audit/k', 'http://127.0.0.1'));
    meter.s3Request('GET', new URL('/docs/k', 'http://127.0.0.1'));
    meter.s3Request('DELETE', new URL('/docs/k', 'http://127.0.0.1'));
    const s = meter.snapshot();
    expect(s.dynamodb.unitsByTable).toEqual({ ledger: { read: 0, write: 3 }, 'user-table': { read: 0.5, write: 4 } });
    expect(s.s3.requestsByBucket).toEqual({ audit: { tier1: 1, tier2: 0 }, docs: { tier1: 0, tier2: 1 } });
  });

  it('keeps the span of the first MAX_SPANS proxied calls since the reset (for the critical path)', () => {
    // GIVEN a meter that saw a call before its reset, then two, then more than it keeps
    const meter = new UsageMeter();
    meter.span('dynamodb', 'Query', 10, 15);
    meter.reset();
    meter.span('dynamodb', 'PutItem', 20, 25);
    meter.span('aws', 'TrentService:Decrypt', 22, 30);
    // THEN the two since the reset, in order
    expect(meter.snapshot().spans).toEqual([
      { service: 'dynamodb', operation: 'PutItem', start: 20, end: 25 },
      { service: 'aws', operation: 'TrentService:Decrypt', start: 22, end: 30 },
    ]);
    for (let i = 0; i < MAX_SPANS; i++) meter.span('s3', 'PUT', i, i + 1);
    expect([meter.snapshot().spans.length, meter.snapshot().spansDropped]).toEqual([MAX_SPANS, 2]);
  });
});
