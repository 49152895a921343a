/**
 * lib/bench/plot.ts: the benchmark plots show their whole legend, inside the picture, and their titles say what was
 * due as the data has it (the 1 000-due plot once said "1 % due" on every axis).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { discoveryPlotSvg } from '../../../lib/bench/plot';
import { storedSeries } from '../../../lib/bench/replot';

const ROOT = path.join(__dirname, '..', '..', '..');
const series = storedSeries();
const [sameDue, onePercent] = series;

/** The texts an SVG shows. */
const textsOf = (svg: string) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);

interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Where the legend and its entries lie in the picture: their groups' background rectangles (`M0,0h{w}v{h}...`),
 * placed by the translations of every group around them.
 */
function legendBoxes(svg: string): Box[] {
  const boxes: Box[] = [];
  const offsets: { x: number; y: number; legend: boolean }[] = [];
  for (const [tag] of svg.matchAll(/<\/?(?:g|path)\b[^>]*>/g)) {
    if (tag.startsWith('</')) {
      offsets.pop();
      continue;
    }
    const inLegend = offsets.some((o) => o.legend);
    if (tag.startsWith('<g')) {
      const [, tx, ty] = /transform="translate\(([-\d.]+),([-\d.]+)\)"/.exec(tag) ?? ['', '0', '0'];
      offsets.push({ x: Number(tx), y: Number(ty), legend: /role-legend\b/.test(tag) });
      continue;
    }
    const background =
      /class="background"[^>]*d="M0,0h([\d.]+)v([\d.]+)h/.exec(tag) ?? /d="M0,0h([\d.]+)v([\d.]+)h[^"]*"[^>]*class="background"/.exec(tag);
    if (inLegend && background && !offsets.at(-1)!.legend) {
      const x = offsets.reduce((sum, o) => sum + o.x, 0);
      const y = offsets.reduce((sum, o) => sum + o.y, 0);
      boxes.push({ x, y, width: Number(background[1]), height: Number(background[2]) });
    }
    if (!tag.endsWith('/>')) offsets.push({ x: 0, y: 0, legend: false });
  }
  return boxes;
}

const viewBoxOf = (svg: string) => {
  const [, width, height] = /viewBox="0 0 ([\d.]+) ([\d.]+)"/.exec(svg)!;
  return { width: Number(width), height: Number(height) };
};

describe('the discovery plot', () => {
  it.each(series.map((s) => [s.file, s.points] as const))(
    '%s: the legend names both methods in full, and lies inside the picture',
    async (_file, points) => {
      // GIVEN the figures of a series WHEN the plot is drawn
      const svg = await discoveryPlotSvg(points);
      // THEN both labels are whole (no "…")
      const texts = textsOf(svg);
      expect(texts).toEqual(expect.arrayContaining(['due index (Lethe)', 'full-table Scan (naive)']));
      expect(texts.filter((t) => t.includes('…'))).toEqual([]);
      // AND the legend's box, and each entry's, is inside the viewBox
      const boxes = legendBoxes(svg);
      expect(boxes.length).toBeGreaterThan(2); // the legend and its two entries
      const view = viewBoxOf(svg);
      const outside = boxes.filter((b) => b.x < 0 || b.y < 0 || b.x + b.width > view.width || b.y + b.height > view.height);
      expect(outside).toEqual([]);
    },
  );

  it.each([
    ['the same 1 000 due at every size', sameDue.points, '1 000 due at every size', '1 %'],
    ['1 % of each size due', onePercent.points, '1 % due at every size', '1 000 due'],
  ] as const)('with %s, the title says so and no text says otherwise', async (_what, points, says, contradiction) => {
    // GIVEN a series WHEN it is plotted without a title of the caller's
    const texts = textsOf(await discoveryPlotSvg(points));
    // THEN the title says what was due, and no axis or title contradicts it
    expect(texts.filter((t) => t.includes(says))).toHaveLength(1);
    expect(texts.filter((t) => t.includes(contradiction))).toEqual([]);
    // AND every axis says what it shows
    expect(texts).toEqual(
      expect.arrayContaining(['ledger size (holdings)', 'time to find what is due (ms)', "cost of one sweep's reads (USD)", 'items read']),
    );
  });

  it.each(series.map((s) => [s.file, s.points] as const))(
    '%s is the plot of the figures docs/benchmarks.md gives',
    async (file, points) => {
      // GIVEN the committed picture WHEN the stored figures are plotted again THEN it is the same picture
      expect(readFileSync(path.join(ROOT, file), 'utf8')).toBe(`${await discoveryPlotSvg(points)}\n`);
    },
  );
});
