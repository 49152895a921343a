/**
 * `npm run bench`, small: the whole runner over a real local mode (DynamoDB Local, s3rver, the functions, the
 * workflows), on a ledger small enough for CI. It proves the benchmark still runs from a fresh clone and that its
 * figures mean what they say; the figures themselves come from the full-size runs in docs/benchmarks.md.
 */
import type { Cost } from '../../../lib/bench/cost-model';
import { type BenchReport, runBench, runDiscoverySeries } from '../../../lib/bench/run';
import type { UsageSnapshot } from '../../../lib/local/meter';

const LEDGER_SIZE = 3_000;
const DUE_SHARE = 0.02;
const DUE = LEDGER_SIZE * DUE_SHARE;

let report: BenchReport;

beforeAll(async () => {
  // GIVEN a ledger of 3 000 holdings, 60 of them due, and 20 fan-out systems whose SaaS answers after 50 ms
  // WHEN the benchmark runs once
  report = await runBench({ ledgerSize: LEDGER_SIZE, dueShare: DUE_SHARE, repeat: 1, concurrentRequests: 4, connectorLatencyMs: 50 });
}, 600_000);

test('THEN every key the issue names is a finite number', () => {
  const keys = {
    readAmplification: report.readAmplification,
    scanReadAmplification: report.scanReadAmplification,
    fanoutLocal: report.fanoutLocal,
    fanoutModelledAws: report.fanoutModelledAws,
    'criticalPath.durableRoundTrips': report.criticalPath.durableRoundTrips,
    erasuresPerSecond: report.erasuresPerSecond,
    holdingsSweptPerSecond: report.holdingsSweptPerSecond,
    costPerThousandRequestsUSD: report.costPerThousandRequestsUSD,
    'costPerMillionExpiredUSD.lethe': report.costPerMillionExpiredUSD.lethe,
    'costPerMillionExpiredUSD.endToEnd': report.costPerMillionExpiredUSD.endToEnd,
  };
  for (const [key, value] of Object.entries(keys)) {
    expect({ key, finite: Number.isFinite(value) && value > 0 }).toEqual({ key, finite: true });
  }
  expect(report.orchestrationOverhead.erasures).toBeGreaterThan(0);
  expect(report.orchestrationOverhead.sweep).toBeGreaterThan(0);
});

test('THEN the due index reads what is due, and the Scan reads the whole ledger', () => {
  expect(report.readAmplification).toBeGreaterThanOrEqual(1);
  expect(report.readAmplification).toBeLessThanOrEqual(1.1);
  // The Scan reads every holding to find the due ones: ledger ÷ due.
  expect(report.scanReadAmplification).toBeCloseTo(LEDGER_SIZE / DUE, 0);
});

test('THEN the fan-out erasure took at least its slowest connector, and less than calling the 20 one after another', () => {
  expect(report.fanoutLocal).toBeGreaterThanOrEqual(1);
  expect(report.fanoutLocal).toBeLessThan(20);
});

test('THEN the sweep did its work: every due holding was swept, and the cost model counted its writes', () => {
  const sweep = report.details.sweep as { readonly usage: UsageSnapshot; readonly cost: Cost };
  expect(report.details.due).toBe(DUE);
  // At least one write for each due holding's erasure in the archive system, and one for its ledger item.
  expect(sweep.usage.dynamodb.writeCapacityUnits).toBeGreaterThanOrEqual(2 * DUE);
  expect(report.costPerMillionExpiredUSD.endToEnd).toBeCloseTo((sweep.cost.totalUSD / DUE) * 1_000_000, 6);
});

test("THEN the sweep's cost is split: the user's DynamoDB store is the archive system's requests, the rest is Lethe's", () => {
  const cost = report.costPerMillionExpiredUSD;
  // The sweep erases in a DynamoDB system only: its deletes are on the user's bill, nothing on the other types.
  expect(cost.userStore.dynamodb).toBeGreaterThan(0);
  expect(cost.userStore.s3).toBe(0);
  expect(cost.userStore.http).toBe(0);
  expect(cost.lethe + cost.userStore.dynamodb).toBeCloseTo(cost.endToEnd, 9);
  // The newly metered lines only add: Map child transitions, Lambda's and Step Functions' log lines, KMS per container.
  expect(cost.endToEnd).toBeGreaterThan(cost.previousMeter);
});

test('THEN the critical path counts round trips, and the one-system erasure has some too', () => {
  expect(report.criticalPath.durableRoundTrips).toBeGreaterThanOrEqual(5);
  expect(report.criticalPath.durableRoundTripsOneSystem).toBeGreaterThanOrEqual(5);
  expect(report.fanoutModelledAws).toBeGreaterThanOrEqual(1);
});

test('GIVEN a growing ledger WHEN the discovery series runs THEN at each size the index reads what is due and the Scan the whole ledger', async () => {
  const points = await runDiscoverySeries({ sizes: [1_000, 2_000], due: 10, repeat: 1 });
  expect(points.map((p) => [p.ledgerSize, p.due, p.index.itemsRead, p.scan.itemsRead])).toEqual([
    [1_000, 10, 10, 1_000],
    [2_000, 10, 10, 2_000],
  ]);
}, 300_000);
