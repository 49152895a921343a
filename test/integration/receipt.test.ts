/**
 * Signed receipts end to end in local mode (issue 19, item 2): an erasure request completes, its receipt is fetched
 * (GET /erasure-requests/{id}/receipt), `lethe receipt public-key` prints local mode's key from its data directory, and
 * `lethe receipt verify` (the binary) says the receipt is valid, and that a copy with one field changed is invalid,
 * naming the field (exit 1). Before completion the route answers 409.
 *
 * Needs Java 17+ (DynamoDB Local), as local mode does.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../support/temp-dir';
import { eventually, expectStatus, type Harness, hold, isoDaysFromNow, seed, startHarness, testUser } from './support/harness';

jest.setTimeout(120_000);

const ROOT = path.join(__dirname, '..', '..');
let harness: Harness | undefined;

beforeAll(async () => {
  harness = await startHarness();
}, 180_000);

afterAll(async () => {
  await harness?.stop();
}, 60_000);

const lethe = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(ROOT, 'bin', 'lethe.js'), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env } });

test('a completed erasure gets a receipt that lethe receipt verify accepts, and refuses altered, naming the field', async () => {
  const { local } = harness!;
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
