/**
 * Everything a Lethe function needs, built from its environment (contract ENV) on first use: the policy, the
 * clock, the AWS clients and the stores. Each piece is created when first asked for, so a function that does
 * not need, say, KMS does not need its variable either; a missing variable is a `RuntimeConfigError` naming it.
 * Tests build one with `createRuntime({env, now})` and mock the AWS clients with aws-sdk-client-mock.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Temporal } from '@js-temporal/polyfill';
import { AuditWriter, OBJECT_LOCK_MODES, type ObjectLockMode } from '../audit';
import { createS3Client, isLoopbackEndpoint } from '../connectors/clients';
import { ExportStore, type Presigner } from './exports';
import { LocalReceiptSigner, type ReceiptSigner } from '../core/receipt-signer';
import { KmsReceiptSigner } from './receipts';
import { ReceiptStore } from './receipt-store';
import { RuntimeConfigError } from '../core/errors';
import { type LoadedPolicy, loadPolicyData, loadPolicyFile } from '../policy/load';
import type { Policy } from '../policy/model';
import { type ConnectorClient, LambdaConnectorClient } from './connector-client';
import { ENV } from '../core/contract';
import { EventStore } from './event-store';
import { DynamoPeriodKeys } from './period-keys';
import { HoldStore } from './holds';
import { Ledger } from './ledger';
import { tracer } from '../core/observability';
import { RequestStore } from './requests';
import { Sealer } from './sealing';
import { TombstoneStore } from './tombstones';
import { secretKeySource, SubjectRefs } from '../core/subject-ref';
import { systemClock } from '../core/time';
import { ErasureWorkflow, StepFunctionsErasureWorkflow } from './workflow';

export type Env = Readonly<Record<string, string | undefined>>;

export interface Runtime {
  readonly policy: Policy;
  /** SHA-256 of the policy's canonical JSON: the policy version in audit records. */
  readonly policyHash: string;
  readonly now: () => Temporal.Instant;
  readonly refs: SubjectRefs;
  readonly sealer: Sealer;
  readonly ledger: Ledger;
  readonly events: EventStore;
  /** Legal holds (spec 2.3), in the events table. */
  readonly holds: HoldStore;
  readonly requests: RequestStore;
  readonly audit: AuditWriter;
  readonly connectors: ConnectorClient;
  readonly workflow: ErasureWorkflow;
  /** Access exports in the exports bucket (lib/runtime/exports.ts). */
  readonly exports: ExportStore;
  /** Signs receipts (lib/runtime/receipts.ts): the KMS key ENV.receiptKey, or local mode's key file ENV.receiptKeyFile. */
  readonly receiptSigner: ReceiptSigner;
  /** Receipts issued at completion, kept in the audit bucket under receipts/ (lib/runtime/receipt-store.ts). */
  readonly receipts: ReceiptStore;
  /**
   * Tombstones for replay after a restore (lib/runtime/tombstones.ts): the table ENV.tombstonesTable, sealed under
   * ENV.tombstoneKey (the sealing key when unset). Undefined when the deployment has no tombstones table.
   */
  readonly tombstones?: TombstoneStore;
  /** The low-level client (Powertools idempotency persists through it). */
  readonly dynamodb: DynamoDBClient;
  readonly documents: DynamoDBDocumentClient;
  readonly env: Env;
  /** A variable the function cannot run without. */
  required(name: string): string;
}

export interface RuntimeOptions {
  /** @default process.env */
  readonly env?: Env;
  /** @default the system clock */
  readonly now?: () => Temporal.Instant;
  /** Replace the connector client (local mode, tests). @default Lambda invocations */
  readonly connectors?: ConnectorClient;
  /** Replace the workflow starter (local mode). @default Step Functions */
  readonly workflow?: ErasureWorkflow;
  /** Replace the policy (tests). @default from LETHE_POLICY_JSON or LETHE_POLICY_FILE */
  readonly policy?: LoadedPolicy;
  /** Replace the signer of the exports' links (tests). @default getSignedUrl */
  readonly presign?: Presigner;
}

/** The policy baked into the bundle. `process.env.LETHE_POLICY_JSON` is written out so that a bundler's `define` can replace it. */
function bakedPolicyJson(): string | undefined {
  return process.env.LETHE_POLICY_JSON;
}

export function loadRuntimePolicy(env: Env): LoadedPolicy {
  const json = env[ENV.policyJson] ?? (env === process.env ? bakedPolicyJson() : undefined);
  if (json) {
    let data: unknown;
    try {
      data = JSON.parse(json);
    } catch (error) {
      throw new RuntimeConfigError(`${ENV.policyJson} is not JSON: ${(error as Error).message}`, { cause: error });
    }
    return loadPolicyData(data, ENV.policyJson);
  }
  const file = env[ENV.policyFile];
  if (file) return loadPolicyFile(file);
  throw new RuntimeConfigError(`no policy: set ${ENV.policyJson} (the policy as JSON) or ${ENV.policyFile} (a policy file)`);
}

function jsonObjectOf(env: Env, name: string): Record<string, string> {
  const text = env[name];
  if (!text) throw new RuntimeConfigError(`environment variable ${name} is not set`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new RuntimeConfigError(`${name} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  if (!value || typeof value !== 'object' || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string' || !v)) {
    throw new RuntimeConfigError(`${name} must be a JSON object of names, e.g. {"marketing": "lethe-ledger-marketing"}`);
  }
  return value as Record<string, string>;
}

class EnvRuntime implements Runtime {
  public readonly env: Env;
  public readonly now: () => Temporal.Instant;
  private readonly cache = new Map<string, unknown>();

  public constructor(private readonly options: RuntimeOptions) {
    this.env = options.env ?? process.env;
    this.now = options.now ?? systemClock;
  }

  public required(name: string): string {
    const value = this.env[name];
    if (!value) throw new RuntimeConfigError(`environment variable ${name} is not set`);
    return value;
  }

  private once<T>(key: string, make: () => T): T {
    if (!this.cache.has(key)) this.cache.set(key, make());
    return this.cache.get(key) as T;
  }

  private get loaded(): LoadedPolicy {
    return this.once('policy', () => this.options.policy ?? loadRuntimePolicy(this.env));
  }
  public get policy(): Policy {
    return this.loaded.policy;
  }
  public get policyHash(): string {
    return this.loaded.hash;
  }

  public get dynamodb(): DynamoDBClient {
    return this.once('dynamodb', () => tracer.captureAWSv3Client(new DynamoDBClient({})));
  }
  public get documents(): DynamoDBDocumentClient {
    return this.once('documents', () => DynamoDBDocumentClient.from(this.dynamodb, { marshallOptions: { removeUndefinedValues: true } }));
  }
  private get s3(): S3Client {
    return this.once('s3', () => tracer.captureAWSv3Client(createS3Client()));
  }

  public get refs(): SubjectRefs {
    return this.once('refs', () => {
      const secret = this.required(ENV.hmacSecret);
      return new SubjectRefs(secretKeySource(secret, { client: tracer.captureAWSv3Client(new SecretsManagerClient({})) }));
    });
  }
  public get sealer(): Sealer {
    return this.once('sealer', () => {
      // One data key per hour for every function that seals, kept in the idempotency table (issue 16; sealing.ts).
      const table = this.env[ENV.idempotencyTable];
      return new Sealer(tracer.captureAWSv3Client(new KMSClient({})), this.required(ENV.sealingKey), {
        ...(table ? { periodKeys: new DynamoPeriodKeys(this.documents, table) } : {}),
      });
    });
  }
  public get tombstones(): TombstoneStore | undefined {
    return this.once('tombstones', () => {
      const table = this.env[ENV.tombstonesTable];
      if (!table) return undefined;
      const key = this.env[ENV.tombstoneKey] ?? this.required(ENV.sealingKey);
      return new TombstoneStore(this.documents, table, tracer.captureAWSv3Client(new KMSClient({})), key, this.policy);
    });
  }
  public get ledger(): Ledger {
    return this.once('ledger', () => {
      const tables = jsonObjectOf(this.env, ENV.ledgerTables);
      const missing = Object.keys(this.policy.purposes).filter((p) => !tables[p]);
      if (missing.length) throw new RuntimeConfigError(`${ENV.ledgerTables} has no table for purpose(s) ${missing.join(', ')}`);
      return new Ledger(this.documents, this.policy, tables);
    });
  }
  public get events(): EventStore {
    return this.once('events', () => new EventStore(this.documents, this.required(ENV.eventsTable)));
  }
  public get holds(): HoldStore {
    return this.once('holds', () => new HoldStore(this.documents, this.required(ENV.eventsTable)));
  }
  public get requests(): RequestStore {
    return this.once('requests', () => new RequestStore(this.documents, this.required(ENV.requestsTable)));
  }
  public get audit(): AuditWriter {
    return this.once(
      'audit',
      () =>
        new AuditWriter(this.documents, this.s3, {
          chainTable: this.required(ENV.auditChainTable),
          bucket: this.required(ENV.auditBucket),
          objectLock: this.auditObjectLock,
        }),
    );
  }
  public get receipts(): ReceiptStore {
    return this.once(
      'receipts',
      () => new ReceiptStore({ client: this.s3, bucket: this.required(ENV.auditBucket), objectLock: this.auditObjectLock }),
    );
  }
  /** Per-object retention of what is written to the audit bucket (records and receipts), when configured. */
  private get auditObjectLock(): { mode: ObjectLockMode; retainDays: number } | undefined {
    return this.once('auditObjectLock', () => {
      const mode = this.env[ENV.auditObjectLockMode];
      let objectLock: { mode: ObjectLockMode; retainDays: number } | undefined;
      if (mode) {
        if (!OBJECT_LOCK_MODES.includes(mode as ObjectLockMode)) {
          throw new RuntimeConfigError(`${ENV.auditObjectLockMode} must be ${OBJECT_LOCK_MODES.join(' or ')}, got "${mode}"`);
        }
        const days = Number(this.required(ENV.auditRetentionDays));
        if (!Number.isInteger(days) || days < 1) {
          throw new RuntimeConfigError(
            `${ENV.auditRetentionDays} must be a whole number of days >= 1, got "${this.env[ENV.auditRetentionDays]}"`,
          );
        }
        objectLock = { mode: mode as ObjectLockMode, retainDays: days };
      }
      return objectLock;
    });
  }
  public get connectors(): ConnectorClient {
    return this.once(
      'connectors',
      () =>
        this.options.connectors ??
        new LambdaConnectorClient(
          tracer.captureAWSv3Client(new LambdaClient({})),
          this.policy,
          jsonObjectOf(this.env, ENV.connectorFunctions),
        ),
    );
  }
  public get exports(): ExportStore {
    return this.once('exports', () => {
      // Local mode's s3rver (an endpoint on this machine) does not do KMS: the objects are written without SSE-KMS.
      const endpoint = process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL; // as createS3Client reads it
      return new ExportStore({
        client: this.s3,
        bucket: this.required(ENV.exportsBucket),
        kms: !(endpoint !== undefined && isLoopbackEndpoint(endpoint)),
        ...(this.options.presign ? { presign: this.options.presign } : {}),
      });
    });
  }
  public get receiptSigner(): ReceiptSigner {
    return this.once('receiptSigner', () => {
      const file = this.env[ENV.receiptKeyFile];
      if (file) return LocalReceiptSigner.fromFile(file);
      return new KmsReceiptSigner(tracer.captureAWSv3Client(new KMSClient({})), this.required(ENV.receiptKey));
    });
  }
  public get workflow(): ErasureWorkflow {
    return this.once(
      'workflow',
      () =>
        this.options.workflow ??
        new StepFunctionsErasureWorkflow(tracer.captureAWSv3Client(new SFNClient({})), this.required(ENV.erasureStateMachineArn)),
    );
  }
}

export function createRuntime(options: RuntimeOptions = {}): Runtime {
  return new EnvRuntime(options);
}

let shared: Runtime | undefined;

/** The process's runtime, from process.env (what the Lambda entry points use). */
export function defaultRuntime(): Runtime {
  shared ??= createRuntime();
  return shared;
}
