/**
 * A restriction request end to end in local mode (issue 14, requests): POST /restriction-requests, the workflow
 * (plan, the connectors' `restrict`, audit, final status), GET /restriction-requests/{id}. The restricted user's
 * DynamoDB item gains `lethe:restricted` and nothing else changes; their S3 object gains the `lethe-restricted`
 * tag with the same bytes; the neighbour (it-r10 beside it-r1) is untouched; the id is not found on the erasure
 * route.
 *
 * Needs Java 17+ (DynamoDB Local), as local mode does.
 */
import { randomUUID } from 'node:crypto';
import { GetObjectTaggingCommand } from '@aws-sdk/client-s3';
import {
  dynamoRecord,
  eventually,
  expectStatus,
  FILES_BUCKET,
  fileKey,
  type Harness,
  hold,
  isoDaysFromNow,
  rawSnapshot,
  recordOf,
  seed,
  startHarness,
  testUser,
} from './support/harness';

jest.setTimeout(120_000);

let harness: Harness | undefined;

beforeAll(async () => {
  harness = await startHarness();
}, 180_000);

afterAll(async () => {
  await harness?.stop();
}, 60_000);

test('a restriction request marks only the subject’s records, changes nothing else, and completes', async () => {
  const { local } = harness!;
  // GIVEN it-r1 and it-r10, each with an account record in profiles (DynamoDB) and files (S3)
  const r1 = testUser('it-r1', 'Rut Ek');
  const r10 = testUser('it-r10', 'Rune Ek');
  for (const user of [r1, r10]) {
    await seed(local, user, ['profiles', 'files']);
    await hold(local, user, 'account', 'profiles', isoDaysFromNow(-30));
    await hold(local, user, 'account', 'files', isoDaysFromNow(-30));
  }
  const before = { r1: await rawSnapshot(local, r1), r10: await rawSnapshot(local, r10) };
  const until = `${isoDaysFromNow(90).slice(0, 19)}+00:00`;

  // WHEN it-r1 asks for restriction of the account data until a date
  const answer = await local.api('POST', '/restriction-requests', {
    body: { subjectId: r1.id, scope: ['account'], until, verification: { method: 'bankid', verifiedAt: isoDaysFromNow(0) } },
    headers: { 'Idempotency-Key': randomUUID() },
  });
  expectStatus(answer, 202, 'requesting restriction');
  const { requestId } = answer.body as { requestId: string };

  // THEN it completes, each system restricted
  const view = await eventually('the restriction request to complete', async () => {
    const got = await local.api('GET', `/restriction-requests/${requestId}`);
    const body = got.body as { status: string; systems: { system: string; status: string }[] };
    return body.status === 'completed' || body.status === 'failed' ? body : undefined;
  });
  expect(view).toMatchObject({
    status: 'completed',
    systems: [
      { system: 'profiles', status: 'restricted' },
      { system: 'files', status: 'restricted' },
    ],
  });

  // AND the DynamoDB item has the marker and is otherwise exactly as seeded
  const item = await dynamoRecord(local, 'profiles', r1);
  const { 'lethe:restricted': mark, ...rest } = item ?? {};
  expect(mark).toEqual({ requestId, until: expect.stringMatching(/Z$/), at: expect.any(String) });
  expect(rest).toEqual(recordOf(r1, 'profiles'));
  // AND the S3 object has the tag, with the same bytes and ETag
  const { TagSet } = await local.clients.s3.send(new GetObjectTaggingCommand({ Bucket: FILES_BUCKET, Key: fileKey(r1) }));
  expect(TagSet).toEqual([{ Key: 'lethe-restricted', Value: expect.stringMatching(new RegExp(`^${requestId} until `)) }]);
  const after = await rawSnapshot(local, r1);
  const bytes = (s: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(s.files as Record<string, { bytes: string; etag: string }>).map(([k, v]) => [k, [v.bytes, v.etag]]));
  expect(bytes(after)).toEqual(bytes(before.r1));
  // AND it-r10 is untouched, byte for byte
  expect(await rawSnapshot(local, r10)).toEqual(before.r10);
  // AND the id is not an erasure request's
  expect((await local.api('GET', `/erasure-requests/${requestId}`)).status).toBe(404);
});
