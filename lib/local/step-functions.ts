/**
 * The local Step Functions service: the same statemachines/*.asl.json, run by aws-local-stepfunctions through
 * run-asl.ts, every Task bound to the local function its definition substitution names (the same handler code
 * as on AWS, in its worker). It answers what Lethe calls: StartExecution, DescribeExecution, RedriveExecution.
 *
 * As on AWS:
 * - an execution is named (a request's id, for the erasure workflow); StartExecution with the name of a running
 *   execution and the same input returns that execution, with other input or once it has ended it is
 *   `ExecutionAlreadyExists`;
 * - RedriveExecution is accepted for a FAILED execution only (`ExecutionNotRedrivable` otherwise) and counts
 *   redrives.
 * Unlike AWS, a redrive re-runs the whole execution with its original input, not from the failed state: Lethe's
 * tasks are idempotent (a system already done is skipped), so the outcome is the same. Executions live in
 * memory only; a Distributed Map's Express children run inline in the parent.
 *
 * Each execution keeps its history (`history`): the events aws-local-stepfunctions reports for every run
 * (state entered and exited with their input and output, retries, catches, failures), redrives appended, made
 * JSON-safe (an Error in a Cause becomes `{name, message}`), so that tests can read what GetExecutionHistory
 * would show on AWS, e.g. to prove that no personal data or secret reaches it. `historyEvents` counts them as AWS
 * would (run-asl.ts historyEventsOf): an execution whose history passes 25 000 events fails with States.Runtime,
 * as on AWS; a Task of an Express child execution past 5 minutes fails with States.Timeout (run-asl.ts).
 *
 * A Task whose Resource is `arn:aws:states:::states:startExecution` (the sweep continuing in a new execution)
 * starts an execution here, as StartExecution does, its errors named as the integration names them
 * (`StepFunctions.ExecutionAlreadyExistsException`).
 */
import { randomUUID } from 'node:crypto';
import { ASL_SUBSTITUTIONS, type AslSubstitution } from '../core/contract';
import type { InvokeResult } from './functions';
import { LOCAL_ACCOUNT } from './keys';
import { type AslEvent, type JsonValue, type LocalTaskHandler, readStateMachine, runAsl, type StateMachineName } from './run-asl';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED';

/** An error as the Step Functions API reports it (`name` is its error code). */
export class StepFunctionsError extends Error {
  public constructor(code: string, message: string) {
    super(message);
    this.name = code;
  }
}

export interface ExecutionView {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly startDate: Date;
  readonly stopDate?: Date;
  readonly input: string;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
  readonly redriveCount: number;
  readonly redriveDate?: Date;
  /** The history of every run so far (redrives appended), oldest first, JSON-safe. */
  readonly history: readonly ExecutionHistoryEvent[];
  /** How many events the history of the last run holds, counted as on AWS (the limit is 25 000). */
  readonly historyEvents: number;
}

/** One history event: an aws-local-stepfunctions event log entry, made JSON-safe. */
export type ExecutionHistoryEvent = Readonly<Record<string, unknown>> & { readonly type: AslEvent['type']; readonly timestamp: number };

interface Execution extends ExecutionView {
  status: ExecutionStatus;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
  redriveCount: number;
  redriveDate?: Date;
  history: ExecutionHistoryEvent[];
  historyEvents: number;
  done: Promise<void>;
}

export interface LocalStateMachineSpec {
  readonly name: StateMachineName;
  readonly arn: string;
}

export interface LocalStepFunctionsOptions {
  readonly region: string;
  readonly stateMachines: readonly LocalStateMachineSpec[];
  /** Substitution name → the local function that serves it (a substitution without one: its Task fails as unknown). */
  readonly taskFunctions: Readonly<Partial<Record<AslSubstitution, string>>>;
  /** Invokes a local function (functions.ts). */
  readonly invoke: (functionName: string, payload: string) => Promise<InvokeResult>;
  /** Pause before every retry, in ms, instead of the definition's backoff. @default the definition's */
  readonly retryIntervalMs?: number;
  /** Told when an execution ends. */
  readonly onEnd?: (execution: ExecutionView) => void;
  /** Given the event log of every run of an execution when it ends (metering: meter.ts billingOf). */
  readonly onEvents?: (machine: StateMachineName, definitionText: string, events: readonly AslEvent[]) => void;
}

// eslint-disable-next-line no-control-regex -- Step Functions refuses control characters in names
const NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;

export class LocalStepFunctions {
  private readonly executions = new Map<string, Execution>();
  private readonly machines: ReadonlyMap<string, LocalStateMachineSpec>;
  private readonly handlers: Readonly<Partial<Record<AslSubstitution, LocalTaskHandler>>>;

  public constructor(private readonly options: LocalStepFunctionsOptions) {
    this.machines = new Map(options.stateMachines.map((m) => [m.arn, m]));
    const handlers: Partial<Record<AslSubstitution, LocalTaskHandler>> = {};
    for (const substitution of Object.values(ASL_SUBSTITUTIONS)) {
      const fn = options.taskFunctions[substitution];
      if (fn === undefined) continue;
      handlers[substitution] = async (payload: JsonValue) => {
        const result = await options.invoke(fn, JSON.stringify(payload));
        if (result.ok) return JSON.parse(result.payload) as unknown;
        const error = new Error(result.errorMessage);
        error.name = result.errorType;
        throw error;
      };
    }
    this.handlers = handlers;
  }

  public executionArn(stateMachineArn: string, name: string): string {
    const machine = stateMachineArn.slice(stateMachineArn.lastIndexOf(':') + 1);
    return `arn:aws:states:${this.options.region}:${LOCAL_ACCOUNT}:execution:${machine}:${name}`;
  }

  /** StartExecution. */
  public start(request: { stateMachineArn?: string; name?: string; input?: string }): { executionArn: string; startDate: Date } {
    const machine = this.machines.get(request.stateMachineArn ?? '');
    if (!machine) throw new StepFunctionsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${request.stateMachineArn}'`);
    const name = request.name ?? randomUUID();
    if (!NAME.test(name)) throw new StepFunctionsError('InvalidName', `Invalid Name: '${name}'`);
    const input = request.input ?? '{}';
    let parsed: JsonValue;
    try {
      parsed = JSON.parse(input) as JsonValue;
    } catch {
      throw new StepFunctionsError('InvalidExecutionInput', 'Invalid State Machine Execution Input: the input is not JSON');
    }
    const executionArn = this.executionArn(machine.arn, name);
    const existing = this.executions.get(executionArn);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === input) return { executionArn, startDate: existing.startDate };
      throw new StepFunctionsError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const execution: Execution = {
      executionArn,
      stateMachineArn: machine.arn,
      name,
      status: 'RUNNING',
      startDate: new Date(),
      input,
      redriveCount: 0,
      history: [],
      historyEvents: 0,
      done: Promise.resolve(),
    };
    this.executions.set(executionArn, execution);
    execution.done = this.run(execution, machine.name, parsed);
    return { executionArn, startDate: execution.startDate };
  }

  /** DescribeExecution. */
  public describe(executionArn: string | undefined): ExecutionView {
    const execution = this.executions.get(executionArn ?? '');
    if (!execution) throw new StepFunctionsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return view(execution);
  }

  /** RedriveExecution: re-runs a failed execution with its input. */
  public redrive(executionArn: string | undefined): { redriveDate: Date } {
    const execution = this.executions.get(executionArn ?? '');
    if (!execution) throw new StepFunctionsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    if (execution.status !== 'FAILED') {
      throw new StepFunctionsError('ExecutionNotRedrivable', `Execution is ${execution.status}; only a FAILED execution can be redriven`);
    }
    const machine = this.machines.get(execution.stateMachineArn)!;
    execution.status = 'RUNNING';
    execution.redriveCount++;
    execution.redriveDate = new Date();
    delete execution.stopDate;
    delete execution.output;
    delete execution.error;
    delete execution.cause;
    execution.done = this.run(execution, machine.name, JSON.parse(execution.input) as JsonValue);
    return { redriveDate: execution.redriveDate };
  }

  /** The execution of a state machine with this name, if any. */
  public find(stateMachineArn: string, name: string): ExecutionView | undefined {
    const execution = this.executions.get(this.executionArn(stateMachineArn, name));
    return execution && view(execution);
  }

  /** Resolves when the execution's current run has ended. */
  public async wait(executionArn: string): Promise<ExecutionView> {
    for (;;) {
      const execution = this.executions.get(executionArn);
      if (!execution) throw new StepFunctionsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
      await execution.done;
      // A redrive may have started a new run meanwhile.
      if (execution.status !== 'RUNNING') return view(execution);
    }
  }

  /** Every execution, newest first. */
  public list(): ExecutionView[] {
    return [...this.executions.values()].map(view).sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
  }

  /** Resolves when no execution is running. */
  public async idle(): Promise<void> {
    for (;;) {
      const running = [...this.executions.values()].filter((e) => e.status === 'RUNNING');
      if (running.length === 0) return;
      await Promise.all(running.map((e) => e.done));
    }
  }

  /** The `states:startExecution` integration: StartExecution with the Task's parameters. */
  private startFromTask(parameters: JsonValue): { ExecutionArn: string; StartDate: string } {
    const p = (parameters ?? {}) as { StateMachineArn?: unknown; Name?: unknown; Input?: unknown };
    try {
      const started = this.start({
        stateMachineArn: typeof p.StateMachineArn === 'string' ? p.StateMachineArn : undefined,
        name: typeof p.Name === 'string' ? p.Name : undefined,
        input: p.Input === undefined ? undefined : typeof p.Input === 'string' ? p.Input : JSON.stringify(p.Input),
      });
      return { ExecutionArn: started.executionArn, StartDate: started.startDate.toISOString() };
    } catch (error) {
      throw integrationError(error);
    }
  }

  private async run(execution: Execution, machine: StateMachineName, input: JsonValue): Promise<void> {
    // Let StartExecution answer first, as the service does.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      const definitionText = readStateMachine(machine);
      const result = await runAsl(definitionText, input, {
        handlers: this.handlers,
        executionName: execution.name,
        stateMachineArn: execution.stateMachineArn,
        startExecution: (parameters) => this.startFromTask(parameters),
        ...(this.options.retryIntervalMs === undefined ? {} : { retryIntervalMs: this.options.retryIntervalMs }),
      });
      execution.history.push(...result.events.map(historyEvent));
      execution.historyEvents = result.historyEvents;
      this.options.onEvents?.(machine, definitionText, result.events);
      if (result.status === 'SUCCEEDED') {
        execution.status = 'SUCCEEDED';
        execution.output = JSON.stringify(result.output);
      } else {
        execution.status = 'FAILED';
        execution.error = result.error;
        execution.cause = result.cause;
      }
    } catch (error) {
      execution.status = 'FAILED';
      execution.error = 'States.Runtime';
      execution.cause = (error as Error).message;
    }
    execution.stopDate = new Date();
    this.options.onEnd?.(view(execution));
  }
}

/** An error of StartExecution as the optimised integration reports it to the Task (`StepFunctions.<Code>Exception`). */
function integrationError(error: unknown): Error {
  if (!(error instanceof StepFunctionsError)) return error as Error;
  return Object.assign(new Error(error.message), { name: `StepFunctions.${error.name}Exception` });
}

function view(execution: Execution): ExecutionView {
  const { done: _done, history, ...rest } = execution;
  return { ...rest, history: [...history] };
}

/** A JSON copy of an event, an Error (e.g. in a Cause) kept as `{name, message}` instead of `{}`. */
function historyEvent(event: AslEvent): ExecutionHistoryEvent {
  return JSON.parse(
    JSON.stringify(event, (_key, value: unknown) => (value instanceof Error ? { name: value.name, message: value.message } : value)),
  ) as ExecutionHistoryEvent;
}
