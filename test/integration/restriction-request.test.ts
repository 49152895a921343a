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
import { Temporal } from '@js-temporal/polyfill';
import {
  auditOf,
  dynamoRecord,
  eventually,
  expectStatus,
  FILES_BUCKET,
  fileKey,
  hold,
  isoDaysFromNow,
  rawSnapshot,
  recordOf,
  seed,
  useHarness,
  testUser,
} from './support/harness';

jest.setTimeout(120_000);

const harness = useHarness();

test('a restriction request marks only the subject’s records, changes nothing else, and completes', async () => {
  const { local } = harness();
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

/** Waits for a request of the kind to end and returns its view. */
const ended = (kind: 'restriction' | 'erasure', requestId: string) =>
  eventually(`the ${kind} request to end`, async () => {
    const got = await harness().local.api('GET', `/${kind}-requests/${requestId}`);
    const body = got.body as { status: string; systems: { system: string; status: string }[] } & Record<string, unknown>;
    return body.status === 'completed' || body.status === 'failed' ? body : undefined;
  });

test('keep: true holds the data through a sweep past its expiry; the lift unrestricts it and the next sweep expires it', async () => {
  const { local } = harness();
  // GIVEN it-rk1 and it-rk10 with research data in surveys (DynamoDB), kept P2Y from collection: due in 5 days
  const collected = Temporal.Now.instant().toZonedDateTimeISO('UTC').subtract({ years: 2 }).add({ days: 5 }).toInstant().toString();
  const kept = testUser('it-rk1', 'Kajsa Ek');
  const other = testUser('it-rk10', 'Kalle Ek');
  for (const user of [kept, other]) {
    await seed(local, user, ['surveys']);
    await hold(local, user, 'research', 'surveys', collected);
  }
  // WHEN it-rk1 asks for restriction with keep (Art. 18(1)(b)), open-ended
  const answer = await local.api('POST', '/restriction-requests', {
    body: { subjectId: kept.id, scope: ['research'], keep: true, verification: { method: 'bankid', verifiedAt: isoDaysFromNow(0) } },
    headers: { 'Idempotency-Key': randomUUID() },
  });
  expectStatus(answer, 202, 'requesting restriction with keep');
  const { requestId } = answer.body as { requestId: string };
  expect(await ended('restriction', requestId)).toMatchObject({
    status: 'completed',
    systems: [{ system: 'surveys', status: 'restricted' }],
  });

  // AND the research sweep runs 30 days from now, past both holdings' expiry
  const in30Days = Temporal.Now.instant()
    .add({ hours: 30 * 24 })
    .toString();
  expect((await local.runSweep('research', in30Days)).status).toBe('SUCCEEDED');
  // THEN it-rk10's record is anonymised; it-rk1's is kept as it was, with the restriction's mark
  expect(await dynamoRecord(local, 'surveys', other)).not.toEqual(recordOf(other, 'surveys'));
  const marked = await dynamoRecord(local, 'surveys', kept);
  const { 'lethe:restricted': mark, ...rest } = marked ?? {};
  expect(mark).toMatchObject({ requestId });
  expect(rest).toEqual(recordOf(kept, 'surveys'));
  // AND an erasure request lists it as retained, with the restriction request as the reason
  const erasure = await local.api('POST', '/erasure-requests', {
    body: { subjectId: kept.id, scope: ['research'], verification: { method: 'bankid', verifiedAt: isoDaysFromNow(0) } },
    headers: { 'Idempotency-Key': randomUUID() },
  });
  expectStatus(erasure, 202, 'requesting erasure');
  const erased = await ended('erasure', (erasure.body as { requestId: string }).requestId);
  expect(erased.retained).toEqual([
    expect.objectContaining({
      purpose: 'research',
      hold: `restriction-${requestId}`,
      reason: expect.stringContaining(requestId),
      until: null,
    }),
  ]);
  expect(erased.systems).toEqual([expect.objectContaining({ system: 'surveys', status: 'restricted' })]);

  // WHEN the restriction is lifted
  const lifted = await local.api('POST', `/restriction-requests/${requestId}/lift`);
  expectStatus(lifted, 200, 'lifting the restriction');
  expect(lifted.body).toMatchObject({ requestId, unrestricted: [{ system: 'surveys', status: 'unrestricted' }] });
  // THEN the DynamoDB item is exactly as seeded: the mark is gone, nothing else changed
  expect(await dynamoRecord(local, 'surveys', kept)).toEqual(recordOf(kept, 'surveys'));
  // AND a second lift is refused; GET shows the lift
  expect((await local.api('POST', `/restriction-requests/${requestId}/lift`)).status).toBe(409);
  expect((await local.api('GET', `/restriction-requests/${requestId}`)).body).toMatchObject({ lifted: { by: 'api' } });
  // AND the next sweep expires the data (due again at the later of its expiry and the lift)
  expect((await local.runSweep('research', in30Days)).status).toBe('SUCCEEDED');
  expect(await dynamoRecord(local, 'surveys', kept)).not.toEqual(recordOf(kept, 'surveys'));
  // AND the lift is audited by HMAC only
  const records = await auditOf(local, { requestId, kind: 'restriction-request' });
  expect(records.map((r) => [r.system, r.action, r.outcome])).toEqual([
    ['surveys', 'restrict', 'restricted'],
    ['surveys', 'unrestrict', 'unrestricted'],
  ]);
  expect(JSON.stringify(records)).not.toMatch(/it-rk1|Kajsa/);
});

test('an erasure that retains bookkeeping in files removes the account fields, then restricts the object', async () => {
  const { local } = harness();
  // GIVEN it-rb1 with account and bookkeeping data in files (S3)
  const user = testUser('it-rb1', 'Berit Ek');
  await seed(local, user, ['files']);
  await hold(local, user, 'account', 'files', isoDaysFromNow(-30));
  await hold(local, user, 'bookkeeping', 'files', isoDaysFromNow(-30));
  // WHEN it-rb1 asks for erasure
  const answer = await local.api('POST', '/erasure-requests', {
    body: { subjectId: user.id, verification: { method: 'bankid', verifiedAt: isoDaysFromNow(0) } },
    headers: { 'Idempotency-Key': randomUUID() },
  });
  expectStatus(answer, 202, 'requesting erasure');
  const { requestId } = answer.body as { requestId: string };
  const view = await ended('erasure', requestId);
  // THEN bookkeeping is retained, the contact field removed, and the object carries the restriction tag
  expect(view).toMatchObject({ status: 'completed', retained: [expect.objectContaining({ purpose: 'bookkeeping' })] });
  const { TagSet } = await local.clients.s3.send(new GetObjectTaggingCommand({ Bucket: FILES_BUCKET, Key: fileKey(user) }));
  expect(TagSet).toEqual([{ Key: 'lethe-restricted', Value: expect.stringMatching(new RegExp(`^${requestId}`)) }]);
});
