/**
 * The benchmark's measurements, one named step each, over a BenchSession (session.ts). runBench (run.ts) runs
 * them in order and assembles the report.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { paginateScan } from '@aws-sdk/lib-dynamodb';
import { Temporal } from '@js-temporal/polyfill';
import { median } from 'simple-statistics';
import type { UsageSnapshot } from '../local/meter';
import { mapLimit } from '../core/concurrency';
import { LEDGER } from '../core/contract';
import { type Cost, costOf, type Prices, type Usage, ZERO_USAGE } from './cost-model';
import { type CostSplit, splitCost, userStoresOf } from './cost-split';
import { erasurePathOf, type ModelledFanout, modelledFanout } from './critical-path';
import { type FleetCalls, kmsFleet } from './kms-fleet';
import { DynamoPeriodKeys } from '../runtime/period-keys';
import type { Latencies } from './latency';
import { fillLedger } from './ledger-fill';
import { SWEEP_BATCH_SIZE } from '../runtime/sweep';
import { type BenchSession, DAY_MS, REGISTER_CONCURRENCY } from './session';
import { type Timeline, timelineOf } from './timeline';

export const FANOUT_SYSTEMS = Array.from({ length: 20 }, (_, i) => `saas-${String(i + 1).padStart(2, '0')}`);
export const ACCOUNT_SYSTEMS = ['accounts-db', 'documents', 'mailer'] as const;
/** The sweep's Map runs this many batches at once (statemachines/sweep.asl.json MaxConcurrency). */
export const SWEEP_MAP_CONCURRENCY = 10;
/** Subjects per sweep batch (sweep.ts SWEEP_BATCH_SIZE). */
export const SWEEP_BATCH = SWEEP_BATCH_SIZE;
/** The local KMS key's alias (lib/local/keys.ts). */
const LOCAL_SEALING_KEY = 'alias/lethe-local-sealing';

/** What every step needs to know: the options with their defaults, the prices, the latencies, the clock. */
export interface BenchSettings {
  readonly ledgerSize: number;
  readonly dueShare: number;
  readonly repeat: number;
  readonly concurrent: number;
  readonly latencyMs: number;
  readonly prices: Prices;
  readonly latencies: Latencies;
  readonly now: number;
  readonly log: (line: string) => void;
}

export const recentOf = (s: BenchSettings) => new Date(s.now - 30 * DAY_MS).toISOString();

/**
 * Due, but within the TTL grace (LEDGER.activeTtlGraceSeconds): older holdings DynamoDB's TTL removes by itself
 * (the ledger stream's path, not the sweep's), and DynamoDB Local does so within seconds.
 */
export const oldOf = (s: BenchSettings) =>
  Temporal.Instant.fromEpochMilliseconds(s.now)
    .toZonedDateTimeISO('Europe/Stockholm')
    .subtract({ years: 1, hours: 12 })
    .toInstant()
    .toString();

/** The meter's counts in the cost model's terms; `kmsRequests` replaces the KMS count (production's, kms-fleet.ts). */
export function usageOf(snapshot: UsageSnapshot, overrides: { readonly kmsRequests?: number } = {}): Usage {
  const previous = previousMeterUsageOf(snapshot);
  return {
    ...previous,
    stepFunctions: {
      ...previous.stepFunctions,
      standardTransitions: snapshot.stepFunctions.standardTransitions + snapshot.stepFunctions.mapChildTransitions,
    },
    kms: { requests: overrides.kmsRequests ?? previous.kms.requests },
    logs: { ingestedBytes: snapshot.logBytes + snapshot.logs.platformBytes + snapshot.logs.workflowBytes },
  };
}

/**
 * The same counts as the meter priced them before issue 16: no parent transition per Distributed Map child, the
 * functions' own lines only, KMS as one local process asked it. Kept to show what the new lines add.
 */
export function previousMeterUsageOf(snapshot: UsageSnapshot): Usage {
  const kms = Object.entries(snapshot.aws)
    .filter(([op]) => op.startsWith('TrentService:'))
    .reduce((n, [, c]) => n + c, 0);
  return {
    stepFunctions: {
      standardTransitions: snapshot.stepFunctions.standardTransitions,
      expressRequests: snapshot.stepFunctions.expressRequests,
      expressGbSeconds: snapshot.stepFunctions.expressGbSeconds,
    },
    lambda: { requests: snapshot.lambda.invocations, gbSeconds: snapshot.lambda.gbSeconds },
    dynamodb: { readRequestUnits: snapshot.dynamodb.readCapacityUnits, writeRequestUnits: snapshot.dynamodb.writeCapacityUnits },
    s3: { tier1Requests: snapshot.s3.tier1Requests, tier2Requests: snapshot.s3.tier2Requests },
    kms: { requests: kms },
    apiGateway: { requests: snapshot.apiRequests },
    logs: { ingestedBytes: snapshot.logBytes },
  };
}

/** A snapshot without its call spans (they are for the critical path, not the report). */
const withoutSpans = ({ spans: _spans, ...rest }: UsageSnapshot) => rest;

export interface FanoutRun {
  readonly endToEndMs: number;
  readonly slowestConnectorMs: number;
  readonly durableRoundTrips: number;
  readonly oneSystemRoundTrips: number;
  readonly modelled: ModelledFanout;
  readonly timeline: Timeline;
}

export interface FanoutResult {
  readonly runs: readonly FanoutRun[];
  readonly medianEndToEndMs: number;
  readonly medianSlowestConnectorMs: number;
}

/**
 * One erasure's critical path: the round trips the proxies saw since the last reset and the execution's
 * transitions; the time none was in flight (CPU and local scheduling) from the request to the execution's end.
 */
function criticalPathSince(
  session: BenchSession,
  began: number,
  history: readonly { type: string; timestamp: number }[],
  slowestConnectorMs: number,
  latencies: Latencies,
) {
  const { path, cpuMs } = erasurePathOf(session.local.usage()!.spans, history, began);
  return { path, modelled: modelledFanout(path, latencies, cpuMs, slowestConnectorMs) };
}

/**
 * Fan-out: an erasure across 20 webhook systems whose SaaS answers after `latencyMs`, end to end, against the
 * slowest of the same connectors called directly; its critical path in round trips; and the same for one system.
 */
export async function measureFanout(session: BenchSession, s: BenchSettings): Promise<FanoutResult> {
  const local = session.local;
  s.log(`fan-out: ${FANOUT_SYSTEMS.length} systems, ${s.latencyMs} ms each, ${s.repeat} runs`);
  for (const system of FANOUT_SYSTEMS) local.receiver.setLatency(system, s.latencyMs);
  const runs: FanoutRun[] = [];
  for (let run = 0; run < s.repeat + 1; run++) {
    const id = `fanout-${run}`;
    const one = `fanout-one-${run}`;
    const direct = `fanout-direct-${run}`;
    for (const system of FANOUT_SYSTEMS) {
      local.receiver.put(system, id, { email: `${id}@bench.example.se` });
      local.receiver.put(system, direct, { email: `${direct}@bench.example.se` });
      await session.register(id, 'fanout', system, recentOf(s));
    }
    local.receiver.put(FANOUT_SYSTEMS[0], one, { email: `${one}@bench.example.se` });
    await session.register(one, 'fanout', FANOUT_SYSTEMS[0], recentOf(s));
    // The connectors alone: each called directly, all at once, as the workflow's Map would.
    const durations = await Promise.all(
      FANOUT_SYSTEMS.map(async (system) => {
        const began = performance.now();
        await session.invokeConnector(session.invocationFor(system, ['fanout'], [direct]));
        return performance.now() - began;
      }),
    );
    const slowestConnectorMs = Math.max(...durations);
    local.resetUsage();
    const began = performance.now();
    const beganAt = performance.timeOrigin + began;
    const requestId = await session.requestErasure(id);
    const ended = await session.executionsEnded([requestId], 60_000);
    const endToEndMs = performance.now() - began;
    const view = await local.waitForRequest(requestId);
    if (view.status !== 'completed') throw new Error(`the fan-out erasure ended ${view.status}`);
    const history = ended.get(requestId)!.history;
    const twenty = criticalPathSince(session, beganAt, history, slowestConnectorMs, s.latencies);
    // One system: the same path with one connector.
    local.resetUsage();
    const oneBegan = performance.timeOrigin + performance.now();
    const oneId = await session.requestErasure(one);
    const oneEnded = await session.executionsEnded([oneId], 60_000);
    const single = criticalPathSince(session, oneBegan, oneEnded.get(oneId)!.history, slowestConnectorMs, s.latencies);
    // The first run warms the path (worker caches, connections); it is not counted.
    if (run > 0) {
      runs.push({
        endToEndMs,
        slowestConnectorMs,
        durableRoundTrips: twenty.path.durableRoundTrips,
        oneSystemRoundTrips: single.path.durableRoundTrips,
        modelled: twenty.modelled,
        // Where the time went: each state of the workflow, from the execution's history.
        timeline: timelineOf(history),
      });
    }
  }
  for (const system of FANOUT_SYSTEMS) local.receiver.setLatency(system, 0);
  return {
    runs,
    medianEndToEndMs: median(runs.map((r) => r.endToEndMs)),
    medianSlowestConnectorMs: median(runs.map((r) => r.slowestConnectorMs)),
  };
}

export interface ErasureThroughput {
  readonly runs: readonly { readonly orchestratedPerSecond: number; readonly directPerSecond: number }[];
  readonly perSecond: number;
  readonly directPerSecond: number;
}

/** Erasures per second: `concurrent` requests at once, against the same connectors called directly. */
export async function measureErasureThroughput(session: BenchSession, s: BenchSettings): Promise<ErasureThroughput> {
  s.log(`erasures: ${s.concurrent} requests at once, ${s.repeat} runs`);
  const runs: { orchestratedPerSecond: number; directPerSecond: number }[] = [];
  for (let run = 0; run < s.repeat; run++) {
    const ids = Array.from({ length: s.concurrent }, (_, i) => `acct-${run}-${i}`);
    const directIds = Array.from({ length: s.concurrent }, (_, i) => `acct-direct-${run}-${i}`);
    await session.seedAccounts([...ids, ...directIds]);
    await mapLimit(ids, REGISTER_CONCURRENCY, async (id) => {
      for (const system of ACCOUNT_SYSTEMS) await session.register(id, 'accounts', system, recentOf(s));
    });
    let began = performance.now();
    const requestIds = await Promise.all(ids.map((id) => session.requestErasure(id)));
    const ended = await session.executionsEnded(requestIds, 300_000);
    const orchestratedSeconds = (performance.now() - began) / 1000;
    const failed = [...ended.values()].filter((e) => e.status !== 'SUCCEEDED');
    if (failed.length > 0) throw new Error(`${failed.length} erasure executions failed`);
    // The same work without orchestration: every subject's three connectors, all at once.
    began = performance.now();
    await Promise.all(
      directIds.flatMap((id) =>
        ACCOUNT_SYSTEMS.map((system) => session.invokeConnector(session.invocationFor(system, ['accounts'], [id]))),
      ),
    );
    const directSeconds = (performance.now() - began) / 1000;
    runs.push({ orchestratedPerSecond: s.concurrent / orchestratedSeconds, directPerSecond: s.concurrent / directSeconds });
  }
  return {
    runs,
    perSecond: median(runs.map((r) => r.orchestratedPerSecond)),
    directPerSecond: median(runs.map((r) => r.directPerSecond)),
  };
}

export interface ErasureCost {
  readonly requests: number;
  readonly usage: Omit<UsageSnapshot, 'spans'>;
  readonly cost: Cost;
}

/** Cost of erasure requests: sent one at a time, so that each function's measured duration is its own. */
export async function measureErasureCost(session: BenchSession, s: BenchSettings, requests = 10): Promise<ErasureCost> {
  const ids = Array.from({ length: requests }, (_, i) => `acct-cost-${i}`);
  await session.seedAccounts(ids);
  for (const id of ids) for (const system of ACCOUNT_SYSTEMS) await session.register(id, 'accounts', system, recentOf(s));
  session.local.resetUsage();
  for (const id of ids) {
    const requestId = await session.requestErasure(id);
    await session.executionsEnded([requestId], 60_000);
  }
  const usage = session.local.usage()!;
  return { requests, usage: withoutSpans(usage), cost: costOf(usageOf(usage), s.prices) };
}

export interface Ledger {
  readonly table: string;
  readonly due: number;
  readonly sweepNow: string;
}

/** The archive ledger: `due` holdings registered through the API (due a year ago), the rest written as filler. */
export async function prepareLedger(session: BenchSession, s: BenchSettings): Promise<Ledger> {
  const local = session.local;
  const due = Math.max(1, Math.round(s.ledgerSize * s.dueShare));
  const table = local.names.ledgerTables.archive;
  s.log(`ledger: ${s.ledgerSize} holdings, ${due} due; registering the due ones through the API`);
  const dueIds = Array.from({ length: due }, (_, i) => `arch-${i}`);
  await session.seedArchive(dueIds);
  await mapLimit(dueIds, REGISTER_CONCURRENCY, (id) => session.register(id, 'archive', 'archive-db', oldOf(s)));
  const templateId = 'arch-template';
  await session.register(templateId, 'archive', 'archive-db', recentOf(s));
  const template = await session.ledgerItem(table, templateId, 'archive-db');
  const filler = s.ledgerSize - due - 1;
  const fillStarted = performance.now();
  let lastShown = 0;
  await fillLedger({
    documents: local.clients.documents,
    table,
    template,
    count: filler,
    dueAtOf: (i) => s.now + DAY_MS * (1 + (i % 364)),
    onProgress(written) {
      if (written - lastShown >= 50_000) {
        lastShown = written;
        s.log(`  ${written} / ${filler} filler holdings written`);
      }
    },
  });
  s.log(`  filled in ${((performance.now() - fillStarted) / 1000).toFixed(1)} s`);
  return { table, due, sweepNow: new Date(s.now).toISOString() };
}

export interface DiscoveryPoint {
  readonly ledgerSize: number;
  readonly due: number;
  readonly index: { readonly itemsRead: number; readonly readUnits: number; readonly ms: number; readonly costUSD: number };
  readonly scan: { readonly itemsRead: number; readonly readUnits: number; readonly ms: number; readonly costUSD: number };
}

/** The naive sweep's parallel Scan: segments, and how many are read at a time. */
const SCAN_SEGMENTS = 64;
const SCAN_CONCURRENCY = 8;

/** One measurement of both discovery methods on the ledger as it is. */
export async function measureDiscovery(
  session: BenchSession,
  table: string,
  now: string,
  ledgerSize: number,
  due: number,
  prices: Prices,
): Promise<DiscoveryPoint> {
  const local = session.local;
  const scanner = session.scanner;
  // The index: the sweep's own read function, page after page, as the workflow calls it.
  local.resetUsage();
  let began = performance.now();
  const found = await session.dueNow('archive', now);
  const indexMs = performance.now() - began;
  const indexUsage = local.usage()!;
  const indexItems = indexUsage.dynamodb.itemsReadByTable[`${table}/${LEDGER.dueIndex}`] ?? 0;
  if (found !== due) throw new Error(`the due index found ${found} due holdings, ${due} were due`);

  // The naive way: scan the whole table and keep what is due. A parallel Scan, as one scans a large table: its
  // read units are the same as one Scan's (every item, once). DynamoDB Local answers each page of a Scan in time
  // proportional to the part of the table it scans, so one Scan of a million items would take hours there; 64
  // segments make each part small (docs/benchmarks.md).
  scanner.meter.reset();
  began = performance.now();
  const segmentsFound = await mapLimit(
    Array.from({ length: SCAN_SEGMENTS }, (_, segment) => segment),
    SCAN_CONCURRENCY,
    async (segment) => {
      const pages = paginateScan(
        { client: scanner.documents },
        {
          TableName: table,
          Segment: segment,
          TotalSegments: SCAN_SEGMENTS,
          FilterExpression: '#status = :active AND #dueAt <= :now',
          ExpressionAttributeNames: { '#status': 'status', '#dueAt': LEDGER.dueAtAttribute },
          ExpressionAttributeValues: { ':active': 'active', ':now': Date.parse(now) },
        },
      );
      let count = 0;
      for await (const page of pages) count += page.Count ?? 0;
      return count;
    },
  );
  const scanFound = segmentsFound.reduce((a, b) => a + b, 0);
  const scanMs = performance.now() - began;
  const scanUsage = scanner.meter.snapshot();
  if (scanFound !== due) throw new Error(`the scan found ${scanFound} due holdings, ${due} were due`);
  const readCost = (units: number) =>
    costOf({ ...ZERO_USAGE, dynamodb: { readRequestUnits: units, writeRequestUnits: 0 } }, prices).totalUSD;
  return {
    ledgerSize,
    due,
    index: {
      itemsRead: indexItems,
      readUnits: indexUsage.dynamodb.readCapacityUnits,
      ms: indexMs,
      costUSD: readCost(indexUsage.dynamodb.readCapacityUnits),
    },
    scan: {
      itemsRead: scanUsage.dynamodb.itemsRead,
      readUnits: scanUsage.dynamodb.readCapacityUnits,
      ms: scanMs,
      costUSD: readCost(scanUsage.dynamodb.readCapacityUnits),
    },
  };
}

/** Sweeps the bench runs at most until nothing is due (measureSweep). */
const MAX_SWEEPS = 5;

export interface SweepResult {
  /** How many sweeps it took until nothing was due (1 unless a batch ran out of time). */
  readonly sweeps: number;
  readonly seconds: number;
  readonly directSeconds: number;
  readonly usage: Omit<UsageSnapshot, 'spans'>;
  /** The cost as production is billed: the newly metered lines, and KMS from the container fleet. */
  readonly cost: Cost;
  readonly split: CostSplit;
  /** The cost as the meter counted it before issue 16. */
  readonly previousMeterCost: Cost;
  readonly kms: { readonly local: Readonly<Record<string, number>>; readonly fleet: FleetCalls; readonly production: number };
}

/** KMS calls by operation (without the service prefix) in a snapshot. */
function kmsCalls(snapshot: UsageSnapshot): Record<string, number> {
  return Object.fromEntries(
    Object.entries(snapshot.aws)
      .filter(([op]) => op.startsWith('TrentService:'))
      .map(([op, n]) => [op.slice('TrentService:'.length), n]),
  );
}

/**
 * The sweep: every due holding through the sweep workflow, checked done (the index finds none due, the records are
 * gone); then KMS as production's containers would ask it; then the same erasure with the connector called
 * directly, in the sweep's batches and concurrency.
 */
export async function measureSweep(session: BenchSession, ledger: Ledger, s: BenchSettings): Promise<SweepResult> {
  const local = session.local;
  const { due, sweepNow } = ledger;
  s.log(`sweep: ${due} due holdings through the sweep workflow`);
  local.resetUsage();
  let began = performance.now();
  // A batch that runs out of its time budget (a loaded machine) leaves its subjects due: the schedule's next sweep
  // does them. The run sweeps again, as the schedule would, and counts every sweep's usage and time (`sweeps`).
  let sweeps = 0;
  let left = due;
  while (left > 0 && sweeps < MAX_SWEEPS) {
    const sweep = await local.runSweep('archive', sweepNow);
    sweeps++;
    if (sweep.status !== 'SUCCEEDED') throw new Error(`the sweep ended ${sweep.status}: ${sweep.error ?? ''}`);
    left = await session.dueNow('archive', sweepNow);
    if (left > 0) s.log(`  ${left} of ${due} holdings still due after sweep ${sweeps}: sweeping again`);
  }
  const seconds = (performance.now() - began) / 1000;
  const usage = local.usage()!;
  if (left !== 0) throw new Error(`after ${sweeps} sweeps, ${left} of ${due} holdings are still due`);
  // Every page: a Scan's page stops at 1 MB, and 10 000 archive records (--large) take more than one.
  let remaining = 0;
  const pages = paginateScan(
    { client: local.clients.documents },
    {
      TableName: 'bench-archive',
      Select: 'COUNT',
      FilterExpression: 'begins_with(userId, :p)',
      ExpressionAttributeValues: { ':p': 'arch-' },
    },
  );
  for await (const page of pages) remaining += page.Count ?? 0;
  if (remaining !== 0) throw new Error(`after the sweep, ${remaining} of the ${due} due subjects' archive records are left`);

  // KMS as production: the due holdings sealed by as many API environments as registered them at once, opened by
  // as many sweep-apply environments as the Map runs at once (kms-fleet.ts), against local mode's KMS. The API
  // environments share the hour's data key through local mode's idempotency table, as the runtime's Sealer does.
  const fleet = await kmsFleet({
    kms: new KMSClient({
      region: local.region,
      endpoint: local.endpoints.aws,
      credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    }),
    keyId: LOCAL_SEALING_KEY,
    holdings: due,
    sealingContainers: REGISTER_CONCURRENCY,
    openingContainers: SWEEP_MAP_CONCURRENCY,
    batchSize: SWEEP_BATCH,
    periodKeys: new DynamoPeriodKeys(local.clients.documents, local.names.idempotencyTable),
  });
  const localKms = kmsCalls(usage);
  const localTotal = Object.values(localKms).reduce((a, b) => a + b, 0);
  // The sweep opens holdings; what it asked KMS to decrypt is replaced by what the fleet's openers asked.
  const production = localTotal - (localKms.Decrypt ?? 0) + (fleet.opening.Decrypt ?? 0);
  const productionUsage = usageOf(usage, { kmsRequests: production });
  const cost = costOf(productionUsage, s.prices);
  const split = splitCost(usage, productionUsage, userStoresOf(local.policy), s.prices);

  // The same holdings' erasure without orchestration: the connector, in the sweep's batches, 10 at a time.
  const directArchive = Array.from({ length: due }, (_, i) => `arch-direct-${i}`);
  await session.seedArchive(directArchive);
  const batches = [];
  for (let i = 0; i < directArchive.length; i += SWEEP_BATCH) batches.push(directArchive.slice(i, i + SWEEP_BATCH));
  began = performance.now();
  await mapLimit(batches, SWEEP_MAP_CONCURRENCY, (batch) =>
    session.invokeConnector(session.invocationFor('archive-db', ['archive'], batch)),
  );
  const directSeconds = (performance.now() - began) / 1000;
  return {
    sweeps,
    seconds,
    directSeconds,
    usage: withoutSpans(usage),
    cost,
    split,
    previousMeterCost: costOf(previousMeterUsageOf(usage), s.prices),
    kms: { local: localKms, fleet, production },
  };
}
