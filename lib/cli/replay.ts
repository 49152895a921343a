/**
 * `lethe replay --system <id> --since <instant>` (issue 19, item 3): after a restore of a system (or of Lethe's own
 * tables) from a backup or a point-in-time recovery, applies every erasure and expiry since the restore point again,
 * by starting the replay workflow (statemachines/replay.asl.json) and waiting for it. Prints what it found again:
 * counts per system and the subjects as audit HMACs, never personal data.
 *
 * The workflow is found by `--state-machine-arn` (or LETHE_REPLAY_STATE_MACHINE_ARN): the stack's output
 * ReplayStateMachineArn on AWS; in local mode `arn:aws:states:<region>:000000000000:stateMachine:lethe-local-replay`
 * with `--endpoint-url` the AWS endpoint its banner prints. On a loopback endpoint the region and credentials default
 * to local mode's (the policy's first region is given with --region; fake keys), never the user's.
 *
 * Exit codes: 0 the replay succeeded (whatever it found); 1 it failed (the execution's error name); 2 usage error.
 */
import type { Command } from 'commander';
import { LetheError } from '../core/errors';

interface Io {
  readonly stdout: (text: string) => void;
}

export const REPLAY_STATE_MACHINE_ENV = 'LETHE_REPLAY_STATE_MACHINE_ARN';

/** An ISO 8601 instant with an offset or Z (what the workflow accepts), else undefined. */
export function instantOrUndefined(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

export interface ReplayCommandOptions {
  /** Pause between two DescribeExecution calls, ms. @default 1000 */
  readonly pollMs?: number;
  /** @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export function addReplayCommand(program: Command, io: Io, exitUsage: number, options: ReplayCommandOptions = {}): void {
  const replay = program.command('replay');
  const usage = (message: string): never => replay.error(`error: ${message}`, { exitCode: exitUsage, code: 'lethe.usage' });
  replay
    .description(
      'after a restore from a backup or point-in-time recovery, apply every erasure and expiry of a system since the restore point ' +
        'again (the replay workflow); prints counts and audit HMACs. Exit 0 done, 1 the replay failed, 2 usage error',
    )
    .requiredOption('--system <id>', "the system restored (a system id of the deployment's policy)")
    .requiredOption('--since <instant>', 'the restore point, an ISO 8601 instant with an offset, e.g. 2026-12-01T00:00:00Z')
    .option('--until <instant>', 'leave what was erased after this instant (default: now)')
    .option('--state-machine-arn <arn>', `the replay state machine (default: ${REPLAY_STATE_MACHINE_ENV})`)
    .option('--endpoint-url <url>', "a Step Functions endpoint: local mode's AWS endpoint, as its banner prints it")
    .option('--region <region>', 'the region of the state machine (default: the SDK chain; on a loopback endpoint, eu-north-1)')
    .action(
      async (opts: { system: string; since: string; until?: string; stateMachineArn?: string; endpointUrl?: string; region?: string }) => {
        const env = options.env ?? process.env;
        if (!/^[a-z][a-z0-9-]{0,62}$/.test(opts.system))
          usage(`--system: expected a system id such as crm (kebab-case); got "${opts.system}"`);
        const since = instantOrUndefined(opts.since);
        if (since === undefined)
          usage(`--since: expected an ISO 8601 instant with an offset such as 2026-12-01T00:00:00Z; got "${opts.since}"`);
        if (opts.until !== undefined) {
          const until = instantOrUndefined(opts.until);
          if (until === undefined) usage(`--until: expected an ISO 8601 instant with an offset; got "${opts.until}"`);
          if (until! < since!) usage('--until is before --since');
        }
        const arn = opts.stateMachineArn ?? env[REPLAY_STATE_MACHINE_ENV];
        if (!arn) usage(`give --state-machine-arn <arn> (the stack's output ReplayStateMachineArn) or set ${REPLAY_STATE_MACHINE_ENV}`);
        if (!/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/.test(arn!)) {
          usage(`--state-machine-arn: expected arn:aws:states:<region>:<account>:stateMachine:<name>; got "${arn}"`);
        }
        let local = false;
        if (opts.endpointUrl !== undefined) {
          try {
            if (!['http:', 'https:'].includes(new URL(opts.endpointUrl).protocol)) throw new Error('not http');
          } catch {
            usage(`--endpoint-url: expected an http or https URL such as http://127.0.0.1:4010; got "${opts.endpointUrl}"`);
          }
          local = ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(opts.endpointUrl).hostname);
        }
        // Loaded here: the other commands do not need the AWS SDK. `require`: the binary runs through tsx's CommonJS hook.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const sfn = require('@aws-sdk/client-sfn') as typeof import('@aws-sdk/client-sfn');
        const region = opts.region ?? (local && !env.AWS_REGION && !env.AWS_DEFAULT_REGION ? arn!.split(':')[3] : undefined);
        const client = new sfn.SFNClient({
          ...(region ? { region } : {}),
          ...(opts.endpointUrl ? { endpoint: opts.endpointUrl } : {}),
          ...(local && !env.AWS_ACCESS_KEY_ID && !env.AWS_PROFILE
            ? { credentials: { accessKeyId: 'LOCAL', secretAccessKey: 'LOCAL' } }
            : {}),
        });
        const input = { system: opts.system, since: opts.since, ...(opts.until === undefined ? {} : { until: opts.until }) };
        let executionArn: string | undefined;
        try {
          ({ executionArn } = await client.send(new sfn.StartExecutionCommand({ stateMachineArn: arn, input: JSON.stringify(input) })));
        } catch (error) {
          throw new LetheError(`cannot start the replay: ${(error as Error).name}: ${(error as Error).message}`, { cause: error });
        }
        for (;;) {
          const execution = await client.send(new sfn.DescribeExecutionCommand({ executionArn }));
          if (execution.status === 'SUCCEEDED') {
            io.stdout(`${JSON.stringify(JSON.parse(execution.output ?? '{}'), null, 2)}\n`);
            return;
          }
          if (execution.status !== 'RUNNING' && execution.status !== 'PENDING_REDRIVE') {
            throw new LetheError(
              `the replay ${execution.name ?? ''} ${execution.status ?? 'ended'}: ${execution.error ?? 'no error name'}`,
            );
          }
          await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1000));
        }
      },
    );
}
