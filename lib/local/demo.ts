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
 * Per connector type:
 * - dynamodb: the table `config.tableName` (key `keyAttribute`, sort key `sortKeyAttribute`, index `indexName` on
 *   `indexAttribute` when configured), one item per subject; the locator names the key unless it is `subjectId`;
 * - s3: the bucket `config.bucket`, one JSON object under the subject's prefix (or tagged with `tagKey`);
 * - http: the local receiver (receiver.ts) holds the records;
 * - lambda: the demo function's table (named after `config.functionName`).
 */
import { CreateTableCommand, type DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { Temporal } from '@js-temporal/polyfill';
import { LocalModeError } from './errors';
import type { FieldSpec, Policy, SystemSpec } from '../policy/model';
import { DEMO_KEY } from './demo-function';
import type { LocalReceiver } from './receiver';
import { ensureBucket } from './resources';

export interface DemoSubject {
  readonly subjectId: string;
  /** The record key in systems whose key is not the subject id (e.g. `customerId`). */
  readonly key: string;
  readonly name: string;
  readonly email: string;
  readonly phone: string;
  readonly kind: 'active' | 'former';
}

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

/** The locator a holding of `subject` in `system` is registered with. */
export function demoLocator(system: SystemSpec, subject: DemoSubject): Record<string, string> {
  const config = system.config as Record<string, string | undefined>;
  if (system.connector === 'dynamodb') {
    return config.keyAttribute && config.keyAttribute !== 'subjectId' ? { [config.keyAttribute]: subject.key } : {};
  }
  if (system.connector === 's3' && config.prefix) {
    const names = [...config.prefix.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]).filter((p) => p !== 'subjectId');
    return Object.fromEntries(names.map((p) => [p, subject.key]));
  }
  return {};
}

/** The S3 key prefix of a subject: the template filled from the locator and the subject id. */
export function demoPrefix(template: string, subject: DemoSubject, locator: Record<string, string>): string {
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, p: string) =>
    p === 'subjectId' ? subject.subjectId : (locator[p] ?? subject.key),
  );
}

/** The demo table name of a `lambda` system: its function name (the last part of an ARN). */
export function demoFunctionName(system: SystemSpec): string {
  const name = String((system.config as { functionName?: unknown }).functionName ?? '');
  const arn = /:function:([^:]+)/.exec(name);
  return arn ? arn[1] : name;
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

async function seedSystem(ctx: SeedContext, system: SystemSpec): Promise<string> {
  const config = system.config as Record<string, string | undefined>;
  switch (system.connector) {
    case 'dynamodb': {
      const key = config.keyAttribute!;
      const sort = config.sortKeyAttribute;
      const attrs = new Map<string, 'S'>([[key, 'S']]);
      if (sort) attrs.set(sort, 'S');
      if (config.indexName && config.indexAttribute) attrs.set(config.indexAttribute, 'S');
      await createTable(ctx.ddb, {
        TableName: config.tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...attrs].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType })),
        KeySchema: [{ AttributeName: key, KeyType: 'HASH' }, ...(sort ? [{ AttributeName: sort, KeyType: 'RANGE' as const }] : [])],
        ...(config.indexName && config.indexAttribute
          ? {
              GlobalSecondaryIndexes: [
                {
                  IndexName: config.indexName,
                  KeySchema: [{ AttributeName: config.indexAttribute, KeyType: 'HASH' }],
                  Projection: { ProjectionType: 'ALL' },
                },
              ],
            }
          : {}),
      });
      for (const subject of DEMO_SUBJECTS) {
        const item: Record<string, unknown> = {
          ...demoRecord(system, subject),
          [key]: demoLocator(system, subject)[key] ?? subject.subjectId,
        };
        if (sort) item[sort] = 'profile';
        if (config.indexAttribute && typeof item[config.indexAttribute] !== 'string') item[config.indexAttribute] = subject.email;
        await ctx.documents.send(new PutCommand({ TableName: config.tableName, Item: item }));
      }
      return `DynamoDB Local table ${config.tableName}`;
    }
    case 's3': {
      await ensureBucket(ctx.s3, config.bucket!);
      for (const subject of DEMO_SUBJECTS) {
        const body = JSON.stringify(demoRecord(system, subject));
        if (config.prefix) {
          const prefix = demoPrefix(config.prefix, subject, demoLocator(system, subject));
          await ctx.s3.send(
            new PutObjectCommand({ Bucket: config.bucket, Key: `${prefix}record.json`, Body: body, ContentType: 'application/json' }),
          );
        } else {
          await ctx.s3.send(
            new PutObjectCommand({
              Bucket: config.bucket,
              Key: `demo/${subject.key}.json`,
              Body: body,
              ContentType: 'application/json',
              Tagging: `${encodeURIComponent(config.tagKey!)}=${encodeURIComponent(subject.subjectId)}`,
            }),
          );
        }
      }
      return `s3rver bucket ${config.bucket}`;
    }
    case 'http': {
      for (const subject of DEMO_SUBJECTS) ctx.receiver.put(system.id, subject.subjectId, demoRecord(system, subject));
      return `local receiver ${ctx.receiver.urlOf(system.id)}`;
    }
    case 'lambda': {
      const table = demoFunctionName(system);
      await createTable(ctx.ddb, {
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: DEMO_KEY, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: DEMO_KEY, KeyType: 'HASH' }],
      });
      for (const subject of DEMO_SUBJECTS) {
        await ctx.documents.send(
          new PutCommand({ TableName: table, Item: { ...demoRecord(system, subject), [DEMO_KEY]: subject.subjectId } }),
        );
      }
      return `demo function ${table} (connector SDK) over DynamoDB Local table ${table}`;
    }
    default:
      return 'nothing (unknown connector type)';
  }
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
  // Item purposes (per: item) are left out: the runtime does not register item holdings yet (docs/api.md, "Items").
  const registrations = DEMO_SUBJECTS.flatMap((subject) =>
    Object.values(ctx.policy.purposes)
      .filter((purpose) => purpose.per !== 'item')
      .flatMap((purpose) =>
        purpose.systems.map((systemId) => async () => {
          const locator = demoLocator(ctx.policy.systems[systemId], subject);
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
