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
 * 4. Cost: what those runs used (meter) times the eu-north-1 prices (cost-model.ts), split into Lethe's own and the
 *    user's store's (cost-split.ts), with KMS as production's containers ask it (kms-fleet.ts).
 * 5. The critical path of one erasure in durable round trips, and the fan-out modelled with AWS's p50s
 *    (critical-path.ts, latency-eu-north-1.json).
 *
 * One start and one shutdown path (BenchSession, session.ts); each measurement a named step (steps.ts).
 */
import { median } from 'simple-statistics';
import { loadPrices } from './cost-model';
import { loadLatencies } from './latency';
import { BenchSession, DAY_MS, HOUR_MS } from './session';
import {
  type BenchSettings,
  type DiscoveryPoint,
  type ErasureCost,
  type ErasureThroughput,
  FANOUT_SYSTEMS,
  type FanoutResult,
  measureDiscovery,
  measureErasureCost,
  measureErasureThroughput,
  measureFanout,
  measureSweep,
  prepareLedger,
  type SweepResult,
} from './steps';
import { fillLedger } from './ledger-fill';
import { type SweepCountsPerHolding, sweepCountsPerHolding } from './sweep-counts';

export { BENCH_POLICY } from './session';
export { type DiscoveryPoint, measureDiscovery, previousMeterUsageOf, usageOf } from './steps';

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

export interface BenchReport {
  readonly readAmplification: number;
  readonly scanReadAmplification: number;
  /** End-to-end fan-out erasure ÷ the slowest connector, measured here (the figure once called fanoutEfficiency). */
  readonly fanoutLocal: number;
  /** (critical-path round trips × p50 per class + CPU time + slowest connector) ÷ slowest connector. */
  readonly fanoutModelledAws: number;
  readonly criticalPath: {
    /** One erasure across the 20 fan-out systems: round trips, overlapping calls counted once (median). */
    readonly durableRoundTrips: number;
    /** The same for an erasure in one system. */
    readonly durableRoundTripsOneSystem: number;
  };
  readonly erasuresPerSecond: number;
  readonly holdingsSweptPerSecond: number;
  readonly orchestrationOverhead: { readonly erasures: number; readonly sweep: number };
  readonly costPerThousandRequestsUSD: number;
  readonly costPerMillionExpiredUSD: {
    /** Lethe's own: ledger, workflow, functions, audit, keys, logs. */
    readonly lethe: number;
    /** Lethe's and the user's store's. */
    readonly endToEnd: number;
    /** The connectors' own requests in the user's stores, per connector type. */
    readonly userStore: Readonly<Record<string, number>>;
    /** The whole, as the meter counted before issue 16 (no Map child transitions, function lines only, one KMS process). */
    readonly previousMeter: number;
  };
  readonly details: Record<string, unknown>;
}

/** The options with their defaults, the price and latency files, the clock. */
export function benchSettings(options: BenchOptions = {}): BenchSettings {
  return {
    ledgerSize: options.ledgerSize ?? 100_000,
    dueShare: options.dueShare ?? 0.01,
    repeat: options.repeat ?? 3,
    concurrent: options.concurrentRequests ?? 50,
    latencyMs: options.connectorLatencyMs ?? 200,
    prices: loadPrices(),
    latencies: loadLatencies(),
    now: Date.now(),
    log: options.log ?? (() => undefined),
  };
}

interface Measured {
  readonly fanout: FanoutResult;
  readonly erasures: ErasureThroughput;
  readonly erasureCost: ErasureCost;
  readonly discovery: readonly DiscoveryPoint[];
  readonly sweep: SweepResult;
}

/** The report's keys from the steps' results. */
export function benchReport(s: BenchSettings, due: number, m: Measured): BenchReport {
  const perMillion = (usd: number) => (usd / due) * 1_000_000;
  const holdingsSweptPerSecond = due / m.sweep.seconds;
  const runs = m.fanout.runs;
  return {
    readAmplification: median(m.discovery.map((d) => d.index.itemsRead)) / due,
    scanReadAmplification: median(m.discovery.map((d) => d.scan.itemsRead)) / due,
    fanoutLocal: m.fanout.medianEndToEndMs / m.fanout.medianSlowestConnectorMs,
    fanoutModelledAws: median(runs.map((r) => r.modelled.fanoutModelledAws)),
    criticalPath: {
      durableRoundTrips: median(runs.map((r) => r.durableRoundTrips)),
      durableRoundTripsOneSystem: median(runs.map((r) => r.oneSystemRoundTrips)),
    },
    erasuresPerSecond: m.erasures.perSecond,
    holdingsSweptPerSecond,
    orchestrationOverhead: {
      erasures: m.erasures.directPerSecond / m.erasures.perSecond,
      sweep: due / m.sweep.directSeconds / holdingsSweptPerSecond,
    },
    costPerThousandRequestsUSD: (m.erasureCost.cost.totalUSD / m.erasureCost.requests) * 1000,
    costPerMillionExpiredUSD: {
      lethe: perMillion(m.sweep.split.lethe.totalUSD),
      endToEnd: perMillion(m.sweep.split.endToEndUSD),
      userStore: Object.fromEntries(Object.entries(m.sweep.split.userStore.byConnector).map(([type, usd]) => [type, perMillion(usd)])),
      previousMeter: perMillion(m.sweep.previousMeterCost.totalUSD),
    },
    details: {
      ledgerSize: s.ledgerSize,
      due,
      repeat: s.repeat,
      discovery: m.discovery,
      fanout: {
        systems: FANOUT_SYSTEMS.length,
        connectorLatencyMs: s.latencyMs,
        runs,
        medianEndToEndMs: m.fanout.medianEndToEndMs,
        medianSlowestConnectorMs: m.fanout.medianSlowestConnectorMs,
      },
      erasures: { concurrent: s.concurrent, runs: m.erasures.runs, directPerSecond: m.erasures.directPerSecond },
      erasureCost: m.erasureCost,
      sweep: {
        ...m.sweep,
        perHolding: sweepCountsPerHolding(m.sweep.usage, due),
        perMillionByLine: Object.fromEntries(Object.entries(m.sweep.split.lethe.byLine).map(([line, usd]) => [line, perMillion(usd)])),
      },
      prices: { region: s.prices.region, read: s.prices.read },
      latencies: { region: s.latencies.region, read: s.latencies.read },
    },
  };
}

export async function runBench(options: BenchOptions = {}): Promise<BenchReport> {
  const s = benchSettings(options);
  const session = await BenchSession.start({ warm: true, log: s.log });
  try {
    await session.createSystemStores();
    const fanout = await measureFanout(session, s);
    const erasures = await measureErasureThroughput(session, s);
    const erasureCost = await measureErasureCost(session, s);
    const ledger = await prepareLedger(session, s);
    const discovery: DiscoveryPoint[] = [];
    for (let run = 0; run < s.repeat; run++)
      discovery.push(await measureDiscovery(session, ledger.table, ledger.sweepNow, s.ledgerSize, ledger.due, s.prices));
    const sweep = await measureSweep(session, ledger, s);
    return benchReport(s, ledger.due, { fanout, erasures, erasureCost, discovery, sweep });
  } finally {
    await session.stop();
  }
}

export interface SweepBenchReport {
  readonly ledgerSize: number;
  readonly due: number;
  /** Sweeps until nothing was due (measureSweep). */
  readonly sweeps: number;
  /** The sweep's counts per expired holding (sweep-counts.ts): what a design change is compared by. */
  readonly perHolding: SweepCountsPerHolding;
  readonly costPerMillionExpiredUSD: { readonly lethe: number; readonly endToEnd: number };
  readonly perMillionByLine: Readonly<Record<string, number>>;
  readonly seconds: number;
}

/**
 * The sweep alone (issue 16, section 3): the ledger prepared as runBench does, the sweep workflow over its due
 * holdings, and its counts per holding. Minutes less than runBench, for comparing the sweep's design changes.
 */
export async function runSweepBench(options: BenchOptions = {}): Promise<SweepBenchReport> {
  const s = benchSettings(options);
  const session = await BenchSession.start({ warm: true, log: s.log });
  try {
    await session.createSystemStores();
    const ledger = await prepareLedger(session, s);
    const sweep = await measureSweep(session, ledger, s);
    const perMillion = (usd: number) => (usd / ledger.due) * 1_000_000;
    return {
      ledgerSize: s.ledgerSize,
      due: ledger.due,
      sweeps: sweep.sweeps,
      perHolding: sweepCountsPerHolding(sweep.usage, ledger.due),
      costPerMillionExpiredUSD: { lethe: perMillion(sweep.split.lethe.totalUSD), endToEnd: perMillion(sweep.split.endToEndUSD) },
      perMillionByLine: Object.fromEntries(Object.entries(sweep.split.lethe.byLine).map(([line, usd]) => [line, perMillion(usd)])),
      seconds: sweep.seconds,
    };
  } finally {
    await session.stop();
  }
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
  const session = await BenchSession.start({ warm: false, log });
  try {
    const local = session.local;
    const now = Date.now();
    const table = local.names.ledgerTables.archive;
    await session.register('arch-template', 'archive', 'archive-db', new Date(now - 30 * DAY_MS).toISOString());
    const template = await session.ledgerItem(table, 'arch-template', 'archive-db');
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
        runs.push(await measureDiscovery(session, table, new Date(now).toISOString(), size, due, prices));
      points.push(medianPoint(runs));
    }
    return points;
  } finally {
    await session.stop();
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
