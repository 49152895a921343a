/**
 * docs/local-mode.md as a newcomer reads it (issue 20): its list of `npm start` options is the list bin/local.ts
 * declares, and the start-up time it shows in the banner is the one it names a run for.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const page = readFileSync(join(ROOT, 'docs', 'local-mode.md'), 'utf8');
const local = readFileSync(join(ROOT, 'bin', 'local.ts'), 'utf8');

/** The options bin/local.ts gives commander (`.option('--x <v>', ...)`), as `--x`. */
const declared = (source: string): string[] => [...source.matchAll(/\.option\(\s*'(--[a-z-]+)/g)].map((m) => m[1]).sort();

/** The options named in the paragraph that starts "Options (`npm start -- --help`)". */
function documented(markdown: string): string[] {
  const start = markdown.indexOf('Options (`npm start -- --help`)');
  if (start < 0) throw new Error('docs/local-mode.md has no "Options (`npm start -- --help`)" paragraph');
  const paragraph = markdown.slice(start, markdown.indexOf('\n\n', start));
  const named = [...paragraph.matchAll(/`(--[a-z-]+)[^`]*`/g)].map((m) => m[1]);
  return [...new Set(named)].filter((o) => o !== '--help').sort();
}

describe('docs/local-mode.md', () => {
  it('reads the options it should (both lists are found)', () => {
    expect(declared(local)).toEqual(expect.arrayContaining(['--policy', '--port', '--quiet']));
    expect(documented('Options (`npm start -- --help`): `--a <x>`, `--b` (and `--help`).\n\nnext')).toEqual(['--a', '--b']);
  });

  it('lists every option of npm start, and none it does not have', () => {
    expect(documented(page)).toEqual(declared(local));
  });

  it('the banner it shows started in the time of a run it names (commit and load)', () => {
    const shown = /Lethe local mode is running \(started in (\d+(?:\.\d+)?) s\)/.exec(page)?.[1];
    expect(shown).toBeDefined();
    const prose = page.slice(page.indexOf('## What you see'), page.indexOf('```console', page.indexOf('## What you see')));
    expect(prose).toMatch(new RegExp(`${shown!.replace('.', '\\.')} s\\s+at\\s+commit\\s+[0-9a-f]{7}\\b[^.]*load average`));
  });
});
