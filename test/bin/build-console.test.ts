/**
 * bin/build-console.js: builds the console into a directory: index.html, app.js (Preact bundled in) and app.css, with
 * nothing fetched from elsewhere (no CDN, no URL other than the XML namespaces Preact names elements with).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '../..');
/** Namespace names, not addresses anything is loaded from: Preact sets them on SVG and MathML elements. */
const NAMESPACES = new Set(['http://www.w3.org/2000/svg', 'http://www.w3.org/1998/Math/MathML', 'http://www.w3.org/1999/xhtml']);

describe('node bin/build-console.js DIR', () => {
  const out = mkdtempSync(path.join(tmpdir(), 'lethe-console-build-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  beforeAll(() => {
    execFileSync(process.execPath, [path.join(ROOT, 'bin/build-console.js'), out], { cwd: ROOT, stdio: 'pipe' });
  }, 30_000);

  it.each(['index.html', 'app.js', 'app.css'])('writes %s', (file) => {
    expect(statSync(path.join(out, file)).size).toBeGreaterThan(100);
  });

  it('the page loads the bundle and the stylesheet from its own directory, and allows nothing from elsewhere', () => {
    const html = readFileSync(path.join(out, 'index.html'), 'utf8');
    expect(html).toContain('<script src="app.js" defer></script>');
    expect(html).toContain('<link rel="stylesheet" href="app.css" />');
    expect(html).toContain("default-src 'self'");
    expect(html).toContain('<div id="app"></div>');
  });

  it.each(['index.html', 'app.js', 'app.css'])('%s names no URL but the XML namespaces (nothing from a CDN)', (file) => {
    const text = readFileSync(path.join(out, file), 'utf8');
    const urls = [...text.matchAll(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}[^\s"'`)]*/gi)]
      .map((m) => m[0])
      .filter((url) => !NAMESPACES.has(url));
    expect(urls).toEqual([]);
  });

  it('app.js is one self-contained script: Preact inside, no module imports or requires left', () => {
    const js = readFileSync(path.join(out, 'app.js'), 'utf8');
    expect(js).not.toMatch(/\brequire\(|^import |\bimport\(/m);
    // Both languages' messages are in (esbuild writes non-ASCII characters as escapes: the file is ASCII).
    expect(['Skip to content', 'Hoppa till inneh\\xE5llet'].filter((text) => !js.includes(text))).toEqual([]);
    expect([...js].filter((c) => c.charCodeAt(0) > 0x7f)).toEqual([]);
  });
});
