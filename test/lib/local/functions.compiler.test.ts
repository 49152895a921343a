/**
 * lib/local/functions.ts: each worker compiles its function's TypeScript through tsx, whose esbuild starts a service
 * process per worker thread. Local mode's 17 workers left 17 of them running for as long as local mode ran (18 with
 * `npm start`'s own, measured on a cold tsx cache). A worker stops its service once its entry is loaded.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { FunctionHost } from '../../../lib/local/functions';
import { tempDir } from '../../support/temp-dir';

jest.setTimeout(60_000);

/** The `esbuild --service` processes this process started, directly or through its children. */
function esbuildServices(): string[] {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map(([, pid, ppid, args]) => ({ pid, ppid, args }));
  const ours = new Set([String(process.pid)]);
  for (let grew = true; grew;) {
    grew = false;
    for (const row of rows) if (ours.has(row.ppid) && !ours.has(row.pid)) grew = Boolean(ours.add(row.pid));
  }
  return rows.filter((row) => ours.has(row.pid) && /esbuild\S* --service/.test(row.args)).map((row) => row.args);
}

test('GIVEN two functions whose TypeScript tsx has never compiled WHEN both are warm THEN no esbuild service is left running, and they still answer', async () => {
  // GIVEN two entry files with new content (tsx caches what it compiled, by content: these miss the cache)
  const dir = tempDir('lethe-esbuild-');
  const host = new FunctionHost({ onLog: () => undefined });
  for (const name of ['first', 'second']) {
    const entry = path.join(dir, `${name}.ts`);
    writeFileSync(entry, `// ${randomUUID()}\nexport const handler = async (event: { n: number }): Promise<number> => event.n + 1;\n`);
    host.define({ name, arn: `arn:aws:lambda:eu-north-1:000000000000:function:${name}`, entry, env: { PATH: process.env.PATH ?? '' } });
  }
  try {
    // WHEN both workers are started
    await host.warm();
    // THEN no esbuild service process is left (each would stay for as long as its worker runs)
    expect(esbuildServices()).toEqual([]);
    // AND the functions answer
    await expect(host.invoke('first', '{"n":1}')).resolves.toEqual({ ok: true, payload: '2' });
    await expect(host.invoke('second', '{"n":41}')).resolves.toEqual({ ok: true, payload: '42' });
  } finally {
    await host.stop();
  }
});
