/**
 * bin/local.ts (`npm start`) refuses bad usage the way `lethe` does: exit 2 with the reason, before starting anything.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../support/eventually';
import { tempDir } from '../support/temp-dir';

const ROOT = join(__dirname, '..', '..');
const start = (...args: string[]) =>
  spawnSync(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'bin', 'local.ts'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });

describe('npm start --', () => {
  it.each([
    ['a port out of range', ['--port', '99999'], /--port must be a whole number from 0 to 65535, got "99999"/],
    ['an unknown option', ['--frobnicate'], /unknown option '--frobnicate'/],
  ])('exits 2 on %s, naming it', (_what, args, message) => {
    const r = start(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('exits 0 on --help', () => {
    expect(start('--help').status).toBe(0);
  });
});

/**
 * Ctrl-C (issue 20, item 2): local mode as `npm start` runs it (package.json's start script, in a child process with
 * its own TMPDIR, so that the s3rver directory it makes is seen and no other run's is), stopped by SIGINT.
 */
describe('npm start, then Ctrl-C', () => {
  jest.setTimeout(300_000);

  /** package.json's start script as [command, ...args], tsx's and node's paths made absolute. */
  function startCommand(): string[] {
    const script = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
    const [command, ...args] = script.split(' ');
    if (command === 'tsx') return [process.execPath, join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), ...args];
    if (command === 'node') return [process.execPath, ...args];
    throw new Error(`unexpected start script: ${script}`);
  }

  function startChild() {
    const tmp = tempDir('lethe-sigint-');
    const [command, ...args] = startCommand();
    const child = spawn(
      command,
      [...args, '--data-dir', join(tmp, 'data'), '--port', '0', '--console-port', '0', '--no-seed', '--no-sweeps', '--quiet'],
      { cwd: ROOT, env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const s3Dirs = () => readdirSync(tmp).filter((name) => name.startsWith('lethe-s3-'));
    return { child, output: () => out, exited, s3Dirs };
  }

  it('GIVEN local mode running WHEN Ctrl-C arrives twice at once THEN it prints "Stopped.", exits 0 and leaves no s3rver directory', async () => {
    const run = startChild();
    try {
      await eventually('the banner', () => (run.output().includes('Lethe local mode is running') ? true : undefined), 240_000, 200);
      expect(run.s3Dirs()).toHaveLength(1);
      run.child.kill('SIGINT');
      await new Promise((resolve) => setTimeout(resolve, 300));
      run.child.kill('SIGINT');
      const code = await run.exited;
      expect({ code, stopped: run.output().includes('Stopped.') }).toEqual({ code: 0, stopped: true });
      expect(run.s3Dirs()).toEqual([]);
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  it('GIVEN local mode running WHEN Ctrl-C arrives again and again while it stops and exits (within the 1.5 s a repeat is the same one) THEN it still exits 0, "Stopped."', async () => {
    const run = startChild();
    try {
      await eventually('the banner', () => (run.output().includes('Lethe local mode is running') ? true : undefined), 240_000, 200);
      // WHEN SIGINT every 2 ms for 1.2 s from the first: some arrive after the stop has ended, while the process exits
      let exited = false;
      void run.exited.then(() => (exited = true));
      const first = Date.now();
      while (!exited && Date.now() - first < 1_200) {
        run.child.kill('SIGINT');
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      // THEN none of them killed it: it stopped and exited 0
      const code = await run.exited;
      expect({ code, stopped: run.output().includes('Stopped.') }).toEqual({ code: 0, stopped: true });
      expect(run.s3Dirs()).toEqual([]);
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  it('GIVEN local mode starting (s3rver up, no banner yet) WHEN Ctrl-C arrives THEN it stops what started, prints "Stopped." and leaves no s3rver directory', async () => {
    const run = startChild();
    try {
      await eventually('the s3rver directory', () => (run.s3Dirs().length > 0 ? true : undefined), 240_000, 20);
      expect(run.output()).not.toContain('Lethe local mode is running');
      run.child.kill('SIGINT');
      const code = await run.exited;
      expect({ code, stopped: run.output().includes('Stopped.') }).toEqual({ code: 0, stopped: true });
      expect(run.s3Dirs()).toEqual([]);
    } finally {
      run.child.kill('SIGKILL');
    }
  });
});
