/**
 * Lethe's own resources in local mode, from the same definitions the stack uses: the tables from
 * lib/stack/table-specs.ts (keys, indexes, TTL, streams) and the audit bucket. Only the names are local.
 */
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
  ResourceInUseException,
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
  readonly erasureStateMachineArn: string;
  readonly sweepStateMachineArn: string;
}

export const LOCAL_PREFIX = 'lethe-local';

/** Table name of a spec: `lethe-local-<role>`, and `-<purpose>` for a ledger table. */
export function localTableName(spec: TableSpec, purpose?: string): string {
  return spec.role === 'ledger' ? `${LOCAL_PREFIX}-ledger-${purpose}` : `${LOCAL_PREFIX}-${spec.role}`;
}

export function stateMachineArn(region: string, name: 'erasure' | 'sweep'): string {
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
    erasureStateMachineArn: stateMachineArn(region, 'erasure'),
    sweepStateMachineArn: stateMachineArn(region, 'sweep'),
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

/** Creates Lethe's tables (TTL on where the spec says); a table that exists already is left as it is. */
export async function createLetheTables(ddb: DynamoDBClient, names: LocalNames): Promise<CreatedTables> {
  const outcomes = await Promise.all(
    localTables(names).map(async ({ spec, name }) => {
      try {
        await ddb.send(new CreateTableCommand(createTableInput(spec, name)));
      } catch (error) {
        if (error instanceof ResourceInUseException || (error as Error).name === 'ResourceInUseException') return { name, created: false };
        throw error;
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
