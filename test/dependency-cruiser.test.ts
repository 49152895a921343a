/**
 * .dependency-cruiser.cjs: each layer rule fires on the import it forbids and stays quiet on what the layering allows
 * (issue 17, item 2). The imports are small files in a scratch tree laid out as Lethe's, cruised once with the
 * project's configuration. The rules on packages (no AWS in the domain, no CDK in lambdas/, no devDependency in
 * deployed code) need the real node_modules and are checked by `npm run deps:check` on the tree itself.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..');

interface Violation {
  readonly from: string;
  readonly to: string;
  readonly rule: { readonly name: string; readonly severity: string };
}

/** The import that closes a cycle: dependency-cruiser reports a cycle once, at the file the case before names. */
const CYCLE_CLOSED: readonly string[] = [];

/** [importing file, imported file (repo paths), how, the rules expected to fire: none when allowed]. */
const CASES: readonly (readonly [string, string, 'import' | 'type' | 'lazy', readonly string[]])[] = [
  ['lib/core/a.ts', 'lib/runtime/ledger.ts', 'import', ['core-is-the-kernel']],
  ['lib/core/b.ts', 'lib/core/contract.ts', 'import', []],
  ['lib/policy/a.ts', 'lib/connectors/http.ts', 'import', ['domain-is-pure']],
  ['lib/policy/b.ts', 'lib/connectors/registry.ts', 'import', []],
  ['lib/policy/c.ts', 'lib/connectors/types/s3.ts', 'import', []],
  ['lib/retention/a.ts', 'lib/runtime/ledger.ts', 'type', ['domain-is-pure']],
  ['lib/connectors/a.ts', 'lib/runtime/ledger.ts', 'import', ['connectors-below-runtime']],
  ['lib/connectors/b.ts', 'lib/policy/model.ts', 'type', []],
  ['lib/audit/a.ts', 'lib/runtime/ledger.ts', 'import', ['audit-below-runtime']],
  ['lib/runtime/a.ts', 'lib/stack/table-specs.ts', 'import', ['runtime-below-deployment']],
  ['lib/runtime/b.ts', 'lib/audit/writer.ts', 'import', []],
  ['lib/runtime/c.ts', 'bin/app.ts', 'import', ['lib-not-to-entry-points', 'runtime-below-deployment']],
  ['lambdas/a.ts', 'lib/stack/table-specs.ts', 'import', ['lambdas-are-runtime-entries']],
  ['lambdas/b.ts', 'lib/runtime/ledger.ts', 'import', []],
  ['lib/stack/a.ts', 'lib/local/start.ts', 'import', ['local-mode-for-tools-only', 'stack-not-to-tools']],
  ['lib/local/a.ts', 'lib/stack/table-specs.ts', 'import', []],
  ['lib/local/b.ts', 'lib/stack/lethe-stack.ts', 'import', ['local-mode-without-cdk']],
  ['lib/cli/a.ts', 'lib/local/start.ts', 'lazy', ['local-mode-for-tools-only']],
  ['lib/demo/a.ts', 'lib/bench/run.ts', 'import', ['demo-and-bench-apart']],
  ['lib/demo/b.ts', 'lib/local/start.ts', 'import', []],
  // two files importing each other (a cycle): through load-time imports, through a lazy require, through types only
  ['lib/planner/x.ts', 'lib/planner/y.ts', 'import', ['no-circular', 'no-circular-through-lazy-require']],
  ['lib/planner/y.ts', 'lib/planner/x.ts', 'import', CYCLE_CLOSED],
  ['lib/register/x.ts', 'lib/register/y.ts', 'import', ['no-circular-through-lazy-require']],
  ['lib/register/y.ts', 'lib/register/x.ts', 'lazy', CYCLE_CLOSED],
  ['lib/anonymise/x.ts', 'lib/anonymise/y.ts', 'type', []],
  ['lib/anonymise/y.ts', 'lib/anonymise/x.ts', 'type', CYCLE_CLOSED],
];

function specifier(from: string, to: string): string {
  const rel = path.relative(path.dirname(from), to).replace(/\.ts$/, '');
  return rel.startsWith('.') ? rel : `./${rel}`;
}

let violations: Violation[];

beforeAll(() => {
  // GIVEN a scratch tree with one import per case, cruised with the project's rules
  const dir = mkdtempSync(path.join(tmpdir(), 'lethe-depcruise-'));
  try {
    const sources = new Map<string, string[]>();
    CASES.forEach(([from, to, how], i) => {
      const spec = specifier(from, to);
      const line = {
        import: `import * as m${i} from '${spec}';\nexport const uses${i} = [m${i}];`,
        type: `import type * as m${i} from '${spec}';\nexport type Uses${i} = typeof m${i};`,
        lazy: `export const load${i} = (): unknown => require('${spec}');`,
      }[how];
      sources.set(from, [...(sources.get(from) ?? []), line]);
      if (!sources.has(to)) sources.set(to, []);
    });
    for (const [file, lines] of sources) {
      mkdirSync(path.join(dir, path.dirname(file)), { recursive: true });
      writeFileSync(path.join(dir, file), lines.length ? `${lines.join('\n')}\n` : 'export const value = 1;\n');
    }
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'commonjs', strict: true } }));
    // WHEN dependency-cruiser checks it
    const run = spawnSync(
      path.join(ROOT, 'node_modules', '.bin', 'depcruise'),
      ['lib', 'bin', 'lambdas', '--config', path.join(ROOT, '.dependency-cruiser.cjs'), '--output-type', 'json'],
      { cwd: dir, encoding: 'utf8' },
    );
    violations = (JSON.parse(run.stdout) as { summary: { violations: Violation[] } }).summary.violations;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

// THEN each import breaks exactly the rules its layer forbids
test.each(CASES.map(([from, to, how, rules]) => [from, how, to, rules] as const))('%s (%s) %s: %j', (from, _how, to, rules) => {
  const fired = violations.filter((v) => v.from === from && (v.to === to || v.rule.name.startsWith('no-circular')));
  expect([...new Set(fired.map((v) => v.rule.name))].sort()).toEqual([...rules].sort());
});

test('a cycle through load-time imports is an error; one closed by a lazy require only a warning', () => {
  expect(violations.filter((v) => v.rule.name === 'no-circular').every((v) => v.rule.severity === 'error')).toBe(true);
  expect(violations.filter((v) => v.rule.name === 'no-circular-through-lazy-require').every((v) => v.rule.severity === 'warn')).toBe(true);
});
