/**
 * `startLocal`: the whole of Lethe on one machine, on 127.0.0.1 only, with the same handler code and the same
 * state machine definitions as on AWS (docs/local-mode.md). Used by `npm start` (bin/local.ts), by
 * `lethe demo` and by the integration tests.
 *
 * What runs: DynamoDB Local (Java), s3rver, one local AWS endpoint (Lambda Invoke, KMS, Secrets Manager,
 * Step Functions), one worker thread per function, the API gateway on PORT, the HTTP receiver for `http`
 * systems, and timers for the sweeps, the deadline monitor and the ledger streams. Each is a service
 * (local-mode.ts); `startLocal` composes them in a LocalMode, which starts them in the order below and stops them
 * in the reverse order, once.
 */
import * as path from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Temporal } from '@js-temporal/polyfill';
import { readChainHead, recordsOf, s3Source, verifyChain, type VerifyReport } from '../audit';
import { LocalModeError } from './errors';
import { loadPolicyFile } from '../policy/load';
import type { Policy, SystemSpec } from '../policy/model';
import type { AuditRecord, RequestStatus } from '../core/contract';
import { ApiGatewayService } from './api-gateway-service';
import { ConsoleService } from './console-service';
import { ConsoleServerService } from './console-server-service';
import { DEFAULT_CONSOLE_PORT } from '../console/server';
import { DataDirService, KeysService } from './data-dir-service';
import { DEMO_SUBJECTS, type DemoSubject, type SeedReport, seedDemo } from './demo';
import type { RestartOptions } from './dynamodb-local';
import {
  AwsEndpointService,
  DynamoDbLocalService,
  JavaService,
  MeteringService,
  ResourcesService,
  S3rverService,
} from './emulator-services';
import { type FunctionLogEntry, FunctionLogService, FunctionsService } from './function-services';
import { connectorRegistry } from '../connectors/registry';
import { connectorFunctionName, localFunctionSpecs, REPO_ROOT, runtimeFunctionName } from './function-specs';
import type { FunctionStats, LocalFunctionSpec } from './functions';
import { LocalMode, LocalStep, type StopReport } from './local-mode';
import { UsageMeter, type UsageSnapshot } from './meter';
import type { LocalReceiver } from './receiver';
import { ReceiverService } from './receiver-service';
import { type LocalNames, localNames } from './resources';
import type { ExecutionView } from './step-functions';
import type { StreamPollReport } from './streams';
import { SchedulerService, sleep, StepFunctionsService, StreamsService, type SweepResult } from './workflow-services';

export { prepareDataDir } from './data-dir-service';
export type { FunctionLogEntry } from './function-services';
export type { SweepResult } from './workflow-services';

export const DEFAULT_POLICY_FILE = path.join(REPO_ROOT, 'examples', 'dh-solutions.yaml');
export const DEFAULT_PORT = 8787;
export const DEFAULT_DATA_DIR = '.lethe';
export const DEFAULT_SWEEP_EVERY_MS = 60_000;
export const DEFAULT_STREAM_POLL_MS = 1_000;
/** The stack's deadline-monitor schedule: hourly. */
export const DEFAULT_DEADLINE_MONITOR_EVERY_MS = 3_600_000;

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
  /**
   * Told the local mode as soon as it exists, before it starts: its `stop()` works during the start too (a Ctrl-C
   * while starting), and `cleanupNow()` for an exit that cannot wait (bin/local.ts). @default nothing
   */
  readonly onStarting?: (mode: LocalMode) => void;
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
  /**
   * The DPO console's port on 127.0.0.1 (docs/console.md); 0 picks a free one; false: no console server.
   * @default 8790, or a free port when `port` is 0 (tests run side by side)
   */
  readonly consolePort?: number | false;
  /** The console server's lines (method, route template, status, ms). @default - `log` when echoFunctionLogs, else nothing */
  readonly consoleLog?: (line: string) => void;
}

export interface ApiAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Parsed JSON, or the text when it is not JSON. */
  readonly body: unknown;
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
  readonly api: (
    method: string,
    apiPath: string,
    options?: { body?: unknown; rawBody?: string; headers?: Record<string, string> },
  ) => Promise<ApiAnswer>;
  /**
   * Runs one purpose's sweep state machine now (on a simulated clock when `now` is given) and waits for it, and for
   * the executions it continues in (a sweep of more than 500 pages); answers the last one.
   */
  runSweep(purpose: string, now?: string | Date | Temporal.Instant): Promise<SweepResult>;
  /** Runs every purpose's sweep, one after the other. */
  runAllSweeps(now?: string | Date | Temporal.Instant): Promise<SweepResult[]>;
  /**
   * Runs the replay state machine for one system (issue 19, item 3: its tombstones from `since` on applied again, after
   * a restore) and waits for it; the execution's output is the replay's counts (ReplayOutput).
   */
  runReplay(system: string, since: string, until?: string): Promise<ExecutionView>;
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
  /** The DPO console's address (docs/console.md); undefined when started with `consolePort: false`. */
  readonly consoleUrl?: string;
  /** Stops everything, once; resolves with what did not stop (local-mode.ts). */
  stop(): Promise<StopReport>;
}

export interface RequestViewBody {
  readonly requestId: string;
  readonly status: RequestStatus;
  readonly [key: string]: unknown;
}

export async function startLocal(options: LocalOptions = {}): Promise<LocalLethe> {
  const startedAt = Date.now();
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
  const names = localNames(policy, region);
  const meter = options.meter ? new UsageMeter() : undefined;
  const metered = meter ? { meter } : {};
  const seed = options.seedDemo ?? true;
  // Each system served by the local receiver (http) and the secret its webhook calls are signed with.
  const webhookSecret = (s: SystemSpec) => connectorRegistry.find(s.connector)?.webhookSecret;
  const webhookSecrets = Object.fromEntries(
    Object.values(policy.systems).flatMap((s) => {
      const secretOf = webhookSecret(s);
      return secretOf ? [[s.id, String(secretOf(s.config))]] : [];
    }),
  );

  // The services, each given the others it uses (they are read once started).
  const dataDirService = new DataDirService(dataDir);
  const java = new JavaService();
  const keys = new KeysService({ dataDir, region, webhookSecretNames: Object.values(webhookSecrets) });
  const functionLog = new FunctionLogService({ dataDir, log, echo: options.echoFunctionLogs ?? false, ...metered });
  const functions = new FunctionsService({ functionLog, ...metered });
  const api = new ApiGatewayService({ port, keys, functions, ...metered });
  const stepFunctions = new StepFunctionsService({
    policy,
    region,
    names,
    functions,
    log,
    ...(options.retryIntervalMs === undefined ? {} : { retryIntervalMs: options.retryIntervalMs }),
    ...metered,
  });
  const dynamo = new DynamoDbLocalService({ java, ...(persist ? { dbPath: path.join(dataDir, 'dynamodb') } : {}), log });
  const s3rver = new S3rverService({ dataDir, persist });
  const receiverService = new ReceiverService({
    keys,
    webhookSecrets,
    ...(options.holdSystems ? { hold: options.holdSystems } : {}),
    onRelease: () => stepFunctions.redriveFailedErasures(),
    dataDir,
    persist,
  });
  const aws = new AwsEndpointService({ region, functions, keys, stepFunctions });
  const metering = meter ? new MeteringService({ meter, dynamo, s3: s3rver, aws }) : undefined;
  const resources = new ResourcesService({ region, names, dynamo, s3: s3rver });
  const streams = new StreamsService({ region, names, resources, functions, log });

  const callApi: LocalLethe['api'] = async (method, apiPath, callOptions = {}) => {
    const headers: Record<string, string> = { authorization: `Bearer ${keys.token}`, ...(callOptions.headers ?? {}) };
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
  const deadlineMonitor = async () => {
    const result = await functions.host.invoke(runtimeFunctionName('deadline-monitor'), '{}');
    if (!result.ok) throw new LocalModeError(`deadline-monitor failed: ${result.errorType}`);
    return JSON.parse(result.payload) as unknown;
  };
  let seedReport: SeedReport | undefined;

  // Timers: the schedules of the stack, and the event source mapping of the streams.
  const scheduler = new SchedulerService(
    [
      { what: 'reading the ledger streams', everyMs: options.streamPollMs ?? DEFAULT_STREAM_POLL_MS, run: () => streams.poll() },
      { what: 'the scheduled sweep', everyMs: options.sweepEveryMs ?? DEFAULT_SWEEP_EVERY_MS, run: () => stepFunctions.runAllSweeps() },
      { what: 'the deadline monitor', everyMs: options.deadlineMonitorEveryMs ?? DEFAULT_DEADLINE_MONITOR_EVERY_MS, run: deadlineMonitor },
    ],
    log,
  );
  const consolePort = options.consolePort ?? (port === 0 ? 0 : DEFAULT_CONSOLE_PORT);
  const consoleServer = new ConsoleServerService({
    port: consolePort,
    dataDir,
    policyFile,
    policy: loaded,
    keys,
    apiUrl: () => api.url,
    s3Endpoint: () => s3rver.endpoint,
    auditBucket: names.auditBucket,
    dynamodbEndpoint: () => dynamo.endpoint,
    auditChainTable: names.auditChainTable,
    log: options.consoleLog ?? (options.echoFunctionLogs ? log : () => undefined),
  });
  const consoleService = new ConsoleService({
    banner: options.banner ?? true,
    log,
    functionLog,
    startedAt,
    bannerInput: (startedInMs) => {
      const receiver = receiverService.receiver;
      const systemsShown = Object.fromEntries(
        Object.values(policy.systems).map((s) => [
          s.id,
          seedReport?.systems[s.id] ??
            (webhookSecret(s) ? `local receiver ${receiver.urlOf(s.id)}` : `${s.connector} connector (${connectorFunctionName(s.id)})`),
        ]),
      );
      for (const id of receiver.held()) systemsShown[id] = `${systemsShown[id] ?? ''} (held until released)`;
      const firstPurpose = Object.values(policy.purposes)[0];
      return {
        apiUrl: api.url,
        token: keys.token,
        tokenFile: keys.tokenFile,
        policyFile: path.relative(process.cwd(), policyFile) || policyFile,
        controller: policy.controller.name,
        purposes: Object.keys(policy.purposes).length,
        systems: systemsShown,
        dataDir,
        persist,
        logFile: functionLog.file,
        endpoints: {
          DynamoDB: `${dynamo.endpoint} (DynamoDB Local${dynamo.loopbackOnly ? '' : ', on all interfaces'})`,
          S3: `${s3rver.endpoint} (s3rver)`,
          AWS: `${aws.url} (local Lambda, KMS, Secrets Manager, Step Functions)`,
          receiver: `${receiver.url} (the SaaS behind the http systems)`,
        },
        startedInMs,
        sweepEveryMs: options.sweepEveryMs ?? DEFAULT_SWEEP_EVERY_MS,
        audit: {
          bucket: names.auditBucket,
          s3Endpoint: s3rver.endpoint,
          chain: { table: names.auditChainTable, dynamodbEndpoint: dynamo.endpoint },
        },
        ...(consoleServer.url ? { console: consoleServer.url } : {}),
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
      };
    },
  });

  // The order of the start; the stop runs it backwards (the timers first, then a moment for running executions, ...).
  const mode = new LocalMode([
    dataDirService,
    java,
    keys,
    functionLog,
    functions,
    // The API first: a port in use fails fast, before Java starts. Requests wait until everything is up.
    api,
    // The emulators, side by side.
    [dynamo, s3rver, receiverService, aws],
    ...(metering ? [metering] : []),
    resources,
    new LocalStep('function definitions', () => {
      for (const spec of localFunctionSpecs({
        policy,
        policyFile,
        region,
        names,
        // With the meter, the functions reach the emulators through its proxies; local mode's own clients do not.
        endpoints: metering?.endpoints ?? { dynamodb: dynamo.endpoint, s3: s3rver.endpoint, aws: aws.url },
        sealingKeyArn: keys.kms.arn,
        dataDir,
        webhookUrl: (system) => receiverService.receiver.urlOf(system),
      })) {
        functions.host.define(options.functionSpec ? options.functionSpec(spec) : spec);
      }
    }),
    new LocalStep('receiver records', () => {
      if (!resources.fresh) receiverService.restoreRecords();
    }),
    stepFunctions,
    streams,
    new LocalStep('API ready', () => api.open()),
    ...(options.warm === true ? [new LocalStep('warm functions', () => functions.host.warm())] : []),
    new LocalStep('demo seed', async () => {
      if (!seed || !resources.fresh) return;
      const { dynamodb, documents, s3 } = resources.clients;
      seedReport = await seedDemo({
        policy,
        ddb: dynamodb,
        documents,
        s3,
        receiver: receiverService.receiver,
        api: (method, apiPath, body) => callApi(method, apiPath, { body }),
        now: Temporal.Now.instant(),
      });
    }),
    scheduler,
    consoleServer,
    consoleService,
    ...(options.warm === 'background' ? [new LocalStep('warm functions in the background', () => void functions.host.warm())] : []),
  ]);
  options.onStarting?.(mode);
  await mode.start();

  const { dynamodb, documents, s3 } = resources.clients;
  const receiver = receiverService.receiver;
  return {
    apiUrl: api.url,
    token: keys.token,
    tokenFile: keys.tokenFile,
    policy,
    policyFile,
    policyHash: loaded.hash,
    region,
    dataDir,
    names,
    endpoints: { api: api.url, dynamodb: dynamo.endpoint, s3: s3rver.endpoint, aws: aws.url, receiver: receiver.url },
    clients: { dynamodb, documents, s3 },
    demo: { subjects: seed ? DEMO_SUBJECTS : [], seeded: seedReport !== undefined, ...(seedReport ? { report: seedReport } : {}) },
    receiver,
    api: callApi,
    runSweep: (purpose, now) => stepFunctions.runSweep(purpose, now),
    runAllSweeps: (now) => stepFunctions.runAllSweeps(now),
    runReplay: (system, since, until) => stepFunctions.runReplay(system, since, until),
    runDeadlineMonitor: deadlineMonitor,
    async invoke(functionName, payload) {
      if (!functions.host.has(functionName)) throw new LocalModeError(`no local function is named "${functionName}"`);
      const result = await functions.host.invoke(functionName, JSON.stringify(payload));
      if (!result.ok) throw new LocalModeError(`${functionName} failed: ${result.errorType}: ${result.errorMessage}`);
      return JSON.parse(result.payload) as unknown;
    },
    processStreams: () => streams.poll(),
    async waitForRequest(requestId, waitOptions = {}) {
      const timeoutMs = waitOptions.timeoutMs ?? 60_000;
      const deadline = Date.now() + timeoutMs;
      let last: ApiAnswer | undefined;
      while (Date.now() < deadline) {
        const execution = stepFunctions.machine.find(names.erasureStateMachineArn, requestId);
        if (execution?.status === 'RUNNING') {
          await Promise.race([stepFunctions.machine.wait(execution.executionArn), sleep(Math.max(0, deadline - Date.now()))]);
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
      const execution = stepFunctions.machine.find(names.erasureStateMachineArn, requestId);
      if (!execution) throw new LocalModeError(`no erasure workflow execution is named ${requestId}`);
      stepFunctions.machine.redrive(execution.executionArn);
      return stepFunctions.machine.wait(execution.executionArn);
    },
    executions: () => stepFunctions.machine.list(),
    async auditRecords() {
      const source = s3Source(s3, names.auditBucket);
      const objectKeys = (await source.names()).sort();
      // At most 16 reads at a time: thousands at once make s3rver reset connections (ECONNRESET).
      const records: AuditRecord[] = [];
      for (let i = 0; i < objectKeys.length; i += 16) {
        const objects = await Promise.all(objectKeys.slice(i, i + 16).map(async (key) => recordsOf(await source.read(key))));
        records.push(...objects.flat());
      }
      return records;
    },
    async verifyAudit() {
      const head = await readChainHead(dynamodb, names.auditChainTable);
      return verifyChain(s3Source(s3, names.auditBucket), head ? { expectedHead: head } : {});
    },
    logFile: functionLog.file,
    logLines: () => functionLog.entries().map((e) => e.line),
    logEntries: () => functionLog.entries(),
    functionStats: () => functions.host.stats(),
    async restartDynamoDbLocal(restartOptions) {
      if (!persist) throw new LocalModeError('restarting DynamoDB Local needs persist: true (in memory it would come back empty)');
      await dynamo.restart(restartOptions);
    },
    usage: () => meter?.snapshot(),
    resetUsage: () => meter?.reset(),
    startupMs: consoleService.startupMs,
    ...(consoleServer.url ? { consoleUrl: consoleServer.url } : {}),
    stop: () => mode.stop(),
  };
}
