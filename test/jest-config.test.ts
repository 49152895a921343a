/**
 * jest.config.js: the two lanes (issue 17, item 7). `npm run test:unit` runs the `unit` project and `npm test` both, so
 * every test file must be in exactly one of them; the full runs of a fast-check suite (`x.full.test.ts`) are in the
 * integration lane and run the same suite as its unit-lane file, which samples a fifth of the runs
 * (test/support/property-runs.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { FULL_SUFFIX, propertyRuns, UNIT_SHARE } from './support/property-runs';

const ROOT = path.join(__dirname, '..');

interface Project {
  readonly displayName: string;
  readonly testRegex: string;
}
/* eslint-disable @typescript-eslint/no-require-imports -- the configuration is CommonJS, as Jest reads it */
const config: { readonly projects: readonly Project[] } = require('../jest.config.js');
/* eslint-enable @typescript-eslint/no-require-imports */

/** Every `*.test.ts` under test/, as the absolute path Jest matches `testRegex` against. */
const testFiles = readdirSync(path.join(ROOT, 'test'), { withFileTypes: true, recursive: true })
  .filter((entry) => entry.isFile() && entry.name.endsWith('.test.ts'))
  .map((entry) => path.join(entry.parentPath, entry.name).split(path.sep).join('/'))
  .sort();

/** The lanes whose `testRegex` takes `file`. */
const lanesOf = (file: string): string[] => config.projects.filter((p) => new RegExp(p.testRegex).test(file)).map((p) => p.displayName);

const rel = (file: string): string => path.relative(ROOT, file).split(path.sep).join('/');

describe('the lanes', () => {
  it('are unit and integration, and the walk finds test files of both', () => {
    expect(config.projects.map((p) => p.displayName)).toEqual(['unit', 'integration']);
    expect(testFiles.length).toBeGreaterThan(100);
    expect(lanesOf(path.join(ROOT, 'test/structure.test.ts'))).toEqual(['unit']);
    expect(lanesOf(path.join(ROOT, 'test/integration/local-mode.test.ts'))).toEqual(['integration']);
  });

  it('put every test file in exactly one lane', () => {
    const notInOne = testFiles.filter((file) => lanesOf(file).length !== 1).map((file) => [rel(file), lanesOf(file)]);
    expect(notInOne).toEqual([]);
  });

  it('run each full twin in the integration lane, importing its suite, which the unit lane runs', () => {
    const twins = testFiles.filter((file) => file.endsWith(FULL_SUFFIX));
    expect(twins.map(rel)).toEqual(
      expect.arrayContaining(['test/fuzz/api.fuzz.full.test.ts', 'test/lib/planner/plan.property.full.test.ts']),
    );
    for (const twin of twins) {
      const suite = `${twin.slice(0, -FULL_SUFFIX.length)}.test.ts`;
      const imported = `./${path.basename(suite, '.ts')}`;
      expect({ twin: rel(twin), lanes: lanesOf(twin), imports: readFileSync(twin, 'utf8').includes(`import '${imported}';`) }).toEqual({
        twin: rel(twin),
        lanes: ['integration'],
        imports: true,
      });
      expect({ suite: rel(suite), lanes: lanesOf(suite) }).toEqual({ suite: rel(suite), lanes: ['unit'] });
    }
  });
});

describe('propertyRuns', () => {
  it.each([
    [300, 'test/lib/planner/plan.property.full.test.ts', 300],
    [300, 'test/lib/planner/plan.property.test.ts', 60],
    [250, 'test/fuzz/api.fuzz.test.ts', 50],
    [40, 'test/fuzz/policy-loader.fuzz.test.ts', 8],
    [1, 'test/fuzz/policy-loader.fuzz.test.ts', 1],
    [40, 'test/fuzz/policy-loader.fuzz.full.test.ts', 40],
    [300, 'test/lib/planner/plan.property.full.test.ts.bak', 60],
  ])('gives a property of %i runs in %s %i runs', (full, file, expected) => {
    expect(propertyRuns(full, path.join(ROOT, file))).toEqual({ numRuns: expected });
  });

  it('reads the file Jest runs when none is given: this one, a unit-lane file', () => {
    expect(propertyRuns(300)).toEqual({ numRuns: 300 / UNIT_SHARE });
  });
});
