/**
 * README.md's `lethe expiry` and `lethe plan` examples, run as a reader would: the input the README shows with
 * `cat`, the command it shows, and the output it prints (the plan's abridged reason aside).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../lib/cli/main';

const ROOT = join(__dirname, '..', '..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'lethe-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Example {
  readonly input: { readonly name: string; readonly text: string };
  readonly argv: readonly string[];
  readonly output: string;
}

/** The console block under a heading: `$ cat FILE`, its JSON, `$ npx lethe ...`, then the printed JSON. */
function example(heading: string): Example {
  const section = readme.slice(readme.indexOf(heading));
  const block = /```console\n([\s\S]*?)```/.exec(section)![1];
  const [, name, text, command, output] = /^\$ cat (\S+)\n([\s\S]*?)\n\$ npx lethe (.*)\n([\s\S]*)$/.exec(block)!;
  return { input: { name, text }, argv: command.split(' '), output };
}

function runExample(ex: Example): { code: number; stdout: string } {
  writeFileSync(join(dir, ex.input.name), ex.input.text);
  const argv = ex.argv.map((a) => (a === ex.input.name ? join(dir, a) : a.startsWith('examples/') ? join(ROOT, a) : a));
  let stdout = '';
  const code = run(argv, { stdout: (t) => (stdout += t), stderr: () => undefined });
  return { code, stdout };
}

describe('README.md', () => {
  it('`lethe expiry` prints what the README shows', () => {
    const ex = example('### `lethe expiry');
    const { code, stdout } = runExample(ex);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(JSON.parse(ex.output));
  });

  it('`lethe plan` prints what the README shows (its reason abridged)', () => {
    const ex = example('### `lethe plan');
    const { code, stdout } = runExample(ex);
    expect(code).toBe(0);
    const shown = JSON.parse(ex.output) as { retained: { reason: string }[] };
    const printed = JSON.parse(stdout) as { retained: { reason: string }[] };
    // The README shortens the reason with "...": the printed one starts with what it shows
    shown.retained.forEach((r, i) => {
      expect(printed.retained[i].reason.startsWith(r.reason.replace(/, \.\.\.$/, ''))).toBe(true);
      r.reason = printed.retained[i].reason;
    });
    expect(printed).toEqual(shown);
  });
});
