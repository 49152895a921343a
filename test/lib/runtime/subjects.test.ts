/**
 * A holding registered while an event of its subject is recorded: whatever the order in which the two paths'
 * DynamoDB calls land, the holding's expiry counts the event. Each interleaving is made deterministic with the
 * fake's gate: one path is paused before its k-th call while the other runs to its end, for every k. The subject's
 * events are kept (no ttl) once it has an active holding, in every interleaving too.
 */
import { registerHolding, recordEvent } from '../../../lib/runtime/subjects';
import { shopPolicyV2 } from '../../helpers/shop-policy-v2';
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

describe('the answer to an event names the expiries it changed', () => {
  it('from and to per holding, only where the date changed, only of this subject', async () => {
    const world = createWorld({ now: '2025-03-01T10:00:00Z' });
    try {
      // GIVEN user1's customer holding (until account-closed + 3 months), newsletter (until unsubscribed) and
      // analytics (1 year from collection) holdings, and user10's customer holding
      const at = '2025-01-15T12:00:00+01:00';
      for (const [purpose, system] of [
        ['customer', 'crm'],
        ['marketing', 'newsletter'],
        ['analytics', 'crm'],
      ] as const)
        await registerHolding(world.rt, SUBJECT, { purpose, system, collectedAt: at });
      await registerHolding(world.rt, 'user10', { purpose: 'customer', system: 'crm', collectedAt: at });

      // WHEN user1's account is closed
      const first = await recordEvent(world.rt, SUBJECT, EVENT);
      // THEN the customer holding's expiry went from unknown to a date; the others were recomputed, unchanged
      expect(first).toMatchObject({ holdingsRescheduled: 3 });
      expect(first.expiriesChanged).toEqual([{ purpose: 'customer', system: 'crm', from: null, to: EXPECTED.expiresAt }]);
      // AND user10's holding still waits
      const user10 = await world.rt.refs.ref('user10');
      expect(world.ddb.items(ledgerTable('customer')).find((i) => i.subjectRef === user10)).not.toHaveProperty('expiresAt');

      // WHEN a later closing is reported THEN the change is from the old date to the new one
      const later = await recordEvent(world.rt, SUBJECT, { type: 'account-closed', at: '2025-02-20T09:00:00+01:00' });
      expect(later.expiriesChanged).toEqual([
        { purpose: 'customer', system: 'crm', from: EXPECTED.expiresAt, to: '2025-05-20T09:00:00+02:00' },
      ]);
      // WHEN the same event comes again THEN nothing changed, and the answer says so
      expect((await recordEvent(world.rt, SUBJECT, EVENT)).expiriesChanged).toEqual([]);
    } finally {
      world.restore();
    }
  });

  it("names an item's ref (spec 2.2): an event about order O-1 changes O-1's expiry, not O-10's", async () => {
    const world = createWorld({ policy: shopPolicyV2, now: '2025-03-01T10:00:00Z' });
    try {
      // GIVEN user1's orders O-1 and O-10 (each kept 3 years after its own order-completed)
      for (const ref of ['O-1', 'O-10'])
        await registerHolding(world.rt, SUBJECT, {
          purpose: 'order',
          system: 'orders',
          ref,
          collectedAt: '2025-01-15T12:00:00+01:00',
          locator: { orderId: ref },
        });
      // WHEN O-1 is completed
      const answer = await recordEvent(world.rt, SUBJECT, { type: 'order-completed', at: '2025-02-01T10:00:00+01:00', ref: 'O-1' });
      // THEN only O-1's expiry changed, named by its ref
      expect(answer.expiriesChanged).toEqual([
        { purpose: 'order', system: 'orders', ref: 'O-1', from: null, to: '2028-02-01T10:00:00+01:00' },
      ]);
      // AND an event without ref counts for every holding: each item whose expiry changed is named by its ref (O-10's
      // read from its sealed locator)
      const all = await recordEvent(world.rt, SUBJECT, { type: 'order-completed', at: '2025-02-15T10:00:00+01:00' });
      expect(all.expiriesChanged).toHaveLength(2);
      expect(all.expiriesChanged).toEqual(
        expect.arrayContaining([
          { purpose: 'order', system: 'orders', ref: 'O-1', from: '2028-02-01T10:00:00+01:00', to: '2028-02-15T10:00:00+01:00' },
          { purpose: 'order', system: 'orders', ref: 'O-10', from: null, to: '2028-02-15T10:00:00+01:00' },
        ]),
      );
    } finally {
      world.restore();
    }
  });
});
