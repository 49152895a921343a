/**
 * The console as the last service of local mode (local-mode.ts): once everything is up, the banner (console.ts)
 * with the endpoints, the token and the curl lines to try; from then on, the functions' log lines are echoed.
 */
import { banner, type BannerInput } from './console';
import type { FunctionLogService } from './function-services';
import { type LocalService, started } from './local-mode';

export interface ConsoleServiceOptions {
  /** Print the banner. */
  readonly banner: boolean;
  /** What the banner shows, given how long the start took. */
  readonly bannerInput: (startedInMs: number) => BannerInput;
  readonly log: (line: string) => void;
  readonly functionLog: FunctionLogService;
  /** When the start began (Date.now()), to measure it. */
  readonly startedAt: number;
}

export class ConsoleService implements LocalService {
  public readonly name = 'console';
  private measuredMs: number | undefined;

  public constructor(private readonly options: ConsoleServiceOptions) {}

  public async start(): Promise<void> {
    const startupMs = Date.now() - this.options.startedAt;
    this.measuredMs = startupMs;
    if (this.options.banner) for (const line of banner(this.options.bannerInput(startupMs))) this.options.log(line);
    this.options.functionLog.startEcho();
  }

  /** Milliseconds from the start to ready (the banner's "started in"). */
  public get startupMs(): number {
    return started(this.measuredMs, this.name);
  }

  public async stop(): Promise<void> {}
}
