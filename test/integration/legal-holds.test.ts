/**
 * Legal holds end to end in local mode (spec 2.3, lib/runtime/holds.ts): placed, listed and released through the
 * API as a client calls it; a sweep on a simulated clock leaves the held holding's data in the SaaS while it erases
 * another subject's due at the same time; an erasure request retains the held holding with the hold's id and reason;
 * after the release, the next sweep erases it. Placing and releasing are in the audit trail.
 *
 * Needs Java 17+ (DynamoDB Local), as local mode does.
 */
import { Temporal } from '@js-temporal/polyfill';
import {
  auditOf,
  expectStatus,
  hold as registerHolding,
  ledgerItems,
  recordOf,
  type RequestView,
  requestErasure,
  seed,
  useHarness,
  testUser,
} from './support/harness';

jest.setTimeout(120_000);

const harness = useHarness();

test('a held holding survives a sweep and an erasure request, and is erased by the first sweep after its release', async () => {
  const { local } = harness();
  // GIVEN two support-desk users whose tickets (support keeps data P2Y from collection) are due in 5 days
  const today = Temporal.Now.instant();
  const collected = today
    .toZonedDateTimeISO('UTC')
    .subtract({ years: 2 })
    .add({ days: 5 })
    .toInstant()
    .toString({ smallestUnit: 'second' });
  const held = testUser('it-hold-1', 'Hedda Lag');
  const other = testUser('it-hold-10', 'Otto Lag');
  for (const user of [held, other]) {
    await seed(local, user, ['tickets']);
    await registerHolding(local, user, 'support', 'tickets', collected);
  }
  const supportItem = async (user: { id: string }) => {
    const items = await ledgerItems(local, 'support');
    const answer = await local.api('GET', `/subjects/${user.id}/holds`);
    expectStatus(answer, 200, 'listing holds');
    return { items, holds: (answer.body as { holds: Record<string, unknown>[] }).holds };
  };

  // WHEN a hold is placed on the first one's support data
  const placed = await local.api('POST', `/subjects/${held.id}/holds`, {
    body: { reason: 'Tvist vid Stockholms tingsrätt, mål T 123-25', scope: { purposes: ['support'] } },
  });
  expectStatus(placed, 201, 'placing a hold');
  const holdId = (placed.body as { holdId: string }).holdId;
  // THEN it is listed, in force; the other user has none
  expect((await supportItem(held)).holds).toEqual([
    expect.objectContaining({
      holdId,
      reason: 'Tvist vid Stockholms tingsrätt, mål T 123-25',
      releasedAt: null,
      scope: { purposes: ['support'] },
    }),
  ]);
  expect((await supportItem(other)).holds).toEqual([]);
  // AND exactly one support holding is in the due index for the next 30 days: the other user's
  const in30Days = today.add({ hours: 30 * 24 });
  const dueBy = (items: Record<string, unknown>[], at: Temporal.Instant) =>
    items.filter((i) => i.status === 'active' && typeof i.dueAt === 'number' && i.dueAt <= at.epochMilliseconds);
  expect(dueBy(await ledgerItems(local, 'support'), in30Days)).toHaveLength(1);

  // WHEN the support sweep runs 30 days from today
  const first = await local.runSweep('support', in30Days.toString());
  expect(first.status).toBe('SUCCEEDED');
  // THEN the other user's ticket data is erased, the held user's is untouched
  expect(local.receiver.records('tickets')[other.id]).toBeUndefined();
  expect(local.receiver.records('tickets')[held.id]).toEqual(recordOf(held, 'tickets'));

  // WHEN the held user asks for erasure
  const requestId = await requestErasure(local, held);
  const view = (await local.waitForRequest(requestId)) as unknown as RequestView & {
    retained: readonly { purpose: string; reason: string; until: string | null; hold?: string }[];
  };
  // THEN the support data is retained with the hold's id and reason, and the SaaS still has it, only marked restricted
  // with the hold's id (spec 2.3, 2.4)
  expect(view.retained).toEqual([
    expect.objectContaining({ purpose: 'support', hold: holdId, reason: 'Tvist vid Stockholms tingsrätt, mål T 123-25', until: null }),
  ]);
  const { 'lethe:restricted': mark, ...kept } = local.receiver.records('tickets')[held.id] as Record<string, unknown>;
  expect(mark).toEqual({ requestId: holdId });
  expect(kept).toEqual(recordOf(held, 'tickets'));

  // WHEN the hold is released (today: before the holding's own expiry, which stays the later of the two)
  const released = await local.api('POST', `/subjects/${held.id}/holds/${holdId}/release`);
  expectStatus(released, 200, 'releasing the hold');
  expect(released.body).toMatchObject({
    holdId,
    unrestricted: [{ system: 'tickets', status: 'unrestricted' }],
    holdingsRescheduled: 1,
    releasedAt: expect.any(String),
  });
  // AND the hold's mark is gone from the SaaS record, the rest as seeded (spec 2.3: unrestrict at the release)
  expect(local.receiver.records('tickets')[held.id]).toEqual(recordOf(held, 'tickets'));
  // AND a second release is refused
  expect((await local.api('POST', `/subjects/${held.id}/holds/${holdId}/release`)).status).toBe(409);
  // THEN the holding is due again, at its own expiry
  expect(dueBy(await ledgerItems(local, 'support'), in30Days)).toHaveLength(1);

  // WHEN the next sweep runs
  const second = await local.runSweep('support', in30Days.toString());
  expect(second.status).toBe('SUCCEEDED');
  // THEN the held user's ticket data is erased now
  expect(local.receiver.records('tickets')[held.id]).toBeUndefined();

  // AND the audit trail has the placing, the unrestrict and the release (the hold covers one system), no reason text
  const holdRecords = await auditOf(local, { kind: 'hold' });
  const mine = holdRecords.filter((r) => r.holdId === holdId);
  expect(mine.map((r) => [r.system, r.action, r.outcome])).toEqual([
    ['tickets', 'hold', 'held'],
    ['tickets', 'unrestrict', 'unrestricted'],
    ['tickets', 'release', 'released'],
  ]);
  expect(JSON.stringify(mine)).not.toMatch(/Tvist|it-hold-1|Hedda/);
});
