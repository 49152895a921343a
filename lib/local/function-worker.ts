/**
 * Inside one local function's worker thread: evaluates the function's code, compiled by the host from its entry file
 * (its cold start), then runs each invocation the host posts the way the Lambda Node.js runtime does: the event parsed
 * from JSON, a Lambda context, the handler's result serialised to JSON, and a thrown error reported as
 * `{errorType, errorMessage}` (`errorType` is the error's name). The worker's environment is the function's own (its
 * `env`), set by the host when it created the worker. This file is compiled by the host too, and is the worker's
 * script: nothing in the worker compiles TypeScript (see functions.ts).
 */
import Module from 'node:module';
import * as path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import type { Context } from 'aws-lambda';

export interface FunctionWorkerData {
  readonly entry: string;
  /** The entry compiled to one CommonJS module (its packages left to `require`), with an inline source map. */
  readonly code: string;
  /** The file name the code runs as (next to the entry: packages resolve from there; the source map maps back). */
  readonly filename: string;
  readonly handlerName: string;
  readonly functionName: string;
  readonly functionArn: string;
  readonly memoryMb: number;
}

export interface ToWorker {
  readonly type: 'invoke';
  readonly id: number;
  readonly payload: string;
  readonly requestId: string;
  readonly deadlineMs: number;
}

export type FromWorker =
  | { readonly type: 'ready'; readonly initMs: number }
  | { readonly type: 'init-error'; readonly errorType: string; readonly errorMessage: string }
  | { readonly type: 'result'; readonly id: number; readonly ok: true; readonly payload: string }
  | { readonly type: 'result'; readonly id: number; readonly ok: false; readonly errorType: string; readonly errorMessage: string };

type Handler = (event: unknown, context: Context) => unknown;

function describe(error: unknown): { errorType: string; errorMessage: string } {
  if (error instanceof Error) return { errorType: error.name || 'Error', errorMessage: error.message };
  return { errorType: 'Error', errorMessage: String(error) };
}

function lambdaContext(data: FunctionWorkerData, requestId: string, deadlineMs: number): Context {
  const noop = () => undefined;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: data.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: data.functionArn,
    memoryLimitInMB: String(data.memoryMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${data.functionName}`,
    logStreamName: `local/[$LATEST]${data.functionName}`,
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
    /* eslint-disable @typescript-eslint/no-deprecated -- the Context interface still has them */
    done: noop,
    fail: noop,
    succeed: noop,
    /* eslint-enable @typescript-eslint/no-deprecated */
  };
}

/** Node's own module loading, which `require` does for a file: the compiled code evaluated as a CommonJS module. */
interface NodeModule {
  filename: string;
  paths: string[];
  exports: unknown;
  _compile(code: string, filename: string): void;
}
type NodeModuleClass = (new (id: string) => NodeModule) & { _nodeModulePaths(dir: string): string[] };

function load(code: string, filename: string): Record<string, unknown> {
  const ModuleClass = Module as unknown as NodeModuleClass;
  const mod = new ModuleClass(filename);
  mod.filename = filename;
  mod.paths = ModuleClass._nodeModulePaths(path.dirname(filename));
  mod._compile(code, filename);
  return mod.exports as Record<string, unknown>;
}

function main(): void {
  const port = parentPort;
  if (!port) throw new Error('function-worker.ts runs in a worker thread only');
  const data = workerData as FunctionWorkerData;
  const started = Date.now();
  // Stack traces name the TypeScript sources, as on Lambda (NODE_OPTIONS=--enable-source-maps, lethe-function.ts).
  process.setSourceMapsEnabled(true);
  let handler: Handler;
  try {
    const mod = load(data.code, data.filename);
    const found = mod[data.handlerName];
    if (typeof found !== 'function') {
      port.postMessage({
        type: 'init-error',
        errorType: 'Runtime.HandlerNotFound',
        errorMessage: `${data.entry} does not export a function "${data.handlerName}"`,
      } satisfies FromWorker);
      return;
    }
    handler = found as Handler;
  } catch (error) {
    port.postMessage({ type: 'init-error', ...describe(error) } satisfies FromWorker);
    return;
  }
  port.postMessage({ type: 'ready', initMs: Date.now() - started } satisfies FromWorker);

  port.on('message', (message: ToWorker) => {
    if (message.type !== 'invoke') return;
    void (async () => {
      let reply: FromWorker;
      try {
        const event: unknown = JSON.parse(message.payload);
        const result = await handler(event, lambdaContext(data, message.requestId, message.deadlineMs));
        reply = { type: 'result', id: message.id, ok: true, payload: JSON.stringify(result === undefined ? null : result) };
      } catch (error) {
        const described = describe(error);
        // What the Lambda runtime writes to the function's log for an error it reports.
        const stack = error instanceof Error && error.stack ? error.stack.split('\n') : [];
        console.error(
          `${new Date().toISOString()}\t${message.requestId}\tERROR\tInvoke Error \t${JSON.stringify({ ...described, stack })}`,
        );
        reply = { type: 'result', id: message.id, ok: false, ...described };
      }
      port.postMessage(reply);
    })();
  });
}

main();
