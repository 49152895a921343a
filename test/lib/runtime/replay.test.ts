/**
 * Replay after a restore (issue 19, item 3): user1's erasure (main record C-1, orders O-1 and O-10) and an expiry are
 * undone by restoring the application's tables from a copy taken before them; replay applies their tombstones again
 * through the real DynamoDB connector. The bystander user10 (C-10, O-2) stays byte-for-byte as restored; a second
 * replay finds nothing and changes nothing; the answer, the audit and the logs hold no personal data.
 */
import { recordsOf } from '../../../lib/audit/record';
import { ENV } from '../../../lib/core/contract';
import { eraseInSystem, finishErasure, planErasure } from '../../../lib/runtime/erasure';
import { applyExpiry } from '../../../lib/runtime/expiry';
import { replaySystem } from '../../../lib/runtime/replay';
import { TOMBSTONES_TABLE } from '../../../lib/stack/table-specs';
import { Temporal } from '@js-temporal/polyfill';
import { apiClient, verification } from '../../lambdas/helpers';
import { appData, COLLECTED, itemsWorld } from './support/items';
import { AUDIT_BUCKET, captureOutput, type TestWorld } from './support/runtime';

export const TOMBSTONES = 'lethe-tombstones';

/** Gives a world the tombstones table (before its runtime first reads it). */
export function withTombstones(world: TestWorld): TestWorld {
  world.ddb.createTable(TOMBSTONES, { partitionKey: TOMBSTONES_TABLE.partitionKey.name, sortKey: TOMBSTONES_TABLE.sortKey!.name });
  world.env[ENV.tombstonesTable] = TOMBSTONES;
  world.env[ENV.tombstoneKey] = 'alias/lethe-tombstones';
  return world;
}

let world: TestWorld;
let api: ReturnType<typeof apiClient>;
beforeEach(() => {
  world = withTombstones(itemsWorld());
  api = apiClient(world);
});
afterEach(() => world.restore());

/** The application's tables as a backup holds them. */
function snapshot(): Record<'customers' | 'orders', Record<string, unknown>[]> {
  return {
    customers: world.ddb.items('customers').map((i) => structuredClone(i)),
    orders: world.ddb.items('orders').map((i) => structuredClone(i)),
  };
}
/** Restores the tables from a snapshot: every item of it back, as it was. */
function restoreFrom(copy: ReturnType<typeof snapshot>): void {
  for (const table of ['customers', 'orders'] as const) {
    const key = table === 'customers' ? 'customerId' : 'orderId';
    for (const item of world.ddb.items(table)) world.ddb.remove(table, { [key]: item[key] });
    for (const item of copy[table]) world.ddb.seed(table, structuredClone(item));
  }
}

async function registerAll(): Promise<void> {
  const answers = [
    await api.holding('user1', { purpose: 'customer', system: 'crm', collectedAt: COLLECTED, locator: { customerId: 'C-1' } }),
    await api.holding('user1', { purpose: 'order', system: 'orders', ref: 'O-1', collectedAt: COLLECTED, locator: { orderId: 'O-1' } }),
    await api.holding('user1', { purpose: 'order', system: 'orders', ref: 'O-10', collectedAt: COLLECTED, locator: { orderId: 'O-10' } }),
    await api.holding('user10', { purpose: 'customer', system: 'crm', collectedAt: COLLECTED, locator: { customerId: 'C-10' } }),
    await api.holding('user10', { purpose: 'order', system: 'orders', ref: 'O-2', collectedAt: COLLECTED, locator: { orderId: 'O-2' } }),
  ];
  for (const a of answers) expect(a.status).toBe(201);
}

async function eraseUser1(): Promise<void> {
  const requestId = (await api.postRequest({ subjectId: 'user1', verification })).body.requestId as string;
  const planned = await planErasure(world.rt, requestId);
  const results = [];
  for (const s of planned.systems) results.push(await eraseInSystem(world.rt, requestId, s.system, s.record));
  await finishErasure(world.rt, { requestId, results });
}

const audits = () => [...world.s3.bodies(AUDIT_BUCKET, 'audit/').values()].flatMap((body) => recordsOf(body));
const later = (iso: string) => {
  world.clock.now = Temporal.Instant.from(iso);
};

describe('replay after a restore', () => {
  it('GIVEN an erasure undone by a restore WHEN replayed THEN user1 is gone again, user10 byte-for-byte as restored; a second replay finds nothing', async () => {
    await registerAll();
    const backup = snapshot();
    await eraseUser1();
    expect(Object.keys(appData(world)).sort()).toEqual(['C-10', 'O-2']);

    // The restore brings user1 back.
    restoreFrom(backup);
    const restored = appData(world);
    expect(Object.keys(restored).sort()).toEqual(['C-1', 'C-10', 'O-1', 'O-10', 'O-2']);

    later('2025-03-02T10:00:00Z');
    const first = await captureOutput(() => replaySystem(world.rt, { system: 'orders', since: '2025-03-01T00:00:00Z' }));
    const crm = await replaySystem(world.rt, { system: 'crm', since: '2025-03-01T00:00:00Z' });
    const after = appData(world);
    expect(Object.keys(after).sort()).toEqual(['C-10', 'O-2']);
    // Bystanders byte for byte: C-10 next to C-1, O-2 and O-10's neighbour O-1.
    expect(after['C-10']).toBe(restored['C-10']);
    expect(after['O-2']).toBe(restored['O-2']);
    expect(first.result).toMatchObject({ system: 'orders', tombstones: 2, foundAgain: 2, nothingFound: 0, shredded: 0, failed: [] });
    expect(crm).toMatchObject({ system: 'crm', tombstones: 1, foundAgain: 1, nothingFound: 0, failed: [] });
    expect(first.result!.subjectsFoundAgain).toHaveLength(1);
    expect(first.result!.subjectsFoundAgain[0]).toMatch(/^[0-9a-f]{64}$/);

    // No personal data in the answer, the logs or the audit records.
    const replayAudits = audits().filter((r) => r.kind === 'replay');
    expect(replayAudits).toHaveLength(3);
    const text = JSON.stringify([first.result, crm, first.output, replayAudits]);
    for (const pd of ['user1', 'C-1"', 'O-1"', 'O-10', 'Anna', 'anna@example.se', '2 x tea']) expect(text).not.toContain(pd);

    // A second replay: nothing found, nothing changed.
    const again = await replaySystem(world.rt, { system: 'orders', since: '2025-03-01T00:00:00Z' });
    expect(again).toMatchObject({ tombstones: 2, foundAgain: 0, nothingFound: 2, failed: [] });
    expect(appData(world)).toEqual(after);
  });

  it('GIVEN a restore point after the erasure WHEN replayed THEN nothing is applied (the restored data never held it again)', async () => {
    await registerAll();
    await eraseUser1();
    later('2025-03-02T10:00:00Z');
    const before = appData(world);
    const result = await replaySystem(world.rt, { system: 'orders', since: '2025-03-01T10:00:01Z' });
    expect(result).toMatchObject({ tombstones: 0, foundAgain: 0 });
    expect(appData(world)).toEqual(before);
  });

  it('GIVEN an expiry undone by a restore WHEN replayed THEN the expired order goes again and the other stays', async () => {
    await registerAll();
    const backup = snapshot();
    await api.event('user1', { type: 'order-completed', at: '2025-01-11T12:00:00+01:00', ref: 'O-1' });
    later('2028-02-01T00:00:00Z');
    const subjectRef = await world.rt.refs.ref('user1');
    await applyExpiry(world.rt, [{ subjectRef }], world.clock.now, { kind: 'sweep', sweepId: 'sweep-1' });
    expect(Object.keys(appData(world))).not.toContain('O-1');
    restoreFrom(backup);
    const restored = appData(world);
    const result = await replaySystem(world.rt, { system: 'orders', since: '2028-01-01T00:00:00Z' });
    expect(result).toMatchObject({ tombstones: 1, foundAgain: 1 });
    const after = appData(world);
    expect(Object.keys(after).sort()).toEqual(['C-1', 'C-10', 'O-10', 'O-2']);
    for (const id of ['C-1', 'C-10', 'O-10', 'O-2']) expect(after[id]).toBe(restored[id]);
  });

  it.each([
    [{ system: 'nope', since: '2025-03-01T00:00:00Z' }, /unknown system "nope"/],
    [{ system: 'orders', since: 'yesterday' }, /ISO 8601 timestamp/],
    [{ system: 'orders', since: '2025-03-01T00:00:00Z', replayId: 'a b' }, /replayId/],
  ])('GIVEN bad input %j WHEN replayed THEN an input error names it and nothing is called', async (input, message) => {
    await expect(replaySystem(world.rt, input)).rejects.toThrow(message);
    expect(world.connectors.invocations).toHaveLength(0);
  });

  it('GIVEN no tombstones table WHEN replayed THEN a configuration error says so', async () => {
    world.restore();
    world = itemsWorld();
    await expect(replaySystem(world.rt, { system: 'orders', since: '2025-03-01T00:00:00Z' })).rejects.toThrow(/no tombstones table/);
  });
});
