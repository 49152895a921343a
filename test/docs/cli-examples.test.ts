/**
 * Every `npx lethe ...` command in README.md and docs/*.md runs as written (issue 20, "Done when": a docs check runs
 * the README's and docs' CLI examples that need no AWS). A command on a file of your own (`policy.yaml`, `<file>`) is
 * run on examples/dh-solutions.yaml; the commands that need local mode or a file shown with `cat` are run by the test
 * named for them below, and this check fails when such a test is gone or a command is neither run here nor there.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runAsync } from '../../lib/cli/main';

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
  [/^audit verify --bucket\b/, 'test/integration/audit-verify-local.test.ts'],
  [/^(expiry|plan) .*(holding|subject)\.json/, 'test/docs/readme.test.ts'],
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
