/**
 * The deadline monitor (lambdas/deadline-monitor.ts): counts open requests whose deadline is within N days (or
 * past) by querying the open-by-deadline index, and publishes the metric the stack alarms on.
 */
import { Temporal } from '@js-temporal/polyfill';
import { ENV, METRICS, REQUESTS } from '../../lib/core/contract';
import { makeHandler } from '../../lambdas/deadline-monitor';
import { captureOutput, createWorld, lambdaContext, TABLES, type TestWorld } from '../lib/runtime/support/runtime';
import { apiClient, verification, withIdempotencyKey } from './helpers';

let world: TestWorld;
const context = lambdaContext('lethe-deadline-monitor') as never;
afterEach(() => world.restore());

async function requestsOn(days: string[]) {
  const api = apiClient(world);
  for (const day of days) {
    world.clock.now = Temporal.Instant.from(`${day}T10:00:00Z`);
    await api.postRequest({ subjectId: `user-${day}`, verification });
  }
}

it('counts open requests due within the warning period, overdue included, completed excluded', async () => {
  world = createWorld({ env: { [ENV.deadlineWarningDays]: '5' } });
  // GIVEN requests received on these days (deadline one month later)
  await requestsOn(['2025-01-05', '2025-02-20', '2025-02-27', '2025-03-03', '2025-03-20']);
  // AND the one from 2025-02-27 completed
  const done = world.ddb.items(TABLES.requests).find((r) => (r.receivedAt as string).startsWith('2025-02-27'))!;
  await world.rt.requests.finish(done.requestId as string, 'completed', world.clock.now);
  // WHEN the monitor runs on 2025-03-25 (deadlines up to 2025-03-30 count)
  world.clock.now = Temporal.Instant.from('2025-03-25T10:00:00Z');
  const { result, output } = await captureOutput(() => makeHandler(() => world.rt)({}, context));
  // THEN 2025-01-05 (overdue) and 2025-02-20 (due 03-20, overdue) count; 02-27 is completed; 03-03 is due 04-03
  expect(result).toEqual({
    days: 5,
    openRequestsNearDeadline: 2,
    openRequestsNearDeadlineByKind: { erasure: 2, restriction: 0, access: 0 },
    stalledRequestsStarted: 0,
  });
  const emf = output.split('\n').find((l) => l.includes(METRICS.openRequestsNearDeadline))!;
  expect(JSON.parse(emf)).toMatchObject({
    [METRICS.openRequestsNearDeadline]: 2,
    _aws: { CloudWatchMetrics: [{ Namespace: METRICS.namespace }] },
  });
  const queries = world.ddb.callsOf('Query', TABLES.requests);
  expect(queries.length).toBeGreaterThan(0);
  expect(queries.every((q) => q.input.IndexName === REQUESTS.openIndex)).toBe(true);
});

it('publishes 0 when nothing is near, and refuses a bad setting', async () => {
  world = createWorld();
  expect(await makeHandler(() => world.rt)({}, context)).toEqual({
    days: 7,
    openRequestsNearDeadline: 0,
    openRequestsNearDeadlineByKind: { erasure: 0, restriction: 0, access: 0 },
    stalledRequestsStarted: 0,
  });
  const bad = createWorld({ env: { [ENV.deadlineWarningDays]: 'soon' } });
  try {
    await expect(makeHandler(() => bad.rt)({}, context)).rejects.toThrow(/LETHE_DEADLINE_WARNING_DAYS/);
  } finally {
    bad.restore();
  }
});

it('starts a request whose workflow start failed once it has waited, and no request that started or finished (issue 15, item 18)', async () => {
  world = createWorld({ now: '2025-03-01T10:00:00Z' });
  const api = apiClient(world);
  const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
  // GIVEN a request whose start was throttled (stored, received, no execution) ...
  world.sfn.failNext = throttled();
  const stalled = (await api.postRequest({ subjectId: 'user-a', verification })).body.requestId as string;
  // ... one that started ...
  const started = (await api.postRequest({ subjectId: 'user-b', verification })).body.requestId as string;
  // ... and one whose start failed too but that has completed since (a redrive, say)
  world.sfn.failNext = throttled();
  const finished = (await api.postRequest({ subjectId: 'user-c', verification })).body.requestId as string;
  await world.rt.requests.finish(finished, 'completed', world.clock.now);
  expect(world.sfn.executions.map((e) => e.name)).toEqual([started]);
  const monitor = makeHandler(() => world.rt);

  // WHEN the monitor runs right away, THEN it leaves the fresh request to the API and its retries
  expect(await monitor({}, context)).toMatchObject({ stalledRequestsStarted: 0 });
  expect(world.sfn.executions.map((e) => e.name)).toEqual([started]);

  // WHEN it runs 10 minutes later, THEN it starts the stalled one, named after the request, and only it
  world.clock.now = Temporal.Instant.from('2025-03-01T10:10:00Z');
  const { result, output } = await captureOutput(() => monitor({}, context));
  expect(result).toEqual({
    days: 7,
    openRequestsNearDeadline: 0,
    openRequestsNearDeadlineByKind: { erasure: 0, restriction: 0, access: 0 },
    stalledRequestsStarted: 1,
  });
  expect(world.sfn.executions).toEqual([
    expect.objectContaining({ name: started }),
    expect.objectContaining({ name: stalled, input: { requestId: stalled } }),
  ]);
  expect(output).toContain('erasure workflow started by the monitor');

  // AND a second run starts nothing more
  expect(await monitor({}, context)).toMatchObject({ stalledRequestsStarted: 0 });
  expect(world.sfn.executions).toHaveLength(2);
});

it('watches all three kinds: restriction and access requests count, by kind, and an item stored without kind is an erasure (issue 14)', async () => {
  world = createWorld({ now: '2025-03-01T10:00:00Z' });
  const api = apiClient(world);
  // GIVEN an erasure, two restriction and one access request received on 2025-03-01 (deadline 2025-04-01)
  await api.postRequest({ subjectId: 'user-e', verification });
  for (const subjectId of ['user-r1', 'user-r10']) {
    expect(
      (await api.call({ method: 'POST', path: '/restriction-requests', body: { subjectId, verification }, headers: withIdempotencyKey() }))
        .status,
    ).toBe(202);
  }
  expect(
    (
      await api.call({
        method: 'POST',
        path: '/access-requests',
        body: { subjectId: 'user-a', verification },
        headers: withIdempotencyKey(),
      })
    ).status,
  ).toBe(202);
  // AND an erasure request stored before kinds existed (no kind attribute), due the same day
  const legacy = world.ddb.items(TABLES.requests).find((r) => r.kind === undefined)!;
  world.ddb.seed(TABLES.requests, { ...legacy, requestId: 'legacy-1' });
  // WHEN the monitor runs on 2025-03-28 (deadlines up to 2025-04-04 count)
  world.clock.now = Temporal.Instant.from('2025-03-28T10:00:00Z');
  const { result, output } = await captureOutput(() => makeHandler(() => world.rt)({}, context));
  // THEN every open request counts, and by kind
  expect(result).toMatchObject({ openRequestsNearDeadline: 5, openRequestsNearDeadlineByKind: { erasure: 2, restriction: 2, access: 1 } });
  // AND the metric is published per kind (a `kind` dimension) besides the total the alarm watches
  const perKind = output
    .split('\n')
    .filter((l) => l.includes('"kind"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((m) => METRICS.openRequestsNearDeadline in m)
    .map((m) => [m.kind, m[METRICS.openRequestsNearDeadline]]);
  expect(perKind).toEqual(
    expect.arrayContaining([
      ['erasure', 2],
      ['restriction', 2],
      ['access', 1],
    ]),
  );
});
