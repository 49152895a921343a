/**
 * console/app.css: WCAG 2.1 AA contrast (1.4.3: 4.5:1 for text) of every colour pair the stylesheet uses. The pairs
 * come from the CSS itself: each rule that sets `color: var(--x)` pairs it with the `background` of the same rule,
 * or with the page's (--bg) when the rule sets none; so a new rule with a new pair is checked without editing this.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

const CSS = readFileSync(path.join(__dirname, '../../console/app.css'), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');

/** The custom properties of :root, by name. */
function variables(css: string): Record<string, string> {
  const root = /:root\s*{([^}]*)}/.exec(css)![1];
  return Object.fromEntries([...root.matchAll(/(--[\w-]+)\s*:\s*([^;]+);/g)].map((m) => [m[1], m[2].trim()]));
}

/** Every innermost rule's text colour and background variable (either may be absent). */
function rules(css: string): { selector: string; fg?: string; bg?: string }[] {
  return [...css.matchAll(/([^{}]+){([^{}]*)}/g)].map((m) => ({
    selector: m[1].trim(),
    fg: /(?:^|[;\s])color\s*:\s*var\((--[\w-]+)\)/.exec(m[2])?.[1],
    bg: /(?:^|[;\s])background(?:-color)?\s*:\s*var\((--[\w-]+)\)/.exec(m[2])?.[1],
  }));
}

/** WCAG 2.x relative luminance of #rrggbb. */
function luminance(hex: string): number {
  const match = /^#([0-9a-f]{6})$/i.exec(hex);
  if (!match) throw new Error(`expected a #rrggbb colour; got "${hex}"`);
  const [r, g, b] = [0, 2, 4].map((i) => {
    const c = parseInt(match[1].slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

const vars = variables(CSS);

describe('the contrast ratio', () => {
  it.each([
    ['#000000', '#ffffff', 21],
    ['#ffffff', '#ffffff', 1],
    ['#767676', '#ffffff', 4.54],
    ['#777777', '#ffffff', 4.48],
  ])('of %s on %s is %d (WCAG examples: #767676 is the lightest grey that passes on white)', (a, b, expected) => {
    expect(contrast(a, b)).toBeCloseTo(expected, 2);
  });
});

describe('console/app.css', () => {
  const pairs = rules(CSS)
    .filter((r) => r.fg !== undefined || r.bg !== undefined)
    .filter((r) => r.selector !== ':root')
    .map((r) => ({ selector: r.selector, fg: r.fg ?? '--fg', bg: r.bg ?? '--bg' }));

  it('finds the pairs (the parse is not empty), every variable defined as #rrggbb', () => {
    expect(pairs.length).toBeGreaterThan(10);
    expect(pairs.map((p) => p.selector)).toEqual(
      expect.arrayContaining(['body', '.urgency.overdue', '.urgency.due-soon', 'button:disabled']),
    );
    for (const p of pairs) {
      expect(vars[p.fg]).toMatch(/^#[0-9a-f]{6}$/i);
      expect(vars[p.bg]).toMatch(/^#[0-9a-f]{6}$/i);
    }
  });

  it('every text colour on its background has a contrast of at least 4.5:1', () => {
    const failing = pairs
      .map((p) => ({ ...p, ratio: Math.round(contrast(vars[p.fg], vars[p.bg]) * 100) / 100 }))
      .filter((p) => p.ratio < 4.5);
    expect(failing).toEqual([]);
  });

  it('the focus outline stands out from the page by at least 3:1 (1.4.11), the header outline from the header', () => {
    expect(contrast(vars['--focus'], vars['--bg'])).toBeGreaterThanOrEqual(3);
    expect(contrast(vars['--header-fg'], vars['--header-bg'])).toBeGreaterThanOrEqual(3);
    expect(CSS).toMatch(/:focus-visible\s*{\s*outline: 3px solid var\(--focus\)/);
  });

  it('prints without the menu and buttons', () => {
    const print = /@media print\s*{([\s\S]*)}\s*$/.exec(CSS)![1];
    expect(print).toMatch(/\.no-print,\s*\.site-header,\s*button\s*{\s*display: none !important;/);
  });
});
