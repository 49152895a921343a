/**
 * lib/local/functions.ts: each local function runs in its own worker thread with ITS environment, and answers as
 * the Lambda runtime does (result as JSON, errors as {errorType, errorMessage}, timeouts, crashed runtimes).
 */
import * as path from 'node:path';
import { FunctionHost, type InvokeResult } from '../../../lib/local/functions';

jest.setTimeout(60_000);

const FIXTURES = path.join(__dirname, 'fixtures');
const lines: { fn: string; line: string; stream: string }[] = [];
let host: FunctionHost;

const spec = (name: string, handlerName: string, extra: { env?: Record<string, string>; timeoutMs?: number; entry?: string } = {}) => ({
  name,
  arn: `arn:aws:lambda:eu-north-1:000000000000:function:${name}`,
  entry: extra.entry ?? path.join(FIXTURES, 'functions.ts'),
  handlerName,
  env: { PATH: process.env.PATH ?? '', ...(extra.env ?? {}) },
  ...(extra.timeoutMs ? { timeoutMs: extra.timeoutMs } : {}),
});

beforeAll(() => {
  host = new FunctionHost({ onLog: (fn, line, stream) => lines.push({ fn, line, stream }) });
  host.define(spec('echo-a', 'echo', { env: { FIXTURE_VALUE: 'a' } }));
  host.define(spec('echo-b', 'echo', { env: { FIXTURE_VALUE: 'b' } }));
  host.define(spec('fail', 'fail'));
  host.define(spec('slow', 'slow', { timeoutMs: 300 }));
  host.define(spec('exit', 'exit'));
  host.define(spec('nothing', 'nothing'));
  host.define(spec('missing-handler', 'notExported'));
  host.define(spec('broken', 'handler', { entry: path.join(FIXTURES, 'broken-init.ts') }));
});
afterAll(() => host.stop());

const parsed = (r: InvokeResult) => (r.ok ? (JSON.parse(r.payload) as Record<string, unknown>) : r);

test('two functions of the same code each see only their own environment', async () => {
  // GIVEN two functions from one entry file with different env WHEN both are invoked
  const [a, b] = await Promise.all([host.invoke('echo-a', '{"n":1}'), host.invoke('echo-b', '{"n":2}')]);
  // THEN each answers with its own variable, the event as sent and a Lambda context
  expect(parsed(a)).toEqual({ event: { n: 1 }, env: 'a', functionName: 'echo-a', remaining: true });
  expect(parsed(b)).toEqual({ event: { n: 2 }, env: 'b', functionName: 'echo-b', remaining: true });
  // AND the host's own variables are not visible (only what the spec gives)
  expect(process.env.FIXTURE_VALUE).toBeUndefined();
});

test("a function's stdout lines reach onLog, tagged with the function", async () => {
  await host.invoke('echo-a', '{}');
  await new Promise((r) => setTimeout(r, 100));
  expect(lines.some((l) => l.fn === 'echo-a' && l.stream === 'stdout' && JSON.parse(l.line).message === 'echo')).toBe(true);
});

test('a thrown error is reported as Lambda reports it, by name, and logged as an Invoke Error line', async () => {
  const result = await host.invoke('fail', '{}');
  expect(result).toEqual({ ok: false, errorType: 'ConnectorPermanentError', errorMessage: 'the connector said no' });
  await new Promise((r) => setTimeout(r, 100));
  expect(lines.some((l) => l.fn === 'fail' && l.stream === 'stderr' && l.line.includes('Invoke Error'))).toBe(true);
});

test('undefined comes back as null, like Lambda', async () => {
  expect(await host.invoke('nothing', '{}')).toEqual({ ok: true, payload: 'null' });
});

test('an invocation longer than its timeout is Sandbox.Timedout', async () => {
  const result = await host.invoke('slow', '{}');
  expect(result).toMatchObject({ ok: false, errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 0.30 seconds' });
});

test('a runtime that exits fails its invocation with Runtime.ExitError, and the next invocation starts a new worker', async () => {
  expect(await host.invoke('exit', '{}')).toMatchObject({ ok: false, errorType: 'Runtime.ExitError' });
  expect(await host.invoke('exit', '{}')).toMatchObject({ ok: false, errorType: 'Runtime.ExitError' });
  expect(host.stats().find((s) => s.name === 'exit')).toMatchObject({ coldStarts: 2, invocations: 2, errors: 2 });
});

test('init failures are reported by name: a missing handler, a module that throws', async () => {
  expect(await host.invoke('missing-handler', '{}')).toMatchObject({ ok: false, errorType: 'Runtime.HandlerNotFound' });
  expect(await host.invoke('broken', '{}')).toEqual({ ok: false, errorType: 'TypeError', errorMessage: 'cannot initialise' });
});

test('an unknown function is refused by name', async () => {
  await expect(host.invoke('nope', '{}')).rejects.toThrow('no local function is named "nope"');
});
