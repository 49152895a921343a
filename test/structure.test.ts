/**
 * Tests are named after the file they test (issue 17, item 7): test/lib/x/y.test.ts tests lib/x/y.ts, and
 * test/lambdas/y.test.ts tests lambdas/y.ts. A variant of one file's tests adds a word before `.test.ts`
 * (y.s3rver.test.ts, y.limits.test.ts, y.fuzz.test.ts); a directory's index.ts counts as its file. The few suites that
 * test a behaviour across several files are listed below, each with its reason.
 */
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..');

/** Suites that test a behaviour across several files, not one file: the path under test/, and why. */
const CROSS_CUTTING: Readonly<Record<string, string>> = {
  'lambdas/erasure.test.ts': 'the erasure workflow: its three tasks (erasure-plan, erasure-system, erasure-finish) in order',
  'lambdas/sweep.test.ts': 'the sweep: its two tasks (sweep-read, sweep-apply) one after the other',
  'lib/bench/run-local.test.ts': 'lib/bench/run.ts against local mode (the integration lane, named in jest.config.js)',
  'lib/cli/bundle.test.ts': 'the lethe bundle (bin/build-cli.js, bin/lethe.js) against the sources',
  'lib/connectors/echo-descriptor.test.ts': "the test tree's echo connector type: a new type is one file plus one registry line",
  'lib/runtime/locating.test.ts': 'finding data by an identifier: registration, the ledger stream and the sweep',
  'lib/runtime/outcomes.test.ts': 'the kept-shared outcome through erasure, expiry, the ledger and the audit',
  'lib/runtime/retention.test.ts': "Lethe's own storage limitation: event store, requests and the tables' TTL",
  'lib/stack/bundles.test.ts': "every function's bundle against package-lock.json",
  'lib/stack/redeploy.test.ts': "the whole stack's removal policies and physical names",
  'lib/stack/time-budgets.test.ts': 'function timeouts against the template and the state machine definitions',
};

/** Every `*.test.ts` under `dir` (relative to test/), support files and fixtures aside. */
function testFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, 'test', dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.test.ts'))
    .map((entry) => path.relative(path.join(ROOT, 'test'), path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
}

/** The source files a test file may be named after: `y.ts` or `y/index.ts` for `y.test.ts` and `y.<variant>.test.ts`. */
function sourcesFor(testFile: string): string[] {
  const dir = path.posix.dirname(testFile);
  const base = path.posix.basename(testFile).split('.')[0];
  return [`${dir}/${base}.ts`, `${dir}/${base}/index.ts`];
}

const named = (testFile: string): boolean => sourcesFor(testFile).some((source) => existsSync(path.join(ROOT, source)));

describe('test files are named after the file they test', () => {
  const files = [...testFiles('lib'), ...testFiles('lambdas')];

  it('finds the test files (the walk is not empty)', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(files).toContain('lib/audit/writer.test.ts');
    expect(files).toContain('lambdas/api.test.ts');
  });

  it('every test file under test/lib and test/lambdas names an existing source file, or is a listed cross-cutting suite', () => {
    const unnamed = files.filter((file) => !named(file) && !(file in CROSS_CUTTING));
    expect(unnamed).toEqual([]);
  });

  it('every listed cross-cutting suite exists and names no single source file (else it is not cross-cutting)', () => {
    const stale = Object.keys(CROSS_CUTTING).filter((file) => !files.includes(file) || named(file));
    expect(stale).toEqual([]);
  });

  // The rule itself, on names that are not in the tree.
  it.each([
    ['lib/audit/writer.test.ts', true],
    ['lib/connectors/s3.s3rver.test.ts', true],
    ['lib/local/functions.line.test.ts', true],
    ['lib/runtime/index.test.ts', true],
    ['lib/local/functions-line.test.ts', false],
    ['lib/runtime/keys.test.ts', false],
    ['lib/audit/chain.test.ts', false],
  ])('%s names a source file: %s', (file, expected) => {
    expect(named(file)).toBe(expected);
  });
});
