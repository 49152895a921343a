/**
 * GET /retention/calendar and GET /retention/holdings (lib/runtime/retention-stats.ts): holdings counted by their
 * expiry from each purpose's due index, on the in-memory DynamoDB (aws-sdk-client-mock), through the API handler.
 * The policy's time zone is Europe/Stockholm (UTC+1 in March); the clock is 2025-03-01T10:00:00Z.
 */
import { LEDGER } from '../../../lib/core/contract';
import { formatInstant } from '../../../lib/retention/time';
import { dueShardOf } from '../../../lib/runtime/ledger';
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
function holding(purpose: string, subjectRef: string, expiresAt: string | undefined, options: { liftAt?: string; done?: boolean } = {}) {
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

  it('counts 90 days by default, and reads only the due index, every shard of every purpose, two attributes', async () => {
    // GIVEN the holdings
    seedLedger();
    // WHEN the calendar is asked for without days
    const answer = await calendar();
    // THEN 90 days, the holding due in five months left out
    expect(answer.body.days).toBe(90);
    expect((answer.body.purposes as Record<string, unknown[]>).analytics).toHaveLength(3);
    // AND only Queries of the due index: 16 shards for each of the 4 purposes, projected to dueAt and expiresAt
    const ledgerCalls = world.ddb.calls.filter((c) => c.table.startsWith('lethe-ledger-'));
    expect(ledgerCalls.every((c) => c.command === 'Query' && c.input.IndexName === LEDGER.dueIndex)).toBe(true);
    expect(
      new Set(ledgerCalls.map((c) => `${c.table} ${String((c.input.ExpressionAttributeValues as Record<string, unknown>)[':shard'])}`))
        .size,
    ).toBe(64);
    expect(ledgerCalls.every((c) => c.input.ProjectionExpression === '#dueAt, #expiresAt')).toBe(true);
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
  it('counts due and counting per purpose by each holding’s expiry, and names what it does not count', async () => {
    // GIVEN the holdings
    seedLedger();
    // WHEN the states are asked for
    const answer = await states();
    // THEN due: expiry passed; counting: expiry ahead (a passed lift with a later expiry too); lift-only and done: neither
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      asOf: '2025-03-01T10:00:00.000Z',
      purposes: {
        customer: { due: 1, counting: 2 },
        marketing: { due: 0, counting: 0 },
        analytics: { due: 1, counting: 7 },
        bookkeeping: { due: 0, counting: 0 },
      },
      notCounted: ['waiting', 'held'],
    });
    // AND only the due index was read (the entries due by now, and a COUNT of those due later)
    const ledgerCalls = world.ddb.calls.filter((c) => c.table.startsWith('lethe-ledger-'));
    expect(ledgerCalls.every((c) => c.command === 'Query' && c.input.IndexName === LEDGER.dueIndex)).toBe(true);
    expect(ledgerCalls.filter((c) => c.input.Select === 'COUNT')).toHaveLength(64);
  });

  it('refuses a query parameter with 400 naming it', async () => {
    const answer = await states({ purpose: 'analytics' });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'invalid-input', path: 'purpose' });
  });
});
