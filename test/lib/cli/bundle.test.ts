/**
 * The `lethe` command is bundled once at install (bin/build-cli.js, run by `prepare`): the bundle prints what the
 * sources print, bin/lethe.js uses it only while it is current, and `.ci/run`'s `npm ci` builds it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../support/temp-dir';

const ROOT = join(__dirname, '..', '..', '..');
const bin = join(ROOT, 'bin', 'lethe.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { bundleFor, currentBundle } = require(bin) as {
  bundleFor: (root: string, args: readonly string[], env: Record<string, string | undefined>) => string | undefined;
  currentBundle: (root: string) => string | undefined;
};

describe('the bundled CLI', () => {
  const out = tempDir('lethe-bundle-');
  const dir = tempDir('lethe-bundle-in-');
  const subject = join(dir, 'subject.json');
  writeFileSync(
    subject,
    JSON.stringify({
      subjectId: 'customer-4711',
      holdings: [
        { purpose: 'customer-relationship', system: 'crm', collectedAt: '2025-03-01T10:00:00+01:00' },
        { purpose: 'bookkeeping', system: 'accounting', collectedAt: '2025-03-01T10:00:00+01:00', ref: 'INV-1001' },
      ],
      events: [{ type: 'invoiced', at: '2025-03-03T09:00:00+01:00', ref: 'INV-1001' }],
      request: { type: 'erasure', receivedAt: '2026-01-28T09:00:00+01:00' },
    }),
  );

  beforeAll(() => {
    const build = spawnSync(process.execPath, [join(ROOT, 'bin', 'build-cli.js'), out], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect({ status: build.status, stderr: build.stderr }).toEqual({ status: 0, stderr: '' });
  });

  /** The bundle in `out`, run as bin/lethe.js runs it, with nothing that compiles TypeScript loaded. */
  const fromBundle = (args: readonly string[]) =>
    spawnSync(
      process.execPath,
      [
        '-e',
        `require(${JSON.stringify(join(out, 'cli.js'))}).runAsync(process.argv.slice(1)).then((code) => {
          if (Object.keys(require.cache).some((file) => file.includes('/node_modules/tsx/'))) throw new Error('tsx loaded');
          process.exitCode = code;
        })`,
        '--',
        ...args,
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
    );
  const fromSources = (args: readonly string[]) =>
    spawnSync(process.execPath, [bin, ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, LETHE_CLI_SOURCE: '1' },
    });

  it.each([
    ['validate', ['validate', 'examples/dh-solutions.yaml']],
    ['validate, an invalid policy', ['validate', 'package.json']],
    ['plan', ['plan', '--policy', 'examples/dh-solutions.yaml', '--subject', subject, '--now', '2026-02-01T12:00:00+01:00']],
    ['--version', ['--version']],
  ])('%s: prints what the sources print, with the same exit code', (_name, args) => {
    // GIVEN the bundle and the sources WHEN both run the command
    const bundled = fromBundle(args);
    const source = fromSources(args);
    // THEN the output and exit code are the same, and the command did something
    expect({ status: bundled.status, stdout: bundled.stdout, stderr: bundled.stderr }).toEqual({
      status: source.status,
      stdout: source.stdout,
      stderr: source.stderr,
    });
    expect(source.stdout + source.stderr).not.toBe('');
  });

  it('lists the sources it was built from, main.ts among them, and demo stays outside (it runs from the sources)', () => {
    const inputs = JSON.parse(readFileSync(join(out, 'cli.inputs.json'), 'utf8')) as string[];
    expect(inputs).toEqual(expect.arrayContaining(['lib/cli/main.ts', 'lib/policy/load.ts', 'lib/audit/index.ts']));
    expect(inputs.filter((file) => file.startsWith('lib/demo/') || file.startsWith('lib/local/'))).toEqual([]);
  });
});

describe('bin/lethe.js: which CLI it runs', () => {
  /** A tree with dist/cli.js built at t=2000 s from lib/a.ts and lib/b.ts (both written at t=1000 s). */
  function tree(): string {
    const root = tempDir('lethe-bin-');
    mkdirSync(join(root, 'lib'));
    mkdirSync(join(root, 'dist'));
    for (const file of ['lib/a.ts', 'lib/b.ts']) {
      writeFileSync(join(root, file), '');
      utimesSync(join(root, file), 1000, 1000);
    }
    writeFileSync(join(root, 'dist', 'cli.js'), '');
    utimesSync(join(root, 'dist', 'cli.js'), 2000, 2000);
    writeFileSync(join(root, 'dist', 'cli.inputs.json'), JSON.stringify(['lib/a.ts', 'lib/b.ts']));
    return root;
  }

  it.each<{ name: string; change: (root: string) => void; used: boolean }>([
    { name: 'a bundle built after its sources', change: () => undefined, used: true },
    { name: 'a source edited after the build', change: (root) => utimesSync(join(root, 'lib', 'b.ts'), 3000, 3000), used: false },
    {
      name: 'a source removed',
      change: (root) => writeFileSync(join(root, 'dist', 'cli.inputs.json'), JSON.stringify(['lib/a.ts', 'lib/gone.ts'])),
      used: false,
    },
    { name: 'no list of sources', change: (root) => writeFileSync(join(root, 'dist', 'cli.inputs.json'), 'not json'), used: false },
    { name: 'an empty list of sources', change: (root) => writeFileSync(join(root, 'dist', 'cli.inputs.json'), '[]'), used: false },
    { name: 'no bundle', change: (root) => rmSync(join(root, 'dist', 'cli.js')), used: false },
  ])('$name: the bundle is used: $used', ({ change, used }) => {
    // GIVEN a tree WHEN it changes as named
    const root = tree();
    change(root);
    // THEN the bundle is used only while current
    expect(currentBundle(root)).toBe(used ? join(root, 'dist', 'cli.js') : undefined);
  });
});

describe('bin/lethe.js: the commands that run from the sources', () => {
  const root = tempDir('lethe-bin-route-');
  mkdirSync(join(root, 'dist'));
  writeFileSync(join(root, 'dist', 'cli.js'), '');
  writeFileSync(join(root, 'dist', 'cli.inputs.json'), JSON.stringify(['dist/cli.js']));

  it.each<{ args: string[]; env: Record<string, string>; bundle: boolean }>([
    { args: ['validate', 'policy.yaml'], env: {}, bundle: true },
    { args: ['validate', 'demo'], env: {}, bundle: true },
    { args: ['validate', 'policy.yaml'], env: { LETHE_CLI_SOURCE: '1' }, bundle: false },
    { args: ['demo'], env: {}, bundle: false },
    { args: ['demo', '--policy', 'policy.yaml'], env: {}, bundle: false },
  ])('$args with $env: the bundle: $bundle', ({ args, env, bundle }) => {
    expect(bundleFor(root, args, env)).toBe(bundle ? join(root, 'dist', 'cli.js') : undefined);
  });

  it('`lethe demo` with a policy that does not exist is bad input (exit 1, the file named), not an internal error', () => {
    // GIVEN the repository as it is (after `npm ci`, a current bundle) WHEN demo is given a missing policy
    const r = spawnSync(process.execPath, [bin, 'demo', '--policy', join(tempDir('lethe-bin-demo-'), 'missing.yaml')], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    // THEN it stops before starting anything and names the file
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 1, stderr: expect.stringMatching(/missing\.yaml: no such file/) });
    expect(r.stderr).not.toMatch(/internal error/);
  });
});

describe('the install builds the bundle', () => {
  it('`npm ci` in .ci/run runs the scripts, and `prepare` (which npm ci runs for the root package) builds the CLI, then the console', () => {
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.prepare).toBe('node bin/build-cli.js && node bin/build-console.js');
    expect(scripts['build:console']).toBe('node bin/build-console.js');
    expect(scripts['build:cli']).toBe('node bin/build-cli.js');
    const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
    const install = ci.split('\n').find((line) => /\bnpm ci\b/.test(line));
    expect(install).toBeDefined();
    expect(install).not.toMatch(/--ignore-scripts/);
  });

  it('dist/ is not committed', () => {
    expect(readFileSync(join(ROOT, '.gitignore'), 'utf8').split('\n')).toContain('dist/');
  });
});
