/**
 * The DPO console's read-only routes through local mode (issue 18): GET /requests, GET /retention/calendar and
 * GET /retention/holdings answer from the requests table's by-status index and the ledger's due indexes, which local
 * mode creates in DynamoDB Local from the same table specs as the stack; bad input is a 400 naming the parameter.
 * Needs Java 17+ (DynamoDB Local), as local mode does.
 */
import { Temporal } from '@js-temporal/polyfill';
import type { DueCalendar, HoldingStates, RequestList } from '../../lib/console/contract';
import { type Harness, hold, requestErasure, startHarness, testUser } from './support/harness';

jest.setTimeout(120_000);

const ZONE = 'Europe/Stockholm';
let harness: Harness | undefined;
const local = () => harness!.local;

beforeAll(async () => {
  harness = await startHarness();
}, 180_000);

afterAll(async () => {
  await harness?.stop();
}, 60_000);

/** A collection `keep` (P2Y, the research purpose's) before an instant `offsetDays` from now, in the policy's zone. */
function collectedFor(offsetDays: number): { collectedAt: string; expiry: Temporal.ZonedDateTime } {
  const expiry = Temporal.Now.zonedDateTimeISO(ZONE).add({ days: offsetDays }).round({ smallestUnit: 'second', roundingMode: 'floor' });
  const collected = expiry.subtract({ years: 2 });
  return { collectedAt: collected.toString({ timeZoneName: 'never' }), expiry: collected.add({ years: 2 }) };
}

describe('the DPO console routes through local mode', () => {
  const due = testUser('dpo-user1', 'Ada Due');
  const soon = testUser('dpo-user10', 'Bo Soon');
  const waits = testUser('dpo-user5', 'Fa Waits');
  const kept = testUser('dpo-user6', 'Gu Kept');
  const erased = [testUser('dpo-user2', 'Cy Erased'), testUser('dpo-user3', 'Di Erased'), testUser('dpo-user4', 'Ed Erased')];
  let requestIds: string[] = [];
  /** The counts before this test's holdings (local mode may hold demo data already). */
  let before: HoldingStates['purposes'] = {};
  /** Research's calendar of the week before them. */
  let calendarBefore: DueCalendar['purposes'][string] = [];
  const counts = async () => ((await local().api('GET', '/retention/holdings')).body as HoldingStates).purposes;

  beforeAll(async () => {
    before = await counts();
    calendarBefore = ((await local().api('GET', '/retention/calendar?days=7')).body as DueCalendar).purposes.research;
    // GIVEN research holdings (P2Y from collection): one expired a day ago, one expiring in three days
    await hold(local(), due, 'research', 'surveys', collectedFor(-1).collectedAt);
    await hold(local(), soon, 'research', 'surveys', collectedFor(3).collectedAt);
    // AND an account holding, whose clock waits for account-closed
    await hold(local(), waits, 'account', 'profiles', collectedFor(0).collectedAt);
    // AND a research holding expired a day ago, kept by a legal hold placed on its subject
    await hold(local(), kept, 'research', 'surveys', collectedFor(-1).collectedAt);
    const placed = await local().api('POST', `/subjects/${kept.id}/holds`, { body: { reason: 'litigation hold 2026-12' } });
    expect(placed.status).toBe(201);
    // AND three erasure requests, one after another, each handled to the end
    requestIds = [];
    for (const user of erased) {
      const requestId = await requestErasure(local(), user);
      await local().waitForRequest(requestId);
      requestIds.push(requestId);
    }
  });

  it('GET /requests lists them newest first, a page at a time, without subject ids', async () => {
    // WHEN the list is read two at a time, following the cursor
    const first = await local().api('GET', '/requests?kind=erasure&limit=2');
    expect(first.status).toBe(200);
    const page1 = first.body as RequestList;
    const second = await local().api('GET', `/requests?kind=erasure&limit=2&cursor=${encodeURIComponent(page1.cursor!)}`);
    const page2 = second.body as RequestList;
    // THEN the three requests come once each, newest received first, completed, and the listing ends
    expect([...page1.requests, ...page2.requests].map((r) => r.requestId)).toEqual([...requestIds].reverse());
    expect(page1.requests.every((r) => r.kind === 'erasure' && r.status === 'completed')).toBe(true);
    expect(page2.cursor).toBeUndefined();
    // AND no subject's id, name or e-mail is in either answer
    const text = JSON.stringify([first.body, second.body]);
    for (const user of [...erased, due, soon, waits, kept])
      for (const value of [user.id, user.name, user.email]) expect(text).not.toContain(value);
    // AND the filters answer: nothing open is due (all completed), nothing of another kind
    expect(((await local().api('GET', '/requests?status=open&dueBefore=2099-01-01T00:00:00Z')).body as RequestList).requests).toEqual([]);
    expect(((await local().api('GET', '/requests?kind=access')).body as RequestList).requests).toEqual([]);
  });

  it('GET /retention/calendar counts the holding expiring in three days on its local day (beside what local mode held before)', async () => {
    // WHEN the calendar of the next week is read
    const answer = await local().api('GET', '/retention/calendar?days=7');
    // THEN research has one more holding on the day of its expiry (the one due already is not on it)
    expect(answer.status).toBe(200);
    const calendar = answer.body as DueCalendar;
    expect(calendar).toMatchObject({ from: Temporal.Now.plainDateISO(ZONE).toString(), days: 7, timeZone: ZONE });
    const date = collectedFor(3).expiry.toPlainDate().toString();
    const expected = new Map(calendarBefore.map((d) => [d.date, d.count]));
    expected.set(date, (expected.get(date) ?? 0) + 1);
    expect(calendar.purposes.research).toEqual(
      [...expected].sort(([a], [b]) => a.localeCompare(b)).map(([d, count]) => ({ date: d, count })),
    );
  });

  it('GET /retention/holdings counts each holding in its state: due, counting and held in research, waiting in account', async () => {
    const answer = await local().api('GET', '/retention/holdings');
    expect(answer.status).toBe(200);
    const after = (answer.body as HoldingStates).purposes;
    // THEN research: one more due, one more counting, one more held (expired, but kept: not due); account: one more waiting
    expect(after.research).toEqual({
      ...before.research,
      due: before.research.due + 1,
      counting: before.research.counting + 1,
      held: before.research.held + 1,
    });
    expect(after.account).toEqual({ ...before.account, waiting: before.account.waiting + 1 });
    // AND every other purpose as before
    for (const purpose of Object.keys(before).filter((p) => p !== 'research' && p !== 'account'))
      expect(after[purpose]).toEqual(before[purpose]);
  });

  it.each([
    { path: '/requests?limit=0', param: 'limit' },
    { path: '/requests?limit=101', param: 'limit' },
    { path: '/requests?kind=deletion', param: 'kind' },
    { path: '/requests?status=done', param: 'status' },
    { path: '/requests?dueBefore=tomorrow', param: 'dueBefore' },
    { path: '/requests?cursor=not-a-cursor', param: 'cursor' },
    { path: '/requests?kind=erasure&kind=access', param: 'kind' },
    { path: '/requests?subjectId=dpo-user1', param: 'subjectId' },
    { path: '/retention/calendar?days=367', param: 'days' },
    { path: '/retention/calendar?days=0', param: 'days' },
    { path: '/retention/holdings?purpose=research', param: 'purpose' },
  ])('GET $path is a 400 naming $param', async ({ path, param }) => {
    const answer = await local().api('GET', path);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: { code: 'invalid-input', path: param } });
  });
});
