/**
 * The custom bus consumer (lambdas/subject-events.ts): "Holding Registered" and "Subject Event" go to the same
 * domain calls as the API; an invalid event is logged by id (not content) and fails, for the dead-letter queue.
 */
import type { EventBridgeEvent } from 'aws-lambda';
import { makeHandler } from '../../lambdas/subject-events';
import { EVENTS } from '../../lib/core/contract';
import { captureOutput, createWorld, lambdaContext, ledgerTable, TABLES, type TestWorld } from '../lib/runtime/support/runtime';

let world: TestWorld;
const context = lambdaContext('lethe-subject-events') as never;
beforeEach(() => (world = createWorld({ now: '2025-03-01T10:00:00Z' })));
afterEach(() => world.restore());

const busEvent = (detailType: string, detail: unknown, id = 'e-1'): EventBridgeEvent<string, unknown> => ({
  version: '0',
  id,
  'detail-type': detailType,
  source: 'shop.crm',
  account: '123456789012',
  time: '2025-03-01T10:00:00Z',
  region: 'eu-north-1',
  resources: [],
  detail,
});
const handle = (event: EventBridgeEvent<string, unknown>) => makeHandler(() => world.rt)(event, context);

it('registers a holding', async () => {
  const answer = await handle(
    busEvent('Holding Registered', { subjectId: 'user1', purpose: 'analytics', system: 'crm', collectedAt: '2025-01-15T12:00:00+01:00' }),
  );
  expect(answer).toMatchObject({ purpose: 'analytics', expiresAt: '2026-01-15T12:00:00+01:00', registered: true });
  expect(world.ddb.items(ledgerTable('analytics'))).toHaveLength(1);
});

it('records an event once however often the bus delivers it', async () => {
  const event = busEvent('Subject Event', { subjectId: 'user1', type: 'unsubscribed', at: '2025-02-01T00:00:00Z' }, 'e-42');
  await handle(event);
  await handle(event);
  // (beside the event, the subject's event counter: raised once per delivery, see lib/runtime/event-store.ts)
  expect(world.ddb.items(TABLES.events)).toEqual([
    expect.objectContaining({ eventId: 'e-42', type: 'unsubscribed' }),
    expect.objectContaining({ eventKey: EVENTS.counterKey, seq: 2 }),
  ]);
});

const invalid: [string, EventBridgeEvent<string, unknown>, string][] = [
  ['an unknown detail-type', busEvent('Customer Created', { subjectId: 'user1' }), 'detail-type'],
  [
    'a holding without subjectId',
    busEvent('Holding Registered', { purpose: 'analytics', system: 'crm', collectedAt: '2025-01-15T12:00:00Z' }),
    'detail.subjectId',
  ],
  [
    'a holding of an unknown purpose',
    busEvent('Holding Registered', { subjectId: 'user1', purpose: 'golf', system: 'crm', collectedAt: '2025-01-15T12:00:00Z' }),
    'purpose',
  ],
  ['an event of an unknown type', busEvent('Subject Event', { subjectId: 'user1', type: 'born', at: '2025-01-15T12:00:00Z' }), 'type'],
];

it.each(invalid)('rejects %s, logging the event id and not its content', async (_name, event, path) => {
  const { error, output } = await captureOutput(() => handle(event));
  expect(error).toMatchObject({ name: 'InputError', path });
  expect(output).toContain('"eventId":"e-1"');
  expect(output).not.toContain('user1');
  expect(world.ddb.items(TABLES.events)).toHaveLength(0);
  for (const p of Object.keys(world.policy.purposes)) expect(world.ddb.items(ledgerTable(p))).toHaveLength(0);
});
