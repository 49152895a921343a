/**
 * The benchmark's local mode, with one start and one shutdown path (issue 17, item 4): `BenchSession.start`
 * creates the data directory, starts local mode metered and the naive Scan's own metering proxy; `stop` ends
 * them in reverse order and removes the directory. The steps (steps.ts) work through its helpers: seeding the
 * systems, registering holdings, asking for erasures, calling connectors directly, waiting for executions.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { connectorFunctionName, runtimeFunctionName, startLocal, type LocalLethe } from '../local';
import { localSubjectRefs } from '../local/keys';
import type { LoopbackServer } from '../core/loopback';
import { startMeteringProxy, UsageMeter } from '../local/meter';
import { mapLimit } from '../core/concurrency';
import { LEDGER, type ConnectorInvocation, type ConnectorResult, type SweepReadOutput } from '../core/contract';

export const BENCH_POLICY = path.join(__dirname, 'policy.yaml');
export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
/** How many holdings the bench registers through the API at once (on Lambda: as many API environments). */
export const REGISTER_CONCURRENCY = 8;

/** Fake records of a subject in a system (fake names under example.se). */
export function recordFor(id: string) {
  return { userId: id, name: `Bench Person ${id}`, email: `${id}@bench.example.se` };
}

/** A DynamoDB client of the benchmark's own, through a metering proxy of its own (the naive sweep's reads). */
export interface Scanner {
  readonly documents: DynamoDBDocumentClient;
  readonly meter: UsageMeter;
}

export class BenchSession {
  private constructor(
    public readonly dataDir: string,
    public readonly local: LocalLethe,
    public readonly scanner: Scanner,
    private readonly scanProxy: LoopbackServer,
  ) {}

  /** Local mode as the benchmarks run it: the bench policy, metered, nothing in the background (no timers, no demo). */
  public static async start(options: { readonly warm: boolean; readonly log?: (line: string) => void }): Promise<BenchSession> {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'lethe-bench-'));
    let local: LocalLethe | undefined;
    try {
      options.log?.('starting local mode (metered)');
      local = await startLocal({
        policyFile: BENCH_POLICY,
        port: 0,
        dataDir,
        seedDemo: false,
        sweepEveryMs: false,
        streamPollMs: false,
        deadlineMonitorEveryMs: false,
        banner: false,
        meter: true,
        warm: options.warm,
      });
      const meter = new UsageMeter();
      const scanProxy = await startMeteringProxy('dynamodb', local.endpoints.dynamodb, meter);
      const client = new DynamoDBClient({
        region: local.region,
        endpoint: scanProxy.url,
        credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
      });
      return new BenchSession(dataDir, local, { documents: DynamoDBDocumentClient.from(client), meter }, scanProxy);
    } catch (error) {
      await local?.stop();
      rmSync(dataDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** The one shutdown path: the Scan's proxy, local mode, the data directory. */
  public async stop(): Promise<void> {
    try {
      await this.scanProxy.close();
      await this.local.stop();
    } finally {
      rmSync(this.dataDir, { recursive: true, force: true });
    }
  }

  /** The user's stores of the bench policy's systems: two tables and a bucket. */
  public async createSystemStores(): Promise<void> {
    for (const table of ['bench-accounts', 'bench-archive']) {
      await this.local.clients.dynamodb.send(
        new CreateTableCommand({
          TableName: table,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'userId', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'userId', KeyType: 'HASH' }],
        }),
      );
    }
    await this.local.clients.s3.send(new CreateBucketCommand({ Bucket: 'bench-documents' }));
  }

  /** Each subject's record in the accounts table, the documents bucket and the mailer. */
  public async seedAccounts(ids: readonly string[]): Promise<void> {
    await mapLimit(ids, 8, async (id) => {
      const record = recordFor(id);
      await this.local.clients.documents.send(
        new BatchWriteCommand({ RequestItems: { 'bench-accounts': [{ PutRequest: { Item: record } }] } }),
      );
      await this.local.clients.s3.send(
        new PutObjectCommand({ Bucket: 'bench-documents', Key: `users/${id}/profile.json`, Body: JSON.stringify(record) }),
      );
      this.local.receiver.put('mailer', id, { email: record.email });
    });
  }

  /** Each subject's record in the archive table, 25 to a batch. */
  public async seedArchive(ids: readonly string[]): Promise<void> {
    const batches = [];
    for (let i = 0; i < ids.length; i += 25) batches.push(ids.slice(i, i + 25));
    await mapLimit(batches, 8, async (batch) => {
      let pending: Record<string, unknown>[] = batch.map((id) => ({ PutRequest: { Item: recordFor(id) } }));
      while (pending.length > 0) {
        const answer = await this.local.clients.documents.send(new BatchWriteCommand({ RequestItems: { 'bench-archive': pending } }));
        pending = answer.UnprocessedItems?.['bench-archive'] ?? [];
      }
    });
  }

  public async register(id: string, purpose: string, system: string, collectedAt: string): Promise<void> {
    const answer = await this.local.api('POST', `/subjects/${encodeURIComponent(id)}/holdings`, {
      body: { purpose, system, collectedAt },
    });
    if (answer.status !== 201) throw new Error(`registering a holding answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  }

  public async requestErasure(id: string): Promise<string> {
    const answer = await this.local.api('POST', '/erasure-requests', {
      body: { subjectId: id, verification: { method: 'benchmark', verifiedAt: new Date().toISOString() }, reason: 'benchmark' },
      headers: { 'Idempotency-Key': randomUUID() },
    });
    if (answer.status !== 202) throw new Error(`an erasure request answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return (answer.body as { requestId: string }).requestId;
  }

  /** Waits until every named erasure execution has ended; the executions by name. */
  public async executionsEnded(names: readonly string[], timeoutMs: number) {
    const wanted = new Set(names);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ended = this.local.executions().filter((e) => wanted.has(e.name) && e.status !== 'RUNNING');
      if (ended.length === wanted.size) return new Map(ended.map((e) => [e.name, e]));
      if (Date.now() > deadline) throw new Error(`${wanted.size - ended.length} erasure executions did not end within ${timeoutMs} ms`);
      await sleep(20);
    }
  }

  /** The connector invocation the workflow would send for these subjects (erase the whole record). */
  public invocationFor(system: string, purposes: readonly string[], ids: readonly string[]): ConnectorInvocation {
    return {
      system,
      purposes,
      operationId: randomUUID(),
      policyHash: this.local.policyHash,
      subjects: ids.map((id) => ({
        subjectRef: `direct-${id}`,
        subjectId: id,
        locator: {},
        identifiers: {},
        record: 'delete',
        removeFields: [],
        anonymiseFields: [],
      })),
    };
  }

  /** Calls a system's connector function directly; fails unless every subject was erased. */
  public async invokeConnector(invocation: ConnectorInvocation): Promise<ConnectorResult> {
    const result = (await this.local.invoke(connectorFunctionName(invocation.system), invocation)) as ConnectorResult;
    const bad = result.subjects.filter((s) => s.status !== 'erased');
    if (bad.length > 0) throw new Error(`${invocation.system}: ${bad.length} subjects not erased (${bad[0].status})`);
    const failed = result.failed ?? [];
    if (failed.length > 0) throw new Error(`${invocation.system}: ${failed.length} subjects failed (${failed[0].error})`);
    return result;
  }

  /**
   * The ledger item of a holding the API registered. Its subjectRef is the HMAC the API computed, with local mode's
   * secret in the data directory (a Scan for it would have to page through every holding registered before it).
   */
  public async ledgerItem(table: string, subjectId: string, system: string): Promise<Record<string, unknown>> {
    const key = { [LEDGER.partitionKey]: await localSubjectRefs(this.dataDir).ref(subjectId), [LEDGER.sortKey]: system };
    const { Item } = await this.local.clients.documents.send(new GetCommand({ TableName: table, Key: key }));
    if (!Item) throw new Error('the template holding was not found in the ledger');
    return Item;
  }

  /** Walks the due index as the sweep does (sweep-read, page after page); the number of due holdings found. */
  public async dueNow(purpose: string, now: string): Promise<number> {
    let cursor: SweepReadOutput['cursor'];
    let found = 0;
    do {
      const page = (await this.local.invoke(runtimeFunctionName('sweep-read'), {
        purpose,
        sweepId: 'bench',
        now,
        ...(cursor ? { cursor } : {}),
      })) as SweepReadOutput;
      found += page.itemsRead;
      cursor = page.cursor;
    } while (cursor);
    return found;
  }
}
