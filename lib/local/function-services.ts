/**
 * The services of local mode's functions (local-mode.ts): their log (a file for this run, and the last lines in
 * memory, echoed on the console once the banner is out) and the host that runs each function in its worker.
 */
import type { WriteStream } from 'node:fs';
import * as path from 'node:path';
import { formatLogLine } from './console';
import { FUNCTION_LOG_FILE, openFunctionLog } from './function-log';
import { FunctionHost } from './functions';
import { type LocalService, started } from './local-mode';
import type { UsageMeter } from './meter';

export interface FunctionLogEntry {
  readonly functionName: string;
  readonly stream: 'stdout' | 'stderr';
  readonly line: string;
  readonly at: Date;
}

/** How many function log lines are kept in memory (the log file keeps all). */
const MAX_LOG_LINES = 200_000;

export interface FunctionLogOptions {
  readonly dataDir: string;
  /** Receives the console lines. */
  readonly log: (line: string) => void;
  /** Echo a one-line summary of each function log line through `log`, once `startEcho()` was called. */
  readonly echo: boolean;
  /** Counts the bytes logged (CloudWatch Logs ingestion). @default - not metered */
  readonly meter?: UsageMeter;
}

/** The functions' log: this run's file (the previous run's is kept as functions.log.1) and memory. */
export class FunctionLogService implements LocalService {
  public readonly name = 'function log';
  /** The file this run's lines are written to. */
  public readonly file: string;
  private readonly kept: FunctionLogEntry[] = [];
  private stream: WriteStream | undefined;
  private echoing = false;

  public constructor(private readonly options: FunctionLogOptions) {
    this.file = path.join(options.dataDir, 'logs', FUNCTION_LOG_FILE);
  }

  public async start(): Promise<void> {
    this.stream = openFunctionLog(this.options.dataDir);
  }

  /** Function lines are echoed from now on: once the banner is out, not the seeding's. */
  public startEcho(): void {
    this.echoing = true;
  }

  public write(functionName: string, line: string, stream: 'stdout' | 'stderr'): void {
    this.options.meter?.logLine(Buffer.byteLength(line) + 1);
    const at = new Date();
    this.kept.push({ functionName, stream, line, at });
    if (this.kept.length > MAX_LOG_LINES) this.kept.splice(0, this.kept.length - MAX_LOG_LINES);
    started(this.stream, this.name).write(`${at.toISOString()} ${functionName} ${line}\n`);
    if (this.options.echo && this.echoing) {
      const shown = formatLogLine(functionName, line);
      if (shown) this.options.log(shown);
    }
  }

  /** The lines kept in memory, oldest first. */
  public entries(): FunctionLogEntry[] {
    return [...this.kept];
  }

  public stop(): Promise<void> {
    const stream = started(this.stream, this.name);
    return new Promise<void>((resolve) => stream.end(() => resolve()));
  }
}

export interface FunctionsServiceOptions {
  readonly functionLog: FunctionLogService;
  /** Counts each invocation's billed duration. @default - not metered */
  readonly meter?: UsageMeter;
}

/**
 * The function host (functions.ts): one worker per function, started at its first invocation or by `warm()`. The
 * functions are defined once the emulators they reach are up (start.ts); the host exists from the start, so that
 * the API and the AWS endpoint can refer to it.
 */
export class FunctionsService implements LocalService {
  public readonly name = 'functions';
  public readonly host: FunctionHost;

  public constructor(options: FunctionsServiceOptions) {
    const { functionLog, meter } = options;
    this.host = new FunctionHost({
      ...(meter ? { onInvoked: (name, memoryMb, durationMs) => meter.lambdaInvocation(name, memoryMb, durationMs) } : {}),
      onLog: (functionName, line, stream) => functionLog.write(functionName, line, stream),
    });
  }

  /** Nothing runs until a function is invoked or warmed. */
  public async start(): Promise<void> {}

  public stop(): Promise<void> {
    return this.host.stop();
  }
}
