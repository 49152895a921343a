/**
 * The usage meter (lib/local/meter.ts): Step Functions billing from event logs, DynamoDB capacity and items read,
 * S3 price classes, Lambda GB-seconds; and the DynamoDB proxy against DynamoDB Local.
 */
import * as http from 'node:http';
import { billingOf, type BillingEvent, expressMaps, startMeteringProxy, UsageMeter } from '../../../lib/local/meter';
import { readStateMachine } from '../../../lib/local/run-asl';
import { listenOnLoopback } from '../../../lib/local/loopback';

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
      expected: { standardTransitions: 3, expressRequests: 0, expressBilledMs: 0 },
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
      expected: { standardTransitions: 1, expressRequests: 2, expressBilledMs: 300 },
    },
  ])('$name', ({ events, expected }) => {
    // GIVEN an event log WHEN it is billed THEN the units are as Step Functions counts them
    expect(billingOf(sweep, events as BillingEvent[])).toEqual(expected);
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
        req.on('data', (c) => (body += c));
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
