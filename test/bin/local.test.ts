/**
 * bin/local.ts (`npm start`) refuses bad usage the way `lethe` does: exit 2 with the reason, before starting anything.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

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
