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
 * - the service limits AWS enforces and the library does not (`limits`, issue 15, items 10 and 11): an Express
 *   child execution of a Distributed Map runs at most 5 minutes, retries included (a Task of the child still
 *   running then fails with `States.Timeout`; the child's Catch sees it, where on AWS the child execution itself
 *   times out and the Map counts it failed: either way the batch is a failure the Map tolerates); and a Standard
 *   execution's history holds at most 25 000 events (counted as AWS would write them, see `historyEventsOf`;
 *   the execution then fails with `States.Runtime`);
 * - `Promise.withResolvers` is polyfilled on Node 20 (the library needs it; Node 22 has it).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ExecutionError, StateMachine, type RunOptions, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { LetheError } from '../core/errors';
import { EXPRESS_MAX_SECONDS, HISTORY_EVENT_LIMIT } from '../runtime/budgets';
import { ASL_SUBSTITUTIONS, type AslSubstitution } from '../core/contract';

installPromiseWithResolvers();

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A local stand-in for one Lambda function: receives the Task's payload, returns its result or throws. */
export type LocalTaskHandler = (payload: JsonValue) => unknown;

/** One event of the execution's history, as aws-local-stepfunctions reports it. */
export type AslEvent = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

export const STATE_MACHINES = ['erasure', 'sweep', 'replay'] as const;
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
        if (machineOf && typeof machineOf === 'object') visit(machineOf);
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
  /** The service limits to enforce; tests lower them. @default DEFAULT_LIMITS (AWS's) */
  readonly limits?: Partial<ServiceLimits>;
  /**
   * Serves a Task whose Resource is `arn:aws:states:::states:startExecution` (a sweep continuing in a new
   * execution): gets the Task's parameters, answers as StartExecution does. @default such a Task fails when it runs
   */
  readonly startExecution?: (parameters: JsonValue) => unknown;
  /** `$$.StateMachine.Id`. @default a local placeholder ARN */
  readonly stateMachineArn?: string;
}

/** Limits of the Step Functions service that local runs enforce. */
export interface ServiceLimits {
  /** How long an Express child execution of a Distributed Map may run, retries included, in milliseconds. */
  readonly expressMs: number;
  /** How many history events a (Standard) execution may have. */
  readonly historyEvents: number;
}

export const DEFAULT_LIMITS: ServiceLimits = { expressMs: EXPRESS_MAX_SECONDS * 1000, historyEvents: HISTORY_EVENT_LIMIT };

/** The optimised integration that starts an execution (fire and forget). */
export const START_EXECUTION_RESOURCE = 'arn:aws:states:::states:startExecution';

/** What every run reports: its events, and how many history events they stand for on AWS (historyEventsOf). */
interface AslRunEvents {
  readonly events: readonly AslEvent[];
  readonly historyEvents: number;
}

export type AslRunResult =
  | ({ readonly status: 'SUCCEEDED'; readonly output: JsonValue } & AslRunEvents)
  | ({ readonly status: 'FAILED'; readonly error: string; readonly cause: string } & AslRunEvents);

/**
 * Runs `definitionText` (an ASL file's text, with its `${...}` placeholders) on `input` until it ends.
 * A failed execution is a result (`status: 'FAILED'`, with the Error and Cause Step Functions would report);
 * a definition that is invalid or has a Task without a local handler throws before anything runs.
 */
export async function runAsl(definitionText: string, input: JsonValue, options: RunAslOptions): Promise<AslRunResult> {
  const { states, machine, info } = compile(definitionText);
  const limits: ServiceLimits = { ...DEFAULT_LIMITS, ...options.limits };

  const executionName = options.executionName ?? randomUUID();
  const stateMachineArn = options.stateMachineArn ?? 'arn:aws:states:eu-central-1:000000000000:stateMachine:lethe-local';
  const runOptions: RunOptions = {
    overrides: {
      taskResourceLocalHandlers: bindHandlers(states, options, info, limits),
      retryIntervalOverrides:
        options.retryIntervalMs === undefined ? undefined : everyState(states, (s) => Array.isArray(s.Retry), options.retryIntervalMs),
      waitTimeOverrides: options.waitMs === undefined ? undefined : everyState(states, (s) => s.Type === 'Wait', options.waitMs),
    },
    context: {
      Execution: {
        Id: `arn:aws:states:eu-central-1:000000000000:execution:lethe-local:${executionName}`,
        Name: executionName,
      },
      StateMachine: { Id: stateMachineArn, Name: stateMachineArn.slice(stateMachineArn.lastIndexOf(':') + 1) },
    },
  };

  const execution = machine.run(input, runOptions);
  // The history is counted as it grows, as AWS counts it: past the limit, the execution is stopped and fails.
  const events: AslEvent[] = [];
  let historyEvents = 0;
  let overLimit = false;
  const collecting = (async () => {
    for await (const event of execution.eventLogs) {
      events.push(event);
      historyEvents += historyEventsOf(event, info);
      if (!overLimit && historyEvents > limits.historyEvents) {
        overLimit = true;
        execution.abort();
      }
    }
  })();
  let outcome: { status: 'SUCCEEDED'; output: JsonValue } | { status: 'FAILED'; error: string; cause: string };
  try {
    outcome = { status: 'SUCCEEDED', output: await execution.result };
  } catch (err) {
    if (overLimit) {
      outcome = {
        status: 'FAILED',
        error: 'States.Runtime',
        cause: `The execution history reached its limit of ${limits.historyEvents} events (a Standard execution's): the execution failed`,
      };
    } else {
      if (!(err instanceof ExecutionError)) throw err;
      const failure = err.cause instanceof Error ? err.cause : new Error(String(err.cause));
      outcome = { status: 'FAILED', error: failure.name, cause: failure.message };
    }
  }
  await collecting;
  return { ...outcome, events, historyEvents };
}

/**
 * A Task's time limit when its definition sets none. AWS's default is 99999999 s; Node's timers hold at most
 * 2^31 - 1 ms, so the longest a timer can wait (24.8 days) stands for it.
 */
export const NO_TASK_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** What counting history events and enforcing the Express limit need to know of each state, by name. */
export interface StateInfo {
  readonly type: string;
  /** A Map state whose iterations are child executions (DISTRIBUTED): they have their own histories. */
  readonly distributed: boolean;
  /** Whether each iteration is an Express execution (a DISTRIBUTED Map with ExecutionType EXPRESS). */
  readonly express: boolean;
  /** The state runs inside a DISTRIBUTED Map's child execution (its events are not the parent's). */
  readonly inChild: boolean;
  /** Inside an EXPRESS child execution. */
  readonly inExpressChild: boolean;
}

interface Compiled {
  readonly states: readonly VisitedState[];
  readonly machine: StateMachine;
  readonly info: ReadonlyMap<string, StateInfo>;
}

/** Validating a definition takes a few hundred milliseconds; executions of one StateMachine are independent, so each text is compiled once. */
const compiled = new Map<string, Compiled>();

function compile(definitionText: string): Compiled {
  let entry = compiled.get(definitionText);
  if (!entry) {
    const definition = JSON.parse(substituteLocalArns(definitionText)) as StateMachineDefinition;
    for (const { state } of allStates(definition)) {
      if (state.Type === 'Task' && state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
        (state as Record<string, unknown>).TimeoutSeconds = NO_TASK_TIMEOUT_SECONDS;
      }
    }
    const states = allStates(JSON.parse(JSON.stringify(definition)) as StateMachineDefinition);
    entry = { states, machine: new StateMachine(definition), info: stateInfo(definition) };
    compiled.set(definitionText, entry);
  }
  return entry;
}

function stateInfo(definition: { readonly States?: unknown }): Map<string, StateInfo> {
  const info = new Map<string, StateInfo>();
  const visit = (machine: { readonly States?: unknown }, inChild: boolean, inExpressChild: boolean): void => {
    for (const [name, state] of Object.entries((machine.States ?? {}) as Record<string, Record<string, unknown>>)) {
      const config = (state.ItemProcessor as { ProcessorConfig?: { Mode?: string; ExecutionType?: string } } | undefined)?.ProcessorConfig;
      const distributed = state.Type === 'Map' && config?.Mode === 'DISTRIBUTED';
      const express = distributed && config?.ExecutionType === 'EXPRESS';
      info.set(name, { type: String(state.Type), distributed, express, inChild, inExpressChild });
      const nested = [state.ItemProcessor, state.Iterator, ...((state.Branches as unknown[] | undefined) ?? [])];
      for (const machineOf of nested) {
        if (machineOf && typeof machineOf === 'object') visit(machineOf, inChild || distributed, inExpressChild || express);
      }
    }
  };
  visit(definition, false, false);
  return info;
}

/**
 * How many events of the execution's history on AWS one aws-local-stepfunctions event stands for: a Task's entry is
 * TaskStateEntered, TaskScheduled and TaskStarted, its exit TaskSucceeded and TaskStateExited, a retry TaskFailed,
 * TaskScheduled and TaskStarted again; a Map's entry and exit are two each (MapStateEntered and MapRunStarted or
 * MapStateStarted; the matching two at the end); any other state's entry and exit one each. The events of a
 * Distributed Map's child executions are in the children's histories, not the parent's.
 */
export function historyEventsOf(event: AslEvent, info: ReadonlyMap<string, StateInfo>): number {
  switch (event.type) {
    case 'MapIterationStarted':
    case 'MapIterationSucceeded':
    case 'MapIterationFailed':
      return info.get(event.parentState.name)?.distributed ? 0 : 1;
    case 'StateEntered':
    case 'StateExited':
    case 'StateFailed':
    case 'StateRetried':
    case 'StateCaught': {
      const state = info.get(event.state.name);
      if (event.index !== undefined && state?.inChild) return 0;
      const type = state?.type ?? event.state.type;
      if (event.type === 'StateEntered') return type === 'Task' ? 3 : type === 'Map' ? 2 : 1;
      if (event.type === 'StateExited') return type === 'Task' || type === 'Map' ? 2 : 1;
      if (event.type === 'StateRetried') return type === 'Task' ? 3 : 1;
      return 1;
    }
    default:
      return 1;
  }
}

type BoundHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;

function bindHandlers(
  states: readonly VisitedState[],
  options: RunAslOptions,
  info: ReadonlyMap<string, StateInfo>,
  limits: ServiceLimits,
): BoundHandlers {
  const byArn = new Map<string, LocalTaskHandler>();
  for (const name of SUBSTITUTION_NAMES) {
    const handler = options.handlers[name as AslSubstitution];
    if (handler) byArn.set(localFunctionArn(name as AslSubstitution), handler);
  }
  // Only the given handler can start an execution; without one, a run that reaches such a Task fails there.
  byArn.set(
    START_EXECUTION_RESOURCE,
    options.startExecution ??
      (() => {
        throw new LetheError('this local run starts no other execution: runAsl was given no startExecution handler');
      }),
  );
  // When each Express child started: its first Task's first attempt (keyed by the payload, which each child's
  // ItemSelector makes its own), so that a retry gets only what is left of the child's limit.
  const childStarts = new Map<string, number>();
  const bound: BoundHandlers = {};
  for (const { name, state } of states) {
    if (state.Type !== 'Task') continue;
    const handler = byArn.get(String(state.Resource));
    if (!handler) {
      throw new LetheError(`state "${name}" calls ${String(state.Resource)}, which has no local handler`);
    }
    const limited = info.get(name)?.inExpressChild ? withinExpressLimit(handler, limits.expressMs, childStarts) : handler;
    bound[name] = asLambda(limited);
  }
  return bound;
}

/** A handler of a Task in an Express child execution, failing with States.Timeout once the child has run its limit. */
function withinExpressLimit(handler: LocalTaskHandler, limitMs: number, childStarts: Map<string, number>): LocalTaskHandler {
  const timeout = () =>
    Object.assign(new Error(`the Express execution ran longer than its limit of ${limitMs / 1000} seconds`), { name: 'States.Timeout' });
  return async function withinExpressLimit(payload) {
    const key = JSON.stringify(payload);
    const started = childStarts.get(key) ?? Date.now();
    childStarts.set(key, started);
    const left = started + limitMs - Date.now();
    if (left <= 0) throw timeout();
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        Promise.resolve(handler(payload)),
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(timeout()), left);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  };
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
