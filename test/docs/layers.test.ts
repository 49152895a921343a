/**
 * docs/architecture.md, "Layers": the picture is the code's folder graph as dependency-cruiser reads it today
 * (`npm run deps:graph` writes it; issue 17, item 2). Fails when an import between folders is added or removed
 * without regenerating the page.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { LAYERS_END, LAYERS_START, layersGraph, withLayers } from '../../bin/deps-graph';

const PAGE = path.join(__dirname, '..', '..', 'docs', 'architecture.md');

test('GIVEN the imports of lib/, bin/ and lambdas/ WHEN collapsed to folders THEN docs/architecture.md shows that graph', () => {
  const page = readFileSync(PAGE, 'utf8');
  expect(withLayers(page, layersGraph())).toBe(page);
}, 60_000);

test('GIVEN a page and a graph WHEN the graph is written THEN only the text between the markers changes', () => {
  const page = `before\n${LAYERS_START}\nold\n${LAYERS_END}\nafter\n`;
  expect(withLayers(page, 'flowchart LR\na-->b\n')).toBe(
    `before\n${LAYERS_START}\n\n\`\`\`mermaid\nflowchart LR\na-->b\n\`\`\`\n\n${LAYERS_END}\nafter\n`,
  );
});
