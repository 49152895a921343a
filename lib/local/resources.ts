/**
 * Lethe's own resources in local mode, from the same definitions the stack uses: the tables from
 * lib/stack/table-specs.ts (keys, indexes, TTL, streams) and the audit bucket. Only the names are local.
 */
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
  DescribeTableCommand,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { BucketAlreadyOwnedByYou, CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Policy } from '../policy/model';
import { type KeySpec, LEDGER_TABLE, TABLE_SPECS, type TableSpec } from '../stack/table-specs';
import { LOCAL_ACCOUNT } from './keys';

export interface LocalNames {
  /** Purpose id → ledger table. */
  readonly ledgerTables: Readonly<Record<string, string>>;
  readonly eventsTable: string;
  readonly requestsTable: string;
  readonly idempotencyTable: string;
  readonly auditChainTable: string;
  readonly auditBucket: string;
  /** Access exports (lib/runtime/exports.ts); s3rver serves their presigned links (no KMS, no lifecycle locally). */
  readonly exportsBucket: string;
  readonly erasureStateMachineArn: string;
  readonly sweepStateMachineArn: string;
  /** Tombstones for replay after a restore (lib/runtime/tombstones.ts) and the replay workflow. */
  readonly tombstonesTable: string;
  readonly replayStateMachineArn: string;
}

export const LOCAL_PREFIX = 'lethe-local';

/** Table name of a spec: `lethe-local-<role>`, and `-<purpose>` for a ledger table. */
export function localTableName(spec: TableSpec, purpose?: string): string {
  return spec.role === 'ledger' ? `${LOCAL_PREFIX}-ledger-${purpose}` : `${LOCAL_PREFIX}-${spec.role}`;
}

export function stateMachineArn(region: string, name: 'erasure' | 'sweep' | 'replay'): string {
  return `arn:aws:states:${region}:${LOCAL_ACCOUNT}:stateMachine:${LOCAL_PREFIX}-${name}`;
}

export function localNames(policy: Policy, region: string): LocalNames {
  const byRole = (role: TableSpec['role']) => localTableName(TABLE_SPECS.find((s) => s.role === role)!);
  return {
    ledgerTables: Object.fromEntries(Object.keys(policy.purposes).map((p) => [p, localTableName(LEDGER_TABLE, p)])),
    eventsTable: byRole('events'),
    requestsTable: byRole('requests'),
    idempotencyTable: byRole('idempotency'),
    auditChainTable: byRole('audit-chain'),
    auditBucket: `${LOCAL_PREFIX}-audit`,
    exportsBucket: `${LOCAL_PREFIX}-exports`,
    erasureStateMachineArn: stateMachineArn(region, 'erasure'),
    sweepStateMachineArn: stateMachineArn(region, 'sweep'),
    tombstonesTable: byRole('tombstones'),
    replayStateMachineArn: stateMachineArn(region, 'replay'),
  };
}

/** Every (spec, table name) pair of a policy: one ledger table per purpose, then the others. */
export function localTables(names: LocalNames): { spec: TableSpec; name: string }[] {
  const tables: { spec: TableSpec; name: string }[] = [];
  for (const spec of TABLE_SPECS) {
    if (spec.role === 'ledger') for (const name of Object.values(names.ledgerTables)) tables.push({ spec, name });
    else tables.push({ spec, name: localTableName(spec) });
  }
  return tables;
}

/** The CreateTable request for a spec, as the stack's `Table` would create it (on demand, streams, indexes). */
export function createTableInput(spec: TableSpec, name: string): CreateTableCommandInput {
  const attributes = new Map<string, KeySpec['type']>();
  const add = (key?: KeySpec) => {
    if (key) attributes.set(key.name, key.type);
  };
  add(spec.partitionKey);
  add(spec.sortKey);
  for (const index of spec.indexes) {
    add(index.partitionKey);
    add(index.sortKey);
  }
  const keySchema = (pk: KeySpec, sk?: KeySpec) => [
    { AttributeName: pk.name, KeyType: 'HASH' as const },
    ...(sk ? [{ AttributeName: sk.name, KeyType: 'RANGE' as const }] : []),
  ];
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType })),
    KeySchema: keySchema(spec.partitionKey, spec.sortKey),
    ...(spec.indexes.length > 0
      ? {
          GlobalSecondaryIndexes: spec.indexes.map((index) => ({
            IndexName: index.name,
            KeySchema: keySchema(index.partitionKey, index.sortKey),
            Projection:
              index.projection.type === 'INCLUDE'
                ? { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...index.projection.nonKeyAttributes] }
                : { ProjectionType: index.projection.type },
          })),
        }
      : {}),
    ...(spec.stream ? { StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' as const } } : {}),
  };
}

export interface CreatedTables {
  readonly created: readonly string[];
  readonly existing: readonly string[];
}

/**
 * Adds to a table that exists already (a `--persist` data directory from an earlier version) the indexes of its spec
 * it lacks, one UpdateTable each (DynamoDB creates one GSI per call), as a CloudFormation update of the stack would:
 * e.g. the requests table's by-subject index, without which GET /subjects/{subjectId} could not list requests.
 * Returns the names of the indexes it added.
 */
export async function addMissingIndexes(ddb: DynamoDBClient, spec: TableSpec, name: string): Promise<string[]> {
  if (spec.indexes.length === 0) return [];
  const { Table } = await ddb.send(new DescribeTableCommand({ TableName: name }));
  const present = new Set((Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
  const input = createTableInput(spec, name);
  const added: string[] = [];
  for (const index of input.GlobalSecondaryIndexes ?? []) {
    if (present.has(index.IndexName)) continue;
    const keys = new Set((index.KeySchema ?? []).map((k) => k.AttributeName));
    await ddb.send(
      new UpdateTableCommand({
        TableName: name,
        AttributeDefinitions: (input.AttributeDefinitions ?? []).filter((a) => keys.has(a.AttributeName)),
        GlobalSecondaryIndexUpdates: [{ Create: { IndexName: index.IndexName, KeySchema: index.KeySchema, Projection: index.Projection } }],
      }),
    );
    added.push(index.IndexName!);
  }
  return added;
}

/**
 * Creates Lethe's tables (TTL on where the spec says); a table that exists already is left as it is, but for the
 * indexes of its spec it lacks (addMissingIndexes).
 */
export async function createLetheTables(ddb: DynamoDBClient, names: LocalNames): Promise<CreatedTables> {
  const outcomes = await Promise.all(
    localTables(names).map(async ({ spec, name }) => {
      try {
        await ddb.send(new CreateTableCommand(createTableInput(spec, name)));
      } catch (error) {
        if (!(error instanceof ResourceInUseException || (error as Error).name === 'ResourceInUseException')) throw error;
        await addMissingIndexes(ddb, spec, name);
        return { name, created: false };
      }
      if (spec.ttlAttribute) {
        await ddb.send(
          new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { Enabled: true, AttributeName: spec.ttlAttribute } }),
        );
      }
      return { name, created: true };
    }),
  );
  return { created: outcomes.filter((o) => o.created).map((o) => o.name), existing: outcomes.filter((o) => !o.created).map((o) => o.name) };
}

/** Creates a bucket unless it exists. */
export async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    const name = (error as Error).name;
    if (error instanceof BucketAlreadyOwnedByYou || name === 'BucketAlreadyOwnedByYou' || name === 'BucketAlreadyExists') return;
    throw error;
  }
}
