/**
 * The emulators of local mode as services (local-mode.ts), each on 127.0.0.1: DynamoDB Local (with the Java it
 * needs), s3rver, the local AWS endpoint (Lambda Invoke, KMS, Secrets Manager, Step Functions), the metering
 * proxies in front of them, and the resources in them (the stack's tables, the audit bucket) with local mode's own
 * clients.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LOCAL_S3 } from '../connectors/clients';
import { type AwsEndpoint, startAwsEndpoint } from './aws-endpoint';
import type { KeysService } from './data-dir-service';
import { type DynamoDbLocal, type RestartOptions, startDynamoDbLocal } from './dynamodb-local';
import type { FunctionsService } from './function-services';
import { findJava, type JavaInstallation } from './java';
import { type LocalService, started } from './local-mode';
import { startMeteringProxy, type UsageMeter } from './meter';
import { loadS3rver, type S3rverInstance } from './s3rver';
import { createLetheTables, ensureBucket, type LocalNames } from './resources';
import type { StepFunctionsService } from './workflow-services';

/** Java 17 or later, for DynamoDB Local: looked for first, so that a missing one is said before anything starts. */
export class JavaService implements LocalService {
  public readonly name = 'Java';
  private java: JavaInstallation | undefined;

  public async start(): Promise<void> {
    this.java = findJava();
  }

  public get installation(): JavaInstallation {
    return started(this.java, this.name);
  }

  public async stop(): Promise<void> {}
}

export interface DynamoDbLocalServiceOptions {
  readonly java: JavaService;
  /** Where the tables are kept across restarts. @default - in memory */
  readonly dbPath?: string;
  readonly log: (line: string) => void;
}

export class DynamoDbLocalService implements LocalService {
  public readonly name = 'DynamoDB Local';
  private local: DynamoDbLocal | undefined;

  public constructor(private readonly options: DynamoDbLocalServiceOptions) {}

  public async start(): Promise<void> {
    const { java, dbPath, log } = this.options;
    this.local = await startDynamoDbLocal({ java: java.installation, ...(dbPath ? { dbPath } : {}), log });
  }

  public get endpoint(): string {
    return started(this.local, this.name).endpoint;
  }

  /** False only in the no-javac fallback, where DynamoDB Local listens on every interface. */
  public get loopbackOnly(): boolean {
    return started(this.local, this.name).loopbackOnly;
  }

  public restart(options?: RestartOptions): Promise<void> {
    return started(this.local, this.name).restart(options);
  }

  public stop(): Promise<void> {
    return started(this.local, this.name).stop();
  }
}

export interface S3rverServiceOptions {
  readonly dataDir: string;
  /** Keep the objects under `<dataDir>/s3` across restarts; otherwise in a temporary directory removed at stop. */
  readonly persist: boolean;
}

/** s3rver, able to list more than 1 000 keys on this Node (s3rver.ts). */
export class S3rverService implements LocalService {
  public readonly name = 's3rver';
  private running: { readonly server: S3rverInstance; readonly dir: string; readonly endpoint: string } | undefined;
  /** The temporary directory (not with `persist`), removed by cleanup() or, at the latest, when the process exits. */
  private temporary: string | undefined;
  private readonly removeTemporary = (): void => {
    if (this.temporary) rmSync(this.temporary, { recursive: true, force: true });
    this.temporary = undefined;
    process.off('exit', this.removeTemporary);
  };

  public constructor(private readonly options: S3rverServiceOptions) {}

  public async start(): Promise<void> {
    const { dataDir, persist } = this.options;
    const dir = persist ? path.join(dataDir, 's3') : mkdtempSync(path.join(tmpdir(), 'lethe-s3-'));
    if (!persist) {
      this.temporary = dir;
      process.once('exit', this.removeTemporary);
    }
    try {
      mkdirSync(dir, { recursive: true });
      const S3rver = loadS3rver();
      const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir });
      const address = await server.run();
      this.running = { server, dir, endpoint: `http://127.0.0.1:${address.port}` };
    } catch (error) {
      this.removeTemporary();
      throw error;
    }
  }

  public get endpoint(): string {
    return started(this.running, this.name).endpoint;
  }

  public async stop(): Promise<void> {
    try {
      await started(this.running, this.name).server.close();
    } finally {
      this.removeTemporary();
    }
  }

  /** The temporary directory goes even when the stop failed or did not end (LocalMode calls this after it). */
  public cleanup(): void {
    this.removeTemporary();
  }
}

export interface AwsEndpointServiceOptions {
  readonly region: string;
  readonly functions: FunctionsService;
  readonly keys: KeysService;
  readonly stepFunctions: StepFunctionsService;
}

/** The local AWS endpoint: Lambda Invoke, KMS, Secrets Manager and Step Functions (aws-endpoint.ts). */
export class AwsEndpointService implements LocalService {
  public readonly name = 'AWS endpoint';
  private endpoint: AwsEndpoint | undefined;

  public constructor(private readonly options: AwsEndpointServiceOptions) {}

  public async start(): Promise<void> {
    const { region, functions, keys, stepFunctions } = this.options;
    this.endpoint = await startAwsEndpoint({
      region,
      resolveFunction: (name) => (functions.host.has(name) ? name : undefined),
      invoke: (fn, payload) => functions.host.invoke(fn, payload),
      kms: keys.kms,
      secrets: keys.secrets,
      stepFunctions: stepFunctions.machine,
    });
  }

  public get url(): string {
    return started(this.endpoint, this.name).url;
  }

  public stop(): Promise<void> {
    return started(this.endpoint, this.name).close();
  }
}

/** Where the functions reach the emulators. */
export interface FunctionEndpoints {
  readonly dynamodb: string;
  readonly s3: string;
  readonly aws: string;
}

export interface MeteringServiceOptions {
  readonly meter: UsageMeter;
  readonly dynamo: DynamoDbLocalService;
  readonly s3: S3rverService;
  readonly aws: AwsEndpointService;
}

/**
 * With the meter, the functions reach the emulators through its proxies (meter.ts); local mode's own clients do
 * not.
 */
export class MeteringService implements LocalService {
  public readonly name = 'metering proxies';
  private proxies: readonly { readonly url: string; close(): Promise<void> }[] | undefined;

  public constructor(private readonly options: MeteringServiceOptions) {}

  public async start(): Promise<void> {
    const { meter, dynamo, s3, aws } = this.options;
    const results = await Promise.allSettled([
      startMeteringProxy('dynamodb', dynamo.endpoint, meter),
      startMeteringProxy('s3', s3.endpoint, meter),
      startMeteringProxy('aws', aws.url, meter),
    ]);
    const up = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await Promise.allSettled(up.map((proxy) => proxy.close()));
      throw failed.reason;
    }
    this.proxies = up;
  }

  public get endpoints(): FunctionEndpoints {
    const [dynamodb, s3, aws] = started(this.proxies, this.name);
    return { dynamodb: dynamodb.url, s3: s3.url, aws: aws.url };
  }

  public async stop(): Promise<void> {
    await Promise.allSettled(started(this.proxies, this.name).map((proxy) => proxy.close()));
  }
}

/** Local mode's own clients of the emulators. */
export interface EmulatorClients {
  readonly dynamodb: DynamoDBClient;
  readonly documents: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly streams: DynamoDBStreamsClient;
}

export interface ResourcesServiceOptions {
  readonly region: string;
  readonly names: LocalNames;
  readonly dynamo: DynamoDbLocalService;
  readonly s3: S3rverService;
}

/** One source of resources: the stack's table specs, and the audit bucket (resources.ts). */
export class ResourcesService implements LocalService {
  public readonly name = 'tables and bucket';
  private made: { readonly clients: EmulatorClients; readonly fresh: boolean } | undefined;

  public constructor(private readonly options: ResourcesServiceOptions) {}

  public async start(): Promise<void> {
    const { region, names, dynamo, s3: s3rver } = this.options;
    // s3rver's keys (DynamoDB Local takes any): what `lethe audit verify` defaults to on a loopback endpoint.
    const credentials = { ...LOCAL_S3.credentials };
    const dynamodb = new DynamoDBClient({ region, endpoint: dynamo.endpoint, credentials });
    const documents = DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });
    // As lib/connectors/clients.ts builds it for a local endpoint, with the emulator's credentials.
    const s3 = new S3Client({
      region,
      endpoint: s3rver.endpoint,
      forcePathStyle: true,
      credentials,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const streams = new DynamoDBStreamsClient({ region, endpoint: dynamo.endpoint, credentials });
    const tables = await createLetheTables(dynamodb, names);
    await ensureBucket(s3, names.auditBucket);
    await ensureBucket(s3, names.exportsBucket);
    this.made = { clients: { dynamodb, documents, s3, streams }, fresh: tables.existing.length === 0 };
  }

  public get clients(): EmulatorClients {
    return started(this.made, this.name).clients;
  }

  /** True when no table existed before this start (not a restart of a persisted local mode). */
  public get fresh(): boolean {
    return started(this.made, this.name).fresh;
  }

  /** The tables and the bucket live as long as their emulators. */
  public async stop(): Promise<void> {}
}
