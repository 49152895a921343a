/**
 * GET /subjects/{subjectId} through local mode (issue 14): what Lethe holds about one subject, from the ledger, the
 * events and the requests, with nothing of another subject (sv-user1 beside sv-user10); POST …/events answers the
 * expiries it changed; and an ID document kept "until the request has been handled" (spec 2.4) gets its expiry when
 * the request completes, because Lethe records `request-handled` with the request id as ref.
 *
 * Runs on the integration policy moved to version 2, with one purpose added: `identity-check`, an ID image held per
 * request (per: item, ref = the request id) in the help desk (an http system), until request-handled.
 * Needs Java 17+ (DynamoDB Local), as local mode does.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { type LocalLethe, startLocal } from '../../lib/local';
import { loadPolicyFile } from '../../lib/policy/load';
import { expectStatus, hold, isoDaysFromNow, POLICY_FILE, type RequestView, requestErasure, seed, testUser } from './support/harness';

jest.setTimeout(120_000);

let local: LocalLethe | undefined;
let dataDir = '';

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'lethe-it-view-'));
  const doc = parse(readFileSync(POLICY_FILE, 'utf8')) as Record<string, Record<string, unknown>> & { version: number };
  doc.version = 2;
  doc.categories['id-document'] = { description: 'Image of an ID document' };
  (doc.systems.tickets as { fields: Record<string, unknown> }).fields.idImage = { category: 'id-document' };
  doc.purposes['identity-check'] = {
    description: 'Checking the identity of a person making a request',
    legalBasis: 'legal-obligation',
    law: 'GDPR Art. 12(6)',
    retainReason: 'Your ID document is kept until your request has been handled.',
    per: 'item',
    categories: ['id-document'],
    systems: ['tickets'],
    retention: { until: 'request-handled' },
  };
  const policyFile = path.join(dataDir, 'policy.yaml');
  writeFileSync(policyFile, stringify(doc));
  loadPolicyFile(policyFile); // valid, or this throws naming what is not
  local = await startLocal({
    policyFile,
    port: 0,
    dataDir: path.join(dataDir, 'local'),
    sweepEveryMs: false,
    deadlineMonitorEveryMs: false,
    streamPollMs: 250,
    retryIntervalMs: 20,
    banner: false,
  });
}, 180_000);

afterAll(async () => {
  await local?.stop();
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

interface HoldingView {
  readonly purpose: string;
  readonly system: string;
  readonly ref?: string;
  readonly itemRef?: string;
  readonly status: string;
  readonly expiresAt: string | null;
  readonly waitingFor?: string[];
  readonly outcome?: string;
  readonly finishedBy?: string;
  readonly restrictions: unknown[];
}
interface SubjectView {
  readonly subjectId: string;
  readonly holdings: HoldingView[];
  readonly events: { type: string; at: string; itemRef?: string }[];
  readonly holds: unknown[];
  readonly requests: { requestId: string; kind: string; status: string }[];
}

async function viewOf(subjectId: string): Promise<SubjectView> {
  const answer = await local!.api('GET', `/subjects/${encodeURIComponent(subjectId)}`);
  expectStatus(answer, 200, `viewing ${subjectId}`);
  return answer.body as SubjectView;
}

async function receiverControl(action: 'hold' | 'release', system: string): Promise<void> {
  const response = await fetch(`${local!.receiver.url}/systems/${system}/${action}`, { method: 'POST' });
  expect(response.status).toBe(200);
}

test('a subject is viewed with its holdings, events and requests only; request-handled ends what waited for it', async () => {
  const lethe = local!;
  // GIVEN sv-user1 and sv-user10 with an account in profiles, and sv-user1 on the newsletter
  const user1 = testUser('sv-user1', 'Siv Ek');
  const user10 = testUser('sv-user10', 'Sven Ek');
  for (const user of [user1, user10]) {
    await seed(lethe, user, ['profiles', 'mailer', 'tickets']);
    await hold(lethe, user, 'account', 'profiles', isoDaysFromNow(-30));
  }
  await hold(lethe, user1, 'newsletter', 'mailer', isoDaysFromNow(-30));

  // WHEN sv-user1's account is closed
  const closed = await lethe.api('POST', `/subjects/${user1.id}/events`, { body: { type: 'account-closed', at: isoDaysFromNow(-1) } });
  // THEN the answer names the expiry it changed: the account's, from unknown to two years after the closing
  expectStatus(closed, 201, 'recording account-closed');
  const changed = (closed.body as { expiriesChanged: { purpose: string; system: string; from: string | null; to: string | null }[] })
    .expiriesChanged;
  expect(changed).toEqual([{ purpose: 'account', system: 'profiles', from: null, to: expect.any(String) }]);
  expect(Date.parse(changed[0].to!) - Date.now()).toBeGreaterThan(700 * 24 * 3600 * 1000);

  // AND the view of sv-user1 shows both holdings (the newsletter waiting for unsubscribed), its one event, no request
  const before = await viewOf(user1.id);
  expect(before.holdings.map((h) => [h.purpose, h.system, h.status, h.expiresAt === null ? h.waitingFor : 'dated'])).toEqual([
    ['account', 'profiles', 'active', 'dated'],
    ['newsletter', 'mailer', 'active', ['unsubscribed']],
  ]);
  expect(before.holdings[0].expiresAt).toBe(changed[0].to);
  expect(before.events.map((e) => e.type)).toEqual(['account-closed']);
  expect(before.requests).toEqual([]);
  // AND nothing of sv-user1 in sv-user10's, and a subject Lethe never heard of is 200 with empty lists
  const other = await viewOf(user10.id);
  expect(other.holdings.map((h) => [h.purpose, h.system, h.waitingFor])).toEqual([['account', 'profiles', ['account-closed']]]);
  expect(other.events).toEqual([]);
  expect(await viewOf('sv-nobody')).toMatchObject({ holdings: [], events: [], holds: [], requests: [] });

  // WHEN sv-user1 asks for erasure while the mailer is held (the request stays open), and the ID image sent with the
  // request is registered with the request id as its ref
  await receiverControl('hold', 'mailer');
  const requestId = await requestErasure(lethe, user1);
  expect(((await lethe.waitForRequest(requestId)) as unknown as RequestView).status).toBe('failed');
  const image = await lethe.api('POST', `/subjects/${user1.id}/holdings`, {
    body: { purpose: 'identity-check', system: 'tickets', ref: requestId, collectedAt: isoDaysFromNow(0) },
  });
  expectStatus(image, 201, 'registering the ID image');
  const open = await viewOf(user1.id);
  expect(open.requests).toEqual([expect.objectContaining({ requestId, kind: 'erasure', status: 'failed' })]);
  expect(open.holdings.find((h) => h.purpose === 'identity-check')).toMatchObject({
    ref: requestId,
    expiresAt: null,
    waitingFor: ['request-handled'],
  });

  // WHEN the mailer is released and the request completes
  await receiverControl('release', 'mailer');
  expect(((await lethe.waitForRequest(requestId)) as unknown as RequestView).status).toBe('completed');

  // THEN the view shows the request completed, the erased holdings done by it, and the ID image due now
  const after = await viewOf(user1.id);
  expect(after.requests).toEqual([expect.objectContaining({ requestId, kind: 'erasure', status: 'completed' })]);
  const byPurpose = Object.fromEntries(after.holdings.map((h) => [h.purpose, h]));
  expect(byPurpose.account).toMatchObject({ status: 'done', outcome: 'erased', finishedBy: `request:${requestId}` });
  expect(byPurpose.newsletter).toMatchObject({ status: 'done', outcome: 'erased', finishedBy: `request:${requestId}` });
  const idImage = byPurpose['identity-check'];
  expect(idImage).toMatchObject({ status: 'active', ref: requestId });
  expect(idImage.expiresAt).not.toBeNull();
  expect(Math.abs(Date.parse(idImage.expiresAt!) - Date.now())).toBeLessThan(60_000);
  // AND the event Lethe recorded is about that item only
  const handled = after.events.filter((e) => e.type === 'request-handled');
  expect(handled).toEqual([expect.objectContaining({ itemRef: idImage.itemRef })]);
  // AND sv-user10 is untouched: the same holding, no event, no request
  const otherAfter = await viewOf(user10.id);
  expect(otherAfter).toEqual({ ...other, asOf: expect.any(String) });
});
