/**
 * The reliability tests' population: many fake subjects with distinct personal values, seeded into the systems of
 * test/reliability/fixtures/policy.yaml (a DynamoDB table, an S3 bucket, the local receiver), their holdings
 * registered through the API, and a raw snapshot of what each system holds of each of them.
 *
 * Subject ids are `load-subject-<n>`: ids where one is a prefix of another (`load-subject-1`, `load-subject-10`,
 * `load-subject-100`) occur by construction, and the shared 13-character stem `load-subject-` holds letters that
 * are not hex digits and a `-`, so it cannot turn up by chance in a hex hash, and the chance of meeting it in
 * random base64 (64^-13 per position) is nil. The leak scan matches whole ids, not followed by a digit, so that
 * `load-subject-1` is not reported for `load-subject-10` (see leak-scanner.ts).
 */
import * as path from 'node:path';
import { type AttributeValue, BatchWriteItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { LocalLethe } from '../../../lib/local';

export const POLICY_FILE = path.join(__dirname, '..', 'fixtures', 'policy.yaml');
export const PROFILES_TABLE = 'rel-profiles';
export const FILES_BUCKET = 'rel-files';
export const HTTP_SYSTEM = 'mailer';
export const SYSTEMS = ['profiles', 'files', 'mailer'] as const;
export const HOLDINGS = [
  { purpose: 'account', system: 'profiles' },
  { purpose: 'account', system: 'files' },
  { purpose: 'newsletter', system: 'mailer' },
] as const;
export const ID_STEM = 'load-subject-';

export interface Subject {
  readonly n: number;
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly phone: string;
  readonly address: string;
}

// Given names and surnames of five letters or more (a name part is scanned for as a word: see leak-scanner.ts),
// some with å, ä, ö. 40 x 40 combinations: every subject of up to 1 600 has a full name of its own.
const GIVEN = [
  'Agneta',
  'Birgitta',
  'Cecilia',
  'Dagmar',
  'Elsabet',
  'Frida',
  'Gunilla',
  'Hedvig',
  'Ingrid',
  'Jessika',
  'Kerstin',
  'Linnéa',
  'Margareta',
  'Nanna',
  'Ottilia',
  'Petronella',
  'Ragnhild',
  'Sigrid',
  'Torborg',
  'Ulrika',
  'Valborg',
  'Yvonne',
  'Åsløg',
  'Ärnfrid',
  'Örjana',
  'Anders',
  'Bengt',
  'Casimir',
  'Dagobert',
  'Einar',
  'Fredrik',
  'Gustaf',
  'Halvard',
  'Ingvar',
  'Joakim',
  'Knutte',
  'Lennart',
  'Magnus',
  'Nikodemus',
  'Ossian',
] as const;
const FAMILY = [
  'Abrahamsson',
  'Bergqvist',
  'Cederlund',
  'Dahlgren',
  'Ekström',
  'Fagerholm',
  'Grönvall',
  'Hellström',
  'Isaksson',
  'Jernberg',
  'Klintberg',
  'Lindholm',
  'Malmsten',
  'Nordqvist',
  'Öhrström',
  'Palmgren',
  'Quist-Rydén',
  'Rosengren',
  'Sjöberg',
  'Tornqvist',
  'Uggla-Sten',
  'Vikström',
  'Wallenius',
  'Zetterlund',
  'Åkerlund',
  'Älvsjöholm',
  'Backlund',
  'Carlander',
  'Djurberg',
  'Enqvist',
  'Forsgren',
  'Granlund',
  'Hammarby',
  'Ivarsson',
  'Jakobsson',
  'Kjellberg',
  'Lagerkvist',
  'Mossberg',
  'Nyqvist',
  'Ohlander',
] as const;

export function subject(n: number): Subject {
  if (!Number.isInteger(n) || n < 1 || n > GIVEN.length * FAMILY.length) throw new Error(`subject number out of range: ${n}`);
  const given = GIVEN[(n - 1) % GIVEN.length];
  const family = FAMILY[Math.floor((n - 1) / GIVEN.length)];
  const ascii = (s: string) =>
    s
      .normalize('NFD')
      .replace(/[^A-Za-z]/g, '')
      .toLowerCase();
  return {
    n,
    id: `${ID_STEM}${n}`,
    name: `${given} ${family}`,
    email: `${ascii(given)}.${ascii(family)}.${n}@lastprovet.example`,
    phone: `+46 73 ${String(100 + Math.floor(n / 100)).padStart(3, '0')} ${String(n % 100).padStart(2, '0')} 77`,
    address: `Lastvägen ${n}, 412 ${String(n % 100).padStart(2, '0')} Göteborg`,
  };
}

/** Every personal value of a subject, as seeded. */
export const personalValues = (s: Subject): string[] => [s.id, s.name, s.email, s.phone, s.address];

export const fileKey = (s: Subject): string => `users/${s.id}/profile.json`;

export const profileItem = (s: Subject) => ({ userId: s.id, name: s.name, email: s.email, phone: s.phone });
export const fileBody = (s: Subject): string => JSON.stringify({ name: s.name, address: s.address });
export const mailerRecord = (s: Subject) => ({ name: s.name, email: s.email });

/** Runs `tasks` with at most `limit` at a time. */
export async function inParallel<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Puts every subject's records into the three systems (the stand-ins local mode's demo seeding created). */
export async function seedRecords(local: LocalLethe, subjects: readonly Subject[]): Promise<void> {
  const batches: Subject[][] = [];
  for (let i = 0; i < subjects.length; i += 25) batches.push(subjects.slice(i, i + 25));
  await inParallel(batches, 8, async (batch) => {
    let requests = batch.map((s) => ({ PutRequest: { Item: marshall(profileItem(s)) } }));
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt === 10) throw new Error(`DynamoDB Local left ${requests.length} items unprocessed 10 times`);
      const out = await local.clients.dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [PROFILES_TABLE]: requests } }));
      requests = (out.UnprocessedItems?.[PROFILES_TABLE] ?? []) as typeof requests;
    }
  });
  await inParallel(subjects, 16, async (s) => {
    await local.clients.s3.send(
      new PutObjectCommand({ Bucket: FILES_BUCKET, Key: fileKey(s), Body: fileBody(s), ContentType: 'application/json' }),
    );
  });
  for (const s of subjects) local.receiver.put(HTTP_SYSTEM, s.id, mailerRecord(s));
}

/** Registers each subject's three holdings through the API (201 each, or the test fails). */
export async function registerHoldings(local: LocalLethe, subjects: readonly Subject[], collectedAt: string): Promise<void> {
  const calls = subjects.flatMap((s) => HOLDINGS.map((h) => ({ s, ...h })));
  await inParallel(calls, 24, async ({ s, purpose, system }) => {
    const answer = await local.api('POST', `/subjects/${encodeURIComponent(s.id)}/holdings`, { body: { purpose, system, collectedAt } });
    if (answer.status !== 201) {
      throw new Error(`registering ${purpose} in ${system} for ${s.id}: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
    }
  });
}

/** The p-th percentile (nearest rank) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** The load population: 1 250 subjects; the 1 000 whose number is not a multiple of 5 ask for erasure. */
export const POPULATION: readonly Subject[] = Array.from({ length: 1250 }, (_, i) => subject(i + 1));
export const ERASED: readonly Subject[] = POPULATION.filter((s) => s.n % 5 !== 0);
/**
 * The 250 who stay: among them ids that have an erased id as prefix (`load-subject-10` for `load-subject-1`) and
 * ids that are a prefix of erased ones (`load-subject-5` of `load-subject-51` ... `load-subject-549`).
 */
export const BYSTANDERS: readonly Subject[] = POPULATION.filter((s) => s.n % 5 === 0);

/** Everything in the three systems, by system and key: DynamoDB items raw, S3 objects as bytes with ETag and time. */
export interface SystemsSnapshot {
  readonly profiles: Map<string, string>;
  readonly files: Map<string, string>;
  readonly mailer: Map<string, string>;
}

export async function snapshotAll(local: LocalLethe): Promise<SystemsSnapshot> {
  const profiles = new Map<string, string>();
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await local.clients.dynamodb.send(
      new ScanCommand({ TableName: PROFILES_TABLE, ConsistentRead: true, ExclusiveStartKey: start }),
    );
    for (const item of page.Items ?? []) profiles.set(item.userId.S!, JSON.stringify(item));
    start = page.LastEvaluatedKey;
  } while (start);
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await local.clients.s3.send(new ListObjectsV2Command({ Bucket: FILES_BUCKET, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((o) => o.Key!));
    token = page.NextContinuationToken;
  } while (token);
  const files = new Map<string, string>();
  await inParallel(keys, 16, async (key) => {
    const got = await local.clients.s3.send(new GetObjectCommand({ Bucket: FILES_BUCKET, Key: key }));
    const bytes = Buffer.from(await got.Body!.transformToByteArray()).toString('base64');
    files.set(key, JSON.stringify({ bytes, etag: got.ETag, lastModified: got.LastModified?.toISOString() }));
  });
  const mailer = new Map(Object.entries(local.receiver.records(HTTP_SYSTEM)).map(([id, record]) => [id, JSON.stringify(record)]));
  return { profiles, files, mailer };
}

/** Whether a key of a system belongs to the subject (the S3 prefix ends in `/`, so `users/x-1/` is not `users/x-10/`). */
export const belongsTo = (system: keyof SystemsSnapshot, key: string, s: Subject): boolean =>
  system === 'files' ? key.startsWith(`users/${s.id}/`) : key === s.id;
