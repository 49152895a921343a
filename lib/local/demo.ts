/**
 * The demo local mode seeds for any policy: each system gets a local stand-in with records of three demo
 * subjects (fake names and e-mail addresses under example.se), and each subject's holdings are registered
 * THROUGH THE API, so the ledger, the sealed ids and the expiries are Lethe's own.
 *
 * - `customer-1` and `customer-10`: active customers (two ids where one is a prefix of the other: erasing
 *   customer-1 must leave customer-10 untouched). Collected 60 days ago.
 * - `customer-2`: a former customer, collected 400 days ago, with every event of the policy 200 days ago: part
 *   of their data is past its retention, and local mode erases it soon after start (the first sweep, or
 *   DynamoDB Local's TTL, which acts within seconds where DynamoDB takes days).
 *
 * What a system's stand-in is, and how its records are put and read, is its connector type's `demo`
 * (lib/connectors/types/*.ts); this module gives them the local stand-ins (`demoStandIns`):
 * - dynamodb: the table `config.tableName` (key `keyAttribute`, sort key `sortKeyAttribute`, index `indexName` on
 *   `indexAttribute` when configured), one item per subject; the locator names the key unless it is `subjectId`;
 * - s3: the bucket `config.bucket`, one JSON object under the subject's prefix (or tagged with `tagKey`);
 * - http: the local receiver (receiver.ts) holds the records;
 * - lambda: the demo function's table (named after `config.functionName`).
 */
import { CreateTableCommand, type DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { Temporal } from '@js-temporal/polyfill';
import { LocalModeError } from './errors';
import type { DemoRecord, DemoStandIns, DemoSubject, DemoSystemContext, DemoTableSpec } from '../connectors/descriptor';
import { connectorRegistry, type ConnectorRegistry } from '../connectors/registry';
import { demoFunctionTable } from '../connectors/types/lambda';
import type { FieldSpec, Policy, SystemSpec } from '../policy/model';
import { DEMO_KEY } from './demo-function';
import type { LocalReceiver } from './receiver';
import { ensureBucket } from './resources';

export type { DemoSubject } from '../connectors/descriptor';
export { demoPrefix } from '../connectors/types/s3';

export const DEMO_SUBJECTS: readonly DemoSubject[] = [
  {
    subjectId: 'customer-1',
    key: 'C-0001',
    name: 'Astrid Lindqvist',
    email: 'astrid.lindqvist@example.se',
    phone: '+46 70 000 01 01',
    kind: 'active',
  },
  {
    subjectId: 'customer-10',
    key: 'C-0010',
    name: 'Johan Bergström',
    email: 'johan.bergstrom@example.se',
    phone: '+46 70 000 01 10',
    kind: 'active',
  },
  { subjectId: 'customer-2', key: 'C-0002', name: 'Maja Ek', email: 'maja.ek@example.se', phone: '+46 70 000 01 02', kind: 'former' },
];

/** Every personal value seeded for a subject (for checking that none reaches a log or an audit record). */
export function personalValuesOf(subject: DemoSubject): string[] {
  return [subject.name, subject.email, subject.phone, ...subject.name.split(' ')];
}

/** A plausible fake value for a field, from its name and category. */
export function demoValue(field: FieldSpec, subject: DemoSubject): unknown {
  const name = field.name.toLowerCase();
  const surname = subject.name.split(' ').slice(-1)[0];
  const n = Number(subject.key.replace(/\D/g, '')) || 1;
  if (name.includes('mail')) return subject.email;
  if (name.includes('phone') || name.includes('mobile')) return subject.phone;
  if (name.includes('address') && (name.includes('ip') || field.category === 'technical')) return `192.0.2.${n}`;
  if (name === 'ip' || name.startsWith('ip')) return `192.0.2.${n}`;
  if (name.includes('address')) return `Storgatan ${n}, 111 22 Stockholm`;
  if (name.includes('company') || name.includes('organisation') || name.includes('organization')) return `${surname} Konsult AB`;
  if (name.includes('personal') || name.includes('orgno') || name.includes('number')) return `556000-${String(n).padStart(4, '0')}`;
  if (name.includes('agent')) return 'Mozilla/5.0 (X11; Linux x86_64) demo';
  if (name.includes('device')) return 'laptop';
  if (name.includes('visitor')) return `visitor-${subject.key}`;
  if (name.includes('date') || name.includes('birth')) return '1980-01-01';
  if (name.includes('name') || field.category === 'identity') return subject.name;
  if (name.includes('events') || name.includes('lines') || name.includes('messages')) return [`${field.name} 1 of ${subject.key}`];
  return `${field.name} of ${subject.key}`;
}

export function demoRecord(system: SystemSpec, subject: DemoSubject): Record<string, unknown> {
  return Object.fromEntries(system.fields.map((f) => [f.name, demoValue(f, subject)]));
}

/** The locator a holding of `subject` in `system` is registered with (its connector type's `demo.locator`). */
export function demoLocator(
  system: SystemSpec,
  subject: DemoSubject,
  connectors: ConnectorRegistry = connectorRegistry,
): Record<string, string> {
  return connectors.find(system.connector)?.demo.locator?.(system.config, subject) ?? {};
}

/**
 * The demo function's name (and table) standing in for a system whose type runs as an `own-function` (lambda): its
 * function name, the last part of an ARN.
 */
export function demoFunctionName(system: SystemSpec, connectors: ConnectorRegistry = connectorRegistry): string {
  const runtime = connectors.get(system.connector).runtime;
  return demoFunctionTable(runtime.kind === 'own-function' ? String(runtime.functionName(system.config) ?? '') : '');
}

/** The clients of the local stand-ins: DynamoDB Local, s3rver and the webhook receiver. */
export interface StandInClients {
  readonly ddb: DynamoDBClient;
  readonly documents: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly receiver: LocalReceiver;
}

/** The local stand-ins as a connector type's demo sees them, for one system (whose fields the records fill). */
export function demoStandIns(clients: StandInClients, system: SystemSpec): DemoStandIns {
  const { ddb, documents, s3, receiver } = clients;
  return {
    record: (subject) => demoRecord(system, subject),
    createTable: (spec) => createTable(ddb, tableInput(spec)),
    putItem: async (table, item) => {
      await documents.send(new PutCommand({ TableName: table, Item: item }));
    },
    getItem: async (table, key) => {
      const { Item } = await documents.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }));
      return Item;
    },
    queryItems: async (table, attribute, value) => {
      const { Items } = await documents.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: '#k = :v',
          ExpressionAttributeNames: { '#k': attribute },
          ExpressionAttributeValues: { ':v': value },
          ConsistentRead: true,
        }),
      );
      return Items ?? [];
    },
    ensureBucket: (bucket) => ensureBucket(s3, bucket),
    putObject: async ({ bucket, key, body, tags }) => {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: JSON.stringify(body),
          ContentType: 'application/json',
          ...(tags
            ? {
                Tagging: Object.entries(tags)
                  .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
                  .join('&'),
              }
            : {}),
        }),
      );
    },
    readObjects: async (bucket, prefix) => {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      const records: DemoRecord[] = [];
      for (const object of listed.Contents ?? []) {
        const { Body } = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }));
        const value = JSON.parse((await Body?.transformToString('utf8')) ?? 'null') as unknown;
        for (const r of Array.isArray(value) ? value : [value]) records.push(r as DemoRecord);
      }
      return records;
    },
    receiver,
    demoFunctionKey: DEMO_KEY,
  };
}

/** What a system's connector type's demo functions get: its config (as the policy has it) and the stand-ins. */
export function demoSystemContext(
  clients: StandInClients,
  system: SystemSpec,
  connectors: ConnectorRegistry = connectorRegistry,
): DemoSystemContext<never> {
  return {
    system: system.id,
    config: system.config as never,
    standIns: demoStandIns(clients, system),
    locator: (subject) => demoLocator(system, subject, connectors),
  };
}

export interface SeedContext {
  readonly policy: Policy;
  readonly ddb: DynamoDBClient;
  readonly documents: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly receiver: LocalReceiver;
  /** Calls the local API (through the gateway, with the token). */
  readonly api: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: unknown }>;
  readonly now: Temporal.Instant;
  /** @default connectorRegistry (the built-in types) */
  readonly connectors?: ConnectorRegistry;
}

export interface SeedReport {
  readonly subjects: readonly DemoSubject[];
  readonly holdings: number;
  readonly events: number;
  /** System id → what stands in for it. */
  readonly systems: Readonly<Record<string, string>>;
}

/** API calls in flight at once while seeding. */
const SEED_CONCURRENCY = 8;

/** Runs the tasks, at most `limit` at a time; rejects with the first failure. */
async function inParallel(tasks: readonly (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) await tasks[next++]();
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

async function createTable(ddb: DynamoDBClient, input: ConstructorParameters<typeof CreateTableCommand>[0]): Promise<void> {
  try {
    await ddb.send(new CreateTableCommand(input));
  } catch (error) {
    if (error instanceof ResourceInUseException || (error as Error).name === 'ResourceInUseException') return;
    throw error;
  }
}

/** A table of string attributes, paid per request, with its key, sort key and index. */
function tableInput(spec: DemoTableSpec): ConstructorParameters<typeof CreateTableCommand>[0] {
  const attrs = new Map<string, 'S'>([[spec.key, 'S']]);
  if (spec.sortKey) attrs.set(spec.sortKey, 'S');
  if (spec.index) attrs.set(spec.index.attribute, 'S');
  return {
    TableName: spec.table,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attrs].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType })),
    KeySchema: [
      { AttributeName: spec.key, KeyType: 'HASH' },
      ...(spec.sortKey ? [{ AttributeName: spec.sortKey, KeyType: 'RANGE' as const }] : []),
    ],
    ...(spec.index
      ? {
          GlobalSecondaryIndexes: [
            {
              IndexName: spec.index.name,
              KeySchema: [{ AttributeName: spec.index.attribute, KeyType: 'HASH' }],
              Projection: { ProjectionType: 'ALL' },
            },
          ],
        }
      : {}),
  };
}

async function seedSystem(ctx: SeedContext, system: SystemSpec): Promise<string> {
  const connectors = ctx.connectors ?? connectorRegistry;
  const descriptor = connectors.find(system.connector);
  if (!descriptor) return 'nothing (unknown connector type)';
  return descriptor.demo.seed(demoSystemContext(ctx, system, connectors), DEMO_SUBJECTS);
}

/** Seeds every system and registers the demo subjects' holdings and events through the API. */
export async function seedDemo(ctx: SeedContext): Promise<SeedReport> {
  const systems: Record<string, string> = {};
  await Promise.all(
    Object.values(ctx.policy.systems).map(async (system) => {
      systems[system.id] = await seedSystem(ctx, system);
    }),
  );

  const at = (days: number) => ctx.now.subtract({ hours: 24 * days }).toString({ smallestUnit: 'second' });
  let holdings = 0;
  let events = 0;
  const call = async (path: string, body: unknown, what: string) => {
    const answer = await ctx.api('POST', path, body);
    if (answer.status !== 201)
      throw new LocalModeError(`seeding the demo: ${what} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  };
  // Every holding first, several at a time; then each subject's events, in order (an event reschedules the
  // subject's holdings, so it must come after them).
  // Item purposes (per: item) are left out: the demo subjects have no items (docs/api.md, "Items", registers them).
  const registrations = DEMO_SUBJECTS.flatMap((subject) =>
    Object.values(ctx.policy.purposes)
      .filter((purpose) => purpose.per !== 'item')
      .flatMap((purpose) =>
        purpose.systems.map((systemId) => async () => {
          const locator = demoLocator(ctx.policy.systems[systemId], subject, ctx.connectors);
          await call(
            `/subjects/${encodeURIComponent(subject.subjectId)}/holdings`,
            {
              purpose: purpose.id,
              system: systemId,
              collectedAt: at(subject.kind === 'former' ? 400 : 60),
              ...(Object.keys(locator).length ? { locator } : {}),
            },
            `registering a holding (${purpose.id} in ${systemId})`,
          );
          holdings++;
        }),
      ),
  );
  await inParallel(registrations, SEED_CONCURRENCY);
  for (const subject of DEMO_SUBJECTS.filter((s) => s.kind === 'former')) {
    for (const type of ctx.policy.events) {
      await call(`/subjects/${encodeURIComponent(subject.subjectId)}/events`, { type, at: at(200) }, `recording event ${type}`);
      events++;
    }
  }
  return { subjects: DEMO_SUBJECTS, holdings, events, systems };
}
