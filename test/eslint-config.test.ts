/**
 * eslint.config.mjs (`npm run lint`, a gate in .ci/run; issue 17, item 7): the rules it promises fire on the code they
 * forbid and stay quiet on code they allow, type-aware rules included, with the project's configuration file as it is.
 * The snippets are linted as files of a scratch directory whose tsconfig.json extends the project's (its compiler
 * options, not its files), so that type information costs a second instead of loading the whole tree. ESLint runs in a
 * child process (test/support/eslint-probe.js): it loads its configuration with import(), which Jest cannot serve.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..');

interface Message {
  readonly ruleId: string | null;
  readonly severity: number;
  readonly message: string;
}

/** [what, code, file name, the rule ids expected: none for code the configuration allows]. */
const SNIPPETS: readonly (readonly [string, string, string, readonly (string | null)[]])[] = [
  [
    'a promise neither awaited nor handled',
    'async function save(): Promise<number> {\n  return 1;\n}\nexport function run(): void {\n  save();\n}\n',
    'probe.ts',
    ['@typescript-eslint/no-floating-promises'],
  ],
  [
    'an any, and a member read from it',
    'export function nameOf(x: any): string {\n  return String(x.name);\n}\n',
    'probe.ts',
    ['@typescript-eslint/no-explicit-any', '@typescript-eslint/no-unsafe-member-access'],
  ],
  [
    'an object in a template literal',
    'export const say = (o: { a: number }): string => `got ${o}`;\n',
    'probe.ts',
    ['@typescript-eslint/no-base-to-string', '@typescript-eslint/restrict-template-expressions'],
  ],
  [
    'a promise-returning callback where void is expected',
    'export function each(xs: number[], f: (x: number) => Promise<void>): void {\n  xs.forEach(f);\n}\n',
    'probe.ts',
    ['@typescript-eslint/no-misused-promises'],
  ],
  [
    'an eslint-disable comment that suppresses nothing',
    '// eslint-disable-next-line no-console\nexport const one = 1;\n',
    'probe.ts',
    [null],
  ],
  ['typed code', 'export const next = (n: number): number => n + 1;\n', 'probe.ts', []],
  ['a number in a template literal (allowNumber)', 'export const say = (n: number): string => `got ${n}`;\n', 'probe.ts', []],
  [
    'an awaited promise',
    'async function save(): Promise<number> {\n  return 1;\n}\nexport async function run(): Promise<number> {\n  return await save();\n}\n',
    'probe.ts',
    [],
  ],
  ['a parameter unused on purpose (the _ prefix)', 'export const ignore = (_event: string): number => 0;\n', 'probe.ts', []],
  [
    'a CommonJS script with an unused variable (no type information; Node globals known)',
    "const unused = 1;\nconsole.log(require('node:path').sep, process.pid, __dirname);\n",
    'script.cjs',
    ['no-unused-vars'],
  ],
];

/** [a file of the project, ignored]: only generated output is. */
const IGNORED: readonly (readonly [string, boolean])[] = [
  ['dist/lethe.js', true],
  ['cdk.out/asset.1/index.js', true],
  ['.lethe/state.js', true],
  ['coverage/lcov-report/prettify.js', true],
  ['packages/connector-sdk/dist/index.js', true],
  ['lib/runtime/api.ts', false],
  ['packages/connector-sdk/build.js', false],
  ['eslint.config.mjs', false],
];

/** [a file of the project, the severity of no-unsafe-member-access there]: relaxed in tests only. */
const RELAXED: readonly (readonly [string, number])[] = [
  ['lib/runtime/api.ts', 2],
  ['test/lib/runtime/api.test.ts', 0],
];

let answer: { snippets: Message[][]; ignored: boolean[]; rulesOf: Record<string, unknown[]>[] };

beforeAll(() => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'lethe-eslint-'));
  try {
    writeFileSync(
      path.join(scratch, 'tsconfig.json'),
      JSON.stringify({ extends: path.join(ROOT, 'tsconfig.json'), compilerOptions: { types: [] }, files: ['probe.ts'], include: [] }),
    );
    writeFileSync(path.join(scratch, 'probe.ts'), 'export {};\n');
    const request = {
      root: ROOT,
      scratch,
      snippets: SNIPPETS.map(([, code, file]) => ({ code, file })),
      ignored: IGNORED.map(([file]) => file),
      rulesOf: RELAXED.map(([file]) => file),
    };
    const run = spawnSync(process.execPath, [path.join(ROOT, 'test', 'support', 'eslint-probe.js')], {
      cwd: ROOT,
      input: JSON.stringify(request),
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (run.status !== 0) throw new Error(`the ESLint probe failed (status ${run.status}):\n${run.stderr}`);
    answer = JSON.parse(run.stdout) as typeof answer;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}, 60_000);

describe('the rules fire on what they forbid, and only there', () => {
  it.each(SNIPPETS.map(([what, , , expected], i) => [what, i, expected] as const))(
    'GIVEN %s WHEN linted THEN the rules reported are exactly the expected ones',
    (_what, i, expected) => {
      const messages = answer.snippets[i];
      expect(messages.map((m) => m.ruleId).sort()).toEqual([...expected].sort());
      expect(messages.every((m) => m.severity === 2)).toBe(true);
    },
  );

  it('GIVEN an eslint-disable comment that suppresses nothing WHEN linted THEN the problem reported is that directive', () => {
    const i = SNIPPETS.findIndex(([what]) => what.startsWith('an eslint-disable comment'));
    expect(answer.snippets[i].map((m) => m.message)).toEqual([expect.stringMatching(/^Unused eslint-disable directive/)]);
  });

  it('GIVEN a snippet WHEN linted THEN it was parsed (no parsing error, which has no rule id either)', () => {
    const parsing = answer.snippets.flat().filter((m) => m.message.startsWith('Parsing error'));
    expect(parsing).toEqual([]);
  });
});

describe("the project's files", () => {
  it.each(IGNORED.map(([file, ignored], i) => [file, ignored, i] as const))(
    'GIVEN %s WHEN asked THEN ignored is %s',
    (_file, ignored, i) => {
      expect(answer.ignored[i]).toBe(ignored);
    },
  );

  it.each(RELAXED.map(([file, severity], i) => [file, severity, i] as const))(
    'GIVEN %s WHEN its configuration is read THEN no-unsafe-member-access has severity %i',
    (_file, severity, i) => {
      expect(answer.rulesOf[i]['@typescript-eslint/no-unsafe-member-access'][0]).toBe(severity);
    },
  );
});
