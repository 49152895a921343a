/**
 * Every `npx lethe ...` command in README.md and docs/*.md runs as written (issue 20, "Done when": a docs check runs
 * the README's and docs' CLI examples that need no AWS). A command on a file of your own (`policy.yaml`, `<file>`) is
 * run on examples/dh-solutions.yaml; the commands that need local mode or a file shown with `cat` are run by the test
 * named for them below, and this check fails when such a test is gone or a command is neither run here nor there.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { run, runAsync } from '../../lib/cli/main';
import { tempDir } from '../support/temp-dir';

const ROOT = join(__dirname, '..', '..');
const PAGES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const OWN_POLICY = 'examples/dh-solutions.yaml';

/** Commands run by another test, by their first words: the test that runs them. */
const RUN_ELSEWHERE: readonly (readonly [RegExp, string])[] = [
  [/^demo\b/, 'test/integration/demo-default-policy.test.ts'],
  // with the audit-chain table: needs DynamoDB Local with local mode's table, as the console's browser test starts it
  [/^audit verify --bucket .*--chain-table\b/, 'test/integration/console.test.ts'],
  [/^audit verify --bucket\b/, 'test/integration/audit-verify-local.test.ts'],
  [/^(expiry|plan) .*(holding|subject)\.json/, 'test/docs/readme.test.ts'],
  // a receipt needs a completed request (local mode), the stack's key a KMS key (aws-sdk-client-mock)
  [/^receipt public-key --key-id\b/, 'test/lib/cli/receipt.test.ts'],
  [/^receipt (public-key|verify)\b/, 'test/integration/receipt.test.ts'],
  // the console serves until Ctrl-C, for a running local mode or a deployed API
  [/^console\b/, 'test/lib/cli/console.test.ts'],
];

interface Example {
  readonly page: string;
  readonly command: string;
}

/** `npx lethe <args>` as written, up to the end of the code, a comment or a redirection. */
function examplesOf(page: string): Example[] {
  const text = readFileSync(join(ROOT, page), 'utf8');
  return [...text.matchAll(/npx lethe ([^`\n#>|]*)/g)]
    .map((m) => m[1].trim())
    .filter((command) => command !== '<command') // README's "npx lethe <command>": the form, not an example
    .map((command) => ({ page, command }));
}

const examples = PAGES.flatMap(examplesOf);
const elsewhere = (command: string) => RUN_ELSEWHERE.find(([pattern]) => pattern.test(command));
const runHere = examples.filter((e) => elsewhere(e.command) === undefined);

describe('the `npx lethe` commands of README.md and docs/*.md', () => {
  it('finds them (README and the register page have some)', () => {
    expect(runHere.some((e) => e.page === 'README.md')).toBe(true);
    expect(runHere.some((e) => e.page === 'docs/register.md')).toBe(true);
    expect(examples.length).toBeGreaterThan(runHere.length);
  });

  it.each([...new Set(RUN_ELSEWHERE.map(([, test]) => test))])('the test named for some of them exists: %s', (test) => {
    const source = readFileSync(join(ROOT, test), 'utf8');
    expect(source.length).toBeGreaterThan(0);
  });

  it.each(runHere.map((e) => [e.page, e.command] as const))('%s: npx lethe %s runs (exit 0)', async (_page, command) => {
    const argv = command
      .split(/\s+/)
      .map((arg) => (arg === 'policy.yaml' || arg === '<file' || arg === '<file>' ? OWN_POLICY : arg))
      .map((arg) => (existsSync(join(ROOT, arg)) && arg.includes('/') ? join(ROOT, arg) : arg));
    let stderr = '';
    const code = await runAsync(argv, { stdout: () => undefined, stderr: (t) => (stderr += t) });
    expect(stderr).not.toMatch(/internal error/);
    expect({ code, stderr }).toEqual({ code: 0, stderr: expect.any(String) as string });
  });
});

describe("README.md's `lethe validate` example", () => {
  /** `file:line:column: path: message` as [path, message]. */
  const issue = (line: string): [string, string] => {
    const m = /^[^:]+:\d+:\d+: (\S+): (.*)$/.exec(line);
    if (!m) throw new Error(`not an issue line: ${line}`);
    return [m[1], m[2]];
  };

  it('prints those three errors, in those words, for a policy with those three mistakes', () => {
    // GIVEN README's example output, and the default policy with the same three mistakes (README's policy has a
    // purpose 'orders'; the default policy's purpose with a keep is 'customer-relationship')
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const shown = /```console\n\$ npx lethe validate policy\.yaml\n([\s\S]*?)```/.exec(readme)![1].trim().split('\n');
    const doc = parse(readFileSync(join(ROOT, OWN_POLICY), 'utf8')) as {
      timezone: string;
      systems: Record<string, { location: string }>;
      purposes: Record<string, { retention: { keep?: string } }>;
    };
    doc.timezone = 'Europe/Stockhlm';
    doc.systems.crm.location = 'US';
    doc.purposes['customer-relationship'].retention.keep = '10 years';
    const file = join(tempDir('lethe-readme-validate-'), 'policy.yaml');
    writeFileSync(file, stringify(doc));
    // WHEN it is validated
    let stderr = '';
    const code = run(['validate', file], { stdout: () => undefined, stderr: (t) => (stderr += t) });
    // THEN exit 1, the same errors in the same words, and the same last line
    expect(code).toBe(1);
    const printed = stderr.trim().split('\n');
    expect(printed.at(-1)).toBe(shown.at(-1));
    expect(printed.slice(0, -1).map(issue)).toEqual(
      shown.slice(0, -1).map((line) => issue(line.replace('purposes.orders.', 'purposes.customer-relationship.'))),
    );
  });
});
