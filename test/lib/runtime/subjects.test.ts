/**
 * A holding registered while an event of its subject is recorded: whatever the order in which the two paths'
 * DynamoDB calls land, the holding's expiry counts the event. Each interleaving is made deterministic with the
 * fake's gate: one path is paused before its k-th call while the other runs to its end, for every k. The subject's
 * events are kept (no ttl) once it has an active holding, in every interleaving too.
 */
import { registerHolding, recordEvent } from '../../../lib/runtime/subjects';
import { createWorld, ledgerTable, TABLES, type TestWorld } from './support/runtime';

const SUBJECT = 'user1';
const HOLDING = { purpose: 'customer', system: 'crm', collectedAt: '2025-01-15T12:00:00+01:00' } as const;
// `customer` keeps data until account-closed + 3 months: without the event the holding is never due.
const EVENT = { type: 'account-closed', at: '2025-02-10T09:00:00+01:00' } as const;
const EXPECTED = { status: 'active', expiresAt: '2025-05-10T09:00:00+02:00', dueAt: Date.parse('2025-05-10T07:00:00Z') };

type Path = (world: TestWorld) => Promise<unknown>;
const register: Path = (world) => registerHolding(world.rt, SUBJECT, HOLDING);
const record: Path = (world) => recordEvent(world.rt, SUBJECT, EVENT);

/**
 * Runs `first`; just before its `k`-th DynamoDB call, runs `second` to its end, then lets `first` go on.
 * Returns false when `first` made fewer than `k` calls (then `second` runs after it).
 */
async function interleave(world: TestWorld, first: Path, second: Path, k: number): Promise<boolean> {
  let calls = 0;
  let paused = false;
  let inSecond = false;
  world.ddb.gate = async () => {
    if (inSecond) return;
    calls++;
    if (calls !== k) return;
    paused = true;
    inSecond = true;
    try {
      await second(world);
    } finally {
      inSecond = false;
    }
  };
  await first(world);
  world.ddb.gate = undefined;
  if (!paused) await second(world);
  return paused;
}

describe.each([
  ['the registration', 'the event', register, record],
  ['the event', 'the registration', record, register],
] as const)('%s paused before each of its calls while %s runs', (_first, _second, first, second) => {
  it('ends with the holding due at account-closed + 3 months, whatever the interleaving', async () => {
    const seen: number[] = [];
    for (let k = 1; ; k++) {
      // GIVEN a fresh deployment
      const world = createWorld({ now: '2025-03-01T10:00:00Z' });
      try {
        // WHEN the two paths interleave at the k-th call of the first
        const paused = await interleave(world, first, second, k);
        // THEN the holding's expiry counts the event, and the subject's events are kept (no ttl) while it is active
        const items = world.ddb.items(ledgerTable('customer'));
        const events = world.ddb.items(TABLES.events);
        expect({
          k,
          items: items.map((i) => ({ status: i.status, expiresAt: i.expiresAt, dueAt: i.dueAt })),
          expiring: events.filter((e) => e.ttl !== undefined),
        }).toEqual({ k, items: [EXPECTED], expiring: [] });
        expect(events.map((e) => e.type ?? e.seq)).toEqual(['account-closed', 1]);
        seen.push(k);
        if (!paused) break;
      } finally {
        world.restore();
      }
    }
    // Every call of the first path was a pause point (and one more run had the second path after it).
    expect(seen.length).toBeGreaterThan(2);
  });
});
