/**
 * `lethe console`: the DPO console (issue 18; docs/console.md) on 127.0.0.1, talking to local mode (found through its
 * data directory) or to a deployed stack's API with the user's own AWS credentials. Runs until Ctrl-C.
 */
import * as path from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';

interface Io {
  readonly stdout: (text: string) => void;
}

export interface ConsoleCommandOptions {
  /** Resolves when the console should stop. @default - the first SIGINT or SIGTERM */
  readonly waitForStop?: () => Promise<void>;
  /** Told the console's address once it listens (tests). @default - nothing */
  readonly onListening?: (url: string) => void;
}

interface Opts {
  readonly port: number;
  readonly apiUrl?: string;
  readonly dataDir?: string;
  readonly policy?: string;
  readonly profile?: string;
  readonly region?: string;
  readonly auditBucket?: string;
  readonly auditChainTable?: string;
}

function portNumber(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isInteger(n) || n > 65535)
    throw new InvalidArgumentError(`expected a whole number from 0 to 65535, got "${text}"`);
  return n;
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export function addConsoleCommand(program: Command, io: Io, exitUsage: number, options: ConsoleCommandOptions = {}): void {
  const command = program.command('console');
  const usage = (message: string): never => command.error(`error: ${message}`, { exitCode: exitUsage, code: 'lethe.usage' });
  command
    .description(
      "the DPO console in a browser, on 127.0.0.1: local mode's (from its data directory) or a deployed stack's API (--api-url, " +
        'signed with your AWS credentials); read-only but for extending a deadline (docs/console.md)',
    )
    .option('--port <port>', 'the port on 127.0.0.1 (0: a free one)', portNumber, 8790)
    .option(
      '--api-url <url>',
      "a deployed stack's API, e.g. https://abc123.execute-api.eu-north-1.amazonaws.com/prod (default: local mode's)",
    )
    .option('--data-dir <dir>', "local mode's data directory, where it writes its token and endpoints (default: .lethe)")
    .option('--policy <file>', "the policy the console shows (default: local mode's; required with --api-url)")
    .option('--profile <profile>', 'with --api-url: the AWS profile to sign with (default: the standard chain, AWS_PROFILE)')
    .option('--region <region>', "with --api-url: the API's region (default: the one in its URL)")
    .option('--audit-bucket <name>', "the audit bucket to verify (default: local mode's; with --api-url, none unless given)")
    .option(
      '--audit-chain-table <name>',
      "the audit-chain table, whose head the chain's end is checked against (removed newest records show only so; default: " +
        "local mode's; with --api-url, none unless given: the stack's AuditChainTableName output)",
    )
    .action(async (opts: Opts) => {
      const deployed = opts.apiUrl !== undefined;
      if (deployed && opts.dataDir !== undefined) usage('--data-dir is for local mode: give either --api-url or --data-dir');
      if (deployed && opts.policy === undefined) usage('--api-url needs --policy <file>: the policy the deployed stack enforces');
      if (!deployed && (opts.profile !== undefined || opts.region !== undefined)) usage('--profile and --region go with --api-url');
      // Loaded here: the AWS SDK is not needed by the other commands (`require`: see `audit verify` in main.ts).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { startConsoleServer } = require('../console/server') as typeof import('../console/server');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const targets = require('../console/targets') as typeof import('../console/targets');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const local = require('../console/local-target') as typeof import('../console/local-target');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { loadPolicyFile } = require('../policy/load') as typeof import('../policy/load');

      let policyFile: string;
      let target: import('../console/targets').ConsoleTarget;
      if (deployed) {
        policyFile = opts.policy!;
        target = targets.deployedTarget({
          apiUrl: opts.apiUrl,
          ...(opts.region ? { region: opts.region } : {}),
          ...(opts.profile ? { profile: opts.profile } : {}),
          ...(opts.auditBucket ? { auditBucket: opts.auditBucket } : {}),
          ...(opts.auditChainTable ? { auditChainTable: opts.auditChainTable } : {}),
        });
      } else {
        const dataDir = path.resolve(opts.dataDir ?? '.lethe');
        const endpoints = local.readLocalEndpoints(dataDir);
        if (opts.auditChainTable !== undefined && endpoints.dynamodbEndpoint === undefined) {
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          const { ConsoleError } = require('../console/errors') as typeof import('../console/errors');
          throw new ConsoleError(
            `--audit-chain-table: ${local.endpointsFile(dataDir)} names no DynamoDB endpoint (local mode older than the option): restart local mode (npm start)`,
          );
        }
        policyFile = opts.policy ?? endpoints.policyFile;
        target = targets.localTarget({
          apiUrl: endpoints.apiUrl,
          token: () => local.readLocalToken(dataDir),
          s3Endpoint: endpoints.s3Endpoint,
          auditBucket: opts.auditBucket ?? endpoints.auditBucket,
          ...(endpoints.dynamodbEndpoint ? { dynamodbEndpoint: endpoints.dynamodbEndpoint } : {}),
          ...((opts.auditChainTable ?? endpoints.auditChainTable)
            ? { auditChainTable: opts.auditChainTable ?? endpoints.auditChainTable }
            : {}),
        });
      }
      const policy = loadPolicyFile(policyFile);
      const server = await startConsoleServer({
        port: opts.port,
        api: target.api,
        policy,
        ...(target.audit ? { audit: target.audit } : {}),
        ...(target.auditHead ? { auditHead: target.auditHead } : {}),
        log: (line) => io.stdout(`  ${line}\n`),
      });
      io.stdout(
        `Lethe console: ${server.url}   (open it in a browser; 127.0.0.1 only)\n` +
          `  API     ${target.description}\n` +
          `  policy  ${path.relative(process.cwd(), policyFile) || policyFile} (${policy.policy.controller.name})\n` +
          'Ctrl-C stops it.\n',
      );
      options.onListening?.(server.url);
      await (options.waitForStop ?? untilSignal)();
      await server.close();
      io.stdout('Stopped.\n');
    });
}
