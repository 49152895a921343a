/**
 * Inside one local function's worker thread: loads the function's entry file (its cold start), then runs each
 * invocation the host posts the way the Lambda Node.js runtime does: the event parsed from JSON, a Lambda
 * context, the handler's result serialised to JSON, and a thrown error reported as `{errorType, errorMessage}`
 * (`errorType` is the error's name). The worker's environment is the function's own (its `env`), set by the
 * host when it created the worker. Loaded through tsx (see functions.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Context } from 'aws-lambda';

export interface FunctionWorkerData {
  readonly entry: string;
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

/**
 * Stops the esbuild service tsx started in this worker to compile the entry's TypeScript: one process per worker,
 * which stayed for as long as the worker ran (17 in local mode). The entry is loaded; should the function require
 * TypeScript later, esbuild starts it again.
 */
function stopCompiler(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  void (require('esbuild') as typeof import('esbuild')).stop();
}

function main(): void {
  const port = parentPort;
  if (!port) throw new Error('function-worker.ts runs in a worker thread only');
  const data = workerData as FunctionWorkerData;
  const started = Date.now();
  let handler: Handler;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(data.entry) as Record<string, unknown>;
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
  stopCompiler();
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
