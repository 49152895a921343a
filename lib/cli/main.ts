/**
 * `lethe`: the command line for privacy engineers and DPOs. Thin: parse arguments (commander), read files,
 * call the domain, print. Exit codes: 0 success, 1 bad input (with a message naming what was wrong),
 * 2 usage error. Never a stack trace (set LETHE_DEBUG=1 to see one for an internal error).
 */
import { writeFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { Temporal } from '@js-temporal/polyfill';
import { DocumentError, FileError, InputError, LetheError, formatIssue, issueCount } from '../core/errors';
import { checkHoldingRef, parseHoldingFile, parseNow, parseSubjectFile } from '../inputs';
import { loadPolicyFile } from '../policy/load';
import type { Policy } from '../policy/model';
import { policyJsonSchema } from '../policy/schema';
import { readSourceFile } from '../policy/source';
import { type Plan, plan } from '../planner/plan';
import {
  buildRegister,
  REGISTER_FORMATS,
  REGISTER_LANGS,
  type RegisterFormat,
  type RegisterLang,
  renderRegister,
} from '../register/register';
import { computeExpiry, type Expiry } from '../retention/expiry';
import { formatInstant } from '../retention/time';
import { addReceiptCommands } from './receipt';
import { addReplayCommand } from './replay';
import { addConsoleCommand } from './console';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION = (require('../../package.json') as { version: string }).version;

/**
 * Exit codes: 0 success; 1 bad input (and, for `audit verify`, a broken chain); 2 usage error; 3 an internal error
 * (a bug to report), never confused with a verdict.
 */
export const EXIT = { ok: 0, badInput: 1, usage: 2, internal: 3 } as const;

export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const processIo: Io = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };

/** The JSON `lethe expiry` prints. */
export function expiryToJson(policy: Policy, expiry: Expiry): Record<string, unknown> {
  return {
    purpose: expiry.purpose,
    expiresAt: expiry.expiresAt ? formatInstant(expiry.expiresAt, policy.timezone) : null,
    ...(expiry.waitingFor ? { waitingFor: expiry.waitingFor } : {}),
    ...(expiry.indefinite ? { indefinite: true } : {}),
    explanation: expiry.explanation,
  };
}

/**
 * The JSON `lethe plan` prints (spec 2.7): version 1's keys, unchanged, and version 2's additions: `ref` and
 * `restrict` per record, `ref`, `hold`, `waitingFor` or `indefinite` on retained entries, `access` for an access
 * request, and `warnings`.
 */
export function planToJson(policy: Policy, result: Plan): Record<string, unknown> {
  const at = (instant: Parameters<typeof formatInstant>[0]) => formatInstant(instant, policy.timezone);
  return {
    subjectId: result.subjectId,
    deadline: result.deadline ? at(result.deadline) : null,
    systems: result.systems.map((s) => ({
      system: s.system,
      ...(s.ref === undefined ? {} : { ref: s.ref }),
      record: s.record,
      removeFields: s.removeFields,
      anonymiseFields: s.anonymiseFields,
      restrict: s.restrict,
    })),
    retained: result.retained.map((r) => ({
      purpose: r.purpose,
      ...(r.ref === undefined ? {} : { ref: r.ref }),
      reason: r.reason,
      until: r.until ? at(r.until) : null,
      ...(r.hold === undefined ? {} : { hold: r.hold }),
      ...(r.waitingFor ? { waitingFor: r.waitingFor } : {}),
      ...(r.indefinite ? { indefinite: true } : {}),
      ...(r.expiresAt ? { expiresAt: at(r.expiresAt) } : {}),
    })),
    ...(result.access ? { access: result.access } : {}),
    warnings: result.warnings.map((w) => w.message),
  };
}

function readData(file: string, what: string): unknown {
  return readSourceFile(file, what).data;
}

/** Parses an input file; a problem in it is reported with the file's name before the path (`subject.json: holdings[0].ref: ...`). */
function parseFile<T>(file: string, what: string, parse: (data: unknown) => T): T {
  const data = readData(file, what);
  try {
    return parse(data);
  } catch (error) {
    if (error instanceof InputError) throw new InputError(error.message, { path: file, cause: error });
    throw error;
  }
}

/** Writes `--out`; a path that cannot be written is bad input, named with the reason. */
function writeOut(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'its directory does not exist'
        : code === 'EISDIR'
          ? 'it is a directory; give a file name, e.g. policy.schema.json'
          : code === 'EACCES' || code === 'EPERM'
            ? 'permission denied'
            : (code ?? 'unknown error');
    throw new FileError(`cannot write ${file}: ${why}`, { cause: error });
  }
}

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

function isHttpUrl(text: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

/** Network failures that mean the endpoint could not be reached at all. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH']);
/** S3's answers for credentials it does not accept. */
const REFUSED_CREDENTIALS = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'CredentialsProviderError',
]);

/** What an AWS SDK error (or a Node network error) says about why a call failed; undefined for what is no object. */
function sdkErrorFields(error: unknown): { name?: unknown; message?: unknown; code?: unknown; status?: number } | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { name, message, code, $metadata } = error as {
    name?: unknown;
    message?: unknown;
    code?: unknown;
    $metadata?: { httpStatusCode?: number };
  };
  return { name, message, code, status: $metadata?.httpStatusCode };
}

/**
 * Why `audit verify` could not read the records, in words, when the cause is the reader's setup (a wrong bucket or
 * endpoint, no region, refused credentials): bad input, exit 1, not a bug to report. Undefined for anything else,
 * which stays an internal error.
 */
export function auditReadProblem(error: unknown, where: string, endpoint: string | undefined): string | undefined {
  const fields = sdkErrorFields(error);
  if (!fields) return undefined;
  const { name, message, code, status } = fields;
  if (name === 'NoSuchBucket') return `${where}: no such bucket`;
  if (typeof name === 'string' && REFUSED_CREDENTIALS.has(name))
    return `${where}: the credentials were refused (${name}); check AWS_PROFILE or AWS_ACCESS_KEY_ID`;
  if (name === 'AccessDenied' || status === 403)
    return `${where}: access denied; the credentials need s3:ListBucket and s3:GetObject on it`;
  if (typeof code === 'string' && UNREACHABLE.has(code)) {
    return `${where}: cannot reach ${endpoint ?? 'S3'} (${code}); is local mode running? Its banner prints the S3 address`;
  }
  if (message === 'Region is missing') return 'no AWS region: set AWS_REGION (or AWS_PROFILE with a region), or give --endpoint-url';
  return undefined;
}

/** DynamoDB's answers for credentials it does not accept. */
const DYNAMODB_REFUSED_CREDENTIALS = new Set(['UnrecognizedClientException', 'InvalidSignatureException', 'ExpiredTokenException']);

/**
 * Why `audit verify --chain-table` could not read the head, in words, when the cause is the reader's setup (no such
 * table, refused credentials, access denied, DynamoDB unreachable, no region): bad input, exit 1. Undefined for
 * anything else.
 */
export function chainTableProblem(error: unknown, table: string, endpoint: string | undefined): string | undefined {
  const fields = sdkErrorFields(error);
  if (!fields) return undefined;
  const { name, message, code, status } = fields;
  const where = `the audit-chain table ${table}`;
  if (name === 'ResourceNotFoundException') return `${where}: no such table`;
  if (name === 'AuditChainError' && typeof message === 'string') return message;
  if (typeof name === 'string' && (REFUSED_CREDENTIALS.has(name) || DYNAMODB_REFUSED_CREDENTIALS.has(name)))
    return `${where}: the credentials were refused (${name}); check AWS_PROFILE or AWS_ACCESS_KEY_ID`;
  if (name === 'AccessDeniedException' || status === 403)
    return `${where}: access denied; the credentials need dynamodb:GetItem on it (and kms:Decrypt on its key)`;
  if (typeof code === 'string' && UNREACHABLE.has(code)) {
    return `${where}: cannot reach ${endpoint ?? 'DynamoDB'} (${code}); is local mode running? Its banner prints the DynamoDB address`;
  }
  if (message === 'Region is missing')
    return 'no AWS region: set AWS_REGION (or AWS_PROFILE with a region), or give --dynamodb-endpoint-url';
  return undefined;
}

export function buildProgram(io: Io): Command {
  const program = new Command('lethe')
    .description('Policy-as-code retention and erasure: check a policy, compute expiries, plan erasures, print the Art. 30 register.')
    .showHelpAfterError('(run with --help for usage)')
    .version(VERSION)
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();

  program
    .command('validate')
    .description('check a policy file (YAML or JSON) against the policy language; every error with file:line:column')
    .argument('<policy>', 'the policy file')
    .option('--deploy', 'also require connector configs that Lethe can deploy (as `cdk synth` does)')
    .action((file: string, opts: { deploy?: boolean }) => {
      const { policy, warnings } = loadPolicyFile(file, { forDeployment: opts.deploy });
      // Warnings go to stderr and leave the exit code alone.
      for (const w of warnings) io.stderr(`warning: ${formatIssue(w)}\n`);
      const purposes = Object.keys(policy.purposes).length;
      const systems = Object.keys(policy.systems).length;
      io.stdout(`${file}: valid (${purposes} purpose${purposes === 1 ? '' : 's'}, ${systems} system${systems === 1 ? '' : 's'})\n`);
    });

  program
    .command('expiry')
    .description('when must a holding be gone? prints {purpose, expiresAt, waitingFor?, indefinite?, explanation}')
    .requiredOption('--policy <file>', 'the policy file')
    .requiredOption('--purpose <id>', 'the purpose the data is held for')
    .requiredOption('--holding <file>', 'JSON: {"collectedAt": ISO, "ref"?, "events": [{"type", "at", "purpose"?, "ref"?}]}')
    .action((opts: { policy: string; purpose: string; holding: string }) => {
      const { policy } = loadPolicyFile(opts.policy);
      const holding = parseFile(opts.holding, 'holding file', (data) => {
        const parsed = parseHoldingFile(policy, data);
        checkHoldingRef(policy, opts.purpose, parsed);
        return parsed;
      });
      const expiry = computeExpiry(policy, opts.purpose, holding);
      // Spec 2.1: a version 1 result that relies on an event before collection is warned about, exit code unchanged.
      if (expiry.warning) io.stderr(`warning: ${expiry.warning.message}\n`);
      io.stdout(json(expiryToJson(policy, expiry)));
    });

  program
    .command('plan')
    .description("what happens to a subject's data at --now: the expiry sweep, or an erasure request when the subject has one")
    .requiredOption('--policy <file>', 'the policy file')
    .requiredOption('--subject <file>', 'JSON: {"subjectId", "holdings": [...], "events": [...], "holds"?: [...], "request"?: {...}}')
    .requiredOption('--now <iso>', 'the instant to plan at, with an offset, e.g. 2026-11-22T12:00:00+01:00')
    .action((opts: { policy: string; subject: string; now: string }) => {
      const { policy } = loadPolicyFile(opts.policy);
      const now = parseNow(opts.now);
      const { subject, request } = parseFile(opts.subject, 'subject file', (data) => parseSubjectFile(policy, data));
      if (request && Temporal.Instant.compare(now, request.receivedAt) < 0) {
        throw new InputError(
          `${opts.now} is before the request was received (request.receivedAt ${request.receivedAt.toString()}): a request cannot be planned before it exists`,
          {
            path: '--now',
          },
        );
      }
      const result = plan(policy, subject, now, request);
      for (const w of result.warnings) io.stderr(`warning: ${w.message}\n`);
      io.stdout(json(planToJson(policy, result)));
    });

  program
    .command('register')
    .description('the GDPR Art. 30 record of processing activities, generated from the policy')
    .requiredOption('--policy <file>', 'the policy file')
    .addOption(new Option('--format <format>', 'output format').choices(REGISTER_FORMATS).default('md'))
    .addOption(new Option('--lang <lang>', 'language of the register').choices(REGISTER_LANGS).default('en'))
    .option('--date <YYYY-MM-DD>', "the register's date (default: today in the policy's time zone)")
    .action((opts: { policy: string; format: RegisterFormat; lang: RegisterLang; date?: string }) => {
      const { policy, hash } = loadPolicyFile(opts.policy);
      // The domain reads no clock: the date is the caller's, today in the policy's zone unless given.
      const date = opts.date ?? Temporal.Now.plainDateISO(policy.timezone).toString();
      io.stdout(renderRegister(buildRegister(policy, hash, { lang: opts.lang, date }), opts.format));
    });

  program
    .command('schema')
    .description('print the JSON Schema of the policy language (for editors)')
    .option('--out <file>', 'write it to a file instead')
    .action((opts: { out?: string }) => {
      const text = json(policyJsonSchema());
      if (opts.out) writeOut(opts.out, text);
      else io.stdout(text);
    });

  const audit = program.command('audit').description('the audit trail of erasures and expiries');
  const verify = audit.command('verify');
  // A wrong combination of options is a usage error (exit 2), as commander's own are: exit 1 is a broken chain.
  const usage = (message: string): never => verify.error(`error: ${message}`, { exitCode: EXIT.usage, code: 'lethe.usage' });
  verify
    .description(
      'check the hash chain of audit records and report its first break (an edited or removed record); exit 0 intact, 1 broken ' +
        'or not readable (no such bucket or directory, endpoint unreachable, credentials refused: the message says which), ' +
        '2 usage error, 3 internal error',
    )
    .option('--bucket <name>', 'the audit bucket (records under audit/)')
    .option(
      '--endpoint-url <url>',
      "an S3-compatible endpoint for --bucket: local mode's S3 address, as its banner prints it. On 127.0.0.1, localhost " +
        'or [::1], a region and credentials not set in AWS_REGION/AWS_DEFAULT_REGION and AWS_ACCESS_KEY_ID/AWS_PROFILE ' +
        "default to s3rver's (eu-north-1, keys S3RVER/S3RVER); any other endpoint uses the AWS SDK's standard chain",
    )
    .option('--dir <path>', 'a directory of records instead (its audit/ folder when it has one)')
    .option(
      '--chain-table <name>',
      "with --bucket: the audit-chain table (the stack's output AuditChainTableName; local mode's lethe-local-audit-chain); " +
        'the chain must reach the head recorded there, so removed newest records break it (truncated)',
    )
    .option(
      '--dynamodb-endpoint-url <url>',
      "a DynamoDB endpoint for --chain-table: local mode's DynamoDB Local, as its banner prints it (on a loopback endpoint " +
        "the region and credentials default as for --endpoint-url); without it, the AWS SDK's standard chain",
    )
    .action(async (opts: { bucket?: string; endpointUrl?: string; dir?: string; chainTable?: string; dynamodbEndpointUrl?: string }) => {
      if (!opts.bucket === !opts.dir) usage('give either --bucket <name> or --dir <path>');
      if (opts.endpointUrl && !opts.bucket) usage('--endpoint-url goes with --bucket');
      if (opts.chainTable !== undefined && !opts.bucket)
        usage('--chain-table goes with --bucket: a copy in a directory may be older than the head');
      if (opts.dynamodbEndpointUrl !== undefined && opts.chainTable === undefined) usage('--dynamodb-endpoint-url goes with --chain-table');
      for (const [option, url, example] of [
        ['--endpoint-url', opts.endpointUrl, 'http://127.0.0.1:4569'],
        ['--dynamodb-endpoint-url', opts.dynamodbEndpointUrl, 'http://127.0.0.1:8000'],
      ] as const) {
        if (url !== undefined && !isHttpUrl(url)) usage(`${option}: expected an http or https URL such as ${example}; got "${url}"`);
      }
      // Loaded here (the AWS SDK is not needed by the other commands), with `require`: the binary runs through
      // tsx's CommonJS hook, which a dynamic import() bypasses.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { directorySource, formatReport, readChainHead, s3Source, verifyChain } = require('../audit') as typeof import('../audit');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { createDynamoDbClient, createS3Client } = require('../connectors/clients') as typeof import('../connectors/clients');
      // The head first: the writer moves it only after storing, so every record up to it is listed after it.
      let head: import('../audit').ChainHead | undefined;
      if (opts.chainTable !== undefined) {
        const table = opts.chainTable;
        const dynamodb = createDynamoDbClient(opts.dynamodbEndpointUrl ? { endpoint: opts.dynamodbEndpointUrl } : {});
        head = await readChainHead(dynamodb, table).catch((error: unknown) => {
          const problem = chainTableProblem(error, table, opts.dynamodbEndpointUrl);
          throw problem === undefined ? error : new LetheError(problem, { cause: error });
        });
        if (head === undefined)
          io.stderr(`warning: ${table} records no head (no audit record written yet): the chain's end is not checked\n`);
      }
      const source = opts.dir ? directorySource(opts.dir) : s3Source(createS3Client({ endpoint: opts.endpointUrl }), opts.bucket!);
      const result = await verifyChain(source, head ? { reachesHead: head } : {}).catch((error: unknown) => {
        const problem = auditReadProblem(error, source.description, opts.endpointUrl);
        throw problem === undefined ? error : new LetheError(problem, { cause: error });
      });
      if (result.break) throw new LetheError(formatReport(source, result));
      io.stdout(`${formatReport(source, result)}${head ? `, reaches the head in ${opts.chainTable} (record ${head.seq})` : ''}\n`);
    });

  addReceiptCommands(program, io, EXIT.usage);
  addConsoleCommand(program, io, EXIT.usage);

  program
    .command('demo')
    .description(
      'run Lethe end to end on local mode (needs Java 17+): holdings, an erasure request across systems, a legal-obligation retention, a sweep on a simulated clock, the audit chain',
    )
    .option('--policy <file>', 'the policy to run it on (default: examples/dh-solutions.yaml)')
    .action(async (opts: { policy?: string }) => {
      // Loaded here: local mode and the AWS SDK are not needed by the other commands. `require`, not `import()`:
      // the binary runs through tsx's CommonJS hook, which a dynamic import() bypasses.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { runDemo } = require('../demo/scenario') as typeof import('../demo/scenario');
      await runDemo({ ...(opts.policy ? { policyFile: opts.policy } : {}), out: (line) => io.stdout(`${line}\n`) });
    });

  addReplayCommand(program, io, EXIT.usage);

  return program;
}

/** Runs the CLI; returns the exit code instead of exiting, so tests can call it in-process. */
export function run(argv: readonly string[], io: Io = processIo): number {
  const program = buildProgram(io);
  try {
    program.parse([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    return report(error, io);
  }
}

/** Like `run`, for every command including those that do I/O (`audit verify`): what the `lethe` binary calls. */
export async function runAsync(argv: readonly string[], io: Io = processIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    return report(error, io);
  }
}

function report(error: unknown, io: Io): number {
  if (error instanceof CommanderError) {
    // Help and version are "errors" in commander's control flow only; commander has printed the message.
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof DocumentError) {
    io.stderr(`${error.issues.map(formatIssue).join('\n')}\n`);
    const n = issueCount(error.issues);
    io.stderr(`${error.message.split(' (')[0]} (${n} error${n === 1 ? '' : 's'})\n`);
    return EXIT.badInput;
  }
  if (error instanceof LetheError) {
    io.stderr(`lethe: ${error.message}\n`);
    return EXIT.badInput;
  }
  io.stderr(`lethe: internal error: ${error instanceof Error ? error.message : String(error)}; please report it\n`);
  if (process.env.LETHE_DEBUG && error instanceof Error) io.stderr(`${error.stack}\n`);
  return EXIT.internal;
}

if (require.main === module) void runAsync(process.argv.slice(2)).then((code) => (process.exitCode = code));
