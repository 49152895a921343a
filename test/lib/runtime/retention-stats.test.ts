/**
 * GET /retention/calendar and GET /retention/holdings (lib/runtime/retention-stats.ts): holdings counted by their
 * expiry from each purpose's due index, on the in-memory DynamoDB (aws-sdk-client-mock), through the API handler.
 * The policy's time zone is Europe/Stockholm (UTC+1 in March); the clock is 2025-03-01T10:00:00Z.
 */
import { LEDGER, PARKED_STATE, type ParkedState } from '../../../lib/core/contract';
import { formatInstant } from '../../../lib/retention/time';
import { dueShardOf, fromStored, parkedShardOf } from '../../../lib/runtime/ledger';
import { policyWithRetention } from '../../helpers/policy';
import { Temporal } from '@js-temporal/polyfill';
import { type Answer, apiClient } from '../../lambdas/helpers';
import { createWorld, ledgerTable, type TestWorld } from './support/runtime';

let world: TestWorld;
let api: ReturnType<typeof apiClient>;

beforeEach(() => {
  world = createWorld({ now: '2025-03-01T10:00:00Z' });
  api = apiClient(world);
});
afterEach(() => world.restore());

const ZONE = 'Europe/Stockholm';

/**
 * An active holding in `purpose`'s ledger: due at `dueAt` (its expiry unless `liftAt` makes it due earlier for a
 * restriction's lift), or not in the due index at all (`dueAt` undefined: held, waiting, done).
 */
function holding(
  purpose: string,
  subjectRef: string,
  expiresAt: string | undefined,
  options: { liftAt?: string; done?: boolean; parked?: ParkedState } = {},
) {
  const expiry = expiresAt === undefined ? undefined : Temporal.Instant.from(expiresAt);
  const dueAt = options.liftAt !== undefined ? Temporal.Instant.from(options.liftAt).epochMilliseconds : expiry?.epochMilliseconds;
  world.ddb.seed(ledgerTable(purpose), {
    subjectRef,
    system: 'crm',
    status: options.done ? 'done' : 'active',
    collectedAt: '2024-01-01T00:00:00.000Z',
    collectedAtMs: Date.parse('2024-01-01T00:00:00.000Z'),
    ...(expiry ? { expiresAt: formatInstant(expiry, ZONE) } : {}),
    ...(dueAt !== undefined && !options.done ? { dueShard: dueShardOf(subjectRef), dueAt } : {}),
    ...(options.parked ? { parkedShard: parkedShardOf(options.parked, subjectRef) } : {}),
  });
}

/** The holdings of the cases below, by what each is for. */
function seedLedger(): void {
  holding('analytics', 'ref-past', '2025-03-01T09:00:00Z'); // expired an hour ago: due, not on the calendar
  holding('analytics', 'ref-today', '2025-03-01T12:00:00Z'); // later today
  holding('analytics', 'ref-today-2', '2025-03-01T22:59:59.999Z'); // 23:59:59.999 local: still today
  holding('analytics', 'ref-midnight', '2025-03-01T23:30:00Z'); // 00:30 local on 2 March
  holding('analytics', 'ref-day3', '2025-03-02T23:30:00Z'); // 00:30 local on 3 March
  holding('analytics', 'ref-far', '2025-08-01T10:00:00Z'); // in five months
  // due for a restriction's lift today, expiring on 2 March: counted on its expiry's day
  holding('analytics', 'ref-lift', '2025-03-02T10:00:00Z', { liftAt: '2025-03-01T15:00:00Z' });
  // due for a lift only (its clock waits for an event): not expiring, counted nowhere
  holding('analytics', 'ref-lift-only', undefined, { liftAt: '2025-03-01T16:00:00Z' });
  // due for a lift that has passed, its own expiry in the future: counting, not due
  holding('analytics', 'ref-lift-passed', '2025-04-01T10:00:00Z', { liftAt: '2025-03-01T08:00:00Z' });
  holding('analytics', 'ref-done', '2025-03-01T12:00:00Z', { done: true }); // finished: out of the index
  // held (a legal hold) and due for a restriction's lift today, expiring on 3 March: held, on no day of the calendar
  holding('analytics', 'ref-held-lift', '2025-03-03T10:00:00Z', { liftAt: '2025-03-01T15:00:00Z', parked: PARKED_STATE.held });
  // held, its lift passed, its own expiry passed: held, not due
  holding('analytics', 'ref-held-lift-passed', '2025-02-01T10:00:00Z', { liftAt: '2025-03-01T08:00:00Z', parked: PARKED_STATE.held });
  holding('analytics', 'ref-held', '2025-02-01T10:00:00Z', { parked: PARKED_STATE.held }); // held, out of the due index
  holding('analytics', 'ref-waiting', undefined, { parked: PARKED_STATE.waiting });
  holding('customer', 'ref-c1', '2025-03-01T13:00:00Z');
  holding('customer', 'ref-c2', '2025-03-01T14:00:00Z');
  holding('customer', 'ref-c-past', '2025-02-01T00:00:00Z');
}

const calendar = (query: Record<string, string> = {}): Promise<Answer> =>
  api.call({ method: 'GET', path: '/retention/calendar', queryStringParameters: query });
const states = (query?: Record<string, string>): Promise<Answer> =>
  api.call({ method: 'GET', path: '/retention/holdings', ...(query ? { queryStringParameters: query } : {}) });

describe('GET /retention/calendar', () => {
  it.each([
    {
      days: '1',
      analytics: [{ date: '2025-03-01', count: 2 }],
      customer: [{ date: '2025-03-01', count: 2 }],
    },
    {
      days: '2',
      analytics: [
        { date: '2025-03-01', count: 2 },
        { date: '2025-03-02', count: 2 },
      ],
      customer: [{ date: '2025-03-01', count: 2 }],
    },
    {
      days: '3',
      analytics: [
        { date: '2025-03-01', count: 2 },
        { date: '2025-03-02', count: 2 },
        { date: '2025-03-03', count: 1 },
      ],
      customer: [{ date: '2025-03-01', count: 2 }],
    },
  ])('counts per purpose and local day, from now to the end of day $days', async ({ days, analytics, customer }) => {
    // GIVEN holdings expiring around local midnights, one due for a lift, one for a lift only, one done
    seedLedger();
    // WHEN the calendar is asked for
    const answer = await calendar({ days });
    // THEN each purpose's local days with their counts, every purpose listed, days without left out
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      from: '2025-03-01',
      days: Number(days),
      timeZone: ZONE,
      purposes: { customer, marketing: [], analytics, bookkeeping: [] },
    });
  });

  it('counts 90 days by default, and reads only the due index and the held partitions of the parked index, every shard', async () => {
    // GIVEN the holdings
    seedLedger();
    // WHEN the calendar is asked for without days
    const answer = await calendar();
    // THEN 90 days, the holding due in five months left out
    expect(answer.body.days).toBe(90);
    expect((answer.body.purposes as Record<string, unknown[]>).analytics).toHaveLength(3);
    // AND only Queries: of the due index, 16 shards for each of the 4 purposes, and of the parked index's held
    // partitions likewise, each projected to dueAt and expiresAt
    const ledgerCalls = world.ddb.calls.filter((c) => c.table.startsWith('lethe-ledger-'));
    const partition = (c: (typeof ledgerCalls)[number]) => {
      const values = c.input.ExpressionAttributeValues as Record<string, unknown>;
      return `${c.table} ${String(values[':shard'] ?? values[':parked'])}`;
    };
    expect(ledgerCalls.every((c) => c.command === 'Query' && c.input.ProjectionExpression === '#dueAt, #expiresAt')).toBe(true);
    const due = ledgerCalls.filter((c) => c.input.IndexName === LEDGER.dueIndex);
    const parked = ledgerCalls.filter((c) => c.input.IndexName === LEDGER.parkedIndex);
    expect(due.length + parked.length).toBe(ledgerCalls.length);
    expect(new Set(due.map(partition)).size).toBe(64);
    expect(new Set(parked.map(partition)).size).toBe(4 * LEDGER.parkedShards);
    expect(parked.every((c) => partition(c).includes(' held#'))).toBe(true);
  });

  it('counts holdings of the last day up to its local midnight, and a year of 366 days', async () => {
    // GIVEN holdings on the last millisecond of day 366 and on the first of day 367 (local time)
    holding('bookkeeping', 'ref-last', '2026-03-01T22:59:59.999Z');
    holding('bookkeeping', 'ref-after', '2026-03-01T23:00:00Z');
    // WHEN 366 days are asked for (1 March 2025 to 1 March 2026)
    const answer = await calendar({ days: '366' });
    // THEN the first is counted on its day, the second is not
    expect((answer.body.purposes as Record<string, unknown>).bookkeeping).toEqual([{ date: '2026-03-01', count: 1 }]);
  });

  it.each<{ name: string; query: Record<string, string>; path: string }>([
    { name: 'days 0', query: { days: '0' }, path: 'days' },
    { name: 'days 367', query: { days: '367' }, path: 'days' },
    { name: 'days that is no number', query: { days: 'ninety' }, path: 'days' },
    { name: 'negative days', query: { days: '-1' }, path: 'days' },
    { name: 'fractional days', query: { days: '1.5' }, path: 'days' },
    { name: 'empty days', query: { days: '' }, path: 'days' },
    { name: 'days with a leading zero', query: { days: '090' }, path: 'days' },
    { name: 'an unknown parameter', query: { purpose: 'analytics' }, path: 'purpose' },
  ])('refuses $name with 400 naming the parameter', async ({ query, path }) => {
    // WHEN the calendar is asked for with it THEN 400 naming it
    const answer = await calendar(query);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'invalid-input', path });
  });

  it('refuses days given twice', async () => {
    const answer = await api.call({
      method: 'GET',
      path: '/retention/calendar',
      queryStringParameters: { days: '7' },
      multiValueQueryStringParameters: { days: ['30', '7'] },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'invalid-input', path: 'days' });
  });
});

describe('GET /retention/holdings', () => {
  it('counts every state per purpose: due and counting by each holding’s expiry, a held one due for a lift once', async () => {
    // GIVEN the holdings
    seedLedger();
    // WHEN the states are asked for
    const answer = await states();
    // THEN due: expiry passed; counting: expiry ahead (a passed lift with a later expiry too); lift-only and done:
    // neither; held ones as held only, whether or not they are due for a lift; the waiting one as waiting
    expect(answer.status).toBe(200);
    const none = { waiting: 0, counting: 0, due: 0, held: 0, indefinite: 0, quarantined: 0, nothingFound: 0 };
    expect(answer.body).toEqual({
      asOf: '2025-03-01T10:00:00.000Z',
      purposes: {
        customer: { ...none, due: 1, counting: 2 },
        marketing: none,
        analytics: { ...none, waiting: 1, counting: 7, due: 1, held: 3 },
        bookkeeping: none,
      },
    });
    // AND only Queries of the two indexes: a COUNT of the due index's entries due later and of each parked state's
    // partitions (16 shards each, 4 purposes), never a scan
    const ledgerCalls = world.ddb.calls.filter((c) => c.table.startsWith('lethe-ledger-'));
    expect(
      ledgerCalls.every(
        (c) => c.command === 'Query' && (c.input.IndexName === LEDGER.dueIndex || c.input.IndexName === LEDGER.parkedIndex),
      ),
    ).toBe(true);
    expect(ledgerCalls.filter((c) => c.input.Select === 'COUNT' && c.input.IndexName === LEDGER.dueIndex)).toHaveLength(64);
    expect(ledgerCalls.filter((c) => c.input.Select === 'COUNT' && c.input.IndexName === LEDGER.parkedIndex)).toHaveLength(
      4 * LEDGER.parkedShards * Object.keys(PARKED_STATE).length,
    );
  });

  it('refuses a query parameter with 400 naming it', async () => {
    const answer = await states({ purpose: 'analytics' });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'invalid-input', path: 'purpose' });
  });
});

describe('GET /retention/holdings, kept true by the ledger’s own writes', () => {
  type Counts = Record<string, number>;
  const none = { waiting: 0, counting: 0, due: 0, held: 0, indefinite: 0, quarantined: 0, nothingFound: 0 };
  const counts = async (purpose: string): Promise<Counts> => ((await states()).body.purposes as Record<string, Counts>)[purpose];
  const stored = async (subjectId: string, purpose: string) => {
    const ref = await world.rt.refs.ref(subjectId);
    return fromStored(
      world.ddb.items(ledgerTable(purpose)).find((i) => i.subjectRef === ref)!,
      purpose,
    );
  };

  it('GIVEN holdings registered, started by an event, held, released, flagged, quarantined, finished THEN each is counted once, where it is', async () => {
    // GIVEN user1's customer holding, waiting for account-closed
    await api.holding('user1', { purpose: 'customer', system: 'crm', collectedAt: '2024-06-01T00:00:00Z' });
    expect(await counts('customer')).toEqual({ ...none, waiting: 1 });
    // WHEN her account is closed THEN its clock runs (three months)
    await api.event('user1', { type: 'account-closed', at: '2025-03-01T09:00:00Z' });
    expect(await counts('customer')).toEqual({ ...none, counting: 1 });

    // GIVEN analytics holdings of user2 (a year after 2024-01-01: due) and user3 (a year after 2024-06-01: counting)
    await api.holding('user2', { purpose: 'analytics', system: 'crm', collectedAt: '2024-01-01T00:00:00Z' });
    await api.holding('user3', { purpose: 'analytics', system: 'crm', collectedAt: '2024-06-01T00:00:00Z' });
    expect(await counts('analytics')).toEqual({ ...none, due: 1, counting: 1 });
    // WHEN a legal hold is placed on user3 THEN held; released THEN counting again
    const placed = await api.call({
      method: 'POST',
      path: '/subjects/user3/holds',
      body: { reason: 'audit' },
      pathParameters: { subjectId: 'user3' },
    });
    expect(placed.status).toBe(201);
    expect(await counts('analytics')).toEqual({ ...none, due: 1, held: 1 });
    const holdId = String(placed.body.holdId);
    const released = await api.call({
      method: 'POST',
      path: `/subjects/user3/holds/${holdId}/release`,
      pathParameters: { subjectId: 'user3', holdId },
    });
    expect(released.status).toBe(200);
    expect(await counts('analytics')).toEqual({ ...none, due: 1, counting: 1 });

    // WHEN user2's expiry finds nothing THEN nothing found, not due
    expect(await world.rt.ledger.flagNothingFound(await stored('user2', 'analytics'), 'sweep:s1', world.clock.now)).toBe(true);
    expect(await counts('analytics')).toEqual({ ...none, nothingFound: 1, counting: 1 });
    // WHEN user3's holding fails a sweep, with quarantine after one THEN quarantined, not counting
    const failure = { sweepId: 's2', error: 'Error', now: world.clock.now };
    expect((await world.rt.ledger.recordFailedSweep(await stored('user3', 'analytics'), failure, 1)).quarantined).toBe(true);
    expect(await counts('analytics')).toEqual({ ...none, nothingFound: 1, quarantined: 1 });
    // WHEN both are finished (an erasure request) THEN in no state
    for (const id of ['user2', 'user3'])
      expect(await world.rt.ledger.finish(await stored(id, 'analytics'), 'erased', 'request:r1', world.clock.now)).toBe(true);
    expect(await counts('analytics')).toEqual(none);
    // AND the finished items carry no index key
    for (const item of world.ddb.items(ledgerTable('analytics'))) {
      expect(item).not.toHaveProperty(LEDGER.parkedShardAttribute);
      expect(item).not.toHaveProperty(LEDGER.dueShardAttribute);
    }
  });

  it('GIVEN a purpose kept indefinitely THEN its holding is counted as indefinite', async () => {
    world.restore();
    world = createWorld({
      policy: policyWithRetention({ indefinite: true, justification: 'Kept for the archive.' }),
      now: '2025-03-01T10:00:00Z',
    });
    api = apiClient(world);
    await api.holding('user1', { purpose: 'p', system: 'crm', collectedAt: '2025-01-15T12:00:00+01:00' });
    expect(await counts('p')).toEqual({ ...none, indefinite: 1 });
  });
});
