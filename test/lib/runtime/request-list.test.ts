/**
 * GET /requests (lib/runtime/request-list.ts): every kind, newest received first, filtered and paged through the
 * `by-status` index, on the in-memory DynamoDB (aws-sdk-client-mock), through the API handler.
 */
import { REQUESTS } from '../../../lib/core/contract';
import { DEFAULT_LIMIT, REQUEST_LIST_INDEX } from '../../../lib/runtime/request-list';
import { type Answer, apiClient } from '../../lambdas/helpers';
import { createWorld, TABLES, type TestWorld } from './support/runtime';

let world: TestWorld;
let api: ReturnType<typeof apiClient>;

beforeEach(() => {
  world = createWorld({ now: '2025-03-01T10:00:00Z' });
  api = apiClient(world);
});
afterEach(() => world.restore());

interface Seed {
  readonly id: string;
  readonly kind?: 'erasure' | 'restriction' | 'access';
  readonly status: 'received' | 'running' | 'completed' | 'failed';
  readonly receivedAt: string;
  readonly deadline: string;
  readonly extension?: boolean;
  readonly systems?: Record<string, { status: string }>;
}

/** A stored request as the runtime writes it, with the subject's HMAC and sealed values (which the list must not show). */
function seed(s: Seed): void {
  world.ddb.seed(TABLES.requests, {
    requestId: s.id,
    ...(s.kind ? { kind: s.kind } : {}),
    subjectRef: `subject-hmac-of-${s.id}`,
    sealedSubject: `sealed-subject-of-${s.id}`,
    status: s.status,
    receivedAt: s.receivedAt,
    deadline: s.deadline,
    ...(s.status === 'completed' ? {} : { [REQUESTS.openAttribute]: REQUESTS.openValue }),
    verification: { method: 'bankid', verifiedAt: s.receivedAt },
    ...(s.extension
      ? { extension: { months: 1, reason: 'many systems', at: '2025-02-20T08:00:00.000Z', previousDeadline: s.deadline } }
      : {}),
    ...(s.systems ? { systems: s.systems } : {}),
  });
}

/** Six requests of every kind and status; `legacy` has no kind (stored before kinds: an erasure request). */
const SIX: readonly Seed[] = [
  { id: 'e-open', kind: 'erasure', status: 'running', receivedAt: '2025-02-27T09:00:00.000Z', deadline: '2025-03-27T09:00:00.000Z' },
  {
    id: 'r-open',
    kind: 'restriction',
    status: 'received',
    receivedAt: '2025-02-26T09:00:00.000Z',
    deadline: '2025-03-05T09:00:00.000Z',
    extension: true,
  },
  {
    id: 'a-done',
    kind: 'access',
    status: 'completed',
    receivedAt: '2025-02-25T09:00:00.000Z',
    deadline: '2025-03-25T09:00:00.000Z',
    systems: { crm: { status: 'exported' }, web: { status: 'exported' } },
  },
  {
    id: 'e-failed',
    kind: 'erasure',
    status: 'failed',
    receivedAt: '2025-02-24T09:00:00.000Z',
    deadline: '2025-03-03T09:00:00.000Z',
    systems: { crm: { status: 'erased' }, web: { status: 'failed' } },
  },
  { id: 'legacy', status: 'completed', receivedAt: '2025-02-23T09:00:00.000Z', deadline: '2025-03-23T09:00:00.000Z' },
  { id: 'a-open', kind: 'access', status: 'received', receivedAt: '2025-02-22T09:00:00.000Z', deadline: '2025-03-02T09:00:00.000Z' },
];

const list = (query: Record<string, string> = {}): Promise<Answer> =>
  api.call({ method: 'GET', path: '/requests', queryStringParameters: query });
const idsOf = (answer: Answer): string[] => (answer.body.requests as { requestId: string }[]).map((r) => r.requestId);

describe('GET /requests', () => {
  it('lists every kind and status, newest received first, with the contract fields and no subject id', async () => {
    // GIVEN six stored requests
    SIX.forEach(seed);
    // WHEN the list is asked for without filters
    const answer = await list();
    // THEN all six come, newest first, without a cursor (one page)
    expect(answer.status).toBe(200);
    expect(idsOf(answer)).toEqual(['e-open', 'r-open', 'a-done', 'e-failed', 'legacy', 'a-open']);
    expect(answer.body.cursor).toBeUndefined();
    const items = answer.body.requests as Record<string, unknown>[];
    expect(items[1]).toEqual({
      requestId: 'r-open',
      kind: 'restriction',
      status: 'received',
      receivedAt: '2025-02-26T09:00:00.000Z',
      deadline: '2025-03-05T09:00:00.000Z',
      extension: { reason: 'many systems', extendedAt: '2025-02-20T08:00:00.000Z' },
      systems: {},
    });
    expect(items[3].systems).toEqual({ erased: 1, failed: 1 });
    expect(items[4].kind).toBe('erasure');
    // AND nothing of any subject appears: no HMAC, no sealed value, no subject key
    expect(answer.raw.body).not.toMatch(/subject/i);
    // AND only the index was read: Queries on by-status, never a Scan or a read of the table itself
    const calls = world.ddb.calls.filter((c) => c.table === TABLES.requests);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((c) => c.command === 'Query' && c.input.IndexName === REQUEST_LIST_INDEX.name)).toBe(true);
  });

  it.each<{ name: string; query: Record<string, string>; ids: string[] }>([
    { name: 'kind=erasure (an item without kind included)', query: { kind: 'erasure' }, ids: ['e-open', 'e-failed', 'legacy'] },
    { name: 'kind=access', query: { kind: 'access' }, ids: ['a-done', 'a-open'] },
    { name: 'status=open: received and running', query: { status: 'open' }, ids: ['e-open', 'r-open', 'a-open'] },
    { name: 'status=completed', query: { status: 'completed' }, ids: ['a-done', 'legacy'] },
    { name: 'status=failed', query: { status: 'failed' }, ids: ['e-failed'] },
    { name: 'status=partial: Lethe stores no such status', query: { status: 'partial' }, ids: [] },
    { name: 'kind and status together', query: { kind: 'access', status: 'open' }, ids: ['a-open'] },
    {
      name: 'status=open&dueBefore: what is due this week (an offset in the instant)',
      query: { status: 'open', dueBefore: '2025-03-08T00:00:00+01:00' },
      ids: ['r-open', 'a-open'],
    },
    { name: 'dueBefore alone means open', query: { dueBefore: '2025-03-02T09:00:00Z' }, ids: ['a-open'] },
  ])('filters: $name', async ({ query, ids }) => {
    // GIVEN six stored requests
    SIX.forEach(seed);
    // WHEN the list is asked for with the filter THEN exactly the matching ones come, newest first
    const answer = await list(query);
    expect(answer.status).toBe(200);
    expect(idsOf(answer)).toEqual(ids);
  });

  it('pages through every request once, newest first, requests received in the same millisecond included', async () => {
    // GIVEN 7 requests, three of them received in the same millisecond, across statuses
    const at = (n: number) => `2025-02-${String(10 + n).padStart(2, '0')}T09:00:00.000Z`;
    const seeds: Seed[] = [
      { id: 'p1', kind: 'erasure', status: 'completed', receivedAt: at(6), deadline: at(9) },
      { id: 'p2', kind: 'access', status: 'received', receivedAt: at(5), deadline: at(9) },
      { id: 'p3', kind: 'erasure', status: 'completed', receivedAt: at(4), deadline: at(9) },
      { id: 'p4', kind: 'erasure', status: 'running', receivedAt: at(4), deadline: at(9) },
      { id: 'p5', kind: 'restriction', status: 'failed', receivedAt: at(4), deadline: at(9) },
      { id: 'p6', kind: 'erasure', status: 'completed', receivedAt: at(2), deadline: at(9) },
      { id: 'p7', kind: 'access', status: 'completed', receivedAt: at(1), deadline: at(9) },
    ];
    seeds.forEach(seed);
    // WHEN it is read two at a time, following each cursor
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const answer = await list({ limit: '2', ...(cursor ? { cursor } : {}) });
      expect(answer.status).toBe(200);
      pages.push(idsOf(answer));
      cursor = answer.body.cursor as string | undefined;
    } while (cursor !== undefined && pages.length < 10);
    // THEN each page has at most two, and together they are every request once, newest received first
    expect(pages.every((page) => page.length <= 2)).toBe(true);
    const all = pages.flat();
    expect([...all].sort()).toEqual(seeds.map((s) => s.id).sort());
    expect(all.map((id) => seeds.find((s) => s.id === id)!.receivedAt)).toEqual(seeds.map((s) => s.receivedAt));
    expect(pages.length).toBe(4);
  });

  it('goes on after a request on the page changed status, without repeating or losing one', async () => {
    // GIVEN three open requests, read one at a time
    SIX.forEach(seed);
    const first = await list({ status: 'open', limit: '1' });
    expect(idsOf(first)).toEqual(['e-open']);
    // WHEN the listed one completes (it leaves its partition) and then the next page is asked for
    world.ddb.seed(TABLES.requests, { ...world.ddb.item(TABLES.requests, { requestId: 'e-open' })!, status: 'completed' });
    const second = await list({ status: 'open', limit: '1', cursor: first.body.cursor as string });
    const third = await list({ status: 'open', limit: '1', cursor: second.body.cursor as string });
    // THEN the other two come, once each, and the listing ends
    expect([...idsOf(second), ...idsOf(third)]).toEqual(['r-open', 'a-open']);
    expect(third.body.cursor).toBeUndefined();
  });

  it(`answers ${DEFAULT_LIMIT} by default and at most 100`, async () => {
    // GIVEN 101 requests
    for (let n = 0; n < 101; n++) {
      const ms = String(n).padStart(3, '0');
      seed({
        id: `n${n}`,
        kind: 'erasure',
        status: 'completed',
        receivedAt: `2025-02-01T09:00:00.${ms}Z`,
        deadline: '2025-03-01T09:00:00.000Z',
      });
    }
    // WHEN asked without a limit, and with the largest
    const byDefault = await list();
    const largest = await list({ limit: '100' });
    // THEN the default page and the largest one, each with a cursor to the rest
    expect(idsOf(byDefault)).toHaveLength(DEFAULT_LIMIT);
    expect(idsOf(largest)).toHaveLength(100);
    expect(idsOf(largest)[0]).toBe('n100');
    const rest = await list({ limit: '100', cursor: largest.body.cursor as string });
    expect(idsOf(rest)).toEqual(['n0']);
    expect(rest.body.cursor).toBeUndefined();
  });
});

describe('GET /requests refuses bad input with 400 naming the parameter', () => {
  const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
  const CASES: readonly { name: string; query?: Record<string, string>; multi?: Record<string, string[]>; path: string }[] = [
    { name: 'an unknown kind', query: { kind: 'deletion' }, path: 'kind' },
    { name: 'an unknown status', query: { status: 'running' }, path: 'status' },
    { name: 'a dueBefore that is no instant', query: { dueBefore: 'next week' }, path: 'dueBefore' },
    { name: 'a dueBefore without offset', query: { dueBefore: '2025-03-08T00:00:00' }, path: 'dueBefore' },
    { name: 'an empty dueBefore', query: { dueBefore: '' }, path: 'dueBefore' },
    { name: 'dueBefore with a final status', query: { status: 'completed', dueBefore: '2025-03-08T00:00:00Z' }, path: 'dueBefore' },
    { name: 'limit 0', query: { limit: '0' }, path: 'limit' },
    { name: 'limit 101', query: { limit: '101' }, path: 'limit' },
    { name: 'a limit that is no number', query: { limit: 'ten' }, path: 'limit' },
    { name: 'a negative limit', query: { limit: '-5' }, path: 'limit' },
    { name: 'a fractional limit', query: { limit: '2.5' }, path: 'limit' },
    { name: 'a garbled cursor', query: { cursor: '%%%not-base64' }, path: 'cursor' },
    { name: 'a cursor that is not JSON', query: { cursor: Buffer.from('{oops').toString('base64url') }, path: 'cursor' },
    { name: 'a forged cursor of another shape', query: { cursor: cursorOf({ LastEvaluatedKey: { requestId: 'x' } }) }, path: 'cursor' },
    {
      name: 'a forged cursor with a bad instant',
      query: { cursor: cursorOf({ v: 1, q: '||', at: 'yesterday', ids: ['x'] }) },
      path: 'cursor',
    },
    {
      name: "a cursor of another listing's filters",
      query: { kind: 'access', cursor: cursorOf({ v: 1, q: '||', at: '2025-02-01T00:00:00.000Z', ids: ['x'] }) },
      path: 'cursor',
    },
    { name: 'an empty cursor', query: { cursor: '' }, path: 'cursor' },
    { name: 'an unknown parameter', query: { subjectId: 'user1' }, path: 'subjectId' },
    { name: 'a parameter given twice', query: { kind: 'access' }, multi: { kind: ['erasure', 'access'] }, path: 'kind' },
  ];

  it.each(CASES)('$name', async ({ query, multi, path }) => {
    // GIVEN stored requests
    SIX.forEach(seed);
    // WHEN the list is asked for with the bad parameter
    const answer = await api.call({
      method: 'GET',
      path: '/requests',
      queryStringParameters: query,
      ...(multi ? { multiValueQueryStringParameters: multi } : {}),
    });
    // THEN 400 in the API's error shape, naming the parameter
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'invalid-input', path });
  });
});
