/**
 * Verified erasure in the S3 connector (issue 19): after the action the subject's objects are listed again, every
 * version and delete marker, and the rewritten JSON is read back.
 */
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
  type ListObjectVersionsCommandOutput,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { S3Connector } from '../../../lib/connectors/s3';
import { FIELDS, HMAC_KEY, invocation, subject } from './fixtures';

const s3 = mockClient(S3Client);
const client = new S3Client({ region: 'eu-north-1' });
const connector = () =>
  new S3Connector('files', { bucket: 'data', prefix: 'customers/{subjectId}/' }, { client, hmacKey: async () => HMAC_KEY });
const files = (subjects: Parameters<typeof invocation>[0]) => invocation(subjects, { system: 'files' });
const version = (Key: string, VersionId: string, IsLatest = true) => ({ Key, VersionId, IsLatest });
const body = (text: string) => ({ transformToString: async () => text }) as never;
const VERIFICATION_FAILED = [{ subjectRef: 'ref-user1', error: 'ConnectorVerificationError', transient: false }];

/** The action's listing, then the verification's. */
function listings(action: Omit<ListObjectVersionsCommandOutput, '$metadata'>, after: Omit<ListObjectVersionsCommandOutput, '$metadata'>) {
  s3.on(ListObjectVersionsCommand).resolvesOnce(action).resolves(after);
}

beforeEach(() => {
  s3.reset();
  s3.on(DeleteObjectsCommand).resolves({});
});

describe('delete: across every version and delete marker', () => {
  const before = {
    Versions: [version('customers/user1/a.json', 'v2'), version('customers/user1/a.json', 'v1', false)],
    DeleteMarkers: [{ Key: 'customers/user1/b.json', VersionId: 'dm', IsLatest: true }],
  };

  test.each([
    ['a noncurrent version', { Versions: [version('customers/user1/a.json', 'v1', false)] }],
    [
      'a delete marker (its key names the subject)',
      { DeleteMarkers: [{ Key: 'customers/user1/b.json', VersionId: 'dm', IsLatest: true }] },
    ],
    ['the current version', { Versions: [version('customers/user1/a.json', 'v2')] }],
  ])('%s left after the delete: ConnectorVerificationError', async (_what, after) => {
    listings(before, after);
    expect(await connector().run(files([subject()]))).toEqual({ system: 'files', subjects: [], failed: VERIFICATION_FAILED });
    // The verification listed under the subject's prefix, with every version and marker
    expect(s3.commandCalls(ListObjectVersionsCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'data', Prefix: 'customers/user1/' },
      { Bucket: 'data', Prefix: 'customers/user1/' },
    ]);
  });

  test('user1 vs user10: user10’s versions (a listing that returns them too) never count for user1 → verified', async () => {
    listings(before, {
      Versions: [version('customers/user10/a.json', 'x1')],
      DeleteMarkers: [{ Key: 'customers/user10/c.json', VersionId: 'm' }],
    });
    expect((await connector().run(files([subject()]))).subjects[0]).toMatchObject({ status: 'erased', verification: 'verified' });
  });
});

describe('field actions: no old version left, the current JSON without the fields', () => {
  const record = { name: 'Ada Lovelace', phone: '+46701234567', plan: 'pro' };
  const keep = () => files([subject({ record: 'keep', removeFields: [FIELDS.phone], anonymiseFields: [FIELDS.name] })]);
  beforeEach(() => {
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: [] });
    s3.on(PutObjectCommand).resolves({ VersionId: 'v3' });
  });

  test.each([
    [
      'only the rewritten version, without the fields',
      [version('customers/user1/p.json', 'v3')],
      { name: '[erased]', plan: 'pro' },
      'verified',
    ],
    [
      'an old version left beside it',
      [version('customers/user1/p.json', 'v3'), version('customers/user1/p.json', 'v1', false)],
      { name: '[erased]', plan: 'pro' },
      'failed',
    ],
    [
      'the current version still holding the phone',
      [version('customers/user1/p.json', 'v3')],
      { name: '[erased]', phone: '+46701234567', plan: 'pro' },
      'failed',
    ],
    [
      'the current version still holding the name as it was',
      [version('customers/user1/p.json', 'v3')],
      { name: 'Ada Lovelace', plan: 'pro' },
      'failed',
    ],
  ])('%s → %s', async (_what, after, current, expected) => {
    listings({ Versions: [version('customers/user1/p.json', 'v1')] }, { Versions: after });
    s3.on(GetObjectCommand, { VersionId: 'v1' }).resolves({ Body: body(JSON.stringify(record)) });
    s3.on(GetObjectCommand, { VersionId: 'v3' }).resolves({ Body: body(JSON.stringify(current)) });
    const result = await connector().run(keep());
    if (expected === 'verified') expect(result.subjects[0]).toMatchObject({ status: 'fields-removed', verification: 'verified' });
    else expect(result.failed).toEqual(VERIFICATION_FAILED);
  });
});
