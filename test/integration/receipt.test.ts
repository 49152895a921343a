/**
 * Signed receipts end to end in local mode (issue 19, item 2): an erasure request completes, its receipt is fetched
 * (GET /erasure-requests/{id}/receipt), `lethe receipt public-key` prints local mode's key from its data directory, and
 * `lethe receipt verify` (the binary) says the receipt is valid, and that a copy with one field changed is invalid,
 * naming the field (exit 1). Before completion the route answers 409.
 *
 * Restriction and access requests too: each completes, its receipt is issued by the workflow's finish and kept in
 * s3rver's audit bucket (receipts/<id>.json), GET answers it byte for byte, also after the request item is deleted
 * (as TTL would), and the binary verifies it with the exported public key, and refuses it with one byte changed.
 *
 * Needs Java 17+ (DynamoDB Local), as local mode does.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../support/temp-dir';
import { eventually, expectStatus, hold, isoDaysFromNow, seed, useHarness, testUser } from './support/harness';

jest.setTimeout(120_000);

const ROOT = path.join(__dirname, '..', '..');
const harness = useHarness();

const lethe = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(ROOT, 'bin', 'lethe.js'), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env } });

test('a completed erasure gets a receipt that lethe receipt verify accepts, and refuses altered, naming the field', async () => {
  const { local } = harness();
  // GIVEN it-s1 with an account record in profiles (DynamoDB)
  const user = testUser('it-s1', 'Siv Ek');
  await seed(local, user, ['profiles']);
  await hold(local, user, 'account', 'profiles', isoDaysFromNow(-30));

  // WHEN it-s1's erasure is requested
  const answer = await local.api('POST', '/erasure-requests', {
    body: { subjectId: user.id, verification: { method: 'bankid', verifiedAt: isoDaysFromNow(0) } },
    headers: { 'Idempotency-Key': randomUUID() },
  });
  expectStatus(answer, 202, 'requesting erasure');
  const { requestId } = answer.body as { requestId: string };
  const early = await local.api('GET', `/erasure-requests/${requestId}/receipt`);
  const view = await eventually('the erasure request to complete', async () => {
    const got = await local.api('GET', `/erasure-requests/${requestId}`);
    const body = got.body as { status: string };
    return body.status === 'completed' || body.status === 'failed' ? body : undefined;
  });
  expect(view).toMatchObject({ status: 'completed' });

  // THEN before completion the receipt was refused (409) unless the workflow was already done, and now it is given
  if (early.status !== 200) expect(early.status).toBe(409);
  const got = await local.api('GET', `/erasure-requests/${requestId}/receipt`);
  expectStatus(got, 200, 'fetching the receipt');
  const receipt = got.body as { requestId: string; subject: string; systems: { system: string; outcome: string }[] };
  expect(receipt).toMatchObject({ requestId, systems: [expect.objectContaining({ system: 'profiles', outcome: 'erased' })] });
  expect(JSON.stringify(receipt)).not.toContain(user.id);

  // AND the public key from the data directory verifies it with the lethe binary
  const dir = tempDir('lethe-it-receipt-');
  const keyOut = lethe('receipt', 'public-key', '--data-dir', local.dataDir);
  expect({ status: keyOut.status, stderr: keyOut.stderr }).toEqual({ status: 0, stderr: '' });
  const pem = path.join(dir, 'receipt-key.pem');
  writeFileSync(pem, keyOut.stdout);
  const file = path.join(dir, 'receipt.json');
  writeFileSync(file, JSON.stringify(receipt, null, 2));
  const valid = lethe('receipt', 'verify', file, '--public-key', pem);
  expect({ status: valid.status, stdout: valid.stdout }).toEqual({
    status: 0,
    stdout: expect.stringContaining(`${file}: valid (request ${requestId}`),
  });

  // AND a copy with the outcome changed is invalid, exit 1, naming the entry
  const altered = path.join(dir, 'altered.json');
  writeFileSync(altered, JSON.stringify({ ...receipt, systems: [{ ...receipt.systems[0], outcome: 'retained' }] }, null, 2));
  const invalid = lethe('receipt', 'verify', altered, '--public-key', pem);
  expect(invalid.status).toBe(1);
  expect(invalid.stderr).toContain('systems[0] (system profiles): does not match what was signed');
});

test.each([
  { kind: 'restriction', extra: { until: isoDaysFromNow(30), keep: true }, action: 'restrict', outcome: 'restricted' },
  { kind: 'access', extra: {}, action: 'export', outcome: 'exported' },
])(
  'a completed $kind request gets its receipt at completion, kept after the request item is gone, verified offline',
  async ({ kind, extra, action, outcome }) => {
    const { local } = harness();
    // GIVEN a subject with an account record in profiles (DynamoDB)
    const user = testUser(`it-r-${kind}`, 'Rut Ek');
    await seed(local, user, ['profiles']);
    await hold(local, user, 'account', 'profiles', isoDaysFromNow(-30));

    // WHEN a request of this kind is made and completes
    const answer = await local.api('POST', `/${kind}-requests`, {
      body: { subjectId: user.id, scope: ['account'], verification: { method: 'bankid', verifiedAt: isoDaysFromNow(0) }, ...extra },
      headers: { 'Idempotency-Key': randomUUID() },
    });
    expectStatus(answer, 202, `requesting ${kind}`);
    const { requestId } = answer.body as { requestId: string };
    const view = await eventually(`the ${kind} request to complete`, async () => {
      const got = await local.api('GET', `/${kind}-requests/${requestId}`);
      const body = got.body as { status: string };
      return body.status === 'completed' || body.status === 'failed' ? body : undefined;
    });
    expect(view).toMatchObject({ status: 'completed' });

    // THEN GET answers its receipt, and it is the one kept in the audit bucket (by the finish, or by this GET if it came
    // first: stored once either way)
    const got = await local.api('GET', `/${kind}-requests/${requestId}/receipt`);
    expectStatus(got, 200, `fetching the ${kind} receipt`);
    const object = await local.clients.s3.send(
      new GetObjectCommand({ Bucket: local.names.auditBucket, Key: `receipts/${requestId}.json` }),
    );
    const stored = JSON.parse(await object.Body!.transformToString('utf-8')) as Record<string, unknown>;
    expect(got.body).toEqual(stored);
    expect(stored).toMatchObject({ requestId, kind, systems: [expect.objectContaining({ system: 'profiles', action, outcome })] });
    expect(JSON.stringify(stored)).not.toContain(user.id);

    // AND once the request item is gone (as TTL removes it after 90 days) the receipt is still answered, the same
    await local.clients.documents.send(new DeleteCommand({ TableName: local.names.requestsTable, Key: { requestId } }));
    expect((await local.api('GET', `/${kind}-requests/${requestId}`)).status).toBe(404);
    const after = await local.api('GET', `/${kind}-requests/${requestId}/receipt`);
    expectStatus(after, 200, `fetching the ${kind} receipt after the request expired`);
    expect(after.body).toEqual(stored);

    // AND the binary verifies it offline with the exported public key, and refuses it with one byte changed
    const dir = tempDir(`lethe-it-receipt-${kind}-`);
    const keyOut = lethe('receipt', 'public-key', '--data-dir', local.dataDir);
    expect({ status: keyOut.status, stderr: keyOut.stderr }).toEqual({ status: 0, stderr: '' });
    const pem = path.join(dir, 'receipt-key.pem');
    writeFileSync(pem, keyOut.stdout);
    const text = JSON.stringify(after.body, null, 2);
    const file = path.join(dir, 'receipt.json');
    writeFileSync(file, text);
    const valid = lethe('receipt', 'verify', file, '--public-key', pem);
    expect({ status: valid.status, stdout: valid.stdout }).toEqual({
      status: 0,
      stdout: expect.stringContaining(`valid (request ${requestId}`),
    });
    const bytes = Buffer.from(text, 'utf8');
    bytes[bytes.indexOf(`"outcome": "${outcome}"`) + '"outcome": "'.length] ^= 0x01;
    const altered = path.join(dir, 'altered.json');
    writeFileSync(altered, bytes);
    const invalid = lethe('receipt', 'verify', altered, '--public-key', pem);
    expect(invalid.status).toBe(1);
    expect(invalid.stderr).toContain('systems[0] (system profiles): does not match what was signed');
  },
);
