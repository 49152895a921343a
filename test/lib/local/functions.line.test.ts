/**
 * lib/local/functions.ts under a burst: a worker runs at most `concurrencyPerFunction` invocations at a time, the
 * others wait in line, and each invocation's timeout starts when it runs (as a Lambda invocation's does when an
 * instance takes it), so a burst of short invocations does not time out together.
 */
import * as path from 'node:path';
import { FunctionHost, type InvokeResult } from '../../../lib/local/functions';

jest.setTimeout(60_000);

const busy = (name: string) => ({
  name,
  arn: `arn:aws:lambda:eu-north-1:000000000000:function:${name}`,
  entry: path.join(__dirname, 'fixtures', 'busy.ts'),
  env: { PATH: process.env.PATH ?? '' },
  timeoutMs: 1_000,
});

async function burst(host: FunctionHost, name: string, count: number): Promise<InvokeResult[]> {
  await host.warm([name]);
  return Promise.all(Array.from({ length: count }, (_, n) => host.invoke(name, JSON.stringify({ ms: 100, n }))));
}

test('a burst of 20 invocations of 100 ms each, timeout 1 s: all answer, in order, 2 at a time', async () => {
  // GIVEN a function whose invocations each hold the CPU for 100 ms, with a 1 s timeout, 2 places per worker
  const host = new FunctionHost({ onLog: () => undefined, concurrencyPerFunction: 2 });
  host.define(busy('busy'));
  try {
    // WHEN 20 are invoked at once (2 s of work in all)
    const results = await burst(host, 'busy', 20);
    // THEN every one answers (none timed out waiting in line)
    expect(results).toEqual(Array.from({ length: 20 }, (_, n) => ({ ok: true, payload: String(n) })));
    // ...and 18 of them waited in line, at most 18 at once
    expect(host.stats()[0]).toMatchObject({ invocations: 20, errors: 0, queued: 18, longestLine: 18 });
  } finally {
    await host.stop();
  }
});

test('without a line (every invocation at once in the worker) the same burst times out: the line is what helps', async () => {
  // GIVEN the same function, with as many places as invocations
  const host = new FunctionHost({ onLog: () => undefined, concurrencyPerFunction: 20 });
  host.define(busy('busy'));
  try {
    // WHEN 20 are invoked at once
    const results = await burst(host, 'busy', 20);
    // THEN those still waiting for the worker's event loop after 1 s time out, though each needs only 100 ms
    const timedOut = results.filter((r) => !r.ok && r.errorType === 'Sandbox.Timedout').length;
    expect(timedOut).toBeGreaterThan(5);
    expect(host.stats()[0]).toMatchObject({ queued: 0, longestLine: 0 });
  } finally {
    await host.stop();
  }
});

test('stopping the host answers the invocations still in line (Runtime.ExitError), none hangs', async () => {
  const host = new FunctionHost({ onLog: () => undefined, concurrencyPerFunction: 1 });
  host.define(busy('busy'));
  await host.warm(['busy']);
  // GIVEN one invocation running and three in line
  const results = Array.from({ length: 4 }, (_, n) => host.invoke('busy', JSON.stringify({ ms: 300, n })));
  await new Promise((resolve) => setTimeout(resolve, 50));
  // WHEN the host stops
  await host.stop();
  // THEN the three in line answer at once with Runtime.ExitError
  const settled = await Promise.race([
    Promise.all(results.slice(1)),
    new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 2_000).unref()),
  ]);
  expect(settled).not.toBe('hung');
  for (const r of settled as InvokeResult[]) expect(r).toMatchObject({ ok: false, errorType: 'Runtime.ExitError' });
});

test('stopping the host answers the invocation running in the worker too (Runtime.ExitError), none hangs', async () => {
  const host = new FunctionHost({ onLog: () => undefined, concurrencyPerFunction: 1 });
  host.define(busy('busy'));
  await host.warm(['busy']);
  // GIVEN one invocation running (for 300 ms) and one in line
  const results = Array.from({ length: 2 }, (_, n) => host.invoke('busy', JSON.stringify({ ms: 300, n })));
  await new Promise((resolve) => setTimeout(resolve, 50));
  // WHEN the host stops
  await host.stop();
  // THEN both answer with Runtime.ExitError, the running one included
  const settled = await Promise.race([
    Promise.all(results),
    new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 2_000).unref()),
  ]);
  expect(settled).not.toBe('hung');
  for (const r of settled as InvokeResult[]) expect(r).toMatchObject({ ok: false, errorType: 'Runtime.ExitError' });
});
