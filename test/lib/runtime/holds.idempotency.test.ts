/**
 * lib/runtime/holds.ts, placeHold with an Idempotency-Key (issue 14 leftovers, item 3): a placement sent again with the
 * same key (a retry after a lost answer) answers the same hold, 201 as the first time, and places, audits and
 * reschedules nothing more; the same key with another reason or scope is a 409 naming the header; without a key every
 * placement is a hold of its own, as before.
 */
import { recordsOf } from '../../../lib/audit';
import { EVENTS } from '../../../lib/core/contract';
import { isHoldKey } from '../../../lib/runtime/holds';
import { apiClient } from '../../lambdas/helpers';
import { AUDIT_BUCKET, createWorld, TABLES, type TestWorld } from './support/runtime';

let world: TestWorld;
let api: ReturnType<typeof apiClient>;

beforeEach(() => {
  world = createWorld({ now: '2025-01-01T10:00:00Z' });
  api = apiClient(world);
});
afterEach(() => world.restore());

const place = (subjectId: string, body: unknown, key?: string) =>
  api.call({
    method: 'POST',
    path: `/subjects/${subjectId}/holds`,
    body,
    pathParameters: { subjectId },
    ...(key === undefined ? {} : { headers: { 'Idempotency-Key': key } }),
  });
const holdItems = () => world.ddb.items(TABLES.events).filter((i) => isHoldKey(String(i[EVENTS.sortKey])));
const auditRecords = () => [...world.s3.bodies(AUDIT_BUCKET, 'audit/').values()].flatMap((b) => recordsOf(b));

const BODY = { reason: 'Tax audit 2025-17', scope: { purposes: ['bookkeeping'], refs: ['O-1'] } };

describe('a placement sent again with the same Idempotency-Key', () => {
  test('GIVEN a hold placed with key K WHEN the same placement comes again with K THEN 201, the same hold, nothing placed or audited twice', async () => {
    const first = await place('user1', BODY, 'key-1');
    expect(first.status).toBe(201);
    const audited = auditRecords().length;
    // WHEN the client retries (its answer was lost), a minute later
    world.clock.now = world.clock.now.add({ minutes: 1 });
    const again = await place('user1', BODY, 'key-1');
    // THEN the same answer: status, hold id, reason, scope and placedAt of the first placement
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    // AND one hold is stored, audited once
    expect(holdItems()).toHaveLength(1);
    expect(auditRecords()).toHaveLength(audited);
  });

  test('the scope given in another order, or with a repeated entry, is the same placement', async () => {
    const first = await place('user1', { reason: 'r', scope: { purposes: ['bookkeeping', 'analytics'], refs: ['O-1', 'O-2'] } }, 'k');
    const again = await place(
      'user1',
      { reason: 'r', scope: { purposes: ['analytics', 'bookkeeping'], refs: ['O-2', 'O-1', 'O-1'] } },
      'k',
    );
    expect(again.status).toBe(201);
    expect(again.body.holdId).toBe(first.body.holdId);
    expect(holdItems()).toHaveLength(1);
  });

  test.each([
    ['another reason', { ...BODY, reason: 'Another audit' }],
    ['another scope', { ...BODY, scope: { purposes: ['bookkeeping'], refs: ['O-10'] } }],
    ['no scope', { reason: BODY.reason }],
  ])('GIVEN a hold placed with key K WHEN K comes with %s THEN 409 naming the header, and nothing else is stored', async (_what, body) => {
    const first = await place('user1', BODY, 'key-1');
    const conflict = await place('user1', body, 'key-1');
    expect(conflict.status).toBe(409);
    expect(conflict.body.error).toMatchObject({ code: 'conflict', message: expect.stringContaining('headers.Idempotency-Key') });
    expect(JSON.stringify(conflict.body)).not.toMatch(/Tax audit|O-1/);
    expect(holdItems().map((i) => i.holdId)).toEqual([first.body.holdId]);
  });

  test("the same key on another subject's route is that subject's own hold (a key is scoped to the subject in the path)", async () => {
    const mine = await place('user1', BODY, 'key-1');
    const theirs = await place('user10', BODY, 'key-1');
    expect(theirs.status).toBe(201);
    expect(theirs.body.holdId).not.toBe(mine.body.holdId);
    expect(holdItems()).toHaveLength(2);
  });

  test('a released hold, asked again with its key, answers as it is now (released), and is not placed again', async () => {
    const first = await place('user1', BODY, 'key-1');
    const holdId = first.body.holdId as string;
    await api.call({ method: 'POST', path: `/subjects/user1/holds/${holdId}/release`, pathParameters: { subjectId: 'user1', holdId } });
    const again = await place('user1', BODY, 'key-1');
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ holdId, releasedAt: expect.any(String) });
    expect(holdItems()).toHaveLength(1);
  });

  test('GIVEN the first call stored the hold and failed before its audit WHEN it is retried with its key THEN the hold is audited, once', async () => {
    // GIVEN the audit bucket refuses the first write
    world.s3.beforePut = () => {
      world.s3.beforePut = undefined;
      throw Object.assign(new Error('S3 unavailable'), {
        name: 'ServiceUnavailable',
        $fault: 'server',
        $metadata: { httpStatusCode: 503 },
      });
    };
    const failed = await place('user1', BODY, 'key-1');
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect(holdItems()).toHaveLength(1);
    expect(auditRecords()).toEqual([]);
    // WHEN the client retries with its key, and again
    const retried = await place('user1', BODY, 'key-1');
    const audited = auditRecords().length;
    await place('user1', BODY, 'key-1');
    // THEN 201 with the stored hold, audited by the first retry and not again
    expect(retried.status).toBe(201);
    expect(audited).toBeGreaterThan(0);
    expect(auditRecords().map((r) => r.holdId)).toEqual(Array(audited).fill(retried.body.holdId));
    expect(auditRecords()).toHaveLength(audited);
  });

  test('without a key, each placement is a hold of its own (as before)', async () => {
    const a = await place('user1', BODY);
    const b = await place('user1', BODY);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.holdId).not.toBe(b.body.holdId);
    expect(holdItems()).toHaveLength(2);
  });

  test.each([
    ['an empty key', ''],
    ['a key longer than 256 characters', 'k'.repeat(257)],
  ])('%s is 400 naming the header, and nothing is stored', async (_what, key) => {
    const answer = await place('user1', BODY, key);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'invalid-input', path: 'headers.Idempotency-Key' });
    expect(holdItems()).toEqual([]);
  });
});
