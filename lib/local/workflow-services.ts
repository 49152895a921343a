/**
 * What runs the workflows in local mode, as services (local-mode.ts): the Step Functions runner with the two state
 * machines, the ledger streams poller (the event source mapping of ledger-stream), and the scheduler (the stack's
 * schedules: the sweeps, the deadline monitor, and the streams' polling).
 */
import { LedgerTtlAssist } from './ttl-assist';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Temporal } from '@js-temporal/polyfill';
import { LocalModeError } from './errors';
import type { Policy } from '../policy/model';
import type { ResourcesService } from './emulator-services';
import type { FunctionsService } from './function-services';
import { runtimeFunctionName } from './function-specs';
import { type LocalService, started } from './local-mode';
import { billingOf, type UsageMeter } from './meter';
import type { LocalNames } from './resources';
import { type ExecutionView, LocalStepFunctions } from './step-functions';
import { LedgerStreamPoller, type StreamPollReport } from './streams';

export interface SweepResult extends ExecutionView {
  readonly purpose: string;
}

/** A pause that does not keep the process alive. */
export const sleep = (ms: number): Promise<void> => delay(ms, undefined, { ref: false });

function instantText(now: string | Date | Temporal.Instant): string {
  if (typeof now === 'string') return now;
  if (now instanceof Date) return now.toISOString();
  return now.toString();
}

export interface StepFunctionsServiceOptions {
  readonly policy: Policy;
  readonly region: string;
  readonly names: LocalNames;
  readonly functions: FunctionsService;
  readonly log: (line: string) => void;
  /** Pause before each retry, in ms, instead of the definitions' backoff. @default - the definitions' */
  readonly retryIntervalMs?: number;
  /** Counts each execution's state transitions. @default - not metered */
  readonly meter?: UsageMeter;
}

/**
 * The erasure and sweep state machines (step-functions.ts). The runner exists from the start (the AWS endpoint
 * and the receiver refer to it); its stop lets running executions finish for a moment (at most 2 s) before the
 * functions and the emulators they use are stopped.
 */
export class StepFunctionsService implements LocalService {
  public readonly name = 'Step Functions';
  public readonly machine: LocalStepFunctions;

  public constructor(private readonly options: StepFunctionsServiceOptions) {
    const { region, names, functions, log, retryIntervalMs, meter } = options;
    this.machine = new LocalStepFunctions({
      region,
      stateMachines: [
        { name: 'erasure', arn: names.erasureStateMachineArn },
        { name: 'sweep', arn: names.sweepStateMachineArn },
        { name: 'replay', arn: names.replayStateMachineArn },
      ],
      taskFunctions: {
        ErasurePlanFunctionArn: runtimeFunctionName('erasure-plan'),
        ErasureSystemFunctionArn: runtimeFunctionName('erasure-system'),
        ErasureFinishFunctionArn: runtimeFunctionName('erasure-finish'),
        SweepReadFunctionArn: runtimeFunctionName('sweep-read'),
        SweepApplyFunctionArn: runtimeFunctionName('sweep-apply'),
        ReplayFunctionArn: runtimeFunctionName('replay'),
      },
      invoke: (fn, payload) => functions.host.invoke(fn, payload),
      ...(retryIntervalMs === undefined ? {} : { retryIntervalMs }),
      ...(meter
        ? {
            onEvents: (_machine, definitionText, events) =>
              meter.stepFunctionsExecution(billingOf(JSON.parse(definitionText) as { States: Record<string, unknown> }, events)),
          }
        : {}),
      onEnd(execution) {
        const erasure = execution.stateMachineArn === names.erasureStateMachineArn;
        if (execution.stateMachineArn === names.replayStateMachineArn) {
          log(`replay ${execution.name}: ${execution.status}${execution.error ? ` (${execution.error})` : ''}`);
          return;
        }
        // A sweep that succeeded speaks through its functions' lines; the rest is worth a line of its own.
        if (erasure || execution.status !== 'SUCCEEDED') {
          log(
            `${erasure ? 'erasure request' : 'sweep'} ${execution.name}: ${execution.status}${execution.error ? ` (${execution.error})` : ''}`,
          );
        }
      },
    });
  }

  /** The executions start when asked (StartExecution, a sweep); nothing to start. */
  public async start(): Promise<void> {}

  /**
   * Runs one purpose's sweep state machine now (on a simulated clock when `now` is given) and waits for it, and for
   * the executions it continues in (a sweep of more than 500 pages); answers the last one.
   */
  public async runSweep(purpose: string, now?: string | Date | Temporal.Instant): Promise<SweepResult> {
    const { policy, names } = this.options;
    if (!policy.purposes[purpose]) {
      throw new LocalModeError(`the policy has no purpose "${purpose}"; it has ${Object.keys(policy.purposes).join(', ')}`);
    }
    const input = { purpose, ...(now === undefined ? {} : { now: instantText(now) }) };
    const name = randomUUID();
    const { executionArn } = this.machine.start({ stateMachineArn: names.sweepStateMachineArn, name, input: JSON.stringify(input) });
    // A sweep of more than 500 pages continues in new executions (<name>-part2, ...): wait for the last one.
    let view = await this.machine.wait(executionArn);
    for (let part = 2; view.status === 'SUCCEEDED'; part++) {
      const next = this.machine.find(names.sweepStateMachineArn, `${name}-part${part}`);
      if (!next) break;
      view = await this.machine.wait(next.executionArn);
    }
    return { purpose, ...view };
  }

  /**
   * Runs the replay state machine for one system (issue 19, item 3: after a restore, every tombstone from `since` on
   * applied again) and waits for it; its output is the replay's counts (ReplayOutput).
   */
  public async runReplay(system: string, since: string, until?: string): Promise<ExecutionView> {
    const input = { system, since, ...(until === undefined ? {} : { until }) };
    const { executionArn } = this.machine.start({
      stateMachineArn: this.options.names.replayStateMachineArn,
      name: randomUUID(),
      input: JSON.stringify(input),
    });
    return this.machine.wait(executionArn);
  }

  /** Runs every purpose's sweep, one after the other. */
  public async runAllSweeps(now?: string | Date | Temporal.Instant): Promise<SweepResult[]> {
    const results: SweepResult[] = [];
    for (const purpose of Object.keys(this.options.policy.purposes)) results.push(await this.runSweep(purpose, now));
    return results;
  }

  /** A held system was released: every failed erasure request is redriven (a redrive runs only the systems not done). */
  public redriveFailedErasures(): void {
    for (const execution of this.machine.list()) {
      if (execution.stateMachineArn !== this.options.names.erasureStateMachineArn || execution.status !== 'FAILED') continue;
      this.machine.redrive(execution.executionArn);
      this.options.log(`erasure request ${execution.name}: redriven (a held system was released)`);
    }
  }

  /** Lets running executions finish for a moment; the functions are stopped after that anyway. */
  public async stop(): Promise<void> {
    await Promise.race([this.machine.idle(), sleep(2000)]);
  }
}

export interface StreamsServiceOptions {
  readonly region: string;
  readonly names: LocalNames;
  readonly resources: ResourcesService;
  readonly functions: FunctionsService;
  readonly log: (line: string) => void;
}

/**
 * Reads the ledger streams and hands the removals to ledger-stream (streams.ts), when `poll()` is called; first, at
 * most every 5 s, expires what DynamoDB Local's TTL keeps (ttl-assist.ts).
 */
export class StreamsService implements LocalService {
  public readonly name = 'ledger streams';
  private poller: LedgerStreamPoller | undefined;
  private ttlAssist: LedgerTtlAssist | undefined;

  public constructor(private readonly options: StreamsServiceOptions) {}

  public async start(): Promise<void> {
    const { region, names, resources, functions, log } = this.options;
    this.poller = new LedgerStreamPoller({
      ddb: resources.clients.dynamodb,
      streams: resources.clients.streams,
      tables: Object.values(names.ledgerTables),
      invoke: (payload) => functions.host.invoke(runtimeFunctionName('ledger-stream'), payload),
      region,
      log,
    });
    this.ttlAssist = new LedgerTtlAssist({ documents: resources.clients.documents, tables: Object.values(names.ledgerTables) });
  }

  public async poll(): Promise<StreamPollReport> {
    await started(this.ttlAssist, this.name).run();
    return started(this.poller, this.name).poll();
  }

  /** Polled by the scheduler; nothing of its own runs. */
  public async stop(): Promise<void> {}
}

/** A job of the scheduler. */
export interface ScheduledJob {
  /** What it is, in the line that says it failed and in the error for a bad interval. */
  readonly what: string;
  /** How often; false: never by timer. */
  readonly everyMs: number | false;
  readonly run: () => Promise<unknown>;
}

/**
 * The schedules of the stack, and the event source mapping of the streams, as timers that do not keep the process
 * alive. A job still running when its timer fires again is not started twice; a failure is said once, until the job
 * succeeds again.
 */
export class SchedulerService implements LocalService {
  public readonly name = 'scheduler';
  private readonly timers: NodeJS.Timeout[] = [];

  public constructor(
    private readonly jobs: readonly ScheduledJob[],
    private readonly log: (line: string) => void,
  ) {}

  public async start(): Promise<void> {
    for (const { what, everyMs } of this.jobs) {
      if (everyMs !== false && (!Number.isInteger(everyMs) || everyMs < 1))
        throw new LocalModeError(`${what} must be a whole number of milliseconds >= 1, or false; got ${everyMs}`);
    }
    for (const { what, everyMs, run } of this.jobs) {
      if (everyMs === false) continue;
      let busy = false;
      let reported = false;
      const timer = setInterval(() => {
        if (busy) return;
        busy = true;
        run()
          .then(() => (reported = false))
          .catch((error: unknown) => {
            if (!reported) this.log(`${what} failed: ${(error as Error).name}: ${(error as Error).message}`);
            reported = true;
          })
          .finally(() => (busy = false));
      }, everyMs);
      timer.unref();
      this.timers.push(timer);
    }
  }

  public async stop(): Promise<void> {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
  }
}
