/**
 * docs/architecture.png is the Mermaid diagram of docs/architecture.md rendered: the page records the sha256 of the
 * source the image was rendered from, and this fails when the diagram (regenerated from the app by
 * `npm run diagram`) has changed since, until the image is rendered again (the command is on the page).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

const DOCS = path.join(__dirname, '..', '..', 'docs');
const page = readFileSync(path.join(DOCS, 'architecture.md'), 'utf8');

/** The Mermaid block's text, lines as `awk` prints them (each with its newline). */
function mermaidSource(markdown: string): string {
  const block = /^```mermaid\n([\s\S]*?)^```$/m.exec(markdown);
  if (!block) throw new Error('docs/architecture.md has no ```mermaid block');
  return block[1];
}

test('GIVEN docs/architecture.md WHEN its Mermaid source is hashed THEN it is the source architecture.png was rendered from', () => {
  const recorded = /sha256 of the source: `([0-9a-f]{64})`/.exec(page)?.[1];
  expect(recorded).toBeDefined();
  expect(createHash('sha256').update(mermaidSource(page)).digest('hex')).toBe(recorded);
});

test('GIVEN docs/architecture.png WHEN read THEN it is a PNG image the page shows', () => {
  const png = readFileSync(path.join(DOCS, 'architecture.png'));
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  // IHDR: width and height, big-endian, at bytes 16 and 20
  expect(png.readUInt32BE(16)).toBeGreaterThan(500);
  expect(png.readUInt32BE(20)).toBeGreaterThan(500);
  expect(page).toContain('](architecture.png)');
});
