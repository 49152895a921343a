/**
 * The reliability tests' subjects and systems (test/reliability/fixtures/faults-policy.yaml): seeding a subject's
 * records straight into the emulators, registering its holdings through the API, reading back what each system
 * holds, and the checks every fault test makes: each erased or expired subject is gone (or anonymised) in every
 * system, no other subject changed by a single byte, and the audit trail has at most one outcome per subject and
 * system.
 *
 * Written against plain clients and endpoints so that the same code serves an in-process local mode and one in a
 * child process (faults-kill.test.ts).
 */
import * as path from 'node:path';
import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { Temporal } from '@js-temporal/polyfill';
import type { LocalReceiver } from '../../../lib/local/receiver';
import type { AuditRecord } from '../../../lib/core/contract';

export const POLICY_FILE = path.join(__dirname, '..', 'fixtures', 'faults-policy.yaml');
export const TIMEZONE = 'Europe/Stockholm';

export const SYSTEMS = ['profiles', 'surveys', 'files', 'crm', 'mailer', 'tickets'] as const;
export type SystemId = (typeof SYSTEMS)[number];
export const STORE_SYSTEMS = ['profiles', 'surveys', 'files', 'crm'] as const satisfies readonly SystemId[];
export const HTTP_SYSTEMS = ['mailer', 'tickets'] as const satisfies readonly SystemId[];

/** The purpose that holds each system's data, and the outcome its expiry or an erasure request has there. */
export const PURPOSE_OF: Readonly<Record<SystemId, string>> = {
  profiles: 'account',
  files: 'account',
  crm: 'account',
  surveys: 'research',
  mailer: 'newsletter',
  tickets: 'support',
};
export const OUTCOME_OF: Readonly<Record<SystemId, 'erased' | 'anonymised'>> = {
  profiles: 'erased',
  files: 'erased',
  crm: 'erased',
  surveys: 'anonymised',
  mailer: 'erased',
  tickets: 'erased',
};
export const TABLES = { profiles: 'rel-profiles', surveys: 'rel-surveys', crm: 'rel-crm' } as const;
const KEYS = { profiles: 'userId', surveys: 'respondentId', crm: 'subjectId' } as const;
export const FILES_BUCKET = 'rel-files';

export interface Clients {
  readonly dynamodb: DynamoDBClient;
  readonly documents: DynamoDBDocumentClient;
  readonly s3: S3Client;
  /** Absent when local mode runs in another process (its receiver is out of reach). */
  readonly receiver?: LocalReceiver;
}

/** Fake personal data of a subject, derived from its id. */
export function personOf(id: string) {
  const n = [...id].reduce((sum, c) => sum + c.charCodeAt(0), 0);
  return {
    name: `Testperson ${id}`,
    email: `${id}@tillforlitlig.example`,
    phone: `+46 70 ${String(n).padStart(3, '0')} 00 00`,
    birthDate: `19${String(50 + (n % 40))}-0${1 + (n % 9)}-1${n % 10}`,
    address: `Sveavägen ${n % 100}, 113 50 Stockholm`,
  };
}

export function recordOf(id: string, system: SystemId): Record<string, unknown> {
  const p = personOf(id);
  switch (system) {
    case 'profiles':
      return { userId: id, name: p.name, email: p.email };
    case 'surveys':
      return { respondentId: id, name: p.name, email: p.email, birthDate: p.birthDate };
    case 'files':
      return { name: p.name, address: p.address };
    case 'crm':
      return { subjectId: id, name: p.name, phone: p.phone };
    case 'mailer':
      return { name: p.name, email: p.email };
    case 'tickets':
      return { email: p.email, messages: [`Question from ${p.name}`] };
  }
}

export const fileKey = (id: string): string => `users/${id}/order.json`;

/** Puts the subject's records into the systems. */
export async function seedSubject(clients: Clients, id: string, systems: readonly SystemId[]): Promise<void> {
  for (const system of systems) {
    const record = recordOf(id, system);
    if (system === 'files') {
      await clients.s3.send(
        new PutObjectCommand({ Bucket: FILES_BUCKET, Key: fileKey(id), Body: JSON.stringify(record), ContentType: 'application/json' }),
      );
    } else if (system === 'mailer' || system === 'tickets') {
      if (!clients.receiver) throw new Error(`cannot seed ${system}: the receiver is out of reach`);
      clients.receiver.put(system, id, record);
    } else {
      await clients.documents.send(new PutCommand({ TableName: TABLES[system], Item: record }));
    }
  }
}

/** `collectedAt` for a holding that expired `daysAgo` days ago (every purpose keeps data P2Y from collection). */
export function collectedForExpiry(daysAgo: number, now = Temporal.Now.instant()): string {
  return now
    .toZonedDateTimeISO(TIMEZONE)
    .subtract({ years: 2 })
    .subtract({ days: daysAgo })
    .toInstant()
    .toString({ smallestUnit: 'second' });
}

export type Api = (
  method: string,
  apiPath: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<{ status: number; body: unknown }>;

/** Registers the subject's holding in each system (with the system's purpose) through the API. */
export async function holdEverywhere(api: Api, id: string, systems: readonly SystemId[], collectedAt: string): Promise<void> {
  for (const system of systems) {
    const answer = await api('POST', `/subjects/${encodeURIComponent(id)}/holdings`, {
      purpose: PURPOSE_OF[system],
      system,
      collectedAt,
    });
    if (answer.status !== 201) throw new Error(`registering ${system} for ${id}: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
  }
}

/** Runs the tasks, `limit` at a time. */
export async function inBatches<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += limit) await Promise.all(items.slice(i, i + limit).map(run));
}

/**
 * Everything the systems hold of a subject, exactly as stored: DynamoDB items as raw attribute values, S3 objects
 * as bytes with ETag and last-modified time, the receiver's records. Equal snapshots: nothing was touched.
 */
export async function snapshot(clients: Clients, id: string, systems: readonly SystemId[] = SYSTEMS): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const system of systems) {
    if (system === 'files') {
      const listed = await clients.s3.send(new ListObjectsV2Command({ Bucket: FILES_BUCKET, Prefix: `users/${id}/` }));
      const files: Record<string, unknown> = {};
      for (const object of listed.Contents ?? []) {
        const got = await clients.s3.send(new GetObjectCommand({ Bucket: FILES_BUCKET, Key: object.Key }));
        files[object.Key!] = {
          bytes: Buffer.from(await got.Body!.transformToByteArray()).toString('base64'),
          etag: got.ETag,
          lastModified: got.LastModified?.toISOString(),
        };
      }
      out.files = files;
    } else if (system === 'mailer' || system === 'tickets') {
      out[system] = clients.receiver ? (clients.receiver.records(system)[id] ?? null) : 'out of reach';
    } else {
      const { Item } = await clients.dynamodb.send(
        new GetItemCommand({ TableName: TABLES[system], Key: { [KEYS[system]]: { S: id } }, ConsistentRead: true }),
      );
      out[system] = Item ?? null;
    }
  }
  return out;
}

/**
 * What is wrong with the subject's data after its erasure or expiry, system by system: deleted where the policy
 * deletes, anonymised in `surveys` (name redacted, e-mail replaced by an HMAC, birth date cut to the year).
 * An empty list: every system is as it should be.
 */
export async function leftovers(clients: Clients, id: string, systems: readonly SystemId[] = SYSTEMS): Promise<string[]> {
  const now = await snapshot(clients, id, systems);
  const person = personOf(id);
  const wrong: string[] = [];
  for (const system of systems) {
    const held = now[system];
    if (system === 'surveys') {
      const item = held as Record<string, { S?: string }> | null;
      const ok =
        item !== null &&
        item.name?.S === '[erased]' &&
        item.email?.S !== undefined &&
        item.email.S !== person.email &&
        !item.email.S.includes('@') &&
        item.birthDate?.S === person.birthDate.slice(0, 4);
      if (!ok) wrong.push(`surveys: not anonymised (${JSON.stringify(item)})`);
    } else if (system === 'files') {
      if (Object.keys(held as object).length > 0) wrong.push(`files: ${Object.keys(held as object).join(', ')} still there`);
    } else if (held !== null && held !== 'out of reach') {
      wrong.push(`${system}: the record is still there`);
    }
  }
  return wrong;
}

export interface LedgerItem {
  readonly subjectRef: string;
  readonly system: string;
  readonly status: string;
  readonly outcome?: string;
  readonly finishedBy?: string;
  readonly dueAt?: number;
}

/** Every item of a ledger table. */
export async function ledgerItems(documents: DynamoDBDocumentClient, table: string): Promise<LedgerItem[]> {
  const items: LedgerItem[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: start }));
    items.push(...((page.Items ?? []) as LedgerItem[]));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/**
 * Audit outcomes grouped by subject (the audit's HMAC) and system, in chain order, and the groups whose outcomes
 * disagree: an action applied twice with a different outcome.
 */
export function outcomesBySubjectAndSystem(records: readonly AuditRecord[]): {
  readonly groups: ReadonlyMap<string, readonly string[]>;
  readonly conflicting: readonly string[];
} {
  const groups = new Map<string, string[]>();
  for (const r of records) {
    const key = `${r.subject}/${r.system}`;
    groups.set(key, [...(groups.get(key) ?? []), r.outcome]);
  }
  const conflicting = [...groups].filter(([, outcomes]) => new Set(outcomes).size > 1).map(([k, o]) => `${k}: ${o.join(' then ')}`);
  return { groups, conflicting };
}
