/**
 * A whole runtime on fakes: the shop policy (test/helpers/shop-policy.ts), every table of the contract in the
 * in-memory DynamoDB (shapes from lib/stack/table-specs.ts, so the stack and the runtime agree), KMS, Secrets
 * Manager, S3, Step Functions, and connectors that answer as told. The clock is set by the test.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import { Temporal } from '@js-temporal/polyfill';
import type { DynamoDBRecord } from 'aws-lambda';
import type { LoadedPolicy } from '../../../../lib/policy/load';
import type { Policy } from '../../../../lib/policy/model';
import { ENV } from '../../../../lib/core/contract';
import { createRuntime, type Runtime } from '../../../../lib/runtime/runtime';
import {
  AUDIT_CHAIN_TABLE,
  EVENTS_TABLE,
  IDEMPOTENCY_TABLE,
  LEDGER_TABLE,
  REQUESTS_TABLE,
  type TableSpec,
} from '../../../../lib/stack/table-specs';
import { shopPolicy } from '../../../helpers/shop-policy';
import { FakeConnectors, FakeKms, FakeS3, FakeSfn, fakeSecrets } from './aws';
import { FakeDynamo, type TableDef } from './fake-dynamodb';

export const TABLES = {
  events: 'lethe-events',
  requests: 'lethe-requests',
  idempotency: 'lethe-idempotency',
  auditChain: 'lethe-audit-chain',
} as const;
export const AUDIT_BUCKET = 'lethe-audit';
/** The exports bucket; links are signed by a fake: `https://exports.test/<key>?expiresIn=<seconds>`. */
export const EXPORTS_BUCKET = 'lethe-exports';
export const STATE_MACHINE_ARN = 'arn:aws:states:eu-north-1:123456789012:stateMachine:lethe-erasure';
export const ledgerTable = (purpose: string): string => `lethe-ledger-${purpose}`;

/** The stream record DynamoDB writes when TTL removes a ledger item of `purpose` (its old image as given). */
export function ttlRemoval(purpose: string, item: Record<string, unknown>): DynamoDBRecord {
  return {
    eventID: 'evt-1',
    eventName: 'REMOVE',
    eventSource: 'aws:dynamodb',
    eventSourceARN: `arn:aws:dynamodb:eu-north-1:123456789012:table/${ledgerTable(purpose)}/stream/2025-01-01T00:00:00.000`,
    dynamodb: {
      Keys: marshall({ subjectRef: item.subjectRef, system: item.system }) as never,
      OldImage: marshall(item, { removeUndefinedValues: true }) as never,
      SequenceNumber: '1',
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
  };
}

function defOf(spec: TableSpec): TableDef {
  return {
    partitionKey: spec.partitionKey.name,
    ...(spec.sortKey ? { sortKey: spec.sortKey.name } : {}),
    indexes: Object.fromEntries(
      spec.indexes.map((i) => [i.name, { partitionKey: i.partitionKey.name, ...(i.sortKey ? { sortKey: i.sortKey.name } : {}) }]),
    ),
  };
}

export interface TestWorld {
  readonly rt: Runtime;
  readonly ddb: FakeDynamo;
  readonly kms: FakeKms;
  readonly s3: FakeS3;
  readonly sfn: FakeSfn;
  readonly connectors: FakeConnectors;
  readonly policy: Policy;
  readonly env: Record<string, string>;
  /** The clock: set `clock.now`. */
  readonly clock: { now: Temporal.Instant };
  restore(): void;
}

export interface WorldOptions {
  readonly policy?: Policy;
  readonly now?: string;
  readonly env?: Record<string, string>;
}

export function createWorld(options: WorldOptions = {}): TestWorld {
  const policy = options.policy ?? shopPolicy;
  const ddb = new FakeDynamo();
  for (const purpose of Object.keys(policy.purposes)) ddb.createTable(ledgerTable(purpose), defOf(LEDGER_TABLE));
  ddb.createTable(TABLES.events, defOf(EVENTS_TABLE));
  ddb.createTable(TABLES.requests, defOf(REQUESTS_TABLE));
  ddb.createTable(TABLES.idempotency, defOf(IDEMPOTENCY_TABLE));
  ddb.createTable(TABLES.auditChain, defOf(AUDIT_CHAIN_TABLE));
  const kms = new FakeKms();
  const secrets = fakeSecrets();
  const s3 = new FakeS3();
  const sfn = new FakeSfn();
  const connectors = new FakeConnectors();
  const clock = { now: Temporal.Instant.from(options.now ?? '2025-03-01T10:00:00Z') };
  const env: Record<string, string> = {
    [ENV.ledgerTables]: JSON.stringify(Object.fromEntries(Object.keys(policy.purposes).map((p) => [p, ledgerTable(p)]))),
    [ENV.eventsTable]: TABLES.events,
    [ENV.requestsTable]: TABLES.requests,
    [ENV.idempotencyTable]: TABLES.idempotency,
    [ENV.auditChainTable]: TABLES.auditChain,
    [ENV.auditBucket]: AUDIT_BUCKET,
    [ENV.exportsBucket]: EXPORTS_BUCKET,
    [ENV.hmacSecret]: 'lethe/hmac',
    [ENV.sealingKey]: 'alias/lethe-sealing',
    [ENV.receiptKey]: 'alias/lethe-receipts',
    [ENV.erasureStateMachineArn]: STATE_MACHINE_ARN,
    [ENV.connectorFunctions]: JSON.stringify(Object.fromEntries(Object.keys(policy.systems).map((s) => [s, `lethe-connector-${s}`]))),
    ...options.env,
  };
  const loaded: LoadedPolicy = { policy, hash: 'a'.repeat(64), file: '<test>', warnings: [] };
  const rt = createRuntime({
    env,
    now: () => clock.now,
    connectors,
    policy: loaded,
    presign: async (_client, command, { expiresIn }) => `https://exports.test/${command.input.Key}?expiresIn=${expiresIn}`,
  });
  return {
    rt,
    ddb,
    kms,
    s3,
    sfn,
    connectors,
    policy,
    env,
    clock,
    restore() {
      ddb.restore();
      kms.mock.restore();
      secrets.restore();
      s3.mock.restore();
      sfn.mock.restore();
    },
  };
}

/** Captures everything written to stdout and stderr (Powertools Logger writes there) while `fn` runs. */
export async function captureOutput<T>(fn: () => Promise<T>): Promise<{ result?: T; error?: unknown; output: string }> {
  const chunks: string[] = [];
  const capture = (chunk: unknown): boolean => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  const methods = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
    jest.spyOn(console, m).mockImplementation((...args: unknown[]) => void chunks.push(args.map(String).join(' '))),
  );
  try {
    const result = await fn();
    return { result, output: chunks.join('') };
  } catch (error) {
    return { error, output: chunks.join('') };
  } finally {
    out.mockRestore();
    err.mockRestore();
    for (const m of methods) m.mockRestore();
  }
}

/** A fake Lambda context for handlers (Powertools reads it). */
export function lambdaContext(name = 'lethe-test') {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-north-1:123456789012:function:${name}`,
    memoryLimitInMB: '512',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: '2025/03/01/[$LATEST]abcdef',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
