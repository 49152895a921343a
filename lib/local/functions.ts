/**
 * The local "Lambda service": each function (a lambdas/*.ts entry, a connector function per system, the demo
 * function of a `lambda` system) runs in its own worker thread with ITS environment (`new Worker(..., {env})`),
 * from the same source files the stack bundles. A worker starts on the function's first invocation (its cold start:
 * see docs/local-mode.md) or with `warm()`.
 *
 * The sources are compiled here, in the host's thread, by esbuild (as the stack's bundling does): each entry file
 * once, whichever functions and workers run it, into one CommonJS module with an inline source map; the packages
 * Node can require stay outside it (they load from node_modules, as they did through tsx), those that are ES modules
 * only (middy) go in. The worker evaluates that code and compiles nothing. So one esbuild process runs, the host's,
 * and `stop()` ends it. (Before, each worker compiled through tsx, whose esbuild ran its service process from a
 * thread of the worker: when that thread ended, the process was left a zombie nobody reaped, one per worker started.)
 *
 * Differences from Lambda, on purpose:
 * - one worker per function serves concurrent invocations (Lambda would start more instances), so a
 *   module-level cache is shared between them as it is between sequential invocations of a warm instance;
 * - a worker runs at most `concurrencyPerFunction` invocations at a time (4 by default, a p-limit); more wait in
 *   line, in order, and an invocation's timeout starts when it runs, as a Lambda invocation's starts when an instance
 *   takes it. Without the line, a burst (1 000 API requests at once) would run all at once in one worker, share
 *   its CPU, and every one of them would time out together, though each alone takes milliseconds. Why 4: the
 *   functions share one machine's CPU, so more at once adds no throughput, and it adds contention where Lethe
 *   has a serial point (the audit chain: measured with 150 erasure requests at once on two cores, 16 at a time
 *   made 6.5 times the S3 writes and 3.7 times the DynamoDB reads of 1 at a time, and took twice as long; 4 was
 *   as fast as 1). A function that invoked itself synchronously could wait for itself in the line; none of
 *   Lethe's does;
 * - a timed-out invocation is reported as Lambda reports it (`Sandbox.Timedout`), but the worker is not
 *   stopped, because it may be serving other invocations; its late result is dropped;
 * - a worker that dies (process.exit, an uncaught error) fails its pending invocations with
 *   `Runtime.ExitError` and is started again on the next invocation; stopping the host answers every invocation,
 *   running or in line, the same way.
 *
 * Everything a function writes to stdout and stderr (Powertools' JSON lines, the runtime's error lines) goes to
 * `onLog`, one line at a time.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { Worker } from 'node:worker_threads';
import * as esbuild from 'esbuild';
import pLimit from 'p-limit';
import { LocalModeError } from './errors';
import type { FromWorker, FunctionWorkerData, ToWorker } from './function-worker';

export interface LocalFunctionSpec {
  /** The function name callers use (Lambda Invoke, Step Functions Task, connector map). */
  readonly name: string;
  /** Absolute path of the entry file. */
  readonly entry: string;
  /** @default 'handler' */
  readonly handlerName?: string;
  /** The function's whole environment (nothing else of this process's is visible to it). */
  readonly env: Readonly<Record<string, string>>;
  /** @default 30000 */
  readonly timeoutMs?: number;
  /** @default 512 */
  readonly memoryMb?: number;
  /** The ARN the function's context reports. */
  readonly arn: string;
}

export type InvokeResult =
  { readonly ok: true; readonly payload: string } | { readonly ok: false; readonly errorType: string; readonly errorMessage: string };

export interface FunctionStats {
  readonly name: string;
  /** Cold starts so far and the last one's duration (loading the entry file in a new worker). */
  readonly coldStarts: number;
  readonly lastInitMs?: number;
  readonly invocations: number;
  readonly errors: number;
  /** Invocations that waited in line for one of the worker's `concurrencyPerFunction` places, and the longest line. */
  readonly queued: number;
  readonly longestLine: number;
}

export interface FunctionHostOptions {
  /** Receives every line a function writes. */
  readonly onLog: (functionName: string, line: string, stream: 'stdout' | 'stderr') => void;
  /** Told after every invocation that ran (not one whose init failed): its duration, as Lambda would bill it. */
  readonly onInvoked?: (functionName: string, memoryMb: number, durationMs: number) => void;
  /** How many invocations one function's worker runs at a time; more wait in line. @default 4 */
  readonly concurrencyPerFunction?: number;
}

export const DEFAULT_CONCURRENCY_PER_FUNCTION = 4;

/** The worker's script, compiled like a function's entry. */
const WORKER_FILE = path.join(__dirname, 'function-worker.ts');

/** An entry file compiled: the code and the file name it runs as (see function-worker.ts). */
interface Compiled {
  readonly code: string;
  readonly filename: string;
}

/** Whether the package `name`, as found from `dir` the way Node finds it, is an ES module package ("type": "module"). */
function isEsmPackage(name: string, dir: string, cache: Map<string, boolean>): boolean {
  for (let at = dir; ; at = path.dirname(at)) {
    const manifest = path.join(at, 'node_modules', name, 'package.json');
    const known = cache.get(manifest);
    if (known !== undefined) return known;
    if (existsSync(manifest)) {
      const esm = (JSON.parse(readFileSync(manifest, 'utf8')) as { type?: unknown }).type === 'module';
      cache.set(manifest, esm);
      return esm;
    }
    if (path.dirname(at) === at) return false; // not installed: left to require, which names it
  }
}

/** Packages stay outside the compiled code, for `require` to load, unless they are ES modules, which it cannot. */
function packagesOutside(): esbuild.Plugin {
  const cache = new Map<string, boolean>();
  return {
    name: 'lethe-local-packages',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.kind === 'entry-point') return undefined;
        const parts = args.path.replace(/^node:/, '').split('/');
        const name = parts[0]?.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? '');
        if (args.path.startsWith('node:') || builtinModules.includes(name)) return { external: true };
        return isEsmPackage(name, args.resolveDir, cache) ? undefined : { external: true };
      });
    },
  };
}

/** How Lambda names an init error, for a compile error: a module not found, or code it cannot parse. */
function compileError(entry: string, error: unknown): InvokeResult {
  const first = (error as Partial<esbuild.BuildFailure>).errors?.[0];
  if (!first) return { ok: false, errorType: 'Runtime.ImportModuleError', errorMessage: `${entry}: ${String(error)}` };
  const where = first.location ? `${first.location.file}:${first.location.line}:${first.location.column}: ` : `${entry}: `;
  return {
    ok: false,
    errorType: first.text.startsWith('Could not resolve') ? 'Runtime.ImportModuleError' : 'Runtime.UserCodeSyntaxError',
    errorMessage: `${where}${first.text}`,
  };
}

/** How many hosts have compiled and not stopped: esbuild's service (one per process) stops when the last one does. */
let compilingHosts = 0;

/** Compiles each entry file once, in this thread; a compile that failed is tried again on the next request. */
class FunctionCompiler {
  private readonly compiled = new Map<string, Promise<Compiled>>();
  private readonly plugin = packagesOutside();
  private used = false;

  public compile(entry: string): Promise<Compiled> {
    const known = this.compiled.get(entry);
    if (known) return known;
    if (!this.used) {
      this.used = true;
      compilingHosts++;
    }
    const filename = `${entry}.js`;
    const compiled = esbuild
      .build({
        entryPoints: [entry],
        outfile: filename,
        write: false,
        bundle: true,
        platform: 'node',
        format: 'cjs',
        target: `node${process.versions.node}`,
        // as lib/stack/lethe-function.ts bundles (for the packages that go in)
        mainFields: ['module', 'main'],
        sourcemap: 'inline',
        sourcesContent: false,
        logLevel: 'silent',
        plugins: [this.plugin],
      })
      .then((result) => ({ code: result.outputFiles[0]?.text ?? '', filename }));
    this.compiled.set(entry, compiled);
    compiled.catch(() => this.compiled.delete(entry));
    return compiled;
  }

  public async stop(): Promise<void> {
    this.compiled.clear();
    if (!this.used) return;
    this.used = false;
    if (--compilingHosts === 0) await esbuild.stop();
  }
}

interface Pending {
  readonly resolve: (result: InvokeResult) => void;
  readonly timer: NodeJS.Timeout;
}

class LocalFunction {
  private worker?: Worker;
  private ready?: Promise<InvokeResult | undefined>;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  public coldStarts = 0;
  public lastInitMs?: number;
  public invocations = 0;
  public errors = 0;
  public queued = 0;
  public longestLine = 0;
  private readonly concurrency: number;
  /** The worker's places (see the top of this file): invocations beyond them wait in line, in order. */
  private readonly places: pLimit.Limit;

  /** Counts the starts and stops: a start that a stop overtook while it compiled starts no worker. */
  private generation = 0;

  public constructor(
    public readonly spec: LocalFunctionSpec,
    private readonly options: FunctionHostOptions,
    private readonly compiler: FunctionCompiler,
  ) {
    this.concurrency = options.concurrencyPerFunction ?? DEFAULT_CONCURRENCY_PER_FUNCTION;
    this.places = pLimit(this.concurrency);
  }

  /** Starts the worker if it is not running; resolves once the entry is loaded (or with its init error). */
  public start(): Promise<InvokeResult | undefined> {
    if (this.ready) return this.ready;
    const generation = ++this.generation;
    this.ready = (async () => {
      let script: Compiled;
      let entry: Compiled;
      try {
        [script, entry] = await Promise.all([this.compiler.compile(WORKER_FILE), this.compiler.compile(this.spec.entry)]);
      } catch (error) {
        return compileError(this.spec.entry, error);
      }
      if (generation !== this.generation) {
        return { ok: false, errorType: 'Runtime.ExitError', errorMessage: 'the function was stopped' } satisfies InvokeResult;
      }
      return this.launch(script, entry);
    })();
    return this.ready;
  }

  /** Starts a worker running the compiled entry: its cold start. */
  private launch(script: Compiled, entry: Compiled): Promise<InvokeResult | undefined> {
    const data: FunctionWorkerData = {
      entry: this.spec.entry,
      code: entry.code,
      filename: entry.filename,
      handlerName: this.spec.handlerName ?? 'handler',
      functionName: this.spec.name,
      functionArn: this.spec.arn,
      memoryMb: this.spec.memoryMb ?? 512,
    };
    const worker = new Worker(script.code, { eval: true, workerData: data, env: { ...this.spec.env }, stdout: true, stderr: true });
    this.worker = worker;
    this.coldStarts++;
    for (const stream of ['stdout', 'stderr'] as const) {
      readline
        .createInterface({ input: worker[stream], crlfDelay: Infinity })
        .on('line', (line) => this.options.onLog(this.spec.name, line, stream));
    }
    return new Promise<InvokeResult | undefined>((resolve) => {
      worker.on('message', (message: FromWorker) => {
        if (message.type === 'ready') {
          this.lastInitMs = message.initMs;
          resolve(undefined);
        } else if (message.type === 'init-error') {
          resolve({ ok: false, errorType: message.errorType, errorMessage: message.errorMessage });
        } else if (message.type === 'result') {
          const pending = this.pending.get(message.id);
          if (!pending) return; // timed out already
          this.pending.delete(message.id);
          clearTimeout(pending.timer);
          pending.resolve(
            message.ok
              ? { ok: true, payload: message.payload }
              : { ok: false, errorType: message.errorType, errorMessage: message.errorMessage },
          );
        }
      });
      const onGone = (reason: string) => {
        if (this.worker !== worker) return;
        this.worker = undefined;
        this.ready = undefined;
        resolve({ ok: false, errorType: 'Runtime.ExitError', errorMessage: reason });
        for (const [id, pending] of this.pending) {
          clearTimeout(pending.timer);
          pending.resolve({ ok: false, errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${id} Error: ${reason}` });
        }
        this.pending.clear();
      };
      worker.on('error', (error) => {
        this.options.onLog(this.spec.name, `worker error: ${error.name}: ${error.message}`, 'stderr');
        onGone(`Runtime exited with error: ${error.name}`);
      });
      worker.on('exit', (code) => onGone(`Runtime exited with error: exit status ${code}`));
    });
  }

  public async invoke(payload: string): Promise<InvokeResult> {
    this.invocations++;
    const initError = await this.start();
    if (initError) {
      this.errors++;
      // Like Lambda, a failed init is retried on the next invocation.
      await this.stop();
      return initError;
    }
    // Those running or in line before this one: when they fill the places, it waits behind the others in line.
    const ahead = this.places.activeCount + this.places.pendingCount;
    if (ahead >= this.concurrency) {
      this.queued++;
      this.longestLine = Math.max(this.longestLine, ahead - this.concurrency + 1);
    }
    return this.places(() => this.run(payload));
  }

  private async run(payload: string): Promise<InvokeResult> {
    const worker = this.worker;
    if (!worker) return { ok: false, errorType: 'Runtime.ExitError', errorMessage: 'the function stopped before it was invoked' };
    const timeoutMs = this.spec.timeoutMs ?? 30_000;
    const id = this.nextId++;
    const began = performance.now();
    const requestId = randomUUID();
    const result = await new Promise<InvokeResult>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({
          ok: false,
          errorType: 'Sandbox.Timedout',
          errorMessage: `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
        });
      }, timeoutMs);
      this.pending.set(id, { resolve, timer });
      const message: ToWorker = { type: 'invoke', id, payload, requestId, deadlineMs: Date.now() + timeoutMs };
      worker.postMessage(message);
    });
    if (!result.ok) this.errors++;
    this.options.onInvoked?.(this.spec.name, this.spec.memoryMb ?? 512, performance.now() - began);
    return result;
  }

  public async stop(): Promise<void> {
    const worker = this.worker;
    this.generation++;
    this.worker = undefined;
    this.ready = undefined;
    // The invocations running answer Runtime.ExitError; then those in line get their place, find no worker and answer
    // the same.
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.resolve({ ok: false, errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${id} Error: the function was stopped` });
    }
    this.pending.clear();
    if (worker) await worker.terminate();
  }
}

export class FunctionHost {
  private readonly functions = new Map<string, LocalFunction>();
  private readonly compiler = new FunctionCompiler();
  private stopped = false;

  public constructor(private readonly options: FunctionHostOptions) {}

  public define(spec: LocalFunctionSpec): void {
    if (this.functions.has(spec.name)) throw new LocalModeError(`local function "${spec.name}" is defined twice`);
    this.functions.set(spec.name, new LocalFunction(spec, this.options, this.compiler));
  }

  public has(name: string): boolean {
    return this.functions.has(name);
  }

  public names(): string[] {
    return [...this.functions.keys()];
  }

  public spec(name: string): LocalFunctionSpec | undefined {
    return this.functions.get(name)?.spec;
  }

  /** Invokes a function with a JSON payload (text, as Lambda receives it). */
  public async invoke(name: string, payload: string): Promise<InvokeResult> {
    if (this.stopped) return { ok: false, errorType: 'ServiceException', errorMessage: 'local mode is stopping' };
    const fn = this.functions.get(name);
    if (!fn) throw new LocalModeError(`no local function is named "${name}"`);
    return fn.invoke(payload);
  }

  /** Starts the workers of `names` (default: all) now, so that their first invocations are not cold. */
  public async warm(names: readonly string[] = this.names()): Promise<void> {
    await Promise.all(names.map(async (n) => this.functions.get(n)?.start()));
  }

  public stats(): FunctionStats[] {
    return [...this.functions.values()].map((f) => ({
      name: f.spec.name,
      coldStarts: f.coldStarts,
      ...(f.lastInitMs === undefined ? {} : { lastInitMs: f.lastInitMs }),
      invocations: f.invocations,
      errors: f.errors,
      queued: f.queued,
      longestLine: f.longestLine,
    }));
  }

  public async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.functions.values()].map((f) => f.stop()));
    await this.compiler.stop();
  }
}
