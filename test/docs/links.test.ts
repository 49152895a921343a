/**
 * Every relative link in README.md and docs/*.md leads somewhere: the file exists and, for a `#anchor`, the target
 * has a heading with that slug (GitHub's rules: lowercase, punctuation removed, spaces to '-', a repeated heading
 * numbered -1, -2, ...). Links inside code (fenced blocks, `inline code`) are not links and are left out.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const PAGES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
] as const;

/** A Markdown page without its fenced code blocks (blanked, so that line numbers stay). */
function withoutFences(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, (block) => block.replace(/[^\n]/g, ' '));
}

/** A Markdown page without its code: fenced blocks and inline code blanked. */
function withoutCode(markdown: string): string {
  return withoutFences(markdown).replace(/`[^`\n]*`/g, (code) => ' '.repeat(code.length));
}

/** GitHub's heading anchor: lowercase, Markdown and punctuation removed, each space a '-'. */
export function githubSlug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link's text
    .replace(/[`*]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\- _]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a Markdown page's headings, repeated ones numbered as GitHub numbers them. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, heading] of withoutFences(markdown).matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const base = githubSlug(heading);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

interface Link {
  readonly page: string;
  readonly line: number;
  readonly target: string;
}

/** The relative links and images of a page: `[text](target)`, `![alt](target)` and `[label]: target`. */
function linksOf(page: string): Link[] {
  const text = withoutCode(readFileSync(join(ROOT, page), 'utf8'));
  const links: Link[] = [];
  const add = (index: number, target: string) => {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return; // https:, mailto:, ...
    links.push({ page, line: text.slice(0, index).split('\n').length, target });
  };
  for (const m of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) add(m.index, m[1]);
  for (const m of text.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/gm)) add(m.index, m[1]);
  return links;
}

/** Why a link is broken, or undefined when it leads somewhere. */
function brokenBecause(link: Link): string | undefined {
  const [pathPart, anchor] = link.target.split('#', 2) as [string, string | undefined];
  const file = pathPart === '' ? join(ROOT, link.page) : join(ROOT, dirname(link.page), decodeURIComponent(pathPart));
  if (!existsSync(file)) return `${relative(ROOT, file)} does not exist`;
  if (anchor === undefined || anchor === '') return undefined;
  if (!file.endsWith('.md') || statSync(file).isDirectory()) return `#${anchor} points into ${relative(ROOT, file)}, which has no headings`;
  return anchorsOf(readFileSync(file, 'utf8')).has(decodeURIComponent(anchor))
    ? undefined
    : `${relative(ROOT, file)} has no heading #${anchor}`;
}

describe('GitHub heading slugs', () => {
  it.each([
    ['Finding what is due, from 10 000 to 1 000 000 holdings', 'finding-what-is-due-from-10-000-to-1-000-000-holdings'],
    ['`lethe expiry`: when is it due?', 'lethe-expiry-when-is-it-due'],
    ['Then deploy', 'then-deploy'],
    ['What it *is* (and is not)', 'what-it-is-and-is-not'],
    ['See [the spec](x.md) first', 'see-the-spec-first'],
    ['Étape 1 — sub_step', 'étape-1--sub_step'],
  ])('%s -> %s', (heading, slug) => {
    expect(githubSlug(heading)).toBe(slug);
  });

  it('numbers a repeated heading -1, -2', () => {
    // GIVEN a page with the same heading three times WHEN its anchors are read
    const anchors = anchorsOf('## Example\n\n## Example\n\n## Example\n');
    // THEN GitHub's three anchors are there
    expect([...anchors]).toEqual(['example', 'example-1', 'example-2']);
  });
});

describe('relative links in README.md and docs/*.md', () => {
  it('finds links on every page it checks (the check reads what it should)', () => {
    expect(PAGES.length).toBeGreaterThan(5);
    expect(linksOf('README.md').length).toBeGreaterThan(0);
  });

  it('a broken link is told, with why', () => {
    // GIVEN links to a missing file and a missing heading
    const missingFile = brokenBecause({ page: 'docs/demo.md', line: 1, target: 'docs/deploy.md' });
    const missingHeading = brokenBecause({ page: 'README.md', line: 1, target: 'docs/deploy.md#no-such-heading' });
    // THEN each is reported
    expect(missingFile).toBe('docs/docs/deploy.md does not exist');
    expect(missingHeading).toBe('docs/deploy.md has no heading #no-such-heading');
  });

  it.each(PAGES)('%s: every relative link leads to a file (and heading) that exists', (page) => {
    const broken = linksOf(page)
      .map((link) => ({ link, why: brokenBecause(link) }))
      .filter(({ why }) => why !== undefined)
      .map(({ link, why }) => `${link.page}:${link.line}: (${link.target}) ${why}`);
    expect(broken).toEqual([]);
  });
});
