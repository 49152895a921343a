import {
  DeleteObjectsCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
  type ListObjectVersionsCommandOutput,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { createS3Client } from '../../../lib/connectors/clients';
import type { S3ConnectorConfig } from '../../../lib/connectors/config';
import { ConnectorPermanentError, ConnectorTransientError } from '../../../lib/connectors/errors';
import { S3Connector } from '../../../lib/connectors/s3';
import { awsError, FIELDS, HMAC_KEY, invocation, subject } from './fixtures';

const s3 = mockClient(S3Client);
const client = new S3Client({ region: 'eu-north-1' });
const connector = (config: Partial<S3ConnectorConfig> = { prefix: 'customers/{subjectId}/' }) =>
  new S3Connector('files', { bucket: 'data', ...config }, { client, hmacKey: async () => HMAC_KEY });
const files = (subjects: Parameters<typeof invocation>[0]) => invocation(subjects, { system: 'files' });

type Versions = NonNullable<ListObjectVersionsCommandOutput['Versions']>;
const version = (Key: string, VersionId: string, IsLatest = true) => ({ Key, VersionId, IsLatest });
/** A GetObject body as the SDK gives it. */
const body = (text: string) => ({ transformToString: async () => text }) as never;
const deleted = () => s3.commandCalls(DeleteObjectsCommand).flatMap((c) => c.args[0].input.Delete?.Objects ?? []);
/** Whether a DeleteObjects of this test deleted the version (or, unversioned, the key). */
const gone = (key?: string, versionId?: string) =>
  deleted().some((o) => o.Key === key && (o.VersionId === undefined || o.VersionId === versionId));
/**
 * ListObjectVersions answers `page` less what DeleteObjects deleted since, as S3 would: the verification after an
 * action (issue 19) lists again and must see what the action left, not a static answer (tests of the verification
 * itself: s3.verify.test.ts).
 */
const versions = (page: Omit<ListObjectVersionsCommandOutput, '$metadata'>) =>
  s3.on(ListObjectVersionsCommand).callsFake(() => {
    const listed = page as ListObjectVersionsCommandOutput;
    return {
      ...listed,
      ...(listed.Versions ? { Versions: listed.Versions.filter((v) => !gone(v.Key, v.VersionId)) } : {}),
      ...(listed.DeleteMarkers ? { DeleteMarkers: listed.DeleteMarkers.filter((m) => !gone(m.Key, m.VersionId)) } : {}),
    };
  });
/** ListObjectsV2 (an unversioned store) answers `page` less the keys DeleteObjects deleted since. */
const objects = (page: { Contents?: { Key?: string }[] }) =>
  s3.on(ListObjectsV2Command).callsFake(() => ({ ...page, Contents: (page.Contents ?? []).filter((o) => !gone(o.Key)) }));

beforeEach(() => s3.reset());

describe('the subject prefix', () => {
  test.each([
    ['customers/{subjectId}/', {}, 'user1', 'customers/user1/'],
    ['customers/{customerId}/', { customerId: 'C-123' }, 'user1', 'customers/C-123/'],
    ['t/{tenant}/u/{subjectId}/docs/', { tenant: 'acme' }, 'user1', 't/acme/u/user1/docs/'],
    ['customers/{subjectId}/', { subjectId: 'from-locator' }, 'user1', 'customers/from-locator/'],
    ['c/{subjectId}/', {}, 'Åsa Öberg+test@x.se %20?#&=', 'c/Åsa Öberg+test@x.se %20?#&=/'],
  ])('%s with locator %j and id %s is %s', (template, locator, subjectId, expected) => {
    expect(connector({ prefix: template }).prefixOf({ locator, subjectId }, template)).toBe(expected);
  });

  test.each([
    ['empty', ''],
    ['a slash', 'a/b'],
    ['a leading slash', '/user1'],
    ['".."', '..'],
    ['".." inside', 'a..b'],
    ['"."', '.'],
  ])('a value that is %s is refused before any S3 call, without naming the value', async (_what, value) => {
    const run = connector({ prefix: 'customers/{customerId}/' }).run(files([subject({ locator: { customerId: value } })]));
    await expect(run).rejects.toThrow(ConnectorPermanentError);
    await expect(run).rejects.toThrow(/subjects\[0\]: the value for \{customerId\} of prefix "customers\/\{customerId\}\/" is empty/);
    expect(s3.calls()).toHaveLength(0);
  });

  test.each([
    ['a carriage return', 'user1\r'],
    ['a NUL', 'a\u0000b'],
    ['another C0 control', 'user\u00011'],
    ['U+FFFF', 'user1\uffff'],
  ])('a value with %s (which an XML listing does not return as it is) is refused before any S3 call', async (_what, value) => {
    // GIVEN an id whose objects a ListObjects response would name differently (XML turns "\r" into "\n")
    const run = connector().run(files([subject({ subjectId: value })]));
    // THEN it is refused up front, rather than answered "nothing found" while its objects stay
    await expect(run).rejects.toThrow(ConnectorPermanentError);
    await expect(run).rejects.toThrow(/subjects\[0\]: the value for \{subjectId\} .* has a control character/);
    expect(s3.calls()).toHaveLength(0);
  });

  test('tab, line feed, NEL and the line separator survive XML: such a value is a prefix like any other', async () => {
    versions({});
    for (const id of ['user1\t', 'user1\n', 'user1\u0085', 'user1\u2028']) {
      await connector().run(files([subject({ subjectId: id })]));
    }
    // Each prefix twice: the delete's listing, then the verification's (issue 19).
    expect(s3.commandCalls(ListObjectVersionsCommand).map((c) => c.args[0].input.Prefix)).toEqual(
      ['customers/user1\t/', 'customers/user1\n/', 'customers/user1\u0085/', 'customers/user1\u2028/'].flatMap((p) => [p, p]),
    );
  });

  test("no subject's prefix is ever a prefix of another subject's (user1 vs user10, for any ids)", () => {
    // GIVEN any two different ids that the connector accepts THEN neither filled prefix starts with the other
    const template = 'tenants/{tenant}/customers/{subjectId}/';
    const s = connector({ prefix: template });
    const id = fc.string({ minLength: 1, unit: 'grapheme' }).filter((v) => v !== '.' && !v.includes('/') && !v.includes('..'));
    fc.assert(
      fc.property(
        id,
        id,
        fc.string({ minLength: 1 }).filter((v) => v !== '.' && !v.includes('/') && !v.includes('..')),
        (a, b, tenant) => {
          fc.pre(a !== b);
          const pa = s.prefixOf({ locator: { tenant }, subjectId: a }, template);
          const pb = s.prefixOf({ locator: { tenant }, subjectId: b }, template);
          expect(pa.startsWith(pb) || pb.startsWith(pa)).toBe(false);
        },
      ),
    );
  });

  test('a prefix with special characters is sent to S3 exactly as filled', async () => {
    versions({});
    await connector({ prefix: 'c/{subjectId}/' }).run(files([subject({ subjectId: 'Åsa Öberg+test@x.se %20?#&=' })]));
    expect(s3.commandCalls(ListObjectVersionsCommand)[0].args[0].input.Prefix).toBe('c/Åsa Öberg+test@x.se %20?#&=/');
  });

  test('a placeholder the locator does not fill is refused (never an empty or partial prefix)', async () => {
    await expect(connector({ prefix: 'customers/{customerId}/' }).run(files([subject()]))).rejects.toThrow(
      /the locator has no value for \{customerId\}/,
    );
    expect(s3.calls()).toHaveLength(0);
  });

  test('one bad subject in a batch fails alone: the good one is done, nothing is listed under the bad one (issue 15, item 8)', async () => {
    versions({});
    const result = await connector().run(files([subject(), subject({ subjectRef: 'ref-bad', subjectId: 'x/..' })]));
    expect(result.failed).toEqual([{ subjectRef: 'ref-bad', error: 'ConnectorPermanentError', transient: false }]);
    expect(result.subjects.map((s) => s.subjectRef)).toEqual(['ref-user1']);
    // (twice: the delete's listing and the verification's)
    expect(s3.commandCalls(ListObjectVersionsCommand).map((c) => c.args[0].input.Prefix)).toEqual(['customers/user1/', 'customers/user1/']);
  });
});

describe('delete: every version and delete marker', () => {
  test('user1 never touches user10: the prefix ends with "/", and keys outside it are ignored even if listed', async () => {
    // GIVEN a (misbehaving) listing that also returns user10's objects
    versions({
      Versions: [version('customers/user1/a.json', 'v1'), version('customers/user10/b.json', 'v2')],
      DeleteMarkers: [{ Key: 'customers/user10/c.json', VersionId: 'm1', IsLatest: true }],
    });
    s3.on(DeleteObjectsCommand).resolves({});
    const result = await connector().run(files([subject()]));
    expect(s3.commandCalls(ListObjectVersionsCommand)[0].args[0].input).toEqual({ Bucket: 'data', Prefix: 'customers/user1/' });
    expect(deleted()).toEqual([{ Key: 'customers/user1/a.json', VersionId: 'v1' }]);
    // (the verification lists user10's objects too, and does not count them: user1's are gone)
    expect(result.subjects[0]).toEqual({
      subjectRef: 'ref-user1',
      status: 'erased',
      counts: { records: 0, fields: 0, objects: 1 },
      verification: 'verified',
    });
  });

  test('all pages of versions, noncurrent versions and delete markers are deleted', async () => {
    s3.on(ListObjectVersionsCommand)
      .resolvesOnce({
        IsTruncated: true,
        NextKeyMarker: 'customers/user1/a.json',
        NextVersionIdMarker: 'a2',
        Versions: [version('customers/user1/a.json', 'a1', false), version('customers/user1/a.json', 'a2', false)],
        DeleteMarkers: [{ Key: 'customers/user1/a.json', VersionId: 'dm-a', IsLatest: true }],
      })
      .resolvesOnce({ Versions: [version('customers/user1/b.json', 'b1')] })
      .resolves({}); // the verification's listing: nothing left
    s3.on(DeleteObjectsCommand).resolves({});
    const result = await connector().run(files([subject()]));

    const listings = s3.commandCalls(ListObjectVersionsCommand).map((c) => c.args[0].input);
    expect(listings).toEqual([
      { Bucket: 'data', Prefix: 'customers/user1/' },
      { Bucket: 'data', Prefix: 'customers/user1/', KeyMarker: 'customers/user1/a.json', VersionIdMarker: 'a2' },
      { Bucket: 'data', Prefix: 'customers/user1/' },
    ]);
    expect(deleted()).toEqual(
      expect.arrayContaining([
        { Key: 'customers/user1/a.json', VersionId: 'a1' },
        { Key: 'customers/user1/a.json', VersionId: 'a2' },
        { Key: 'customers/user1/a.json', VersionId: 'dm-a' },
        { Key: 'customers/user1/b.json', VersionId: 'b1' },
      ]),
    );
    expect(deleted()).toHaveLength(4);
    expect(s3.commandCalls(DeleteObjectsCommand)[0].args[0].input).toMatchObject({ Bucket: 'data', Delete: { Quiet: true } });
    expect(result.subjects[0].counts.objects).toBe(2); // two keys held data
  });

  test('DeleteObjects gets at most 1000 objects per call', async () => {
    const many: Versions = Array.from({ length: 2500 }, (_, i) => version(`customers/user1/${i}.json`, `v${i}`));
    versions({ Versions: many });
    s3.on(DeleteObjectsCommand).resolves({});
    const result = await connector().run(files([subject()]));
    expect(s3.commandCalls(DeleteObjectsCommand).map((c) => c.args[0].input.Delete?.Objects?.length)).toEqual([1000, 1000, 500]);
    expect(new Set(deleted().map((o) => o.Key)).size).toBe(2500);
    expect(result.subjects[0].counts.objects).toBe(2500);
  });

  test('a second run finds nothing: nothing-found, no DeleteObjects', async () => {
    versions({});
    const result = await connector().run(files([subject()]));
    expect(s3.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
    expect(result.subjects[0].status).toBe('nothing-found');
  });

  test.each([
    ['AccessDenied', ConnectorPermanentError],
    ['SlowDown', ConnectorTransientError],
  ] as const)('a per-object %s error fails the call as %p, without naming keys', async (code, expected) => {
    versions({ Versions: [version('customers/user1/a.json', 'v1')] });
    s3.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: 'customers/user1/a.json', VersionId: 'v1', Code: code, Message: 'no' }] });
    const error = await connector()
      .run(files([subject()]))
      .catch((e: Error) => e);
    expect(error).toBeInstanceOf(expected);
    expect((error as Error).message).toContain(`failed for 1 of 1 objects (${code})`);
    expect((error as Error).message).not.toContain('user1');
  });

  test('a store without versioning (s3rver: MethodNotAllowed) is listed with ListObjectsV2 and deleted by key', async () => {
    s3.on(ListObjectVersionsCommand).rejects(awsError('MethodNotAllowed', 405));
    objects({ Contents: [{ Key: 'customers/user1/a.json' }, { Key: 'customers/user1/b.json' }] });
    s3.on(DeleteObjectsCommand).resolves({});
    const result = await connector().run(files([subject()]));
    expect(s3.commandCalls(ListObjectsV2Command)[0].args[0].input).toEqual({ Bucket: 'data', Prefix: 'customers/user1/' });
    expect(deleted()).toEqual([{ Key: 'customers/user1/a.json' }, { Key: 'customers/user1/b.json' }]);
    expect(result.subjects[0].counts.objects).toBe(2);
  });

  test('the unversioned listing reads every page', async () => {
    s3.on(ListObjectVersionsCommand).rejects(awsError('NotImplemented', 501));
    s3.on(ListObjectsV2Command)
      .resolvesOnce({ IsTruncated: true, NextContinuationToken: 'page-2', Contents: [{ Key: 'customers/user1/a.json' }] })
      .resolvesOnce({ Contents: [{ Key: 'customers/user1/b.json' }] })
      .resolves({}); // the verification's listing: nothing left
    s3.on(DeleteObjectsCommand).resolves({});
    await connector().run(files([subject()]));
    // (the SDK paginator reuses its input object, so only the last call's token can be read back; the third listing is
    // the verification's)
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(3);
    expect(s3.commandCalls(ListObjectsV2Command)[1].args[0].input).toMatchObject({
      Bucket: 'data',
      Prefix: 'customers/user1/',
      ContinuationToken: 'page-2',
    });
    expect(deleted().map((o) => o.Key)).toEqual(['customers/user1/a.json', 'customers/user1/b.json']);
  });

  test('listing errors are classified: 503 transient, AccessDenied permanent', async () => {
    s3.on(ListObjectVersionsCommand).rejectsOnce(awsError('ServiceUnavailable', 503)).rejectsOnce(awsError('AccessDenied', 403));
    await expect(connector().run(files([subject()]))).rejects.toThrow(ConnectorTransientError);
    await expect(connector().run(files([subject()]))).rejects.toThrow(ConnectorPermanentError);
  });
});

describe('tagged objects', () => {
  test('only versions tagged with the subject are deleted; a key all of whose versions are the subject’s loses its markers too', async () => {
    versions({
      Versions: [
        version('exports/a.json', 'a1'),
        version('exports/shared.json', 's2'),
        version('exports/shared.json', 's1', false),
        version('exports/other.json', 'o1'),
      ],
      DeleteMarkers: [{ Key: 'exports/a.json', VersionId: 'dm-old', IsLatest: false }],
    });
    const tags: Record<string, string> = { a1: 'user1', s1: 'user1', s2: 'user10', o1: 'user10' };
    s3.on(GetObjectTaggingCommand).callsFake((input: { VersionId: string }) => ({
      TagSet: [{ Key: 'subject', Value: tags[input.VersionId] }],
    }));
    s3.on(DeleteObjectsCommand).resolves({});

    const result = await connector({ tagKey: 'subject' }).run(files([subject()]));
    expect(s3.commandCalls(ListObjectVersionsCommand)[0].args[0].input).toEqual({ Bucket: 'data' });
    expect(deleted()).toEqual([
      { Key: 'exports/a.json', VersionId: 'a1' },
      { Key: 'exports/a.json', VersionId: 'dm-old' },
      { Key: 'exports/shared.json', VersionId: 's1' }, // user10's current version s2 stays
    ]);
    expect(result.subjects[0].counts.objects).toBe(2);
  });

  test('the tag value comes from the locator when it names the tag key', async () => {
    versions({ Versions: [version('x.json', 'v1')] });
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: 'customer', Value: 'C-1' }] });
    s3.on(DeleteObjectsCommand).resolves({});
    await connector({ tagKey: 'customer' }).run(files([subject({ locator: { customer: 'C-1' } })]));
    expect(deleted()).toEqual([{ Key: 'x.json', VersionId: 'v1' }]);
  });
});

describe('tag values S3 could not store as they are', () => {
  // S3's tag rule (API reference, Tag/S3Tag): up to 256 characters of letters, digits, white space and _ . : / = + - @.
  // White space at either end: not documented as trimmed, but trimmed by s3rver and other tools, where "user1 " and
  // "user1" become one tag; refused so that neither can be erased with the other's objects.
  test.each([
    ['a trailing space', 'user1 '],
    ['a leading space', ' user1'],
    ['a trailing no-break space', 'user1\u00a0'],
    ['a tab', 'user\t1'],
    ['a "*"', 'user*'],
    ['a "#"', '#n'],
    ['a "%"', 'user1%2F'],
    ['an emoji', '\u{1F9E8}'],
    ['a combining accent (NFD)', 'cafe\u0301'],
    ['a quote', 'o"brien'],
    ['257 characters', 'x'.repeat(257)],
  ])('a tag value with %s is refused before any S3 call, without naming the value', async (_what, value) => {
    // GIVEN the tag layout and a subject with such an id
    // WHEN it runs alone THEN it is refused: a permanent error naming subjects[0], and nothing is called
    const run = connector({ tagKey: 'subject' }).run(files([subject({ subjectRef: 'bad', subjectId: value })]));
    await expect(run).rejects.toThrow(ConnectorPermanentError);
    await expect(run).rejects.toThrow(/^subjects\[0\]: the tag value \(tag "subject"\) /);
    await run.catch((error: Error) => expect(error.message).not.toContain(value));
    expect(s3.calls()).toHaveLength(0);
    // AND in a batch it fails alone, without naming the value: the other subject is done (issue 15, item 8)
    versions({});
    const batch = await connector({ tagKey: 'subject' }).run(
      files([subject({ subjectRef: 'ok' }), subject({ subjectRef: 'bad', subjectId: value })]),
    );
    expect(batch.subjects.map((s) => s.subjectRef)).toEqual(['ok']);
    expect(batch.failed).toEqual([{ subjectRef: 'bad', error: 'ConnectorPermanentError', transient: false }]);
    expect(JSON.stringify(batch)).not.toContain(value);
  });

  test('the locator value is checked the same way when it names the tag key', async () => {
    const run = connector({ tagKey: 'customer' }).run(files([subject({ locator: { customer: 'C-1 ' } })]));
    await expect(run).rejects.toThrow(/subjects\[0\]: the tag value \(tag "customer"\) starts or ends with white space/);
    expect(s3.calls()).toHaveLength(0);
  });

  test.each([
    ['user1', 'user1'],
    ['an inner space', 'User 1'],
    ['NFC', 'caf\u00e9'],
    ['letters with diacritics', '\u00c5sa \u00d6berg'],
    ['CJK', '\u7528\u62371'],
    ['every allowed sign', 'a+b-c=d.e_f:g/h@i'],
    ['256 characters', 'x'.repeat(256)],
  ])('an S3-storable tag value (%s) is looked up', async (_what, value) => {
    versions({ Versions: [version('x.json', 'v1')] });
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: 'subject', Value: value }] });
    s3.on(DeleteObjectsCommand).resolves({});
    const result = await connector({ tagKey: 'subject' }).run(files([subject({ subjectId: value })]));
    expect(result.subjects[0].status).toBe('erased');
  });
});

describe('field actions on JSON objects', () => {
  const record = { name: 'Ada Lovelace', email: 'ada@example.com', phone: '+46701234567', plan: 'pro' };

  test('rewrites the current version like the original, then deletes every old version and marker', async () => {
    versions({
      Versions: [version('customers/user1/profile.json', 'v2'), version('customers/user1/profile.json', 'v1', false)],
      DeleteMarkers: [{ Key: 'customers/user1/profile.json', VersionId: 'dm', IsLatest: false }],
    });
    s3.on(GetObjectCommand).resolves({
      Body: body(JSON.stringify(record)),
      ContentType: 'application/json',
      Metadata: { source: 'app' },
      SSEKMSKeyId: 'k',
    });
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: 'team', Value: 'a b&c' }] });
    s3.on(PutObjectCommand).resolves({ VersionId: 'v3' });
    s3.on(DeleteObjectsCommand).resolves({});

    const result = await connector().run(
      files([subject({ record: 'keep', removeFields: [FIELDS.phone], anonymiseFields: [FIELDS.name] })]),
    );

    expect(s3.commandCalls(GetObjectCommand)[0].args[0].input).toEqual({
      Bucket: 'data',
      Key: 'customers/user1/profile.json',
      VersionId: 'v2',
    });
    const put = s3.commandCalls(PutObjectCommand)[0].args[0].input;
    expect(JSON.parse(put.Body as string)).toEqual({ name: '[erased]', email: 'ada@example.com', plan: 'pro' });
    expect(put).toMatchObject({
      Bucket: 'data',
      Key: 'customers/user1/profile.json',
      ContentType: 'application/json',
      Metadata: { source: 'app' },
      SSEKMSKeyId: 'k',
      Tagging: 'team=a+b%26c',
    });
    expect(deleted()).toEqual([
      { Key: 'customers/user1/profile.json', VersionId: 'v2' },
      { Key: 'customers/user1/profile.json', VersionId: 'v1' },
      { Key: 'customers/user1/profile.json', VersionId: 'dm' },
    ]);
    expect(result.subjects[0]).toEqual({
      subjectRef: 'ref-user1',
      status: 'fields-removed',
      counts: { records: 1, fields: 2, objects: 1 },
      verification: 'verified',
    });
  });

  test('an array of records: each record is changed; anonymise → anonymised', async () => {
    versions({ Versions: [version('customers/user1/orders.json', 'v1')] });
    s3.on(GetObjectCommand).resolves({ Body: body(JSON.stringify([record, { ...record, email: 'other@example.com' }, 'note'])) });
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
    s3.on(PutObjectCommand).resolves({ VersionId: 'v2' });
    s3.on(DeleteObjectsCommand).resolves({});
    const result = await connector().run(
      files([subject({ record: 'anonymise', removeFields: [FIELDS.phone], anonymiseFields: [FIELDS.email] })]),
    );
    const written = JSON.parse(s3.commandCalls(PutObjectCommand)[0].args[0].input.Body as string);
    expect(written).toHaveLength(3);
    expect(written[0].phone).toBeUndefined();
    expect(written[0].email).toMatch(/^[0-9a-f]{64}$/);
    expect(written[1].email).not.toBe(written[0].email);
    expect(written[2]).toBe('note');
    expect(s3.commandCalls(PutObjectCommand)[0].args[0].input.Tagging).toBeUndefined();
    expect(result.subjects[0]).toEqual({
      subjectRef: 'ref-user1',
      status: 'anonymised',
      counts: { records: 2, fields: 4, objects: 1 },
      verification: 'verified',
    });
  });

  test('an unversioned store: the rewritten object (version "null") is never deleted', async () => {
    versions({ Versions: [version('customers/user1/p.json', 'null')] });
    // The object reads back as last written (the verification reads the rewritten object).
    s3.on(GetObjectCommand).callsFake(() => ({
      Body: body((s3.commandCalls(PutObjectCommand).at(-1)?.args[0].input.Body as string | undefined) ?? JSON.stringify(record)),
    }));
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
    s3.on(PutObjectCommand).resolves({}); // no VersionId: unversioned
    const result = await connector().run(files([subject({ record: 'keep', removeFields: [FIELDS.phone] })]));
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(1);
    expect(s3.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
    expect(result.subjects[0].status).toBe('fields-removed');
    expect(result.subjects[0].verification).toBe('verified');
  });

  test('already anonymised and no old versions: nothing written, nothing-found (idempotent)', async () => {
    versions({ Versions: [version('customers/user1/p.json', 'v9')] });
    s3.on(GetObjectCommand).resolves({ Body: body(JSON.stringify({ name: '[erased]', plan: 'pro' })) });
    const result = await connector().run(
      files([subject({ record: 'keep', removeFields: [FIELDS.phone], anonymiseFields: [FIELDS.name] })]),
    );
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(s3.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
    expect(result.subjects[0].status).toBe('nothing-found');
  });

  test('current data already clean but old versions remain (a crash last time): the old versions are deleted', async () => {
    versions({
      Versions: [version('customers/user1/p.json', 'v2'), version('customers/user1/p.json', 'v1', false)],
    });
    s3.on(GetObjectCommand).resolves({ Body: body(JSON.stringify({ plan: 'pro' })) });
    s3.on(DeleteObjectsCommand).resolves({});
    const result = await connector().run(files([subject({ record: 'keep', removeFields: [FIELDS.phone] })]));
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(deleted()).toEqual([{ Key: 'customers/user1/p.json', VersionId: 'v1' }]);
    expect(result.subjects[0].counts.objects).toBe(1);
  });

  test('an object that is not JSON stops the subject before any write, without naming the key', async () => {
    versions({
      Versions: [version('customers/user1/a.json', 'v1'), version('customers/user1/photo.jpg', 'v1')],
    });
    s3.on(GetObjectCommand, { Key: 'customers/user1/a.json' }).resolves({ Body: body(JSON.stringify(record)) });
    s3.on(GetObjectCommand, { Key: 'customers/user1/photo.jpg' }).resolves({ Body: body('\u00ff\u00d8 not json') });
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
    const error = await connector()
      .run(files([subject({ record: 'keep', removeFields: [FIELDS.phone] })]))
      .catch((e: Error) => e);
    expect(error).toBeInstanceOf(ConnectorPermanentError);
    expect((error as Error).message).toMatch(/is not JSON; field actions need JSON objects/);
    expect((error as Error).message).not.toContain('user1');
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(s3.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
  });

  test('a logically deleted object (current = delete marker): its old versions and markers are deleted', async () => {
    versions({
      Versions: [version('customers/user1/p.json', 'null', false)],
      DeleteMarkers: [{ Key: 'customers/user1/p.json', VersionId: 'dm', IsLatest: true }],
    });
    s3.on(DeleteObjectsCommand).resolves({});
    await connector().run(files([subject({ record: 'keep', removeFields: [FIELDS.phone] })]));
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
    expect(deleted()).toEqual([
      { Key: 'customers/user1/p.json', VersionId: 'null' },
      { Key: 'customers/user1/p.json', VersionId: 'dm' },
    ]);
  });
});

describe('the S3 client', () => {
  test('with an endpoint (s3rver): path-style, checksums only when required', async () => {
    const local = createS3Client({ endpoint: 'http://127.0.0.1:4569', region: 'eu-north-1' });
    expect(local.config.forcePathStyle).toBe(true);
    expect(await local.config.requestChecksumCalculation()).toBe('WHEN_REQUIRED');
    expect(await local.config.responseChecksumValidation()).toBe('WHEN_REQUIRED');
    const endpoint = await local.config.endpoint?.();
    expect(endpoint?.hostname).toBe('127.0.0.1');
  });

  test('without an endpoint (AWS): virtual-hosted style, and checksums computed and validated wherever S3 supports them', async () => {
    const saved = { a: process.env.AWS_ENDPOINT_URL, b: process.env.AWS_ENDPOINT_URL_S3 };
    delete process.env.AWS_ENDPOINT_URL;
    delete process.env.AWS_ENDPOINT_URL_S3;
    try {
      const aws = createS3Client({ region: 'eu-north-1' });
      expect(aws.config.forcePathStyle).toBeFalsy();
      // (issue 15, item 17: validation was off in production too)
      expect(await aws.config.requestChecksumCalculation()).toBe('WHEN_SUPPORTED');
      expect(await aws.config.responseChecksumValidation()).toBe('WHEN_SUPPORTED');
    } finally {
      if (saved.a !== undefined) process.env.AWS_ENDPOINT_URL = saved.a;
      if (saved.b !== undefined) process.env.AWS_ENDPOINT_URL_S3 = saved.b;
    }
  });
});

describe('restrict and unrestrict (issue 14)', () => {
  test('restrict tags every data version of the subject (delete markers have no tags), keeping its other tags; nothing else is written', async () => {
    // GIVEN a key with two versions and a delete marker under user1's prefix
    versions({
      Versions: [version('customers/user1/a.json', 'v2'), version('customers/user1/a.json', 'v1', false)],
      DeleteMarkers: [{ Key: 'customers/user1/a.json', VersionId: 'm1', IsLatest: false }],
    });
    s3.on(GetObjectTaggingCommand, { VersionId: 'v1' }).resolves({ TagSet: [{ Key: 'team', Value: 'crm' }] });
    s3.on(GetObjectTaggingCommand, { VersionId: 'v2' }).resolves({ TagSet: [] });
    // WHEN user1 is restricted
    const result = await connector().run(files([subject({ record: 'restrict', restriction: { requestId: 'req-1' } })]));
    // THEN each data version gets the tag by its version id, v1 keeps its own tag; no put, no delete
    expect(result.subjects[0]).toEqual({ subjectRef: 'ref-user1', status: 'restricted', counts: { records: 0, fields: 0, objects: 1 } });
    expect(s3.commandCalls(PutObjectTaggingCommand).map((c) => c.args[0].input)).toEqual([
      {
        Bucket: 'data',
        Key: 'customers/user1/a.json',
        VersionId: 'v2',
        Tagging: { TagSet: [{ Key: 'lethe-restricted', Value: 'req-1' }] },
      },
      {
        Bucket: 'data',
        Key: 'customers/user1/a.json',
        VersionId: 'v1',
        Tagging: {
          TagSet: [
            { Key: 'team', Value: 'crm' },
            { Key: 'lethe-restricted', Value: 'req-1' },
          ],
        },
      },
    ]);
    expect(s3.commandCalls(PutObjectCommand)).toEqual([]);
    expect(s3.commandCalls(DeleteObjectsCommand)).toEqual([]);
    expect(s3.commandCalls(GetObjectCommand)).toEqual([]);
  });

  test('a version marked already is not written again (idempotent), and the tag key is configurable', async () => {
    versions({ Versions: [version('customers/user1/a.json', 'v1')] });
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: 'x-restricted', Value: 'req-1' }] });
    const result = await connector({ prefix: 'customers/{subjectId}/', restrictedTag: 'x-restricted' }).run(
      files([subject({ record: 'restrict', restriction: { requestId: 'req-1' } })]),
    );
    expect(result.subjects[0].counts.objects).toBe(1);
    expect(s3.commandCalls(PutObjectTaggingCommand)).toEqual([]);
  });

  test("unrestrict removes this request's tag only; another request's stays", async () => {
    versions({
      Versions: [version('customers/user1/a.json', 'v1'), version('customers/user1/b.json', 'v1')],
    });
    s3.on(GetObjectTaggingCommand, { Key: 'customers/user1/a.json' }).resolves({
      TagSet: [
        { Key: 'team', Value: 'crm' },
        { Key: 'lethe-restricted', Value: 'req-1 until 2027-01-01T00:00:00.000Z' },
      ],
    });
    s3.on(GetObjectTaggingCommand, { Key: 'customers/user1/b.json' }).resolves({ TagSet: [{ Key: 'lethe-restricted', Value: 'req-10' }] });
    const result = await connector().run(files([subject({ record: 'unrestrict', restriction: { requestId: 'req-1' } })]));
    expect(result.subjects[0]).toMatchObject({ status: 'unrestricted', counts: { objects: 1 } });
    expect(s3.commandCalls(PutObjectTaggingCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'data', Key: 'customers/user1/a.json', VersionId: 'v1', Tagging: { TagSet: [{ Key: 'team', Value: 'crm' }] } },
    ]);
  });
});
