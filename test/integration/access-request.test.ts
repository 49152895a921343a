/**
 * An access request end to end in local mode (issue 14, item 4): POST /access-requests, the workflow (plan, the
 * DynamoDB connector's `export`, the document written to s3rver's exports bucket, audit, completed), GET
 * /access-requests/{id} with the links, and the JSON downloaded from its presigned link: the subject's record with
 * only the fields the plan lists, nothing of the neighbour (it-a10 beside it-a1), the subject's data unchanged.
 *
 * Needs Java 17+ (DynamoDB Local), as local mode does.
 */
import { randomUUID } from 'node:crypto';
import { dynamoRecord, eventually, expectStatus, hold, isoDaysFromNow, recordOf, seed, useHarness, testUser } from './support/harness';

jest.setTimeout(120_000);

const harness = useHarness();

interface AccessView {
  status: string;
  access: { system: string; fields: string[] }[] | null;
  export: string | { json: { url: string }; html: { url: string }; expiresAt: string };
}

test('an access request exports the subject’s listed fields only, and GET links to the document', async () => {
  const { local } = harness();
  // GIVEN it-a1 and it-a10, each with an account record in profiles (DynamoDB)
  const a1 = testUser('it-a1', 'Alva Ek');
  const a10 = testUser('it-a10', 'Alvar Ek');
  for (const user of [a1, a10]) {
    await seed(local, user, ['profiles']);
    await hold(local, user, 'account', 'profiles', isoDaysFromNow(-30));
  }

  // WHEN it-a1 asks what is held for the account purpose
  const answer = await local.api('POST', '/access-requests', {
    body: { subjectId: a1.id, scope: ['account'], verification: { method: 'bankid', verifiedAt: isoDaysFromNow(0) } },
    headers: { 'Idempotency-Key': randomUUID() },
  });
  expectStatus(answer, 202, 'requesting access');
  const { requestId } = answer.body as { requestId: string };

  // THEN it completes with the links to the export
  const view = await eventually('the access request to complete', async () => {
    const body = (await local.api('GET', `/access-requests/${requestId}`)).body as AccessView;
    return body.status === 'completed' || body.status === 'failed' ? body : undefined;
  });
  expect(view.status).toBe('completed');
  expect(view.export).toMatchObject({ json: { url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:/) }, html: { url: expect.any(String) } });
  const links = view.export as Exclude<AccessView['export'], string>;

  // AND the JSON downloaded from its link holds it-a1's profile with the listed fields only, nothing of it-a10
  const download = await fetch(links.json.url);
  expect(download.status).toBe(200);
  const text = await download.text();
  const listed = view.access!.find((a) => a.system === 'profiles')!.fields;
  const seeded = recordOf(a1, 'profiles');
  for (const [name, value] of Object.entries(seeded)) {
    if (listed.includes(name)) expect(text).toContain(JSON.stringify(value));
  }
  expect(listed.length).toBeGreaterThan(0);
  for (const value of Object.values(recordOf(a10, 'profiles'))) expect(text).not.toContain(String(value));
  const values = JSON.parse(text) as { purposes: { records: { system: string; records?: { values: Record<string, unknown> }[] }[] }[] };
  const shown = values.purposes.flatMap((p) => p.records.flatMap((r) => (r.records ?? []).flatMap((x) => Object.keys(x.values))));
  expect(shown.length).toBeGreaterThan(0);
  for (const name of shown) expect(listed).toContain(name);
  // AND the page is served too
  expect((await fetch(links.html.url)).status).toBe(200);
  // AND nothing changed in the system
  expect(await dynamoRecord(local, 'profiles', a1)).toEqual(seeded);
});
