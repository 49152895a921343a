/**
 * Redraws the benchmark plots from lib/bench/discovery-series.json, the figures docs/benchmarks.md gives, without
 * running the benchmark again: `npx tsx lib/bench/replot.ts`. A new run writes its plot itself (`--plot`).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { costOf, loadPrices, ZERO_USAGE } from './cost-model';
import { discoveryPlotSvg } from './plot';
import type { DiscoveryPoint } from './run';

const ROOT = path.join(__dirname, '..', '..');

interface Measured {
  readonly itemsRead: number;
  readonly readUnits: number;
  readonly ms: number;
}
interface Series {
  readonly file: string;
  readonly points: readonly { readonly ledgerSize: number; readonly due: number; readonly index: Measured; readonly scan: Measured }[];
}

/** The stored series as the runner's points: each cost from its read units, as measureDiscovery computes it. */
export function storedSeries(
  file = path.join(__dirname, 'discovery-series.json'),
): { readonly file: string; readonly points: DiscoveryPoint[] }[] {
  const prices = loadPrices();
  const readCost = (units: number) =>
    costOf({ ...ZERO_USAGE, dynamodb: { readRequestUnits: units, writeRequestUnits: 0 } }, prices).totalUSD;
  const { series } = JSON.parse(readFileSync(file, 'utf8')) as { series: readonly Series[] };
  return series.map((s) => ({
    file: s.file,
    points: s.points.map((p) => ({
      ...p,
      index: { ...p.index, costUSD: readCost(p.index.readUnits) },
      scan: { ...p.scan, costUSD: readCost(p.scan.readUnits) },
    })),
  }));
}

async function main(): Promise<void> {
  for (const { file, points } of storedSeries()) {
    writeFileSync(path.join(ROOT, file), `${await discoveryPlotSvg(points)}\n`);
    process.stderr.write(`${file} written\n`);
  }
}

if (require.main === module) void main();
