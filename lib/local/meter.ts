/**
 * Usage metering for local mode (`startLocal({ meter: true })`): counts what an AWS bill is made of while the
 * local system runs, so that a cost can be computed from a real run (lib/bench). Nothing here changes what the
 * functions see: the proxies pass every request and answer through unchanged (but for the DynamoDB capacity
 * report, which they ask for and strip again).
 *
 * - DynamoDB: a proxy in front of DynamoDB Local. Every request asks DynamoDB for `ReturnConsumedCapacity: TOTAL`,
 *   so the read and write units are DynamoDB Local's own figures, not estimates; items read are `ScannedCount`
 *   (Query, Scan) or the items returned (GetItem, BatchGetItem).
 * - S3: a proxy in front of s3rver, counting requests in S3's two price classes (PUT, COPY, POST, LIST; and GET
 *   and the rest). DELETE is free on S3 and counted apart.
 * - The local AWS endpoint (Lambda Invoke, KMS, Secrets Manager, Step Functions): a proxy counting calls by
 *   service and operation.
 * - Lambda invocations and their duration: from the function host (functions.ts), with each function's memory.
 * - Step Functions: state transitions of Standard executions, one more for every child execution a Distributed Map
 *   starts, and requests and duration of those Express children, from the executions' event logs.
 * - Logs (CloudWatch Logs ingestion), at the stack's configured levels (`CONFIGURED_LOG_LEVELS`): the functions'
 *   own lines; Lambda's START, END and REPORT lines for every invocation; and the events Step Functions writes
 *   to the workflow's log group, modelled from the event log (`workflowLogEvents`).
 * - Per table and per bucket: whose store a request went to (Lethe's, or the user's system's).
 * - The start and end of the first `MAX_SPANS` proxied calls since the last reset (one erasure's critical path,
 *   lib/bench).
 */
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import { crc32 } from 'node:zlib';
import { listenOnLoopback, type LoopbackServer } from '../core/loopback';

/** What the meter has counted since it started (or since `reset`). */
export interface UsageSnapshot {
  readonly dynamodb: {
    readonly calls: Readonly<Record<string, number>>;
    readonly readCapacityUnits: number;
    readonly writeCapacityUnits: number;
    /** Items DynamoDB read to answer: ScannedCount of Query and Scan, items returned by GetItem and BatchGetItem. */
    readonly itemsRead: number;
    /** Items read by Query and Scan, per table (and index: `table/index`). */
    readonly itemsReadByTable: Readonly<Record<string, number>>;
    /** Write calls that DynamoDB refused (a failed condition); each is counted as 1 write unit, as DynamoDB bills it. */
    readonly refusedWrites: number;
    /** Read and write units per table (indexes count with their table). */
    readonly unitsByTable: Readonly<Record<string, { readonly read: number; readonly write: number }>>;
  };
  readonly s3: {
    readonly tier1Requests: number;
    readonly tier2Requests: number;
    readonly deletes: number;
    /** Requests per bucket, by price class. */
    readonly requestsByBucket: Readonly<Record<string, { readonly tier1: number; readonly tier2: number }>>;
  };
  /** Calls to the local AWS endpoint, by `service:operation` (Lambda Invoke, KMS, Secrets Manager, Step Functions). */
  readonly aws: Readonly<Record<string, number>>;
  readonly lambda: {
    readonly invocations: number;
    /** Sum over invocations of memory (GB) × duration (s), duration rounded up to 1 ms as Lambda bills. */
    readonly gbSeconds: number;
    readonly byFunction: Readonly<Record<string, { readonly invocations: number; readonly durationMs: number }>>;
  };
  readonly stepFunctions: {
    readonly standardTransitions: number;
    /** One parent state transition for every child execution a Distributed Map started. */
    readonly mapChildTransitions: number;
    readonly expressRequests: number;
    /** Express duration (rounded up to 100 ms per execution) × 64 MB, the smallest memory chunk. */
    readonly expressGbSeconds: number;
  };
  readonly apiRequests: number;
  /** Bytes of the functions' own log lines (each with its newline). */
  readonly logBytes: number;
  readonly logs: {
    readonly functionLines: number;
    /** Lambda's START, END and REPORT lines: three per invocation. */
    readonly platformLines: number;
    readonly platformBytes: number;
    /** The events Step Functions writes to the workflows' log group at the configured level. */
    readonly workflowEvents: number;
    readonly workflowBytes: number;
  };
  /** The first `MAX_SPANS` proxied calls since the reset, in the order they ended; `spansDropped` the others. */
  readonly spans: readonly CallSpan[];
  readonly spansDropped: number;
}

/** How many call spans a snapshot keeps (enough for one erasure across many systems; a sweep drops most). */
export const MAX_SPANS = 5_000;

/**
 * The log levels the stack configures (lib/stack): Step Functions' logging of both workflows (asl-state-machine.ts,
 * `props.logLevel ?? sfn.LogLevel.ERROR`) and the functions' Powertools level (lethe-function.ts). Local mode runs the
 * functions at the same level (function-specs.ts), so their lines are those production writes.
 */
export const CONFIGURED_LOG_LEVELS = { workflows: 'ERROR', functions: 'INFO' } as const;

export type WorkflowLogLevel = 'ALL' | 'ERROR' | 'FATAL' | 'OFF';

/** One proxied call, while tracing: its service, operation, and start and end (ms since the epoch, fractional). */
export interface CallSpan {
  readonly service: MeteredService;
  readonly operation: string;
  readonly start: number;
  readonly end: number;
}

const READ_OPS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);
const WRITE_OPS = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends object ? Mutable<T[K]> : T[K] };

function emptyUsage(): Mutable<UsageSnapshot> {
  return {
    dynamodb: {
      calls: {},
      readCapacityUnits: 0,
      writeCapacityUnits: 0,
      itemsRead: 0,
      itemsReadByTable: {},
      refusedWrites: 0,
      unitsByTable: {},
    },
    s3: { tier1Requests: 0, tier2Requests: 0, deletes: 0, requestsByBucket: {} },
    aws: {},
    lambda: { invocations: 0, gbSeconds: 0, byFunction: {} },
    stepFunctions: { standardTransitions: 0, mapChildTransitions: 0, expressRequests: 0, expressGbSeconds: 0 },
    apiRequests: 0,
    logBytes: 0,
    logs: { functionLines: 0, platformLines: 0, platformBytes: 0, workflowEvents: 0, workflowBytes: 0 },
    spans: [],
    spansDropped: 0,
  };
}

const bump = (counts: Record<string, number>, key: string, by = 1) => {
  counts[key] = (counts[key] ?? 0) + by;
};

/** The consumed capacity entries of a DynamoDB answer (one object, or a list for batch and transaction calls). */
function capacityEntries(consumed: unknown): { TableName?: string; CapacityUnits?: number }[] {
  return (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) as { TableName?: string; CapacityUnits?: number }[];
}

function capacityUnits(consumed: unknown): number {
  return capacityEntries(consumed).reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
}

/**
 * The lines Lambda itself writes for one invocation to the function's log group, in the text log format the stack
 * uses (no `loggingFormat`), with X-Ray active tracing (lethe-function.ts), as the Lambda developer guide shows them.
 * Only their length matters here: the ids are random and the figures this invocation's.
 */
export function lambdaPlatformLines(memoryMb: number, durationMs: number): string[] {
  const requestId = randomUUID();
  const duration = durationMs.toFixed(2);
  const trace = `1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replace(/-/g, '').slice(0, 24)}`;
  const segment = randomUUID().replace(/-/g, '').slice(0, 16);
  return [
    `START RequestId: ${requestId} Version: $LATEST`,
    `END RequestId: ${requestId}`,
    `REPORT RequestId: ${requestId}\tDuration: ${duration} ms\tBilled Duration: ${Math.ceil(durationMs)} ms\tMemory Size: ${memoryMb} MB\tMax Memory Used: ${Math.min(memoryMb, 128)} MB\t\nXRAY TraceId: ${trace}\tSegmentId: ${segment}\tSampled: true\t`,
  ];
}

export class UsageMeter {
  private usage = emptyUsage();

  /** One proxied call's span (kept while fewer than `MAX_SPANS` are). */
  public span(service: MeteredService, operation: string, start: number, end: number): void {
    if (this.usage.spans.length < MAX_SPANS) this.usage.spans.push({ service, operation, start, end });
    else this.usage.spansDropped++;
  }

  public snapshot(): UsageSnapshot {
    return structuredClone(this.usage);
  }

  /** Starts counting from zero. */
  public reset(): void {
    this.usage = emptyUsage();
  }

  /** One DynamoDB call and its answer (both parsed JSON; `answer` undefined when DynamoDB refused the call). */
  public dynamodbCall(operation: string, request: Record<string, unknown>, answer: Record<string, unknown> | undefined): void {
    const d = this.usage.dynamodb;
    bump(d.calls, operation);
    const tableUnits = (table: unknown) => (d.unitsByTable[String(table)] ??= { read: 0, write: 0 });
    if (!answer) {
      if (WRITE_OPS.has(operation)) {
        d.refusedWrites++;
        d.writeCapacityUnits++;
        tableUnits(request.TableName).write++;
      }
      return;
    }
    const units = capacityUnits(answer.ConsumedCapacity);
    // DynamoDB bills every read request at least one unit (half for an eventually consistent read), even one that
    // finds nothing; DynamoDB Local reports 0 for those.
    const minimumRead = operation === 'GetItem' || operation === 'Query' || operation === 'Scan' ? (request.ConsistentRead ? 1 : 0.5) : 0;
    const read = READ_OPS.has(operation);
    if (read) d.readCapacityUnits += Math.max(units, minimumRead);
    else if (WRITE_OPS.has(operation)) d.writeCapacityUnits += units;
    if (read || WRITE_OPS.has(operation)) {
      const entries = capacityEntries(answer.ConsumedCapacity);
      if (entries.length === 0 || (entries.length === 1 && read)) {
        // One table: the request's (with the read minimum applied, as above).
        const table = entries[0]?.TableName ?? request.TableName;
        tableUnits(table)[read ? 'read' : 'write'] += read ? Math.max(units, minimumRead) : units;
      } else {
        for (const entry of entries) tableUnits(entry.TableName)[read ? 'read' : 'write'] += entry.CapacityUnits ?? 0;
      }
    }
    if (operation === 'Query' || operation === 'Scan') {
      const scanned = Number(answer.ScannedCount ?? answer.Count ?? 0);
      d.itemsRead += scanned;
      const table = `${String(request.TableName)}${typeof request.IndexName === 'string' && request.IndexName ? `/${request.IndexName}` : ''}`;
      bump(d.itemsReadByTable, table, scanned);
    } else if (operation === 'GetItem') {
      if (answer.Item) d.itemsRead++;
    } else if (operation === 'BatchGetItem') {
      for (const items of Object.values((answer.Responses ?? {}) as Record<string, unknown[]>)) d.itemsRead += items.length;
    }
  }

  public s3Request(method: string, url: URL): void {
    const s = this.usage.s3;
    const m = method.toUpperCase();
    const path = url.pathname.replace(/^\/+/, '');
    const bucketLevel = !path.includes('/') || path.endsWith('/');
    // Path-style requests (local mode's endpoints are IP addresses): the bucket is the first segment.
    const bucket = (s.requestsByBucket[path.split('/')[0]] ??= { tier1: 0, tier2: 0 });
    if (m === 'DELETE') s.deletes++;
    else if (m === 'PUT' || m === 'POST' || (m === 'GET' && bucketLevel)) {
      s.tier1Requests++; // LIST is a GET on the bucket
      bucket.tier1++;
    } else {
      s.tier2Requests++;
      bucket.tier2++;
    }
  }

  public awsCall(operation: string): void {
    bump(this.usage.aws, operation);
  }

  public lambdaInvocation(functionName: string, memoryMb: number, durationMs: number): void {
    const l = this.usage.lambda;
    l.invocations++;
    l.gbSeconds += (memoryMb / 1024) * (Math.ceil(durationMs) / 1000);
    const f = (l.byFunction[functionName] ??= { invocations: 0, durationMs: 0 });
    f.invocations++;
    f.durationMs += durationMs;
    const lines = lambdaPlatformLines(memoryMb, durationMs);
    this.usage.logs.platformLines += lines.length;
    this.usage.logs.platformBytes += lines.reduce((n, line) => n + Buffer.byteLength(line) + 1, 0);
  }

  public stepFunctionsExecution(billing: ExecutionBilling): void {
    const s = this.usage.stepFunctions;
    s.standardTransitions += billing.standardTransitions;
    s.mapChildTransitions += billing.mapChildTransitions;
    s.expressRequests += billing.expressRequests;
    s.expressGbSeconds += billing.expressBilledMs / 1000 / 16; // 64 MB = 1/16 GB
    this.usage.logs.workflowEvents += billing.logEvents;
    this.usage.logs.workflowBytes += billing.logBytes;
  }

  public apiRequest(): void {
    this.usage.apiRequests++;
  }

  public logLine(bytes: number): void {
    this.usage.logBytes += bytes;
    this.usage.logs.functionLines++;
  }
}

/** What one execution costs in Step Functions' units. */
export interface ExecutionBilling {
  readonly standardTransitions: number;
  /** Child executions a Distributed Map started: each is one more state transition of the parent. */
  readonly mapChildTransitions: number;
  readonly expressRequests: number;
  /** Sum over Express child executions of their duration rounded up to 100 ms. */
  readonly expressBilledMs: number;
  /** The events Step Functions writes to the log group at the level billed, and their bytes. */
  readonly logEvents: number;
  readonly logBytes: number;
}

/** The event log of an execution, as aws-local-stepfunctions writes it (the fields used here). */
export interface BillingEvent {
  readonly type: string;
  readonly timestamp: number;
  readonly index?: number;
  readonly state?: { readonly name: string };
  readonly parentState?: { readonly name: string };
}

/** The names of a definition's Distributed Map states whose child executions are Express, and of the states inside them. */
export function expressMaps(definition: { States: Record<string, unknown> }): { maps: Set<string>; inner: Set<string> } {
  const maps = new Set<string>();
  const inner = new Set<string>();
  const visit = (states: Record<string, unknown>, inside: boolean) => {
    for (const [name, raw] of Object.entries(states)) {
      const state = raw as {
        Type?: string;
        ItemProcessor?: { ProcessorConfig?: Record<string, string>; States: Record<string, unknown> };
        Iterator?: { States: Record<string, unknown> };
        Branches?: { States: Record<string, unknown> }[];
      };
      if (inside) inner.add(name);
      const processor = state.ItemProcessor ?? state.Iterator;
      if (state.Type === 'Map' && processor) {
        const config = state.ItemProcessor?.ProcessorConfig;
        const express = config?.Mode === 'DISTRIBUTED' && config.ExecutionType === 'EXPRESS';
        if (express) maps.add(name);
        visit(processor.States, inside || express);
      }
      for (const branch of state.Branches ?? []) visit(branch.States, inside);
    }
  };
  visit(definition.States, false);
  return { maps, inner };
}

/**
 * Step Functions' billing of one execution from its event log: every state entered and every retry of a Standard
 * execution is a transition; each iteration of an Express Distributed Map is a child execution (a request, and
 * its duration), whose own states are not transitions of the parent.
 */
export function billingOf(
  definition: { States: Record<string, unknown> },
  events: readonly BillingEvent[],
  options: { readonly logLevel?: WorkflowLogLevel } = {},
): ExecutionBilling {
  const { maps, inner } = expressMaps(definition);
  let standardTransitions = 0;
  let mapChildTransitions = 0;
  let expressRequests = 0;
  let expressBilledMs = 0;
  const started = new Map<string, number>();
  for (const event of events) {
    if ((event.type === 'StateEntered' || event.type === 'StateRetried') && event.state && !inner.has(event.state.name)) {
      standardTransitions++;
    } else if (event.parentState && maps.has(event.parentState.name)) {
      const key = `${event.parentState.name}#${event.index}`;
      if (event.type === 'MapIterationStarted') {
        expressRequests++;
        mapChildTransitions++;
        started.set(key, event.timestamp);
      } else if (event.type === 'MapIterationSucceeded' || event.type === 'MapIterationFailed') {
        const begin = started.get(key);
        if (begin !== undefined) expressBilledMs += Math.max(100, Math.ceil((event.timestamp - begin) / 100) * 100);
        started.delete(key);
      }
    }
  }
  const log = workflowLogEvents(definition, events, options.logLevel ?? CONFIGURED_LOG_LEVELS.workflows);
  return { standardTransitions, mapChildTransitions, expressRequests, expressBilledMs, logEvents: log.events, logBytes: log.bytes };
}

/** The Type of every state of a definition, nested ones included, by name. */
function stateTypes(definition: { States: Record<string, unknown> }): Map<string, string> {
  const types = new Map<string, string>();
  const visit = (states: Record<string, unknown>) => {
    for (const [name, raw] of Object.entries(states)) {
      const state = raw as {
        Type?: string;
        ItemProcessor?: { States: Record<string, unknown> };
        Iterator?: { States: Record<string, unknown> };
        Branches?: { States: Record<string, unknown> }[];
      };
      types.set(name, state.Type ?? '');
      const processor = state.ItemProcessor ?? state.Iterator;
      if (processor) visit(processor.States);
      for (const branch of state.Branches ?? []) visit(branch.States);
    }
  };
  visit(definition.States);
  return types;
}

/**
 * The history events AWS records for one event of the local event log: a Task state is entered as
 * TaskStateEntered, TaskScheduled and TaskStarted, and left as TaskSucceeded and TaskStateExited; a retry is
 * TaskFailed, TaskScheduled and TaskStarted; a Map is left as MapStateSucceeded and MapStateExited; every other
 * event is one. `failure` marks the events logged at ERROR, `fatal` those logged at FATAL.
 */
function awsEventsOf(event: BillingEvent, types: Map<string, string>): { count: number; failure: boolean; fatal: boolean } {
  const type = event.state ? types.get(event.state.name) : undefined;
  const fatal = event.type === 'ExecutionFailed' || event.type === 'ExecutionAborted' || event.type === 'ExecutionTimeout';
  const failure = fatal || event.type.endsWith('Failed');
  let count = 1;
  if (type === 'Task' && (event.type === 'StateEntered' || event.type === 'StateRetried')) count = 3;
  else if ((type === 'Task' || type === 'Map') && event.type === 'StateExited') count = 2;
  return { count, failure, fatal };
}

/**
 * What Step Functions writes to the workflow's log group for an execution, at `level`: one JSON line per history
 * event (ALL), the failures only (ERROR), the execution's failure only (FATAL). Each line has the documented fields
 * (id, type, details, previous_event_id, event_timestamp, execution_arn, redrive_count); execution data is never
 * included (asl-state-machine.ts), so `details` names the state only. The ARN has the length of a deployed one (a
 * 40-character state machine name and a UUID execution name).
 */
export function workflowLogEvents(
  definition: { States: Record<string, unknown> },
  events: readonly BillingEvent[],
  level: WorkflowLogLevel,
): { events: number; bytes: number } {
  if (level === 'OFF') return { events: 0, bytes: 0 };
  const types = stateTypes(definition);
  const arn = `arn:aws:states:eu-north-1:123456789012:execution:${'x'.repeat(40)}:${randomUUID()}`;
  let id = 0;
  let bytes = 0;
  for (const event of events) {
    const aws = awsEventsOf(event, types);
    if ((level === 'ERROR' && !aws.failure) || (level === 'FATAL' && !aws.fatal)) continue;
    for (let i = 0; i < aws.count; i++) {
      id++;
      const line = JSON.stringify({
        id: String(id),
        type: event.type,
        details: event.state ? { name: event.state.name } : {},
        previous_event_id: String(id - 1),
        event_timestamp: String(event.timestamp),
        execution_arn: arn,
        redrive_count: '0',
      });
      bytes += Buffer.byteLength(line) + 1;
    }
  }
  return { events: id, bytes };
}

/** Reads a request or answer body whole. */
function readBody(stream: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** Sends `body` to `upstream` with the incoming request's method, path and headers; the answer, whole. */
function forward(
  upstream: URL,
  req: http.IncomingMessage,
  body: Buffer,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    // The Host header stays as signed (s3rver checks SigV4 signatures); only the length may have changed.
    const headers = { ...req.headers, 'content-length': String(body.length) };
    delete headers['transfer-encoding'];
    const out = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
      (res) => void readBody(res).then((b) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: b }), reject),
    );
    out.on('error', reject);
    out.end(body);
  });
}

export type MeteredService = 'dynamodb' | 's3' | 'aws';

/**
 * A metering proxy on 127.0.0.1 in front of a local endpoint. Requests and answers are passed whole (bodies are
 * small here: DynamoDB pages of 1 MB at most, test objects).
 */
export async function startMeteringProxy(service: MeteredService, upstreamUrl: string, meter: UsageMeter): Promise<LoopbackServer> {
  const upstream = new URL(upstreamUrl);
  const server = http.createServer((req, res) => {
    void (async function proxyOne() {
      const start = performance.timeOrigin + performance.now();
      let operation = '';
      try {
        let body = await readBody(req);
        const target = String(req.headers['x-amz-target'] ?? '');
        let request: Record<string, unknown> | undefined;
        let askedCapacity = true;
        if (service === 'dynamodb' && target.startsWith('DynamoDB_')) {
          request = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
          askedCapacity = request.ReturnConsumedCapacity !== undefined && request.ReturnConsumedCapacity !== 'NONE';
          if (!askedCapacity) body = Buffer.from(JSON.stringify({ ...request, ReturnConsumedCapacity: 'TOTAL' }));
        }
        const answer = await forward(upstream, req, body);
        let answerBody = answer.body;
        const headers = { ...answer.headers };
        if (service === 'dynamodb' && request) {
          operation = target.slice(target.indexOf('.') + 1);
          const ok = answer.status >= 200 && answer.status < 300;
          const parsed = ok ? (JSON.parse(answerBody.toString('utf8') || '{}') as Record<string, unknown>) : undefined;
          meter.dynamodbCall(operation, request, parsed);
          if (parsed && !askedCapacity && 'ConsumedCapacity' in parsed) {
            delete parsed.ConsumedCapacity;
            answerBody = Buffer.from(JSON.stringify(parsed));
            headers['x-amz-crc32'] = String(crc32(answerBody));
          }
        } else if (service === 's3') {
          operation = req.method ?? 'GET';
          meter.s3Request(operation, new URL(req.url ?? '/', upstream));
        } else if (service === 'aws') {
          const lambda = /^\/2015-03-31\/functions\/[^/]+\/invocations/.test(req.url ?? '');
          operation = lambda ? 'lambda:Invoke' : `${target.split('.')[0] || 'unknown'}:${target.split('.')[1] ?? ''}`;
          meter.awsCall(operation);
        }
        meter.span(service, operation, start, performance.timeOrigin + performance.now());
        headers['content-length'] = String(answerBody.length);
        delete headers['transfer-encoding'];
        res.writeHead(answer.status, headers);
        res.end(answerBody);
      } catch (error) {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`metering proxy: ${(error as Error).message}`);
      }
    })();
  });
  return listenOnLoopback(server, 0);
}
