/**
 * Record action `export` of the S3 connector (spec 2.4, Art. 15): the subject's objects listed with their key and
 * metadata, the listed fields of JSON ones, bounded, and never another subject's objects (user1/ vs user10/).
 */
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import type { S3ConnectorConfig } from '../../../lib/connectors/config';
import { S3Connector } from '../../../lib/connectors/s3';
import { EXPORT_LIMITS } from '../../../lib/core/contract';
import { FIELDS, HMAC_KEY, invocation, subject } from './fixtures';

const s3 = mockClient(S3Client);
const client = new S3Client({ region: 'eu-north-1' });
const connector = (config: Partial<S3ConnectorConfig> = { prefix: 'customers/{subjectId}/' }) =>
  new S3Connector('files', { bucket: 'data', ...config }, { client, hmacKey: async () => HMAC_KEY });
const exporting = (overrides: Parameters<typeof subject>[0] = {}) =>
  subject({ record: 'export', exportFields: [FIELDS.name, FIELDS.email], ...overrides });
const files = (subjects: Parameters<typeof invocation>[0]) => invocation(subjects, { system: 'files' });
const body = (text: string) => ({ transformToString: async () => text }) as never;

/** The bucket: objects of user1 and user10, whose prefixes share "customers/user1". */
interface StoredObject {
  readonly body: string;
  readonly contentType?: string;
  readonly metadata?: Record<string, string>;
}
let bucket: Record<string, StoredObject>;

beforeEach(() => {
  s3.reset();
  bucket = {
    'customers/user1/profile.json': {
      body: JSON.stringify({ name: 'Astrid', email: 'astrid@example.se', password: 'secret-1' }),
      contentType: 'application/json',
      metadata: { uploadedby: 'web' },
    },
    'customers/user1/orders.json': { body: JSON.stringify([{ name: 'Astrid', sku: 'A' }, 'not a record', { email: 'a2@example.se' }]) },
    'customers/user1/id-card.jpg': { body: '\u00ff\u00d8binary', contentType: 'image/jpeg' },
    'customers/user10/profile.json': { body: JSON.stringify({ name: 'Bo', email: 'bo@example.se' }), contentType: 'application/json' },
  };
  // A listing answers the keys under its prefix, as S3 does (a prefix is a plain string match).
  s3.on(ListObjectVersionsCommand).callsFake((input: { Prefix?: string }) => ({
    Versions: Object.keys(bucket)
      .filter((key) => key.startsWith(input.Prefix ?? ''))
      .map((Key) => ({ Key, VersionId: `v-${Key}`, IsLatest: true })),
  }));
  s3.on(HeadObjectCommand).callsFake((input: { Key: string }) => {
    const object = bucket[input.Key];
    return {
      ContentLength: Buffer.byteLength(object.body),
      LastModified: new Date('2026-01-02T03:04:05Z'),
      ...(object.contentType ? { ContentType: object.contentType } : {}),
      Metadata: object.metadata ?? {},
    };
  });
  s3.on(GetObjectCommand).callsFake((input: { Key: string }) => ({ Body: body(bucket[input.Key].body) }));
});

describe('export', () => {
  test("user1's objects only: listed with metadata, JSON records with the listed fields, the image listed without content", async () => {
    // GIVEN user1's three objects and user10's one WHEN user1's name and email are exported
    const result = await connector().run(files([exporting()]));
    // THEN the listing asks for exactly "customers/user1/" (the slash keeps user10 out)
    expect(s3.commandCalls(ListObjectVersionsCommand).map((c) => c.args[0].input.Prefix)).toEqual(['customers/user1/']);
    const copy = result.subjects[0].export!;
    expect(copy.objects).toEqual([
      {
        key: 'customers/user1/id-card.jpg',
        size: 10,
        lastModified: '2026-01-02T03:04:05.000Z',
        contentType: 'image/jpeg',
        contentIncluded: false,
      },
      { key: 'customers/user1/orders.json', size: expect.any(Number), lastModified: '2026-01-02T03:04:05.000Z', contentIncluded: true },
      {
        key: 'customers/user1/profile.json',
        size: expect.any(Number),
        lastModified: '2026-01-02T03:04:05.000Z',
        contentType: 'application/json',
        metadata: { uploadedby: 'web' },
        contentIncluded: true,
      },
    ]);
    // AND each JSON record gives the listed fields it has (the password and the sku are not listed: not there)
    expect(copy.records).toEqual([
      { source: 'bucket data, object customers/user1/orders.json, record 1', fields: { name: 'Astrid' } },
      { source: 'bucket data, object customers/user1/orders.json, record 3', fields: { email: 'a2@example.se' } },
      { source: 'bucket data, object customers/user1/profile.json', fields: { name: 'Astrid', email: 'astrid@example.se' } },
    ]);
    expect(copy.truncated).toBeUndefined();
    expect(result.subjects[0]).toMatchObject({ status: 'exported', counts: { records: 3, fields: 4, objects: 3 } });
    // AND nothing of user10, no password, the image's bytes not read, and nothing written or deleted
    expect(JSON.stringify(result)).not.toMatch(/user10|bo@example|secret/);
    expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Key)).not.toContain('customers/user1/id-card.jpg');
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(s3.commandCalls(PutObjectTaggingCommand)).toHaveLength(0);
    expect(s3.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
  });

  test("user10 gets user10's object and nothing of user1", async () => {
    const result = await connector().run(files([exporting({ subjectId: 'user10', subjectRef: 'ref-user10' })]));
    expect(result.subjects[0].export?.objects?.map((o) => o.key)).toEqual(['customers/user10/profile.json']);
    expect(JSON.stringify(result)).not.toMatch(/user1\/|astrid/i);
  });

  test('the current version is read by its version id; a JSON-named object that is not JSON is listed without content', async () => {
    bucket['customers/user1/profile.json'] = { body: 'not json {', contentType: 'application/json' };
    const result = await connector().run(files([exporting()]));
    const get = s3.commandCalls(GetObjectCommand).find((c) => c.args[0].input.Key === 'customers/user1/profile.json')!;
    expect(get.args[0].input.VersionId).toBe('v-customers/user1/profile.json');
    expect(result.subjects[0].export?.objects?.find((o) => o.key.endsWith('profile.json'))?.contentIncluded).toBe(false);
  });

  test('an object over EXPORT_LIMITS.maxObjectBytes is listed, never read', async () => {
    s3.on(HeadObjectCommand).resolves({ ContentLength: EXPORT_LIMITS.maxObjectBytes + 1, ContentType: 'application/json' });
    const result = await connector().run(files([exporting()]));
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
    expect(result.subjects[0].export?.objects?.every((o) => !o.contentIncluded)).toBe(true);
    expect(result.subjects[0].export?.records).toEqual([]);
  });

  test('more than EXPORT_LIMITS.maxObjects objects: the first ones by key, and truncated', async () => {
    bucket = Object.fromEntries(
      Array.from({ length: EXPORT_LIMITS.maxObjects + 2 }, (_, i) => [`customers/user1/f${String(i).padStart(5, '0')}.bin`, { body: 'x' }]),
    );
    const result = await connector().run(files([exporting()]));
    const objects = result.subjects[0].export!.objects!;
    expect(objects).toHaveLength(EXPORT_LIMITS.maxObjects);
    expect(objects[0].key).toBe('customers/user1/f00000.bin');
    expect(result.subjects[0].export?.truncated).toBe(true);
  });

  test('nothing under the prefix: exported with no objects, counts 0', async () => {
    const result = await connector().run(files([exporting({ subjectId: 'nobody', subjectRef: 'ref-nobody' })]));
    expect(result.subjects[0]).toEqual({
      subjectRef: 'ref-nobody',
      status: 'exported',
      counts: { records: 0, fields: 0, objects: 0 },
      export: { records: [], objects: [] },
    });
  });
});
