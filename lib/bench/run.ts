/**
 * `npm run bench` (docs/benchmarks.md): Lethe's cost and speed, measured over local mode with the usage meter
 * (lib/local/meter.ts) on, each comparison's two sides in the same run on the same data, medians of repeats.
 *
 * 1. Discovery: how many ledger items the sweep reads to find what is due (the `due` index, read by the real
 *    sweep-read function) against a naive full-table Scan, on a ledger of `ledgerSize` holdings of which 1 % are due.
 * 2. Fan-out: an erasure across 20 webhook systems whose SaaS answers after 200 ms, end to end, against the
 *    slowest of those connectors called directly.
 * 3. Throughput: erasure requests per second through the API and the workflow, and holdings per second through
 *    the sweep, each against calling the same connectors directly with the same work (orchestration overhead).
 * 4. Cost: what those runs used (meter) times the eu-north-1 prices (cost-model.ts).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { BatchWriteCommand, GetCommand, type DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient as MeteredDynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient as MeteredDocuments } from '@aws-sdk/lib-dynamodb';
import { Temporal } from '@js-temporal/polyfill';
import { median } from 'simple-statistics';
import { connectorFunctionName, runtimeFunctionName, startLocal, type LocalLethe, type UsageSnapshot } from '../local';
import { localSubjectRefs } from '../local/keys';
import { startMeteringProxy, UsageMeter } from '../local/meter';
import { LEDGER, type ConnectorInvocation, type ConnectorResult, type SweepReadOutput } from '../core/contract';
import { mapLimit } from '../core/concurrency';
import { type Cost, costOf, loadPrices, type Prices, type Usage, ZERO_USAGE } from './cost-model';
import { fillLedger } from './ledger-fill';
import { type Timeline, timelineOf } from './timeline';

export const BENCH_POLICY = path.join(__dirname, 'policy.yaml');
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const FANOUT_SYSTEMS = Array.from({ length: 20 }, (_, i) => `saas-${String(i + 1).padStart(2, '0')}`);
const ACCOUNT_SYSTEMS = ['accounts-db', 'documents', 'mailer'] as const;
/** The sweep's Map runs this many batches at once (statemachines/sweep.asl.json MaxConcurrency). */
const SWEEP_MAP_CONCURRENCY = 10;
/** Subjects per sweep batch (sweep.ts default). */
const SWEEP_BATCH = 25;

export interface BenchOptions {
  /** Ledger holdings for the discovery and sweep benchmarks. @default 100000 */
  readonly ledgerSize?: number;
  /** Share of the ledger that is due. @default 0.01 */
  readonly dueShare?: number;
  /** Repeats of each timed measurement; the report gives medians. @default 3 */
  readonly repeat?: number;
  /** Erasure requests sent at once for erasuresPerSecond. @default 50 */
  readonly concurrentRequests?: number;
  /** Latency of each fan-out system's SaaS, in ms. @default 200 */
  readonly connectorLatencyMs?: number;
  /** Progress lines. @default nothing */
  readonly log?: (line: string) => void;
}

export interface DiscoveryPoint {
  readonly ledgerSize: number;
  readonly due: number;
  readonly index: { readonly itemsRead: number; readonly readUnits: number; readonly ms: number; readonly costUSD: number };
  readonly scan: { readonly itemsRead: number; readonly readUnits: number; readonly ms: number; readonly costUSD: number };
}

export interface BenchReport {
  readonly readAmplification: number;
  readonly scanReadAmplification: number;
  readonly fanoutEfficiency: number;
  readonly erasuresPerSecond: number;
  readonly holdingsSweptPerSecond: number;
  readonly orchestrationOverhead: { readonly erasures: number; readonly sweep: number };
  readonly costPerThousandRequestsUSD: number;
  readonly costPerMillionExpiredUSD: number;
  readonly details: Record<string, unknown>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Local mode as the benchmarks run it: the bench policy, metered, nothing in the background (no timers, no demo). */
function startBenchLocal(dataDir: string, warm: boolean): Promise<LocalLethe> {
  return startLocal({
    policyFile: BENCH_POLICY,
    port: 0,
    dataDir,
    seedDemo: false,
    sweepEveryMs: false,
    streamPollMs: false,
    deadlineMonitorEveryMs: false,
    banner: false,
    meter: true,
    warm,
  });
}

/** The meter's counts in the cost model's terms. */
export function usageOf(snapshot: UsageSnapshot): Usage {
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

/** Waits until every named erasure execution has ended; the executions by name. */
async function executionsEnded(local: LocalLethe, names: readonly string[], timeoutMs: number) {
  const wanted = new Set(names);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ended = local.executions().filter((e) => wanted.has(e.name) && e.status !== 'RUNNING');
    if (ended.length === wanted.size) return new Map(ended.map((e) => [e.name, e]));
    if (Date.now() > deadline) throw new Error(`${wanted.size - ended.length} erasure executions did not end within ${timeoutMs} ms`);
    await sleep(20);
  }
}

async function createSystemStores(local: LocalLethe): Promise<void> {
  for (const table of ['bench-accounts', 'bench-archive']) {
    await local.clients.dynamodb.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'userId', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'userId', KeyType: 'HASH' }],
      }),
    );
  }
  await local.clients.s3.send(new CreateBucketCommand({ Bucket: 'bench-documents' }));
}

/** Fake records of a subject in a system (fake names under example.se). */
function recordFor(id: string) {
  return { userId: id, name: `Bench Person ${id}`, email: `${id}@bench.example.se` };
}

async function seedAccounts(local: LocalLethe, ids: readonly string[]): Promise<void> {
  await mapLimit(ids, 8, async (id) => {
    const record = recordFor(id);
    await local.clients.documents.send(new BatchWriteCommand({ RequestItems: { 'bench-accounts': [{ PutRequest: { Item: record } }] } }));
    await local.clients.s3.send(
      new PutObjectCommand({ Bucket: 'bench-documents', Key: `users/${id}/profile.json`, Body: JSON.stringify(record) }),
    );
    local.receiver.put('mailer', id, { email: record.email });
  });
}

async function seedArchive(documents: DynamoDBDocumentClient, ids: readonly string[]): Promise<void> {
  const batches = [];
  for (let i = 0; i < ids.length; i += 25) batches.push(ids.slice(i, i + 25));
  await mapLimit(batches, 8, async (batch) => {
    let pending: Record<string, unknown>[] = batch.map((id) => ({ PutRequest: { Item: recordFor(id) } }));
    while (pending.length > 0) {
      const answer = await documents.send(new BatchWriteCommand({ RequestItems: { 'bench-archive': pending } }));
      pending = (answer.UnprocessedItems?.['bench-archive'] ?? []) as Record<string, unknown>[];
    }
  });
}

async function register(local: LocalLethe, id: string, purpose: string, system: string, collectedAt: string): Promise<void> {
  const answer = await local.api('POST', `/subjects/${encodeURIComponent(id)}/holdings`, { body: { purpose, system, collectedAt } });
  if (answer.status !== 201) throw new Error(`registering a holding answered ${answer.status}: ${JSON.stringify(answer.body)}`);
}

async function requestErasure(local: LocalLethe, id: string, scope?: readonly string[]): Promise<string> {
  const answer = await local.api('POST', '/erasure-requests', {
    body: {
      subjectId: id,
      ...(scope ? { scope } : {}),
      verification: { method: 'benchmark', verifiedAt: new Date().toISOString() },
      reason: 'benchmark',
    },
    headers: { 'Idempotency-Key': randomUUID() },
  });
  if (answer.status !== 202) throw new Error(`an erasure request answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return (answer.body as { requestId: string }).requestId;
}

/** The connector invocation the workflow would send for these subjects (erase the whole record). */
function invocationFor(system: string, purposes: readonly string[], ids: readonly string[], policyHash: string): ConnectorInvocation {
  return {
    system,
    purposes,
    operationId: randomUUID(),
    policyHash,
    subjects: ids.map((id) => ({
      subjectRef: `direct-${id}`,
      subjectId: id,
      locator: {},
      identifiers: {},
      record: 'delete',
      removeFields: [],
      anonymiseFields: [],
    })),
  };
}

async function invokeConnector(local: LocalLethe, invocation: ConnectorInvocation): Promise<ConnectorResult> {
  const result = (await local.invoke(connectorFunctionName(invocation.system), invocation)) as ConnectorResult;
  const bad = result.subjects.filter((s) => s.status !== 'erased');
  if (bad.length > 0) throw new Error(`${invocation.system}: ${bad.length} subjects not erased (${bad[0].status})`);
  const failed = result.failed ?? [];
  if (failed.length > 0) throw new Error(`${invocation.system}: ${failed.length} subjects failed (${failed[0].error})`);
  return result;
}

export async function runBench(options: BenchOptions = {}): Promise<BenchReport> {
  const log = options.log ?? (() => undefined);
  const ledgerSize = options.ledgerSize ?? 100_000;
  const dueShare = options.dueShare ?? 0.01;
  const repeat = options.repeat ?? 3;
  const concurrent = options.concurrentRequests ?? 50;
  const latencyMs = options.connectorLatencyMs ?? 200;
  const prices: Prices = loadPrices();
  const cost = (snapshot: UsageSnapshot): Cost => costOf(usageOf(snapshot), prices);

  const dataDir = mkdtempSync(path.join(tmpdir(), 'lethe-bench-'));
  log('starting local mode (metered)');
  const local = await startBenchLocal(dataDir, true);
  try {
    await createSystemStores(local);
    const usage = () => local.usage()!;
    const now = Date.now();
    const recent = new Date(now - 30 * DAY_MS).toISOString();
    // Due, but within the TTL grace (LEDGER.activeTtlGraceSeconds): older holdings DynamoDB's TTL removes by itself
    // (the ledger stream's path, not the sweep's), and DynamoDB Local does so within seconds.
    const old = Temporal.Instant.fromEpochMilliseconds(now)
      .toZonedDateTimeISO('Europe/Stockholm')
      .subtract({ years: 1, hours: 12 })
      .toInstant()
      .toString();

    // ---- 2. Fan-out -------------------------------------------------------------------------------------
    log(`fan-out: ${FANOUT_SYSTEMS.length} systems, ${latencyMs} ms each, ${repeat} runs`);
    for (const system of FANOUT_SYSTEMS) local.receiver.setLatency(system, latencyMs);
    const fanout: { endToEndMs: number; slowestConnectorMs: number; timeline: Timeline }[] = [];
    for (let run = 0; run < repeat + 1; run++) {
      const id = `fanout-${run}`;
      const direct = `fanout-direct-${run}`;
      for (const system of FANOUT_SYSTEMS) {
        local.receiver.put(system, id, { email: `${id}@bench.example.se` });
        local.receiver.put(system, direct, { email: `${direct}@bench.example.se` });
        await register(local, id, 'fanout', system, recent);
      }
      // The connectors alone: each called directly, all at once, as the workflow's Map would.
      const durations = await Promise.all(
        FANOUT_SYSTEMS.map(async (system) => {
          const began = performance.now();
          await invokeConnector(local, invocationFor(system, ['fanout'], [direct], local.policyHash));
          return performance.now() - began;
        }),
      );
      const began = performance.now();
      const requestId = await requestErasure(local, id);
      const ended = await executionsEnded(local, [requestId], 60_000);
      const endToEndMs = performance.now() - began;
      const view = await local.waitForRequest(requestId);
      if (view.status !== 'completed') throw new Error(`the fan-out erasure ended ${view.status}`);
      // The first run warms the path (worker caches, connections); it is not counted.
      // Where the time went: each state of the workflow, from the execution's history.
      const timeline = timelineOf(ended.get(requestId)!.history);
      if (run > 0) fanout.push({ endToEndMs, slowestConnectorMs: Math.max(...durations), timeline });
    }
    for (const system of FANOUT_SYSTEMS) local.receiver.setLatency(system, 0);
    const fanoutEndToEnd = median(fanout.map((f) => f.endToEndMs));
    const fanoutSlowest = median(fanout.map((f) => f.slowestConnectorMs));

    // ---- 3a. Erasures per second, and their cost --------------------------------------------------------
    log(`erasures: ${concurrent} requests at once, ${repeat} runs`);
    const erasureRuns: { orchestratedPerSecond: number; directPerSecond: number }[] = [];
    for (let run = 0; run < repeat; run++) {
      const ids = Array.from({ length: concurrent }, (_, i) => `acct-${run}-${i}`);
      const directIds = Array.from({ length: concurrent }, (_, i) => `acct-direct-${run}-${i}`);
      await seedAccounts(local, [...ids, ...directIds]);
      await mapLimit(ids, 8, async (id) => {
        for (const system of ACCOUNT_SYSTEMS) await register(local, id, 'accounts', system, recent);
      });
      let began = performance.now();
      const requestIds = await Promise.all(ids.map((id) => requestErasure(local, id)));
      const ended = await executionsEnded(local, requestIds, 300_000);
      const orchestratedSeconds = (performance.now() - began) / 1000;
      const failed = [...ended.values()].filter((e) => e.status !== 'SUCCEEDED');
      if (failed.length > 0) throw new Error(`${failed.length} erasure executions failed`);
      // The same work without orchestration: every subject's three connectors, all at once.
      began = performance.now();
      await Promise.all(
        directIds.flatMap((id) =>
          ACCOUNT_SYSTEMS.map((system) => invokeConnector(local, invocationFor(system, ['accounts'], [id], local.policyHash))),
        ),
      );
      const directSeconds = (performance.now() - began) / 1000;
      erasureRuns.push({ orchestratedPerSecond: concurrent / orchestratedSeconds, directPerSecond: concurrent / directSeconds });
    }
    // Cost: requests one at a time, so that each function's measured duration is its own.
    const costSample = 10;
    const costIds = Array.from({ length: costSample }, (_, i) => `acct-cost-${i}`);
    await seedAccounts(local, costIds);
    for (const id of costIds) for (const system of ACCOUNT_SYSTEMS) await register(local, id, 'accounts', system, recent);
    local.resetUsage();
    for (const id of costIds) {
      const requestId = await requestErasure(local, id);
      await executionsEnded(local, [requestId], 60_000);
    }
    const erasureUsage = usage();
    const erasureCost = cost(erasureUsage);

    // ---- 1. Discovery, and 3b. the sweep ----------------------------------------------------------------
    const due = Math.max(1, Math.round(ledgerSize * dueShare));
    const table = local.names.ledgerTables.archive;
    log(`ledger: ${ledgerSize} holdings, ${due} due; registering the due ones through the API`);
    const dueIds = Array.from({ length: due }, (_, i) => `arch-${i}`);
    await seedArchive(local.clients.documents, dueIds);
    await mapLimit(dueIds, 8, (id) => register(local, id, 'archive', 'archive-db', old));
    const templateId = 'arch-template';
    await register(local, templateId, 'archive', 'archive-db', recent);
    const { Item: template } = await local.clients.documents.send(
      new GetCommand({ TableName: table, Key: await holdingKey(dataDir, templateId, 'archive-db') }),
    );
    if (!template) throw new Error('the template holding was not found in the ledger');
    const filler = ledgerSize - due - 1;
    const fillStarted = performance.now();
    let lastShown = 0;
    await fillLedger({
      documents: local.clients.documents,
      table,
      template,
      count: filler,
      dueAtOf: (i) => now + DAY_MS * (1 + (i % 364)),
      onProgress(written) {
        if (written - lastShown >= 50_000) {
          lastShown = written;
          log(`  ${written} / ${filler} filler holdings written`);
        }
      },
    });
    log(`  filled in ${((performance.now() - fillStarted) / 1000).toFixed(1)} s`);
    const sweepNow = new Date(now).toISOString();
    const discovery: DiscoveryPoint[] = [];
    const scanner = await meteredScanner(local);
    try {
      for (let run = 0; run < repeat; run++)
        discovery.push(await measureDiscovery(local, scanner, table, sweepNow, ledgerSize, due, prices));
    } finally {
      await scanner.close();
    }

    log(`sweep: ${due} due holdings through the sweep workflow`);
    local.resetUsage();
    let began = performance.now();
    const sweep = await local.runSweep('archive', sweepNow);
    const sweepSeconds = (performance.now() - began) / 1000;
    if (sweep.status !== 'SUCCEEDED') throw new Error(`the sweep ended ${sweep.status}: ${sweep.error ?? ''}`);
    const sweepUsage = usage();
    const sweepCost = cost(sweepUsage);
    // Every due holding is done (the index finds none due) and its record is gone from the system.
    const left = await dueNow(local, sweepNow);
    if (left !== 0) throw new Error(`after the sweep, ${left} of ${due} holdings are still due`);
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
    // The same holdings' erasure without orchestration: the connector, batches of 25, 10 at a time.
    const directArchive = Array.from({ length: due }, (_, i) => `arch-direct-${i}`);
    await seedArchive(local.clients.documents, directArchive);
    const batches = [];
    for (let i = 0; i < directArchive.length; i += SWEEP_BATCH) batches.push(directArchive.slice(i, i + SWEEP_BATCH));
    began = performance.now();
    await mapLimit(batches, SWEEP_MAP_CONCURRENCY, (batch) =>
      invokeConnector(local, invocationFor('archive-db', ['archive'], batch, local.policyHash)),
    );
    const directSweepSeconds = (performance.now() - began) / 1000;

    const index = median(discovery.map((d) => d.index.itemsRead));
    const scan = median(discovery.map((d) => d.scan.itemsRead));
    const erasuresPerSecond = median(erasureRuns.map((r) => r.orchestratedPerSecond));
    const directErasures = median(erasureRuns.map((r) => r.directPerSecond));
    const holdingsSweptPerSecond = due / sweepSeconds;
    return {
      readAmplification: index / due,
      scanReadAmplification: scan / due,
      fanoutEfficiency: fanoutEndToEnd / fanoutSlowest,
      erasuresPerSecond,
      holdingsSweptPerSecond,
      orchestrationOverhead: { erasures: directErasures / erasuresPerSecond, sweep: due / directSweepSeconds / holdingsSweptPerSecond },
      costPerThousandRequestsUSD: (erasureCost.totalUSD / costSample) * 1000,
      costPerMillionExpiredUSD: (sweepCost.totalUSD / due) * 1_000_000,
      details: {
        ledgerSize,
        due,
        repeat,
        discovery,
        fanout: {
          systems: FANOUT_SYSTEMS.length,
          connectorLatencyMs: latencyMs,
          runs: fanout,
          medianEndToEndMs: fanoutEndToEnd,
          medianSlowestConnectorMs: fanoutSlowest,
        },
        erasures: { concurrent, runs: erasureRuns, directPerSecond: directErasures },
        erasureCost: { requests: costSample, usage: erasureUsage, cost: erasureCost },
        sweep: { seconds: sweepSeconds, directSeconds: directSweepSeconds, usage: sweepUsage, cost: sweepCost },
        prices: { region: prices.region, read: prices.read },
      },
    };
  } finally {
    await local.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * The ledger key of a holding the API registered: its subjectRef is the HMAC the API computed, with local mode's
 * secret in the data directory (a Scan for it would have to page through every holding registered before it).
 */
async function holdingKey(dataDir: string, subjectId: string, system: string): Promise<Record<string, string>> {
  return { [LEDGER.partitionKey]: await localSubjectRefs(dataDir).ref(subjectId), [LEDGER.sortKey]: system };
}

/** Walks the due index as the sweep does (sweep-read, page after page); the number of due holdings found. */
async function dueNow(local: LocalLethe, now: string): Promise<number> {
  let cursor: SweepReadOutput['cursor'];
  let found = 0;
  do {
    const page = (await local.invoke(runtimeFunctionName('sweep-read'), {
      purpose: 'archive',
      sweepId: 'bench',
      now,
      ...(cursor ? { cursor } : {}),
    })) as SweepReadOutput;
    found += page.itemsRead;
    cursor = page.cursor;
  } while (cursor);
  return found;
}

/** The naive sweep's parallel Scan: segments, and how many are read at a time. */
const SCAN_SEGMENTS = 64;
const SCAN_CONCURRENCY = 8;

interface Scanner {
  readonly documents: DynamoDBDocumentClient;
  readonly meter: UsageMeter;
  close(): Promise<void>;
}

/** A DynamoDB client of the benchmark's own, through a metering proxy of its own (the naive sweep's reads). */
async function meteredScanner(local: LocalLethe): Promise<Scanner> {
  const meter = new UsageMeter();
  const proxy = await startMeteringProxy('dynamodb', local.endpoints.dynamodb, meter);
  const client: DynamoDBClient = new MeteredDynamoDBClient({
    region: local.region,
    endpoint: proxy.url,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  return { documents: MeteredDocuments.from(client), meter, close: () => proxy.close() };
}

/** One measurement of both discovery methods on the ledger as it is. */
export async function measureDiscovery(
  local: LocalLethe,
  scanner: Scanner,
  table: string,
  now: string,
  ledgerSize: number,
  due: number,
  prices: Prices,
): Promise<DiscoveryPoint> {
  // The index: the sweep's own read function, page after page, as the workflow calls it.
  local.resetUsage();
  let began = performance.now();
  const found = await dueNow(local, now);
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
      let found = 0;
      for await (const page of pages) found += page.Count ?? 0;
      return found;
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

export interface SeriesOptions {
  /** Ledger sizes, ascending; the ledger grows from one to the next. @default [10000, 100000, 1000000] */
  readonly sizes?: readonly number[];
  /** @default 0.01 */
  readonly dueShare?: number;
  /**
   * Holdings due at every size, instead of `dueShare` of each: the same work in a growing ledger, so that what
   * grows with the ledger alone shows.
   * @default undefined (dueShare of each size)
   */
  readonly due?: number;
  /** @default 3 */
  readonly repeat?: number;
  readonly log?: (line: string) => void;
}

/**
 * Discovery alone (index against scan) at growing ledger sizes, for the plot: one local mode, one ledger that
 * grows; at each size the same share is due (or the same number: `due`). Due holdings here are filler too (they
 * are found, never swept).
 */
export async function runDiscoverySeries(options: SeriesOptions = {}): Promise<DiscoveryPoint[]> {
  const log = options.log ?? (() => undefined);
  const sizes = [...(options.sizes ?? [10_000, 100_000, 1_000_000])];
  const dueShare = options.dueShare ?? 0.01;
  const repeat = options.repeat ?? 3;
  const prices = loadPrices();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'lethe-bench-'));
  const local = await startBenchLocal(dataDir, false);
  const scanner = await meteredScanner(local);
  try {
    const now = Date.now();
    const table = local.names.ledgerTables.archive;
    await register(local, 'arch-template', 'archive', 'archive-db', new Date(now - 30 * DAY_MS).toISOString());
    const { Item: template } = await local.clients.documents.send(
      new GetCommand({ TableName: table, Key: await holdingKey(dataDir, 'arch-template', 'archive-db') }),
    );
    if (!template) throw new Error('the template holding was not found in the ledger');
    let size = 1;
    let due = 0;
    const points: DiscoveryPoint[] = [];
    for (const target of sizes) {
      const add = target - size;
      if (add < 0) throw new Error(`sizes must grow: ${sizes.join(', ')}`);
      const addDue = (options.due === undefined ? Math.round(target * dueShare) : Math.min(options.due, target)) - due;
      log(`ledger: growing to ${target} holdings (${due + addDue} due)`);
      // Due within the last two days: inside the TTL grace, so DynamoDB Local's TTL leaves them to the sweep.
      await fillLedger({
        documents: local.clients.documents,
        table,
        template,
        count: addDue,
        dueAtOf: (i) => now - HOUR_MS * (1 + (i % 48)),
      });
      await fillLedger({
        documents: local.clients.documents,
        table,
        template,
        count: add - addDue,
        dueAtOf: (i) => now + DAY_MS * (1 + (i % 364)),
      });
      size = target;
      due += addDue;
      const runs: DiscoveryPoint[] = [];
      for (let run = 0; run < repeat; run++)
        runs.push(await measureDiscovery(local, scanner, table, new Date(now).toISOString(), size, due, prices));
      points.push(medianPoint(runs));
    }
    return points;
  } finally {
    await scanner.close();
    await local.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The median of each figure over repeated measurements of one ledger. */
export function medianPoint(runs: readonly DiscoveryPoint[]): DiscoveryPoint {
  const m = (pick: (d: DiscoveryPoint) => number) => median(runs.map(pick));
  return {
    ledgerSize: runs[0].ledgerSize,
    due: runs[0].due,
    index: {
      itemsRead: m((d) => d.index.itemsRead),
      readUnits: m((d) => d.index.readUnits),
      ms: m((d) => d.index.ms),
      costUSD: m((d) => d.index.costUSD),
    },
    scan: {
      itemsRead: m((d) => d.scan.itemsRead),
      readUnits: m((d) => d.scan.readUnits),
      ms: m((d) => d.scan.ms),
      costUSD: m((d) => d.scan.costUSD),
    },
  };
}
