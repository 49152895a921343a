/**
 * The benchmark plot (docs/benchmarks.svg): time and cost of finding what is due, against ledger size, for the
 * `due` index and a full-table Scan. Rendered by Vega-Lite to SVG, headless.
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { DiscoveryPoint } from './run';

export async function discoveryPlotSvg(points: readonly DiscoveryPoint[], title: string): Promise<string> {
  const values = points.flatMap((p) =>
    (['index', 'scan'] as const).map((method) => ({
      ledgerSize: p.ledgerSize,
      method: method === 'index' ? 'due index (Lethe)' : 'full-table Scan (naive)',
      'time (ms)': p[method].ms,
      'cost per sweep (USD)': p[method].costUSD,
      'items read': p[method].itemsRead,
    })),
  );
  const panel = (field: string) => ({
    width: 320,
    height: 220,
    mark: { type: 'line' as const, point: true },
    encoding: {
      x: { field: 'ledgerSize', type: 'quantitative' as const, scale: { type: 'log' as const }, title: 'ledger size (holdings, 1 % due)' },
      y: { field, type: 'quantitative' as const, scale: { type: 'log' as const } },
      color: { field: 'method', type: 'nominal' as const, title: null },
    },
  });
  const spec: vl.TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    data: { values },
    hconcat: [panel('time (ms)'), panel('cost per sweep (USD)'), panel('items read')],
    config: { font: 'sans-serif', background: 'white' },
  };
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}
