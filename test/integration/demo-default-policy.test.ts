/**
 * `npx lethe demo` as a newcomer runs it: on the default policy (examples/dh-solutions.yaml, version 2, with item
 * purposes), starting its own local mode. It failed once on that policy while the test policy's run passed.
 * Needs Java 17+ (DynamoDB Local), as local mode does.
 */
import { runDemo } from '../../lib/demo/scenario';

jest.setTimeout(240_000);

test('runs end to end on the default policy', async () => {
  // WHEN the demo runs as `npx lethe demo` does, with no policy given
  const lines: string[] = [];
  const report = await runDemo({ out: (line) => lines.push(line) });

  // THEN its request completed, the sweep ran, and the audit chain is intact
  expect(report.requestId).toMatch(/^[0-9a-f-]{36}$/);
  expect(report.steps).toHaveLength(10);
  expect(report.sweep).toMatchObject({ status: 'SUCCEEDED' });
  expect(report.auditRecords).toBeGreaterThan(0);
  expect(lines.join('\n')).toContain('chain intact');
  // AND the item purposes it cannot register are named, never registered and refused midway
  expect(lines.join('\n')).toContain('bookkeeping: kept per item (per: item)');
}, 240_000);
