/**
 * lib/local/functions.ts: the functions' TypeScript is compiled by esbuild in the host's thread, once per entry file,
 * and each worker runs the compiled code. Before, each worker compiled through tsx, whose esbuild started a service
 * process from a thread of the worker; the worker's stop of it (or its end) left that process a zombie nobody reaped,
 * one per worker started (17 in local mode, more as workers were started again).
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { FunctionLogService, FunctionsService } from '../../../lib/local/function-services';
import { eventually } from '../../support/eventually';
import { tempDir } from '../../support/temp-dir';

jest.setTimeout(90_000);

const FIXTURES = path.join(__dirname, 'fixtures');

/** The esbuild processes in this process's tree, in any state (a zombie has state Z and keeps its name). */
function esbuildProcesses(): string[] {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,stat=,comm=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s*(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map(([, pid, ppid, stat, comm, args]) => ({ pid, ppid, stat, comm, args }));
  const ours = new Set([String(process.pid)]);
  for (let grew = true; grew;) {
    grew = false;
    for (const row of rows) if (ours.has(row.ppid) && !ours.has(row.pid)) grew = Boolean(ours.add(row.pid));
  }
  return rows.filter((row) => ours.has(row.pid) && row.comm.startsWith('esbuild')).map((row) => `${row.pid} ${row.stat} ${row.args}`);
}

test('GIVEN the function service with functions whose TypeScript was never compiled WHEN they are warm, invoked (one times out, one exits and starts again) and the service stops THEN at most one esbuild process ran, and none is left', async () => {
  // GIVEN the esbuild processes this Jest worker had before (another test file's: the worker is reused, and Jest's
  // resolver transforms Preact with esbuild in it), which are not the service's
  const before = new Set(esbuildProcesses().map((row) => row.split(' ')[0]));
  const ours = () => esbuildProcesses().filter((row) => !before.has(row.split(' ')[0]));
  // AND three functions: two of one new entry file (new content: no cache of any compiler has it), one of another
  const dir = tempDir('lethe-esbuild-');
  const functionLog = new FunctionLogService({ dataDir: dir, log: () => undefined, echo: false });
  await functionLog.start();
  const service = new FunctionsService({ functionLog });
  await service.start();
  const host = service.host;
  const shared = path.join(dir, 'shared.ts');
  writeFileSync(shared, `// ${randomUUID()}\nexport const handler = async (event: { n: number }): Promise<number> => event.n + 1;\n`);
  const define = (name: string, entry: string, handlerName = 'handler', timeoutMs = 30_000) =>
    host.define({ name, arn: `arn:aws:lambda:eu-north-1:000000000000:function:${name}`, entry, handlerName, timeoutMs, env: {} });
  define('first', shared);
  define('second', shared);
  define('slow', path.join(FIXTURES, 'functions.ts'), 'slow', 300);
  define('exit', path.join(FIXTURES, 'functions.ts'), 'exit');
  const seen: string[][] = [];
  try {
    // WHEN all are warm and invoked: one times out, one ends its worker (twice: the second starts a new worker)
    await host.warm();
    seen.push(ours());
    await expect(host.invoke('first', '{"n":1}')).resolves.toEqual({ ok: true, payload: '2' });
    await expect(host.invoke('second', '{"n":41}')).resolves.toEqual({ ok: true, payload: '42' });
    await expect(host.invoke('slow', '{}')).resolves.toMatchObject({ ok: false, errorType: 'Sandbox.Timedout' });
    await expect(host.invoke('exit', '{}')).resolves.toMatchObject({ ok: false, errorType: 'Runtime.ExitError' });
    await expect(host.invoke('exit', '{}')).resolves.toMatchObject({ ok: false, errorType: 'Runtime.ExitError' });
    seen.push(ours());
  } finally {
    await service.stop();
    await functionLog.stop();
  }
  // THEN at most one esbuild process (the host's compiler) was there at any time, zombies counted
  for (const processes of seen) expect(processes.length).toBeLessThanOrEqual(1);
  expect(host.stats().find((s) => s.name === 'exit')).toMatchObject({ coldStarts: 2 });
  // AND once the service stopped, none is left
  await eventually('no esbuild process', () => (ours().length === 0 ? true : undefined), 5_000).catch(() => undefined);
  expect(ours()).toEqual([]);
});
