/**
 * Item holdings and item events through the API and the bus (spec 2.2, issue 14 item 1 and 2): a `per: item`
 * purpose needs `ref` (400 naming it), each item is its own ledger item with its own expiry, keyed by an HMAC of
 * its ref (never the ref itself), and an event with a ref moves that item's clock only.
 */
import { Temporal } from '@js-temporal/polyfill';
import { LEDGER } from '../../../lib/core/contract';
import { handleBusEvent } from '../../../lib/runtime/bus';
import { apiClient } from '../../lambdas/helpers';
import { COLLECTED, itemsWorld } from './support/items';
import { basePolicyDoc, policyFromDoc } from '../../helpers/policy';
import { createWorld } from './support/runtime';
import { ledgerTable, TABLES, type TestWorld } from './support/runtime';

let world: TestWorld;
let api: ReturnType<typeof apiClient>;
beforeEach(() => {
  world = itemsWorld();
  api = apiClient(world);
});
afterEach(() => world.restore());

const order = (ref: string, extra: Record<string, unknown> = {}) => ({
  purpose: 'order',
  system: 'orders',
  ref,
  collectedAt: COLLECTED,
  locator: { orderId: ref },
  ...extra,
});

/** Each of user1's order holdings by its ref, as the ledger reads it back. */
async function ordersOf(subjectId: string) {
  const subjectRef = await world.rt.refs.ref(subjectId);
  const holdings = await world.rt.ledger.holdingsOf(subjectRef);
  const byItem: Record<string, (typeof holdings)[number]> = {};
  for (const ref of ['O-1', 'O-10']) {
    const itemRef = await world.rt.refs.itemRef(subjectRef, ref);
    const found = holdings.find((h) => h.itemRef === itemRef);
    if (found) byItem[ref] = found;
  }
  return { holdings, byItem };
}

describe('registering an item holding', () => {
  it.each([
    [
      'without ref, for a per: item purpose',
      'ref',
      { purpose: 'order', system: 'orders', collectedAt: COLLECTED, locator: { orderId: 'O-1' } },
    ],
    ['with a ref longer than 128 characters', 'ref', order('O'.repeat(129))],
    ['with an empty ref', 'ref', order('')],
    ['with a ref holding a line break', 'ref', order('O-1\n')],
    ['whose locator does not name the item (the table key)', 'locator.orderId', order('O-1', { locator: { customerId: 'C-1' } })],
  ])('answers 400 %s, naming %s, and stores nothing', async (_what, path, body) => {
    const answer = await api.holding('user1', body);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'invalid-input', path });
    expect(world.ddb.items(ledgerTable('order'))).toEqual([]);
  });

  it('accepts a ref on a per: subject purpose (spec 2.2: any holding may carry one), as its own record', async () => {
    const answer = await api.holding('user1', {
      purpose: 'customer',
      system: 'crm',
      ref: 'C-1',
      collectedAt: COLLECTED,
      locator: { customerId: 'C-1' },
    });
    expect({ status: answer.status, ref: answer.body.ref }).toEqual({ status: 201, ref: 'C-1' });
    const [item] = world.ddb.items(ledgerTable('customer'));
    expect(String(item.system)).toMatch(/^crm#item#[0-9a-f]{64}$/);
  });

  it('keeps one ledger item per item, keyed by an HMAC of its ref: the ref is in no key or attribute in clear', async () => {
    // GIVEN user1's main record and two orders, O-1 and O-10 (one a prefix of the other)
    await api.holding('user1', { purpose: 'customer', system: 'crm', collectedAt: COLLECTED, locator: { customerId: 'C-1' } });
    for (const ref of ['O-1', 'O-10']) expect((await api.holding('user1', order(ref))).status).toBe(201);
    // THEN the orders table holds two items, the customer table one, with the main record's key the system id
    const orders = world.ddb.items(ledgerTable('order'));
    expect(orders).toHaveLength(2);
    expect(world.ddb.items(ledgerTable('customer')).map((i) => i.system)).toEqual(['crm']);
    const keys = orders.map((i) => String(i[LEDGER.sortKey]));
    for (const key of keys) expect(key).toMatch(/^orders#item#[0-9a-f]{64}$/);
    expect(new Set(keys).size).toBe(2);
    // AND the item's system id and itemRef are attributes; the raw refs appear nowhere in clear
    expect(orders.map((i) => i[LEDGER.itemSystemAttribute])).toEqual(['orders', 'orders']);
    expect(JSON.stringify(orders)).not.toMatch(/O-1/);
    // AND read back, each holding is of system "orders", told apart by its itemRef
    const { byItem } = await ordersOf('user1');
    expect(Object.keys(byItem).sort()).toEqual(['O-1', 'O-10']);
    expect([byItem['O-1'].system, byItem['O-10'].system]).toEqual(['orders', 'orders']);
  });

  it('registers an item holding from the bus with its ref', async () => {
    await handleBusEvent(world.rt, {
      id: 'evt-1',
      'detail-type': 'Holding Registered',
      detail: { subjectId: 'user1', ...order('O-1') },
    } as never);
    expect(Object.keys((await ordersOf('user1')).byItem)).toEqual(['O-1']);
  });

  it('refuses an item holding without ref from the bus, naming ref', async () => {
    await expect(
      handleBusEvent(world.rt, {
        id: 'evt-2',
        'detail-type': 'Holding Registered',
        detail: { subjectId: 'user1', purpose: 'order', system: 'orders', collectedAt: COLLECTED, locator: { orderId: 'O-1' } },
      } as never),
    ).rejects.toMatchObject({ path: 'ref' });
  });
});

describe('an event with a ref', () => {
  beforeEach(async () => {
    for (const ref of ['O-1', 'O-10']) expect((await api.holding('user1', order(ref))).status).toBe(201);
  });

  it("moves only that item's expiry: O-1 completed is due three years on, O-10 still waits", async () => {
    // WHEN order O-1 is completed
    const answer = await api.event('user1', { type: 'order-completed', at: '2025-02-01T12:00:00+01:00', ref: 'O-1' });
    expect({ status: answer.status, ref: answer.body.ref }).toEqual({ status: 201, ref: 'O-1' });
    // THEN O-1 expires three years after its completion, and O-10 has no date (its clock has not started)
    const { byItem } = await ordersOf('user1');
    expect(byItem['O-1'].expiresAt).toBe('2028-02-01T12:00:00+01:00');
    expect(byItem['O-1'].dueAt).toBe(Temporal.Instant.from('2028-02-01T11:00:00Z').epochMilliseconds);
    expect(byItem['O-10'].expiresAt).toBeUndefined();
    expect(byItem['O-10'].dueAt).toBeUndefined();
  });

  it('is stored with the HMAC of its ref, never the ref, and counts for an item registered after it', async () => {
    await api.event('user1', { type: 'order-completed', at: '2025-02-01T12:00:00+01:00', ref: 'O-2' });
    const events = world.ddb.items(TABLES.events);
    expect(JSON.stringify(events)).not.toMatch(/O-2/);
    // WHEN order O-2 is registered after its completion was reported (an out-of-order delivery)
    expect((await api.holding('user1', order('O-2', { collectedAt: '2025-02-01T11:00:00+01:00' }))).body.expiresAt).toBe(
      '2028-02-01T12:00:00+01:00',
    );
  });

  it('two events at the same instant for two items are two events (the ref is part of what an event says)', async () => {
    const at = '2025-02-01T12:00:00+01:00';
    await api.event('user1', { type: 'order-completed', at, ref: 'O-1' });
    await api.event('user1', { type: 'order-completed', at, ref: 'O-10' });
    const { byItem } = await ordersOf('user1');
    expect([byItem['O-1'].expiresAt, byItem['O-10'].expiresAt]).toEqual(['2028-02-01T12:00:00+01:00', '2028-02-01T12:00:00+01:00']);
  });

  it('an event without ref counts for every holding, items included', async () => {
    await api.event('user1', { type: 'order-completed', at: '2025-02-01T12:00:00+01:00' });
    const { byItem } = await ordersOf('user1');
    expect([byItem['O-1'].expiresAt, byItem['O-10'].expiresAt]).toEqual(['2028-02-01T12:00:00+01:00', '2028-02-01T12:00:00+01:00']);
  });

  it('refuses an event with a ref longer than 128 characters, naming ref', async () => {
    const answer = await api.event('user1', { type: 'order-completed', at: '2025-02-01T12:00:00+01:00', ref: 'x'.repeat(129) });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ path: 'ref' });
  });
});

describe('registering holdings in a DynamoDB table with a sort key (the customer and her orders in one partition)', () => {
  // GIVEN table shop keyed by customerId and orderId: the customer's profile item and each order an item of its own
  const shop = {
    connector: 'dynamodb',
    location: 'eu-north-1',
    config: { tableName: 'shop', keyAttribute: 'customerId', sortKeyAttribute: 'orderId' },
  };
  const policy = policyFromDoc(
    basePolicyDoc({
      version: 2,
      systems: { shop: { ...shop, fields: { name: { category: 'identity' }, lines: { category: 'order' } } } },
      purposes: {
        customer: { legalBasis: 'contract', categories: ['identity'], systems: ['shop'], retention: { keep: 'P1Y' } },
        order: { legalBasis: 'contract', per: 'item', categories: ['order'], systems: ['shop'], retention: { keep: 'P3Y' } },
      },
    }),
  );
  let shopWorld: TestWorld;
  let shopApi: ReturnType<typeof apiClient>;
  beforeEach(() => {
    shopWorld = createWorld({ policy, now: '2025-03-01T10:00:00Z' });
    shopApi = apiClient(shopWorld);
  });
  afterEach(() => shopWorld.restore());
  const holding = (purpose: string, locator: Record<string, string>, ref?: string) => ({
    purpose,
    system: 'shop',
    collectedAt: COLLECTED,
    locator,
    ...(ref === undefined ? {} : { ref }),
  });

  it.each([
    ['an order by its full key', holding('order', { customerId: 'C-1', orderId: 'O-1' }, 'O-1')],
    ['the main record by its own sort key value', holding('customer', { customerId: 'C-1', orderId: 'profile' })],
  ])('accepts %s (201)', async (_what, body) => {
    expect((await shopApi.holding('user1', body)).status).toBe(201);
  });

  it.each([
    ['an order without its sort key (the whole partition)', 'locator.orderId', holding('order', { customerId: 'C-1' }, 'O-1')],
    ['an order without its partition key', 'locator.customerId', holding('order', { orderId: 'O-1' }, 'O-1')],
    [
      'the main record without a sort key (its erasure would take the orders)',
      'locator.orderId',
      holding('customer', { customerId: 'C-1' }),
    ],
  ])('answers 400 for %s, naming %s, and stores nothing', async (_what, path, body) => {
    const answer = await shopApi.holding('user1', body);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'invalid-input', path });
    expect([...shopWorld.ddb.items(ledgerTable('customer')), ...shopWorld.ddb.items(ledgerTable('order'))]).toEqual([]);
  });
});
