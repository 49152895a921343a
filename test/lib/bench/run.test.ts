/**
 * The pure parts of the benchmark runner: the meter's counts in the cost model's terms, medians of repeated
 * discovery measurements, and the plot. (The runner itself is `npm run bench`, over local mode.)
 */
import { discoveryPlotSvg } from '../../../lib/bench/plot';
import type { Usage } from '../../../lib/bench/cost-model';
import { type DiscoveryPoint, medianPoint, previousMeterUsageOf, usageOf } from '../../../lib/bench/run';
import type { UsageSnapshot } from '../../../lib/local/meter';

const snapshot: UsageSnapshot = {
  dynamodb: {
    calls: { Query: 3 },
    readCapacityUnits: 12.5,
    writeCapacityUnits: 7,
    itemsRead: 40,
    itemsReadByTable: {},
    refusedWrites: 1,
    unitsByTable: {},
  },
  s3: { tier1Requests: 5, tier2Requests: 2, deletes: 9, requestsByBucket: {} },
  aws: { 'TrentService:Decrypt': 4, 'TrentService:Encrypt': 1, 'lambda:Invoke': 6, 'secretsmanager:GetSecretValue': 2 },
  lambda: { invocations: 11, gbSeconds: 3.25, byFunction: {} },
  stepFunctions: { standardTransitions: 30, mapChildTransitions: 0, expressRequests: 2, expressGbSeconds: 0.0125 },
  apiRequests: 8,
  logBytes: 4096,
  logs: { functionLines: 40, platformLines: 0, platformBytes: 0, workflowEvents: 0, workflowBytes: 0 },
  spans: [],
  spansDropped: 0,
};

describe('usageOf', () => {
  it("maps the meter's counts to the cost model's units (KMS = every TrentService call; S3 deletes are free)", () => {
    // GIVEN a snapshot WHEN it is turned into usage THEN each unit comes from its counter
    expect(usageOf(snapshot)).toEqual({
      stepFunctions: { standardTransitions: 30, expressRequests: 2, expressGbSeconds: 0.0125 },
      lambda: { requests: 11, gbSeconds: 3.25 },
      dynamodb: { readRequestUnits: 12.5, writeRequestUnits: 7 },
      s3: { tier1Requests: 5, tier2Requests: 2 },
      kms: { requests: 5 },
      apiGateway: { requests: 8 },
      logs: { ingestedBytes: 4096 },
    });
  });
});

describe('usageOf and previousMeterUsageOf: what the issue-16 meter adds', () => {
  const metered: UsageSnapshot = {
    ...snapshot,
    stepFunctions: { ...snapshot.stepFunctions, mapChildTransitions: 40 },
    logs: { functionLines: 40, platformLines: 33, platformBytes: 5000, workflowEvents: 20, workflowBytes: 7000 },
  };
  it.each([
    {
      name: 'a Map with 40 children bills 40 more parent transitions',
      pick: (u: Usage) => u.stepFunctions.standardTransitions,
      now: 70,
      before: 30,
    },
    {
      name: "every log line: the functions', Lambda's own and Step Functions'",
      pick: (u: Usage) => u.logs.ingestedBytes,
      now: 4096 + 5000 + 7000,
      before: 4096,
    },
    { name: 'KMS as production asks it, when given', pick: (u: Usage) => u.kms.requests, now: 80, before: 5, kms: 80 },
  ])('$name', ({ pick, now, before, kms }) => {
    // GIVEN a snapshot with the new counts WHEN priced now and as before THEN only the new lines differ
    expect(pick(usageOf(metered, kms === undefined ? {} : { kmsRequests: kms }))).toBe(now);
    expect(pick(previousMeterUsageOf(metered))).toBe(before);
  });
});

const point = (ms: number, scanMs: number): DiscoveryPoint => ({
  ledgerSize: 1000,
  due: 10,
  index: { itemsRead: 10, readUnits: 2, ms, costUSD: 1e-7 },
  scan: { itemsRead: 1000, readUnits: 60, ms: scanMs, costUSD: 7e-6 },
});

describe('medianPoint', () => {
  it('takes the median of each figure over the runs', () => {
    // GIVEN three runs with an outlier WHEN their median is taken THEN the outlier does not move it
    const m = medianPoint([point(5, 50), point(900, 70), point(7, 60)]);
    expect(m.index.ms).toBe(7);
    expect(m.scan.ms).toBe(60);
    expect(m.index.itemsRead).toBe(10);
    expect(m.scan.itemsRead).toBe(1000);
  });
});

describe('discoveryPlotSvg', () => {
  it('renders an SVG with both methods and the three panels', async () => {
    // GIVEN points at two sizes WHEN plotted
    const svg = await discoveryPlotSvg([point(5, 50), { ...point(6, 500), ledgerSize: 10_000 }], 'test plot');
    // THEN an SVG document naming both methods and every panel's figure
    expect(svg.startsWith('<svg')).toBe(true);
    for (const text of [
      'due index (Lethe)',
      'full-table Scan (naive)',
      'time to find what is due (ms)',
      "cost of one sweep's reads (USD)",
      'items read',
      'test plot',
    ])
      expect(svg).toContain(text);
  }, 30_000);
});
