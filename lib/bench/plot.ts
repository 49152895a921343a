/**
 * The benchmark plots (docs/benchmarks.svg, docs/benchmarks-1pct.svg): time, cost and items read of finding what
 * is due, against ledger size, for the `due` index and a full-table Scan. Rendered by Vega-Lite to SVG, headless.
 * How many holdings were due is read from the points, so that the title and the axes say the same thing.
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { DiscoveryPoint } from './run';

const METHODS = { index: 'due index (Lethe)', scan: 'full-table Scan (naive)' } as const;

/** The panels: the figure each one plots, and its axis title. */
const PANELS = [
  { field: 'time (ms)', title: 'time to find what is due (ms)' },
  { field: 'cost (USD)', title: "cost of one sweep's reads (USD)" },
  { field: 'items read', title: 'items read' },
] as const;

/** 1000000 as "1 000 000", as the docs write numbers. */
const spaced = (n: number) => Math.round(n).toLocaleString('en-US').replace(/,/g, ' ');

/**
 * How many holdings were due, in words: the same number at every size (`--series-due`), the same share of each
 * size (the default, 1 %), or neither.
 */
export function dueInWords(points: readonly DiscoveryPoint[]): string {
  const dues = new Set(points.map((p) => p.due));
  if (dues.size === 1) return `${spaced(points[0].due)} due at every size`;
  const shares = new Set(points.map((p) => Number(((100 * p.due) / p.ledgerSize).toPrecision(2))));
  if (shares.size === 1) return `${[...shares][0]} % due at every size`;
  return `${points.map((p) => spaced(p.due)).join(', ')} due`;
}

/** The Vega-Lite spec of the plot: three panels side by side, one legend under them. */
export function discoveryPlotSpec(
  points: readonly DiscoveryPoint[],
  title = `Finding what is due (${dueInWords(points)}): the due index against a full-table Scan`,
): vl.TopLevelSpec {
  const values = points.flatMap((p) =>
    (['index', 'scan'] as const).map((method) => ({
      ledgerSize: p.ledgerSize,
      method: METHODS[method],
      'time (ms)': p[method].ms,
      'cost (USD)': p[method].costUSD,
      'items read': p[method].itemsRead,
    })),
  );
  const sizes = points.map((p) => p.ledgerSize);
  const panel = ({ field, title: yTitle }: (typeof PANELS)[number]) => ({
    width: 320,
    height: 220,
    mark: { type: 'line' as const, point: true },
    encoding: {
      x: {
        field: 'ledgerSize',
        type: 'quantitative' as const,
        scale: { type: 'log' as const, domain: [Math.min(...sizes), Math.max(...sizes)], nice: false },
        axis: { values: sizes, format: ',d' },
        title: 'ledger size (holdings)',
      },
      y: { field, type: 'quantitative' as const, scale: { type: 'log' as const }, title: yTitle },
      color: { field: 'method', type: 'nominal' as const, title: null, sort: Object.values(METHODS) },
    },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- Vega-Lite's title anchor, not String.prototype.anchor
    title: { text: title, subtitle: 'each panel against ledger size; both axes logarithmic', anchor: 'start' },
    data: { values },
    hconcat: PANELS.map(panel),
    config: {
      font: 'sans-serif',
      background: 'white',
      // Under the panels, every label whole (Vega's default cuts labels at 160 px with "…").
      legend: { orient: 'bottom', direction: 'horizontal', labelLimit: 0, columnPadding: 24, padding: 8, offset: 16 },
    },
  };
}

export async function discoveryPlotSvg(points: readonly DiscoveryPoint[], title?: string): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(discoveryPlotSpec(points, title)).spec), { renderer: 'none' });
  return view.toSVG();
}
