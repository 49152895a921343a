/**
 * Runs a Lethe state machine (statemachines/*.asl.json) in process with aws-local-stepfunctions, every Task
 * served by a local function instead of Lambda. Used by the state machine tests and by local mode.
 *
 * What it adds to aws-local-stepfunctions:
 * - the definition substitutions (`${ErasurePlanFunctionArn}`, ...) are filled with placeholder ARNs, and each
 *   Task is bound to the local handler of its substitution name; a Task without one is refused before the run,
 *   so nothing can fall through to a real Lambda call;
 * - handlers see what a Lambda would: a JSON copy of the payload in, a JSON copy of the result out, and a thrown
 *   error surfaces as Lambda reports it (`Error` = the error's `name`, `Cause` = `{errorType, errorMessage}`);
 * - retry pauses and Wait states can be shortened for every state at once;
 * - `$$.Execution.Name` and `$$.Execution.Id` are set (the library only sets `Input` and `StartTime`);
 * - a Task without `TimeoutSeconds` has no time limit of its own, as on AWS (whose default is 99999999 s; the
 *   function's timeout bounds the call), where the library gives it 60 s: a local sweep-apply of more than a
 *   minute, or a task waiting behind others for a busy local function, would fail with States.Timeout;
 * - `Promise.withResolvers` is polyfilled on Node 20 (the library needs it; Node 22 has it).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ExecutionError, StateMachine, type RunOptions, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { LetheError } from '../errors';
import { ASL_SUBSTITUTIONS, type AslSubstitution } from '../runtime/contract';

installPromiseWithResolvers();

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A local stand-in for one Lambda function: receives the Task's payload, returns its result or throws. */
export type LocalTaskHandler = (payload: JsonValue) => unknown;

/** One event of the execution's history, as aws-local-stepfunctions reports it. */
export type AslEvent = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

export const STATE_MACHINES = ['erasure', 'sweep'] as const;
export type StateMachineName = (typeof STATE_MACHINES)[number];

/** Directory of the ASL files. */
export const STATE_MACHINE_DIR = path.resolve(__dirname, '..', '..', 'statemachines');

/** The ASL text of a Lethe state machine, placeholders unsubstituted. */
export function readStateMachine(name: StateMachineName): string {
  return readFileSync(path.join(STATE_MACHINE_DIR, `${name}.asl.json`), 'utf8');
}

const SUBSTITUTION_NAMES: ReadonlySet<string> = new Set(Object.values(ASL_SUBSTITUTIONS));

/** The placeholder ARN a substitution takes locally. */
export function localFunctionArn(name: AslSubstitution): string {
  return `arn:aws:lambda:eu-central-1:000000000000:function:lethe-local-${name}`;
}

/** Replaces every `${Name}` with its local placeholder ARN; an unknown name is an error. */
export function substituteLocalArns(definitionText: string): string {
  return definitionText.replace(/\$\{([^}]*)\}/g, (_match, name: string) => {
    if (!SUBSTITUTION_NAMES.has(name)) {
      throw new LetheError(
        `state machine definition uses \${${name}}, which is not a definition substitution (${[...SUBSTITUTION_NAMES].join(', ')})`,
      );
    }
    return localFunctionArn(name as AslSubstitution);
  });
}

/** A state with its name, in the top-level States or in a Map's or Parallel's nested States. */
export interface VisitedState {
  readonly name: string;
  readonly state: Readonly<Record<string, unknown>>;
}

/** Every state of a definition, nested ones included, in document order. */
export function allStates(definition: { readonly States?: unknown }): VisitedState[] {
  const found: VisitedState[] = [];
  const visit = (machine: { readonly States?: unknown }): void => {
    for (const [name, state] of Object.entries((machine.States ?? {}) as Record<string, Record<string, unknown>>)) {
      found.push({ name, state });
      const nested = [state.ItemProcessor, state.Iterator, ...((state.Branches as unknown[] | undefined) ?? [])];
      for (const machineOf of nested) {
        if (machineOf && typeof machineOf === 'object') visit(machineOf as { States?: unknown });
      }
    }
  };
  visit(definition);
  return found;
}

export interface RunAslOptions {
  /** The local function for each substitution name the definition's Tasks use. */
  readonly handlers: Readonly<Partial<Record<AslSubstitution, LocalTaskHandler>>>;
  /** `$$.Execution.Name` (the sweep's id, for instance). @default a random UUID */
  readonly executionName?: string;
  /** Pause before every retry, in milliseconds, instead of the Retry's backoff. @default the definition's backoff */
  readonly retryIntervalMs?: number;
  /** Duration of every Wait state, in milliseconds. @default the definition's duration */
  readonly waitMs?: number;
}

export type AslRunResult =
  | { readonly status: 'SUCCEEDED'; readonly output: JsonValue; readonly events: readonly AslEvent[] }
  | { readonly status: 'FAILED'; readonly error: string; readonly cause: string; readonly events: readonly AslEvent[] };

/**
 * Runs `definitionText` (an ASL file's text, with its `${...}` placeholders) on `input` until it ends.
 * A failed execution is a result (`status: 'FAILED'`, with the Error and Cause Step Functions would report);
 * a definition that is invalid or has a Task without a local handler throws before anything runs.
 */
export async function runAsl(definitionText: string, input: JsonValue, options: RunAslOptions): Promise<AslRunResult> {
  const { states, machine } = compile(definitionText);

  const executionName = options.executionName ?? randomUUID();
  const runOptions: RunOptions = {
    overrides: {
      taskResourceLocalHandlers: bindHandlers(states, options.handlers),
      retryIntervalOverrides:
        options.retryIntervalMs === undefined ? undefined : everyState(states, (s) => Array.isArray(s.Retry), options.retryIntervalMs),
      waitTimeOverrides: options.waitMs === undefined ? undefined : everyState(states, (s) => s.Type === 'Wait', options.waitMs),
    },
    context: {
      Execution: {
        Id: `arn:aws:states:eu-central-1:000000000000:execution:lethe-local:${executionName}`,
        Name: executionName,
      },
    },
  };

  const execution = machine.run(input, runOptions);
  let outcome: { status: 'SUCCEEDED'; output: JsonValue } | { status: 'FAILED'; error: string; cause: string };
  try {
    outcome = { status: 'SUCCEEDED', output: (await execution.result) as JsonValue };
  } catch (err) {
    if (!(err instanceof ExecutionError)) throw err;
    const failure = err.cause instanceof Error ? err.cause : new Error(String(err.cause));
    outcome = { status: 'FAILED', error: failure.name, cause: failure.message };
  }
  const events: AslEvent[] = [];
  for await (const event of execution.eventLogs) events.push(event);
  return { ...outcome, events };
}

/**
 * A Task's time limit when its definition sets none. AWS's default is 99999999 s; Node's timers hold at most
 * 2^31 - 1 ms, so the longest a timer can wait (24.8 days) stands for it.
 */
export const NO_TASK_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** Validating a definition takes a few hundred milliseconds; executions of one StateMachine are independent, so each text is compiled once. */
const compiled = new Map<string, { readonly states: readonly VisitedState[]; readonly machine: StateMachine }>();

function compile(definitionText: string): { readonly states: readonly VisitedState[]; readonly machine: StateMachine } {
  let entry = compiled.get(definitionText);
  if (!entry) {
    const definition = JSON.parse(substituteLocalArns(definitionText)) as StateMachineDefinition;
    for (const { state } of allStates(definition)) {
      if (state.Type === 'Task' && state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
        (state as Record<string, unknown>).TimeoutSeconds = NO_TASK_TIMEOUT_SECONDS;
      }
    }
    const states = allStates(JSON.parse(JSON.stringify(definition)) as StateMachineDefinition);
    entry = { states, machine: new StateMachine(definition) };
    compiled.set(definitionText, entry);
  }
  return entry;
}

type BoundHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;

function bindHandlers(states: readonly VisitedState[], handlers: RunAslOptions['handlers']): BoundHandlers {
  const byArn = new Map<string, LocalTaskHandler>();
  for (const name of SUBSTITUTION_NAMES) {
    const handler = handlers[name as AslSubstitution];
    if (handler) byArn.set(localFunctionArn(name as AslSubstitution), handler);
  }
  const bound: BoundHandlers = {};
  for (const { name, state } of states) {
    if (state.Type !== 'Task') continue;
    const handler = byArn.get(String(state.Resource));
    if (!handler) {
      throw new LetheError(`state "${name}" calls ${String(state.Resource)}, which has no local handler`);
    }
    bound[name] = asLambda(handler) as BoundHandlers[string];
  }
  return bound;
}

/** Wraps a handler so that it behaves like a Lambda invocation seen from Step Functions. */
function asLambda(handler: LocalTaskHandler): (payload: JsonValue) => Promise<JsonValue> {
  return async function invokeLocally(payload) {
    let result: unknown;
    try {
      result = await handler(jsonCopy(payload));
    } catch (err) {
      const errorType = err instanceof Error ? err.name : 'Error';
      const errorMessage = err instanceof Error ? err.message : String(err);
      const failure = new Error(JSON.stringify({ errorType, errorMessage }));
      failure.name = errorType;
      throw failure;
    }
    return result === undefined ? null : jsonCopy(result as JsonValue);
  };
}

function everyState(
  states: readonly VisitedState[],
  test: (state: Readonly<Record<string, unknown>>) => boolean,
  ms: number,
): Record<string, number> {
  return Object.fromEntries(states.filter(({ state }) => test(state)).map(({ name }) => [name, ms]));
}

function jsonCopy<T extends JsonValue>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Node 20 lacks `Promise.withResolvers` (ES2024), which aws-local-stepfunctions calls on every Task. */
function installPromiseWithResolvers(): void {
  if (typeof (Promise as { withResolvers?: unknown }).withResolvers === 'function') return;
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}
