/**
 * Local mode as a set of services (issue 17, item 4): each part of it (the data directory, DynamoDB Local, s3rver,
 * the functions, the API, the timers, ...) is a {@link LocalService} with a start and a stop, and {@link LocalMode}
 * composes them: one start path, in order, and one stop path, in reverse order, run once. `startLocal` (start.ts)
 * says which services there are and in which order; {@link stopOnSignals} is the one place SIGINT and SIGTERM are
 * handled (bin/local.ts).
 */
import { LocalModeError } from './errors';

/** One part of local mode. */
export interface LocalService {
  /** What it is, in a few words (named when it was used before it started). */
  readonly name: string;
  /** Starts it; a rejection stops the services started before it, and is what `LocalMode.start` rejects with. */
  start(): Promise<void>;
  /** Stops it; called at most once, and only after its start resolved. */
  stop(): Promise<void>;
  /**
   * Removes what must not outlive the process (a temporary directory), synchronously: called once after its stop,
   * whether that stop resolved, failed or did not end in time, and on an exit that does not wait for the stops (a
   * second Ctrl-C). @default - nothing to remove
   */
  cleanup?(): void;
}

/** What `LocalMode.stop()` could not stop: each service whose stop failed or did not end in time, and why. */
export interface StopReport {
  readonly notStopped: readonly { readonly service: string; readonly reason: string }[];
}

/** How long one service's stop may take before the stop goes on without it. */
export const DEFAULT_STOP_TIMEOUT_MS = 15_000;

/** A stage of the start: one service, or several started side by side (the emulators). */
export type LocalStage = LocalService | readonly LocalService[];

/**
 * A step of the start with nothing of its own to stop (defining the functions, seeding the demo), or whose undo is
 * a single call.
 */
export class LocalStep implements LocalService {
  public constructor(
    public readonly name: string,
    private readonly run: () => Promise<void> | void,
    private readonly undo: () => Promise<void> | void = () => undefined,
  ) {}

  public async start(): Promise<void> {
    await this.run();
  }

  public async stop(): Promise<void> {
    await this.undo();
  }
}

/** The value a service has once started; a LocalModeError naming the service before that. */
export function started<T>(value: T | undefined, service: string): T {
  if (value === undefined) throw new LocalModeError(`${service} is not started`);
  return value;
}

/**
 * The facade: starts the stages in order (the services of a stage side by side) and stops the started services in
 * the reverse order.
 *
 * - A start that fails stops every service already started (those of its own stage too, once they are up), then
 *   rejects with the error of the failed start itself, its `cause` kept.
 * - `stop()` stops each started service once, even when called again or from several places (a signal, a test's
 *   afterAll); a service whose stop fails, or does not end within `stopTimeoutMs`, does not keep the others running:
 *   it is named in the {@link StopReport} `stop()` resolves with, and its `cleanup` runs all the same.
 * - `cleanupNow()` runs the cleanups not run yet, synchronously, for an exit that cannot wait for the stops.
 * - `stop()` during `start()` lets the stage under way finish, stops everything started, and `start()` rejects with
 *   a LocalModeError.
 */
export class LocalMode {
  private readonly stages: readonly (readonly LocalService[])[];
  /** The services started, in the order they started. */
  private readonly running: LocalService[] = [];
  private starting: Promise<void> | undefined;
  private stopRequested = false;
  private stopping: Promise<StopReport> | undefined;
  private draining: Promise<StopReport> | undefined;
  /** The services started whose cleanup has not run. */
  private readonly uncleaned = new Set<LocalService>();
  /** The services whose stop has not ended (not begun, or under way). */
  private readonly unstopped = new Set<LocalService>();
  private readonly stopTimeoutMs: number;

  public constructor(stages: readonly LocalStage[], options: { readonly stopTimeoutMs?: number } = {}) {
    this.stages = stages.map((stage) => (isGroup(stage) ? stage : [stage]));
    this.stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
  }

  /** The names of the services started so far, in the order they started. */
  public get startedServices(): string[] {
    return this.running.map((s) => s.name);
  }

  public start(): Promise<void> {
    if (this.starting) return Promise.reject(new LocalModeError('local mode is already started'));
    if (this.stopRequested) return Promise.reject(new LocalModeError('local mode was stopped; start a new one'));
    this.starting = this.startStages();
    return this.starting;
  }

  public stop(): Promise<StopReport> {
    this.stopRequested = true;
    // While starting: the start sees the request after its current stage, and stops what it started.
    const drain = () => this.drain();
    this.stopping ??= this.starting ? this.starting.then(drain, drain) : this.drain();
    return this.stopping;
  }

  private async startStages(): Promise<void> {
    for (const stage of this.stages) {
      if (this.stopRequested) break;
      const results = await Promise.allSettled(stage.map((service) => service.start()));
      results.forEach((result, i) => {
        if (result.status === 'fulfilled') {
          this.running.push(stage[i]);
          this.uncleaned.add(stage[i]);
          this.unstopped.add(stage[i]);
        }
      });
      const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failed) {
        await this.drain();
        throw failed.reason;
      }
    }
    if (this.stopRequested) {
      await this.drain();
      throw new LocalModeError('local mode was stopped while it was starting');
    }
  }

  /**
   * Runs the cleanups not run yet (synchronously: for an exit that does not wait) and answers the names of the
   * services whose stop has not ended, last started first.
   */
  public cleanupNow(): string[] {
    for (const service of [...this.uncleaned].reverse()) this.cleanup(service);
    return [...this.unstopped].reverse().map((s) => s.name);
  }

  private cleanup(service: LocalService): void {
    if (!this.uncleaned.delete(service)) return;
    try {
      service.cleanup?.();
    } catch {
      // the others' cleanups still run
    }
  }

  /** Stops the started services, last first, once; each stop bounded by `stopTimeoutMs`. */
  private drain(): Promise<StopReport> {
    this.draining ??= (async () => {
      const notStopped: { service: string; reason: string }[] = [];
      for (let service = this.running.pop(); service; service = this.running.pop()) {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), this.stopTimeoutMs)));
        try {
          const outcome = await Promise.race([service.stop(), late]);
          if (outcome === 'late') notStopped.push({ service: service.name, reason: `did not stop within ${this.stopTimeoutMs / 1000} s` });
          else this.unstopped.delete(service);
        } catch (error) {
          this.unstopped.delete(service);
          notStopped.push({ service: service.name, reason: error instanceof Error ? error.message : String(error) });
        } finally {
          clearTimeout(timer);
          this.cleanup(service);
        }
      }
      return { notStopped };
    })();
    return this.draining;
  }
}

/** One line naming what did not stop, or undefined when everything did. */
export function describeNotStopped(report: StopReport): string | undefined {
  if (report.notStopped.length === 0) return undefined;
  return `Not stopped: ${report.notStopped.map((n) => `${n.service} (${n.reason})`).join('; ')}.`;
}

const isGroup = (stage: LocalStage): stage is readonly LocalService[] => Array.isArray(stage);

/** What {@link stopOnSignals} needs of the process: `process` itself, or a stand-in in tests. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

export interface StopOnSignalsOptions {
  /** Told when the first signal arrives, before the stop begins. @default - nothing */
  readonly onStopping?: (signal: NodeJS.Signals) => void;
  /** Told of a signal that arrives while stopping, later than `repeatWithinMs` after the first (a second Ctrl-C). */
  readonly onForce: (signal: NodeJS.Signals) => void;
  /**
   * A repeated signal this soon after the first is the same one: Ctrl-C reaches the process twice, from the terminal
   * and relayed by npm and tsx. @default 1500
   */
  readonly repeatWithinMs?: number;
  /** @default ['SIGINT', 'SIGTERM'] */
  readonly signals?: readonly NodeJS.Signals[];
  /** @default process */
  readonly source?: SignalSource;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * Stops `target` on the first SIGINT or SIGTERM; resolves once it has stopped, rejects if its stop did. A signal
 * while stopping is ignored within `repeatWithinMs` of the first, and handed to `onForce` after that. The listeners
 * are removed when the stop has ended.
 */
export function stopOnSignals<T>(target: { stop(): Promise<T> }, options: StopOnSignalsOptions): Promise<T> {
  const source = options.source ?? process;
  const signals = options.signals ?? ['SIGINT', 'SIGTERM'];
  const now = options.now ?? Date.now;
  const repeatWithinMs = options.repeatWithinMs ?? 1500;
  return new Promise<T>((resolve, reject) => {
    let stoppingSince: number | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stoppingSince !== undefined) {
        if (now() - stoppingSince >= repeatWithinMs) options.onForce(signal);
        return;
      }
      stoppingSince = now();
      options.onStopping?.(signal);
      target
        .stop()
        .finally(() => signals.forEach((s) => source.off(s, onSignal)))
        .then(resolve, reject);
    };
    signals.forEach((s) => source.on(s, onSignal));
  });
}
