/**
 * The integration tests' one local Lethe (lib/local, real emulators on 127.0.0.1) and what the scenarios do with
 * it: seed a test user's records into the systems of test/integration/fixtures/policy.yaml, register holdings and
 * send requests through the HTTP API, and read the systems back (DynamoDB Local, s3rver, the webhook receiver).
 *
 * Local mode runs with no sweep timer (sweeps run only when a test asks, on a simulated clock), the ledger
 * streams read every 250 ms (the TTL path), and Step Functions retries after 20 ms instead of the definitions'
 * seconds.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { Temporal } from '@js-temporal/polyfill';
import { type ApiAnswer, type LocalLethe, startLocal } from '../../../lib/local';
import type { AuditRecord } from '../../../lib/core/contract';

export const POLICY_FILE = path.join(__dirname, '..', 'fixtures', 'policy.yaml');

/** The systems of the test policy and where their data is. */
export const TABLES = { profiles: 'it-profiles', surveys: 'it-surveys' } as const;
export const KEYS = { profiles: 'userId', surveys: 'respondentId' } as const;
export const FILES_BUCKET = 'it-files';
export const HTTP_SYSTEMS = ['mailer', 'billing', 'tickets'] as const;
export type HttpSystem = (typeof HTTP_SYSTEMS)[number];
export type SystemId = 'profiles' | 'surveys' | 'files' | HttpSystem;

/** A test user: fake personal data, unique per test so that no two tests share a subject. */
export interface TestUser {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly phone: string;
  readonly birthDate: string;
  readonly address: string;
}

/** Every user any test created: the personal values no log line or audit record may contain. */
export const SEEDED_USERS: TestUser[] = [];

export function testUser(id: string, name: string): TestUser {
  const user: TestUser = {
    id,
    name,
    email: `${name.toLowerCase().replace(/[^a-z]+/g, '.')}@testbutiken.example`,
    phone: `+46 70 123 ${String(SEEDED_USERS.length).padStart(2, '0')} 99`,
    birthDate: '1985-07-14',
    address: `Drottninggatan ${SEEDED_USERS.length + 1}, 111 51 Stockholm`,
  };
  SEEDED_USERS.push(user);
  return user;
}

/** What each system holds of a user, as seeded. */
export function recordOf(user: TestUser, system: SystemId): Record<string, unknown> {
  switch (system) {
    case 'profiles':
      return { userId: user.id, name: user.name, email: user.email, phone: user.phone };
    case 'surveys':
      return { respondentId: user.id, name: user.name, email: user.email, birthDate: user.birthDate };
    case 'files':
      return { name: user.name, address: user.address, orderRef: `ORD-${user.id}` };
    case 'mailer':
      return { name: user.name, email: user.email };
    case 'billing':
      return { name: user.name, invoices: [`INV-${user.id}-1`] };
    case 'tickets':
      return { email: user.email, messages: [`Where is order ORD-${user.id}?`] };
  }
}

export const fileKey = (user: TestUser): string => `users/${user.id}/order.json`;

export interface Harness {
  readonly local: LocalLethe;
  readonly startupMs: number;
  stop(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'lethe-it-'));
  const started = Date.now();
  const local = await startLocal({
    policyFile: POLICY_FILE,
    port: 0,
    dataDir,
    sweepEveryMs: false,
    deadlineMonitorEveryMs: false,
    streamPollMs: 250,
    retryIntervalMs: 20,
    banner: false,
  });
  return {
    local,
    startupMs: Date.now() - started,
    async stop() {
      await local.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * One local Lethe for the calling test file: started before its tests (beforeAll, up to 180 s) and stopped after them
 * (afterAll, up to 60 s). Call it at the top level of the file; the function it answers gives the harness in a test,
 * or throws saying that local mode did not start (beforeAll's error says why).
 */
export function useHarness(): () => Harness {
  let harness: Harness | undefined;
  beforeAll(async () => {
    harness = await startHarness();
  }, 180_000);
  afterAll(async () => {
    await harness?.stop();
  }, 60_000);
  return () => {
    if (!harness) throw new Error('local mode did not start (see the error of beforeAll)');
    return harness;
  };
}

/** Puts a user's records into the given systems. */
export async function seed(local: LocalLethe, user: TestUser, systems: readonly SystemId[]): Promise<void> {
  for (const system of systems) {
    const record = recordOf(user, system);
    if (system === 'profiles' || system === 'surveys') {
      await local.clients.documents.send(new PutCommand({ TableName: TABLES[system], Item: record }));
    } else if (system === 'files') {
      await local.clients.s3.send(
        new PutObjectCommand({ Bucket: FILES_BUCKET, Key: fileKey(user), Body: JSON.stringify(record), ContentType: 'application/json' }),
      );
    } else {
      local.receiver.put(system, user.id, record);
    }
  }
}

/** The user's record in a DynamoDB system, or undefined. */
export async function dynamoRecord(
  local: LocalLethe,
  system: 'profiles' | 'surveys',
  user: TestUser,
): Promise<Record<string, unknown> | undefined> {
  const { Item } = await local.clients.documents.send(
    new GetCommand({ TableName: TABLES[system], Key: { [KEYS[system]]: user.id }, ConsistentRead: true }),
  );
  return Item;
}

/** The user's objects in the files bucket, by key, parsed. */
export async function fileObjects(local: LocalLethe, user: TestUser): Promise<Record<string, unknown>> {
  const listed = await local.clients.s3.send(new ListObjectsV2Command({ Bucket: FILES_BUCKET, Prefix: `users/${user.id}/` }));
  const objects: Record<string, unknown> = {};
  for (const object of listed.Contents ?? []) {
    const { Body } = await local.clients.s3.send(new GetObjectCommand({ Bucket: FILES_BUCKET, Key: object.Key }));
    objects[object.Key!] = JSON.parse((await Body!.transformToString('utf8')) || 'null');
  }
  return objects;
}

/**
 * Everything the systems hold of a user, exactly as stored: DynamoDB items as raw attribute values, S3 objects
 * as bytes (base64) with their ETag and last-modified time (a rewrite with the same bytes shows), the receiver's
 * records. Two snapshots are equal only if nothing was touched.
 */
export async function rawSnapshot(local: LocalLethe, user: TestUser): Promise<Record<string, unknown>> {
  const snapshot: Record<string, unknown> = {};
  for (const system of ['profiles', 'surveys'] as const) {
    const { Item } = await local.clients.dynamodb.send(
      new GetItemCommand({ TableName: TABLES[system], Key: { [KEYS[system]]: { S: user.id } }, ConsistentRead: true }),
    );
    snapshot[system] = Item ?? null;
  }
  const listed = await local.clients.s3.send(new ListObjectsV2Command({ Bucket: FILES_BUCKET, Prefix: `users/${user.id}/` }));
  const files: Record<string, unknown> = {};
  for (const object of listed.Contents ?? []) {
    const got = await local.clients.s3.send(new GetObjectCommand({ Bucket: FILES_BUCKET, Key: object.Key }));
    files[object.Key!] = {
      bytes: Buffer.from(await got.Body!.transformToByteArray()).toString('base64'),
      etag: got.ETag,
      lastModified: got.LastModified?.toISOString(),
      contentType: got.ContentType,
    };
  }
  snapshot.files = files;
  for (const system of HTTP_SYSTEMS) snapshot[system] = local.receiver.records(system)[user.id] ?? null;
  return snapshot;
}

export const isoDaysFromNow = (days: number): string =>
  Temporal.Now.instant()
    .add({ hours: 24 * days })
    .toString({ smallestUnit: 'second' });

/** Registers a holding through the API; fails the test unless the API answers 201. */
export async function hold(
  local: LocalLethe,
  user: TestUser,
  purpose: string,
  system: string,
  collectedAt: string,
  locator?: Record<string, string>,
): Promise<Record<string, unknown>> {
  const answer = await local.api('POST', `/subjects/${encodeURIComponent(user.id)}/holdings`, {
    body: { purpose, system, collectedAt, ...(locator ? { locator } : {}) },
  });
  expectStatus(answer, 201, `registering ${purpose} in ${system} for ${user.id}`);
  return answer.body as Record<string, unknown>;
}

export async function recordEvent(local: LocalLethe, user: TestUser, type: string, at: string): Promise<void> {
  const answer = await local.api('POST', `/subjects/${encodeURIComponent(user.id)}/events`, { body: { type, at } });
  expectStatus(answer, 201, `recording ${type} for ${user.id}`);
}

export interface RequestView {
  readonly requestId: string;
  readonly subjectId: string;
  readonly status: string;
  readonly deadline: string;
  readonly systems: readonly {
    readonly system: string;
    readonly status: string;
    readonly fields?: readonly string[];
    readonly error?: string;
  }[];
  readonly retained: readonly { readonly purpose: string; readonly reason: string; readonly until: string | null }[];
}

export function erasureBody(user: TestUser, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    subjectId: user.id,
    verification: { method: 'e-mail confirmation', verifiedAt: isoDaysFromNow(0) },
    ...extra,
  };
}

/** Sends an erasure request; fails the test unless the API answers 202. */
export async function requestErasure(
  local: LocalLethe,
  user: TestUser,
  options: { idempotencyKey?: string; extra?: Record<string, unknown> } = {},
): Promise<string> {
  // The API requires an Idempotency-Key: the caller's, or a fresh one.
  const answer = await local.api('POST', '/erasure-requests', {
    body: erasureBody(user, options.extra),
    headers: { 'Idempotency-Key': options.idempotencyKey ?? randomUUID() },
  });
  expectStatus(answer, 202, `requesting erasure for ${user.id}`);
  return (answer.body as { requestId: string }).requestId;
}

/** Sends an erasure request and waits for its final status. */
export async function erase(local: LocalLethe, user: TestUser, options: { idempotencyKey?: string } = {}): Promise<RequestView> {
  const requestId = await requestErasure(local, user, options);
  return (await local.waitForRequest(requestId)) as unknown as RequestView;
}

export const statusBySystem = (view: RequestView): Record<string, string> =>
  Object.fromEntries(view.systems.map((s) => [s.system, s.status]));

export function expectStatus(answer: ApiAnswer, status: number, what: string): void {
  if (answer.status !== status) throw new Error(`${what}: expected HTTP ${status}, got ${answer.status}: ${JSON.stringify(answer.body)}`);
}

/** The audit records of one request or one sweep. */
export async function auditOf(
  local: LocalLethe,
  by: { requestId?: string; sweepId?: string; kind?: AuditRecord['kind'] },
): Promise<AuditRecord[]> {
  return (await local.auditRecords()).filter(
    (r) =>
      (by.requestId === undefined || r.requestId === by.requestId) &&
      (by.sweepId === undefined || r.sweepId === by.sweepId) &&
      (by.kind === undefined || r.kind === by.kind),
  );
}

/** Every item of a purpose's ledger table. */
export async function ledgerItems(local: LocalLethe, purpose: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await local.clients.documents.send(
      new ScanCommand({ TableName: local.names.ledgerTables[purpose], ConsistentRead: true, ExclusiveStartKey: start }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

export { eventually } from '../../support/eventually';
