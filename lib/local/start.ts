/**
 * `startLocal`: the whole of Lethe on one machine, on 127.0.0.1 only, with the same handler code and the same
 * state machine definitions as on AWS (docs/local-mode.md). Used by `npm start` (bin/local.ts), by
 * `lethe demo` and by the integration tests.
 *
 * What runs: DynamoDB Local (Java), s3rver, one local AWS endpoint (Lambda Invoke, KMS, Secrets Manager,
 * Step Functions), one worker thread per function, the API gateway on PORT, the HTTP receiver for `http`
 * systems, and timers for the sweeps, the deadline monitor and the ledger streams.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync, type WriteStream, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Temporal } from '@js-temporal/polyfill';
import { recordsOf, s3Source, verifyChain, type VerifyReport } from '../audit';
import { LOCAL_S3 } from '../connectors/clients';
import { LocalModeError } from '../errors';
import { loadPolicyFile } from '../policy/load';
import type { Policy } from '../policy/model';
import { AUDIT_CHAIN, type AuditRecord, type RequestStatus } from '../core/contract';
import { type LocalApi, startLocalApi } from './api-gateway';
import { lockDataDir } from './data-dir-lock';
import { type AwsEndpoint, startAwsEndpoint } from './aws-endpoint';
import { banner, formatLogLine } from './console';
import { DEMO_SUBJECTS, type DemoSubject, type SeedReport, seedDemo } from './demo';
import { type DynamoDbLocal, type RestartOptions, startDynamoDbLocal } from './dynamodb-local';
import { FUNCTION_LOG_FILE, openFunctionLog } from './function-log';
import { connectorFunctionName, localFunctionSpecs, REPO_ROOT, runtimeFunctionName } from './function-specs';
import { FunctionHost, type FunctionStats, type LocalFunctionSpec } from './functions';
import { findJava } from './java';
import { loadOrCreateKeys } from './keys';
import { type LocalReceiver, startReceiver } from './receiver';
import { loadS3rver } from './s3rver';
import { createLetheTables, ensureBucket, type LocalNames, localNames } from './resources';
import { type ExecutionView, LocalStepFunctions } from './step-functions';
import { billingOf, startMeteringProxy, UsageMeter, type UsageSnapshot } from './meter';
import { LedgerStreamPoller, type StreamPollReport } from './streams';

export const DEFAULT_POLICY_FILE = path.join(REPO_ROOT, 'examples', 'dh-solutions.yaml');
export const DEFAULT_PORT = 8787;
export const DEFAULT_DATA_DIR = '.lethe';
export const DEFAULT_SWEEP_EVERY_MS = 60_000;
export const DEFAULT_STREAM_POLL_MS = 1_000;
/** The stack's deadline-monitor schedule: hourly. */
export const DEFAULT_DEADLINE_MONITOR_EVERY_MS = 3_600_000;
/** How many function log lines `logLines()` keeps in memory (the log file keeps all). */
const MAX_LOG_LINES = 200_000;

export interface LocalOptions {
  /** @default examples/dh-solutions.yaml */
  readonly policyFile?: string;
  /** The API's port on 127.0.0.1; 0 picks a free one. @default 8787 */
  readonly port?: number;
  /** @default .lethe (in the current directory) */
  readonly dataDir?: string;
  /** Keep DynamoDB Local's tables, s3rver's objects and the receiver's records under dataDir across restarts. @default false */
  readonly persist?: boolean;
  /**
   * http systems whose webhook the local receiver holds from the start: their calls are answered 503 without the
   * work being done, so an erasure request that reaches them stays open (ends `failed`, its deadline running) until
   * the system is released (receiver.ts; docs/local-mode.md, "Keeping a request open"). @default none
   */
  readonly holdSystems?: readonly string[];
  /** Seed demo systems and subjects. @default true */
  readonly seedDemo?: boolean;
  /** Run every purpose's sweep this often; false: never by timer. @default 60000 */
  readonly sweepEveryMs?: number | false;
  /** Read the ledger streams this often; false: only when processStreams() is called. @default 1000 */
  readonly streamPollMs?: number | false;
  /** Run the deadline monitor this often; false: never by timer. @default 3600000 */
  readonly deadlineMonitorEveryMs?: number | false;
  /** Pause before each Step Functions retry, in ms, instead of the definitions' backoff (2 s doubling). @default the definitions' */
  readonly retryIntervalMs?: number;
  /**
   * Start every function's worker before resolving (true), or right after, in the background ('background'), so that
   * invocations are not cold starts. @default false: each worker starts on its function's first invocation
   */
  readonly warm?: boolean | 'background';
  /** Receives the human-readable lines (banner, execution results, notices). @default nothing */
  readonly log?: (line: string) => void;
  /** Also pass a one-line summary of each function log line to `log`. @default false */
  readonly echoFunctionLogs?: boolean;
  /** Print the banner and the curl lines through `log`. @default true */
  readonly banner?: boolean;
  /**
   * Adjusts each function's spec before it is defined (reliability tests: point a connector function at a
   * fault-injecting proxy, shorten its timeout). @default the specs as they are
   */
  readonly functionSpec?: (spec: LocalFunctionSpec) => LocalFunctionSpec;
  /**
   * Count what an AWS bill is made of (meter.ts): the functions then reach DynamoDB Local, s3rver and the local AWS
   * endpoint through metering proxies on 127.0.0.1, and `usage()` answers. @default false
   */
  readonly meter?: boolean;
}

export interface ApiAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Parsed JSON, or the text when it is not JSON. */
  readonly body: unknown;
}

export interface FunctionLogEntry {
  readonly functionName: string;
  readonly stream: 'stdout' | 'stderr';
  readonly line: string;
  readonly at: Date;
}

export interface SweepResult extends ExecutionView {
  readonly purpose: string;
}

export interface LocalLethe {
  readonly apiUrl: string;
  readonly token: string;
  readonly tokenFile: string;
  readonly policy: Policy;
  readonly policyFile: string;
  readonly policyHash: string;
  readonly region: string;
  readonly dataDir: string;
  readonly names: LocalNames;
  readonly endpoints: {
    readonly api: string;
    readonly dynamodb: string;
    readonly s3: string;
    /** Lambda, KMS, Secrets Manager and Step Functions. */
    readonly aws: string;
    readonly receiver: string;
  };
  /** Clients of the emulators, to inspect or prepare the demo systems. */
  readonly clients: { readonly dynamodb: DynamoDBClient; readonly documents: DynamoDBDocumentClient; readonly s3: S3Client };
  readonly demo: { readonly subjects: readonly DemoSubject[]; readonly seeded: boolean; readonly report?: SeedReport };
  /** The local HTTP receiver of the `http` systems (fault injection, what it received). */
  readonly receiver: LocalReceiver;
  /** Calls the local API with the token. */
  api(
    method: string,
    apiPath: string,
    options?: { body?: unknown; rawBody?: string; headers?: Record<string, string> },
  ): Promise<ApiAnswer>;
  /**
   * Runs one purpose's sweep state machine now (on a simulated clock when `now` is given) and waits for it, and for
   * the executions it continues in (a sweep of more than 500 pages); answers the last one.
   */
  runSweep(purpose: string, now?: string | Date | Temporal.Instant): Promise<SweepResult>;
  /** Runs every purpose's sweep, one after the other. */
  runAllSweeps(now?: string | Date | Temporal.Instant): Promise<SweepResult[]>;
  /**
   * Invokes a local function by name (function-specs.ts: runtimeFunctionName, connectorFunctionName) with a JSON
   * payload, as Lambda would; its answer. A function error is thrown as a LocalModeError naming its type.
   */
  invoke(functionName: string, payload: unknown): Promise<unknown>;
  /** Runs the deadline monitor now; its answer. */
  runDeadlineMonitor(): Promise<unknown>;
  /** Reads the ledger streams now and hands the removals to ledger-stream (also runs on a timer). */
  processStreams(): Promise<StreamPollReport>;
  /** Waits until the request's workflow has ended and answers GET /erasure-requests/{id}'s body. */
  waitForRequest(requestId: string, options?: { timeoutMs?: number }): Promise<RequestViewBody>;
  /** Redrives the request's failed execution (locally: re-runs it whole) and waits for it to end. */
  redrive(requestId: string): Promise<ExecutionView>;
  /** Every Step Functions execution so far, newest first. */
  executions(): ExecutionView[];
  /** Every audit record in the audit bucket, in chain order. */
  auditRecords(): Promise<AuditRecord[]>;
  /** Verifies the audit chain against the head in the audit-chain table. */
  verifyAudit(): Promise<VerifyReport>;
  /** The file this run's function log lines are written to (the previous run's is `${logFile}.1`). */
  readonly logFile: string;
  /** Every function log line so far (raw, as the function wrote it). */
  logLines(): string[];
  logEntries(): FunctionLogEntry[];
  /** Cold starts and invocations per function. */
  functionStats(): FunctionStats[];
  /**
   * Stops DynamoDB Local and starts it again on the same port with the same data (needs `persist`); what is
   * in flight meanwhile meets refused connections. Reliability tests.
   */
  restartDynamoDbLocal(options?: RestartOptions): Promise<void>;
  /** What the meter counted since start or the last `resetUsage()`; undefined unless started with `meter: true`. */
  usage(): UsageSnapshot | undefined;
  resetUsage(): void;
  /** Milliseconds from startLocal() to ready. */
  readonly startupMs: number;
  stop(): Promise<void>;
}

export interface RequestViewBody {
  readonly requestId: string;
  readonly status: RequestStatus;
  readonly [key: string]: unknown;
}

/** Creates the data directory and proves it can be written; a LocalModeError otherwise. */
export function prepareDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true });
    const probe = path.join(dataDir, `.write-test-${process.pid}`);
    writeFileSync(probe, 'ok');
    unlinkSync(probe);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new LocalModeError(
      `the data directory ${dataDir} cannot be written (${code}): fix its permissions or choose another one (--data-dir, or dataDir)`,
      { cause: error },
    );
  }
}

/** One local Lethe per data directory: a pid file, refused while its process lives. */
/** A pause that does not keep the process alive. */
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

function instantText(now: string | Date | Temporal.Instant): string {
  if (typeof now === 'string') return now;
  if (now instanceof Date) return now.toISOString();
  return now.toString();
}

export async function startLocal(options: LocalOptions = {}): Promise<LocalLethe> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const policyFile = options.policyFile ? path.resolve(options.policyFile) : DEFAULT_POLICY_FILE;
  const loaded = loadPolicyFile(policyFile, { forDeployment: true });
  const policy = loaded.policy;
  const region = policy.deployment.regions[0];
  const dataDir = path.resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  const persist = options.persist ?? false;
  const port = options.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new LocalModeError(`port must be a whole number from 0 to 65535, got ${port}`);
  prepareDataDir(dataDir);
  const unlock = lockDataDir(dataDir);

  const stops: { name: string; stop: () => Promise<void> | void }[] = [{ name: 'lock', stop: unlock }];
  const stopAll = async () => {
    for (const { stop } of stops.reverse()) {
      try {
        await stop();
      } catch {
        // keep stopping the rest
      }
    }
    stops.length = 0;
  };

  try {
    const java = findJava();
    const httpSystems = Object.values(policy.systems).filter((s) => s.connector === 'http');
    const webhookSecretName = (id: string) => String((policy.systems[id].config as { secretName?: unknown }).secretName);
    const { kms, secrets } = loadOrCreateKeys(
      dataDir,
      region,
      httpSystems.map((s) => webhookSecretName(s.id)),
    );
    const token = randomBytes(24).toString('base64url');
    const tokenFile = path.join(dataDir, 'token');
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });

    // Function logs: a file (this run's; the previous run's is kept as functions.log.1) and memory.
    const logFile = path.join(dataDir, 'logs', FUNCTION_LOG_FILE);
    const logStream: WriteStream = openFunctionLog(dataDir);
    stops.push({ name: 'log file', stop: () => new Promise<void>((resolve) => logStream.end(() => resolve())) });
    const entries: FunctionLogEntry[] = [];
    // Function lines are echoed once the banner is out (not the seeding's).
    let echoing = false;
    const meter = options.meter ? new UsageMeter() : undefined;
    const host = new FunctionHost({
      ...(meter ? { onInvoked: (name, memoryMb, durationMs) => meter.lambdaInvocation(name, memoryMb, durationMs) } : {}),
      onLog(functionName, line, stream) {
        meter?.logLine(Buffer.byteLength(line) + 1);
        const at = new Date();
        entries.push({ functionName, stream, line, at });
        if (entries.length > MAX_LOG_LINES) entries.splice(0, entries.length - MAX_LOG_LINES);
        logStream.write(`${at.toISOString()} ${functionName} ${line}\n`);
        if (options.echoFunctionLogs && echoing) {
          const shown = formatLogLine(functionName, line);
          if (shown) log(shown);
        }
      },
    });
    stops.push({ name: 'functions', stop: () => host.stop() });

    // The API first: a port in use fails fast, before Java starts. Requests wait until everything is up.
    let markReady!: () => void;
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    const api: LocalApi = await startLocalApi({
      port,
      token,
      tokenFile,
      invoke: async (payload) => {
        await ready;
        meter?.apiRequest();
        return host.invoke(runtimeFunctionName('api'), payload);
      },
    });
    stops.push({ name: 'api', stop: () => api.close() });

    const names = localNames(policy, region);
    const stepFunctions = new LocalStepFunctions({
      region,
      stateMachines: [
        { name: 'erasure', arn: names.erasureStateMachineArn },
        { name: 'sweep', arn: names.sweepStateMachineArn },
      ],
      taskFunctions: {
        ErasurePlanFunctionArn: runtimeFunctionName('erasure-plan'),
        ErasureSystemFunctionArn: runtimeFunctionName('erasure-system'),
        ErasureFinishFunctionArn: runtimeFunctionName('erasure-finish'),
        SweepReadFunctionArn: runtimeFunctionName('sweep-read'),
        SweepApplyFunctionArn: runtimeFunctionName('sweep-apply'),
      },
      invoke: (fn, payload) => host.invoke(fn, payload),
      ...(options.retryIntervalMs === undefined ? {} : { retryIntervalMs: options.retryIntervalMs }),
      ...(meter
        ? {
            onEvents: (_machine, definitionText, events) =>
              meter.stepFunctionsExecution(billingOf(JSON.parse(definitionText) as { States: Record<string, unknown> }, events)),
          }
        : {}),
      onEnd(execution) {
        const erasure = execution.stateMachineArn === names.erasureStateMachineArn;
        // A sweep that succeeded speaks through its functions' lines; the rest is worth a line of its own.
        if (erasure || execution.status !== 'SUCCEEDED') {
          log(
            `${erasure ? 'erasure request' : 'sweep'} ${execution.name}: ${execution.status}${execution.error ? ` (${execution.error})` : ''}`,
          );
        }
      },
    });

    // The emulators, side by side.
    const s3Dir = persist ? path.join(dataDir, 's3') : mkdtempSync(path.join(tmpdir(), 'lethe-s3-'));
    mkdirSync(s3Dir, { recursive: true });
    // s3rver, able to list more than 1 000 keys on this Node (s3rver.ts).
    const S3rver = loadS3rver();
    const s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: s3Dir });
    const receiverSecrets = Object.fromEntries(httpSystems.map((s) => [s.id, secrets.values[webhookSecretName(s.id)]]));
    const [dynamo, s3Address, receiver, aws] = await Promise.all([
      startDynamoDbLocal({ java, ...(persist ? { dbPath: path.join(dataDir, 'dynamodb') } : {}), log }).then((d: DynamoDbLocal) => {
        stops.push({ name: 'DynamoDB Local', stop: () => d.stop() });
        return d;
      }),
      s3rver.run().then((a) => {
        stops.push({
          name: 's3rver',
          stop: async () => {
            await s3rver.close();
            if (!persist) rmSync(s3Dir, { recursive: true, force: true });
          },
        });
        return a;
      }),
      startReceiver({
        secrets: receiverSecrets,
        ...(options.holdSystems ? { hold: options.holdSystems } : {}),
        // A released system: every failed erasure request is redriven (a redrive runs only the systems not done).
        onRelease: () => {
          for (const execution of stepFunctions.list()) {
            if (execution.stateMachineArn !== names.erasureStateMachineArn || execution.status !== 'FAILED') continue;
            stepFunctions.redrive(execution.executionArn);
            log(`erasure request ${execution.name}: redriven (a held system was released)`);
          }
        },
      }).then((r) => {
        stops.push({ name: 'receiver', stop: () => r.close() });
        return r;
      }),
      startAwsEndpoint({
        region,
        resolveFunction: (name) => (host.has(name) ? name : undefined),
        invoke: (fn, payload) => host.invoke(fn, payload),
        kms,
        secrets,
        stepFunctions,
      }).then((a: AwsEndpoint) => {
        stops.push({ name: 'AWS endpoint', stop: () => a.close() });
        return a;
      }),
    ]);
    const s3Endpoint = `http://127.0.0.1:${s3Address.port}`;
    // s3rver's keys (DynamoDB Local takes any): what `lethe audit verify` defaults to on a loopback endpoint.
    const credentials = { ...LOCAL_S3.credentials };
    const dynamodb = new DynamoDBClient({ region, endpoint: dynamo.endpoint, credentials });
    const documents = DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });
    // As lib/connectors/clients.ts builds it for a local endpoint, with the emulator's credentials.
    const s3 = new S3Client({
      region,
      endpoint: s3Endpoint,
      forcePathStyle: true,
      credentials,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const streamsClient = new DynamoDBStreamsClient({ region, endpoint: dynamo.endpoint, credentials });

    // One source of resources: the stack's table specs, and the audit bucket.
    const tables = await createLetheTables(dynamodb, names);
    await ensureBucket(s3, names.auditBucket);
    const fresh = tables.existing.length === 0;

    // With the meter, the functions reach the emulators through its proxies; local mode's own clients do not.
    let functionEndpoints = { dynamodb: dynamo.endpoint, s3: s3Endpoint, aws: aws.url };
    if (meter) {
      const [dynamodbProxy, s3Proxy, awsProxy] = await Promise.all([
        startMeteringProxy('dynamodb', dynamo.endpoint, meter),
        startMeteringProxy('s3', s3Endpoint, meter),
        startMeteringProxy('aws', aws.url, meter),
      ]);
      for (const proxy of [dynamodbProxy, s3Proxy, awsProxy]) stops.push({ name: 'metering proxy', stop: () => proxy.close() });
      functionEndpoints = { dynamodb: dynamodbProxy.url, s3: s3Proxy.url, aws: awsProxy.url };
    }
    for (const spec of localFunctionSpecs({
      policy,
      policyFile,
      region,
      names,
      endpoints: functionEndpoints,
      sealingKeyArn: kms.arn,
      dataDir,
      webhookUrl: (system) => receiver.urlOf(system),
    })) {
      host.define(options.functionSpec ? options.functionSpec(spec) : spec);
    }

    const receiverFile = path.join(dataDir, 'receiver.json');
    if (persist && !fresh && existsSync(receiverFile)) {
      const saved = JSON.parse(readFileSync(receiverFile, 'utf8')) as Record<string, Record<string, Record<string, unknown>>>;
      for (const [system, records] of Object.entries(saved))
        for (const [id, record] of Object.entries(records)) receiver.put(system, id, record);
    }
    if (persist) {
      stops.push({
        name: 'receiver records',
        stop: () =>
          writeFileSync(receiverFile, JSON.stringify(Object.fromEntries(httpSystems.map((s) => [s.id, receiver.records(s.id)])), null, 2)),
      });
    }

    const poller = new LedgerStreamPoller({
      ddb: dynamodb,
      streams: streamsClient,
      tables: Object.values(names.ledgerTables),
      invoke: (payload) => host.invoke(runtimeFunctionName('ledger-stream'), payload),
      region,
      log,
    });

    markReady();
    if (options.warm === true) await host.warm();

    const callApi: LocalLethe['api'] = async (method, apiPath, callOptions = {}) => {
      const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...(callOptions.headers ?? {}) };
      let body: string | undefined = callOptions.rawBody;
      if (body === undefined && callOptions.body !== undefined) {
        body = JSON.stringify(callOptions.body);
        if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
      }
      const response = await fetch(`${api.url}${apiPath}`, { method, headers, ...(body === undefined ? {} : { body }) });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = text;
      }
      return { status: response.status, headers: Object.fromEntries(response.headers), body: parsed };
    };

    let seedReport: SeedReport | undefined;
    const seed = options.seedDemo ?? true;
    if (seed && fresh) {
      seedReport = await seedDemo({
        policy,
        ddb: dynamodb,
        documents,
        s3,
        receiver,
        api: (method, apiPath, body) => callApi(method, apiPath, { body }),
        now: Temporal.Now.instant(),
      });
    }

    // Timers: the schedules of the stack, and the event source mapping of the streams.
    const timers: NodeJS.Timeout[] = [];
    const every = (ms: number | false, run: () => Promise<unknown>, what: string) => {
      if (ms === false) return;
      if (!Number.isInteger(ms) || ms < 1)
        throw new LocalModeError(`${what} must be a whole number of milliseconds >= 1, or false; got ${ms}`);
      let busy = false;
      let reported = false;
      const timer = setInterval(() => {
        if (busy) return;
        busy = true;
        run()
          .then(() => (reported = false))
          .catch((error: unknown) => {
            if (!reported) log(`${what} failed: ${(error as Error).name}: ${(error as Error).message}`);
            reported = true;
          })
          .finally(() => (busy = false));
      }, ms);
      timer.unref();
      timers.push(timer);
    };
    stops.push({ name: 'timers', stop: () => timers.forEach((t) => clearInterval(t)) });

    const sweep = async (purpose: string, now?: string | Date | Temporal.Instant): Promise<SweepResult> => {
      if (!policy.purposes[purpose]) {
        throw new LocalModeError(`the policy has no purpose "${purpose}"; it has ${Object.keys(policy.purposes).join(', ')}`);
      }
      const input = { purpose, ...(now === undefined ? {} : { now: instantText(now) }) };
      const name = randomUUID();
      const { executionArn } = stepFunctions.start({ stateMachineArn: names.sweepStateMachineArn, name, input: JSON.stringify(input) });
      // A sweep of more than 500 pages continues in new executions (<name>-part2, ...): wait for the last one.
      let view = await stepFunctions.wait(executionArn);
      for (let part = 2; view.status === 'SUCCEEDED'; part++) {
        const next = stepFunctions.find(names.sweepStateMachineArn, `${name}-part${part}`);
        if (!next) break;
        view = await stepFunctions.wait(next.executionArn);
      }
      return { purpose, ...view };
    };
    const sweepAll = async (now?: string | Date | Temporal.Instant) => {
      const results: SweepResult[] = [];
      for (const purpose of Object.keys(policy.purposes)) results.push(await sweep(purpose, now));
      return results;
    };
    const deadlineMonitor = async () => {
      const result = await host.invoke(runtimeFunctionName('deadline-monitor'), '{}');
      if (!result.ok) throw new LocalModeError(`deadline-monitor failed: ${result.errorType}`);
      return JSON.parse(result.payload) as unknown;
    };
    every(options.streamPollMs ?? DEFAULT_STREAM_POLL_MS, () => poller.poll(), 'reading the ledger streams');
    every(options.sweepEveryMs ?? DEFAULT_SWEEP_EVERY_MS, () => sweepAll(), 'the scheduled sweep');
    every(options.deadlineMonitorEveryMs ?? DEFAULT_DEADLINE_MONITOR_EVERY_MS, deadlineMonitor, 'the deadline monitor');

    const endpoints = { api: api.url, dynamodb: dynamo.endpoint, s3: s3Endpoint, aws: aws.url, receiver: receiver.url };
    const startupMs = Date.now() - started;
    const systemsShown = Object.fromEntries(
      Object.values(policy.systems).map((s) => [
        s.id,
        seedReport?.systems[s.id] ??
          (s.connector === 'http' ? `local receiver ${receiver.urlOf(s.id)}` : `${s.connector} connector (${connectorFunctionName(s.id)})`),
      ]),
    );
    for (const id of receiver.held()) systemsShown[id] = `${systemsShown[id] ?? ''} (held until released)`;
    if (options.banner ?? true) {
      const firstPurpose = Object.values(policy.purposes)[0];
      for (const line of banner({
        apiUrl: api.url,
        token,
        tokenFile,
        policyFile: path.relative(process.cwd(), policyFile) || policyFile,
        controller: policy.controller.name,
        purposes: Object.keys(policy.purposes).length,
        systems: systemsShown,
        dataDir,
        persist,
        logFile,
        endpoints: {
          DynamoDB: `${dynamo.endpoint} (DynamoDB Local${dynamo.loopbackOnly ? '' : ', on all interfaces'})`,
          S3: `${s3Endpoint} (s3rver)`,
          AWS: `${aws.url} (local Lambda, KMS, Secrets Manager, Step Functions)`,
          receiver: `${receiver.url} (the SaaS behind the http systems)`,
        },
        startedInMs: startupMs,
        sweepEveryMs: options.sweepEveryMs ?? DEFAULT_SWEEP_EVERY_MS,
        audit: { bucket: names.auditBucket, s3Endpoint },
        hold: { receiverUrl: receiver.url, systems: receiver.held() },
        ...(seed
          ? {
              demo: {
                subjects: DEMO_SUBJECTS,
                seeded: seedReport !== undefined,
                ...(policy.events[0] ? { eventType: policy.events[0] } : {}),
                ...(firstPurpose ? { holding: { purpose: firstPurpose.id, system: firstPurpose.systems[0] } } : {}),
              },
            }
          : {}),
      })) {
        log(line);
      }
    }

    echoing = true;
    if (options.warm === 'background') void host.warm();
    let stopping: Promise<void> | undefined;
    const local: LocalLethe = {
      apiUrl: api.url,
      token,
      tokenFile,
      policy,
      policyFile,
      policyHash: loaded.hash,
      region,
      dataDir,
      names,
      endpoints,
      clients: { dynamodb, documents, s3 },
      demo: { subjects: seed ? DEMO_SUBJECTS : [], seeded: seedReport !== undefined, ...(seedReport ? { report: seedReport } : {}) },
      receiver,
      api: callApi,
      runSweep: sweep,
      runAllSweeps: sweepAll,
      runDeadlineMonitor: deadlineMonitor,
      async invoke(functionName, payload) {
        if (!host.has(functionName)) throw new LocalModeError(`no local function is named "${functionName}"`);
        const result = await host.invoke(functionName, JSON.stringify(payload));
        if (!result.ok) throw new LocalModeError(`${functionName} failed: ${result.errorType}: ${result.errorMessage}`);
        return JSON.parse(result.payload) as unknown;
      },
      processStreams: () => poller.poll(),
      async waitForRequest(requestId, waitOptions = {}) {
        const timeoutMs = waitOptions.timeoutMs ?? 60_000;
        const deadline = Date.now() + timeoutMs;
        let last: ApiAnswer | undefined;
        while (Date.now() < deadline) {
          const execution = stepFunctions.find(names.erasureStateMachineArn, requestId);
          if (execution?.status === 'RUNNING') {
            await Promise.race([stepFunctions.wait(execution.executionArn), sleep(Math.max(0, deadline - Date.now()))]);
            continue;
          }
          last = await callApi('GET', `/erasure-requests/${encodeURIComponent(requestId)}`);
          const status = (last.body as { status?: string } | undefined)?.status;
          if (last.status === 200 && execution && (status === 'completed' || status === 'failed')) return last.body as RequestViewBody;
          await sleep(100);
        }
        const status = (last?.body as { status?: string } | undefined)?.status ?? `HTTP ${last?.status ?? 'no answer'}`;
        throw new LocalModeError(`erasure request ${requestId} did not finish within ${timeoutMs} ms (last status: ${status})`);
      },
      async redrive(requestId) {
        const execution = stepFunctions.find(names.erasureStateMachineArn, requestId);
        if (!execution) throw new LocalModeError(`no erasure workflow execution is named ${requestId}`);
        stepFunctions.redrive(execution.executionArn);
        return stepFunctions.wait(execution.executionArn);
      },
      executions: () => stepFunctions.list(),
      async auditRecords() {
        const source = s3Source(s3, names.auditBucket);
        const keys = (await source.names()).sort();
        // At most 16 reads at a time: thousands at once make s3rver reset connections (ECONNRESET).
        const records: AuditRecord[] = [];
        for (let i = 0; i < keys.length; i += 16) {
          const objects = await Promise.all(keys.slice(i, i + 16).map(async (key) => recordsOf(await source.read(key))));
          records.push(...objects.flat());
        }
        return records;
      },
      async verifyAudit() {
        const { Item } = await dynamodb.send(
          new GetItemCommand({
            TableName: names.auditChainTable,
            Key: { [AUDIT_CHAIN.partitionKey]: { S: AUDIT_CHAIN.headId } },
            ConsistentRead: true,
          }),
        );
        const head = Item?.seq?.N ? { seq: Number(Item.seq.N), ...(Item.hash?.S ? { hash: Item.hash.S } : {}) } : undefined;
        return verifyChain(s3Source(s3, names.auditBucket), head ? { expectedHead: head } : {});
      },
      logFile,
      logLines: () => entries.map((e) => e.line),
      logEntries: () => [...entries],
      functionStats: () => host.stats(),
      async restartDynamoDbLocal(restartOptions) {
        if (!persist) throw new LocalModeError('restarting DynamoDB Local needs persist: true (in memory it would come back empty)');
        await dynamo.restart(restartOptions);
      },
      usage: () => meter?.snapshot(),
      resetUsage: () => meter?.reset(),
      startupMs,
      stop() {
        stopping ??= (async () => {
          for (const t of timers) clearInterval(t);
          // Let running executions finish for a moment; functions are stopped after that anyway.
          await Promise.race([stepFunctions.idle(), sleep(2000)]);
          await stopAll();
        })();
        return stopping;
      },
    };
    return local;
  } catch (error) {
    await stopAll();
    throw error;
  }
}
