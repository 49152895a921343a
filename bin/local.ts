/**
 * `npm start`: Lethe on this machine, on 127.0.0.1 only (lib/local, docs/local-mode.md).
 *
 *   npm start                                   the example policy examples/dh-solutions.yaml, API on port 8787
 *   npm start -- --policy examples/smartsign.yaml
 *   PORT=9000 npm start                         another port (--port wins over PORT)
 *   npm start -- --hold-system accounting       keep erasure requests open until the system is released
 *   npm start -- --console-port 9001            the DPO console on another port (default 8790)
 *
 * Errors a newcomer can run into (Java missing, the port in use, an invalid policy, a data directory that
 * cannot be written) are printed as one clear message, never a stack trace. Ctrl-C stops everything.
 */
import { Command, InvalidArgumentError } from 'commander';
import type { LocalMode } from '../lib/local/local-mode';

// Lambda runs Node.js 22; local mode may run on 20: the SDK's reminder is not news here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

interface CliOptions {
  readonly policy?: string;
  readonly port?: number;
  readonly dataDir: string;
  readonly persist: boolean;
  readonly seed: boolean;
  readonly sweepEvery: number | false;
  readonly quiet: boolean;
  readonly holdSystem: string[];
  readonly consolePort?: number;
}

function wholeNumber(what: string, min: number, max: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`${what} must be a whole number from ${min} to ${max}, got "${text}"`);
    return n;
  };
}

function portFromEnv(): number | undefined {
  const text = process.env.PORT;
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    process.stderr.write(`PORT must be a whole number from 0 to 65535, got "${text}"\n`);
    process.exit(2);
  }
  return n;
}

async function run(options: CliOptions): Promise<number> {
  const { startLocal, DEFAULT_PORT, stopOnSignals } = await import('../lib/local');
  const { describeNotStopped } = await import('../lib/local/local-mode');
  const { LetheError } = await import('../lib/core/errors');
  const print = (line: string) => process.stdout.write(`${line}\n`);
  process.stdout.write('Starting Lethe local mode (DynamoDB Local, s3rver, the functions, the API)...\n');

  // Ctrl-C or SIGTERM stops every service, last started first, from the moment the start begins (a Ctrl-C while
  // starting stops what started); each service's stop is bounded in time (local-mode.ts), and what did not stop is
  // named. A second Ctrl-C (not the same one relayed by npm) exits at once, after removing the temporary directories.
  // Once the stop has ended, stopOnSignals no longer listens, and the process exits just after (its 'exit' handlers
  // remove the temporary directories). A signal in between, with no listener, took the default action: the process
  // killed mid-exit, exit code none instead of 0 (seen once in CI: a second Ctrl-C 300 ms after the first). It is
  // about to exit anyway: such a signal is ignored.
  const exiting = (): void => undefined;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, exiting);
  type Mode = LocalMode;
  let announce!: (mode: Mode | undefined) => void;
  const known = new Promise<Mode | undefined>((resolve) => (announce = resolve));
  let mode: Mode | undefined;
  let signalled = false;
  const stopped = stopOnSignals(
    { stop: async () => (await known)?.stop() },
    {
      onStopping: () => {
        signalled = true;
        print('\nStopping (DynamoDB Local, s3rver, the functions, the API)...');
      },
      onForce: (signal) => {
        const pending = mode?.cleanupNow() ?? [];
        const what = pending.length > 0 ? `; not stopped: ${pending.join(', ')}` : '';
        process.stderr.write(`\n${signal} again: exiting now (temporary directories removed${what}).\n`);
        process.exit(130);
      },
    },
  );
  const finish = (report: Awaited<typeof stopped>): number => {
    const problem = report ? describeNotStopped(report) : undefined;
    if (problem) {
      process.stderr.write(`${problem}\n`);
      return 1;
    }
    print('Stopped.');
    return 0;
  };
  const failed = (error: unknown): number => {
    process.stderr.write(`stopping failed: ${(error as Error).message}\n`);
    return 1;
  };

  try {
    await startLocal({
      onStarting: (m) => {
        mode = m;
        announce(m);
      },
      ...(options.policy ? { policyFile: options.policy } : {}),
      port: options.port ?? portFromEnv() ?? DEFAULT_PORT,
      dataDir: options.dataDir,
      persist: options.persist,
      seedDemo: options.seed,
      holdSystems: options.holdSystem,
      ...(options.consolePort === undefined ? {} : { consolePort: options.consolePort }),
      sweepEveryMs: options.sweepEvery === false ? false : options.sweepEvery * 1000,
      log: print,
      echoFunctionLogs: !options.quiet,
      // Every function's worker starts before the banner: the banner's first curl must not wait for a dozen cold
      // starts, nor race them (warmed in the background they took the CPU the first request needed, and it waited
      // 12 to 29 s, past API Gateway's 29 s; issue 15, item 18).
      warm: true,
    });
  } catch (error) {
    announce(undefined);
    // Stopped while starting: the start's error is the stop's doing.
    if (signalled) return stopped.then(finish, failed);
    if (error instanceof LetheError) {
      process.stderr.write(`\n${error.message}\n`);
      return 1;
    }
    process.stderr.write(`\nLethe local mode could not start: ${(error as Error).name}: ${(error as Error).message}\n`);
    return 1;
  }
  return stopped.then(finish, failed);
}

const program = new Command()
  .name('npm start --')
  .description('Run Lethe locally: DynamoDB Local, s3rver, the state machines, the functions and the API, on 127.0.0.1 only.')
  .option('--policy <file>', 'the policy to run (default: examples/dh-solutions.yaml)')
  .option('--port <port>', 'the API port on 127.0.0.1 (default: $PORT, else 8787)', wholeNumber('--port', 0, 65535))
  .option('--data-dir <dir>', 'where the token, keys, secrets and logs are kept', '.lethe')
  .option('--persist', 'keep the tables, objects and receiver records in the data directory across restarts', false)
  .option('--no-seed', 'do not seed the demo systems and subjects')
  .option('--sweep-every <seconds>', 'run every purpose sweep this often', wholeNumber('--sweep-every', 1, 86_400), 60)
  .option('--no-sweeps', 'never run the sweeps by timer')
  .option(
    '--hold-system <id>',
    'hold an http system: its webhook answers 503 until released, so an erasure request stays open and can be extended (repeatable; docs/local-mode.md)',
    (id: string, ids: string[]) => [...ids, id],
    [] as string[],
  )
  .option(
    '--console-port <port>',
    'the DPO console on 127.0.0.1 (default: 8790; a free one when --port is 0; docs/console.md)',
    wholeNumber('--console-port', 0, 65535),
  )
  .option('--quiet', 'do not echo the function log lines (they are in the log file)', false)
  .showHelpAfterError()
  // A usage error (an unknown option, a port out of range) exits 2, as `lethe` does; help exits 0.
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
  .action(async (opts: CliOptions & { sweeps: boolean }) => {
    process.exitCode = await run({ ...opts, sweepEvery: opts.sweeps ? opts.sweepEvery : false });
    process.exit(process.exitCode);
  });

void program.parseAsync(process.argv);
