/**
 * Lethe applies storage limitation to itself (docs/architecture.md, "What Lethe keeps, and for how long"): the
 * subject events of a subject it holds nothing of expire; a completed erasure request drops the sealed subject id,
 * answers without it, and expires; every table that holds anything about a subject has a TTL attribute.
 */
import { EVENTS, REQUESTS } from '../../../lib/core/contract';
import type { ErasureSystemOutput } from '../../../lib/core/contract';
import { eraseInSystem, finishErasure, planErasure } from '../../../lib/runtime/erasure';
import { handleLedgerRecord } from '../../../lib/runtime/ledger-stream';
import { EVENTS_TABLE, LEDGER_TABLE, REQUESTS_TABLE } from '../../../lib/stack/table-specs';
import { apiClient, verification } from '../../lambdas/helpers';
import { createWorld, ledgerTable, TABLES, type TestWorld, ttlRemoval } from './support/runtime';

let world: TestWorld;
let api: ReturnType<typeof apiClient>;
beforeEach(() => {
  world = createWorld({ now: '2025-03-01T10:00:00Z' });
  api = apiClient(world);
});
afterEach(() => world.restore());

const DAY = 24 * 3600;
const nowSeconds = () => Math.floor(world.clock.now.epochMilliseconds / 1000);
const eventItems = () => world.ddb.items(TABLES.events);

describe('subject events', () => {
  it('an event about a subject Lethe holds nothing of expires 30 days later, with its counter', async () => {
    // WHEN an event arrives for a subject with no holding
    expect((await api.event('user1', { type: 'unsubscribed', at: '2025-02-01T00:00:00Z' })).status).toBe(201);
    // THEN every item of the subject in the events table carries a ttl 30 days away
    const items = eventItems();
    expect(items).toHaveLength(2);
    for (const item of items) expect({ key: item.eventKey, ttl: item.ttl }).toEqual({ key: item.eventKey, ttl: nowSeconds() + 30 * DAY });
  });

  it('registering a holding keeps the subject’s events (their ttl goes)', async () => {
    await api.event('user1', { type: 'unsubscribed', at: '2025-02-01T00:00:00Z' });
    expect(eventItems().map((i) => i.ttl)).toEqual([nowSeconds() + 30 * DAY, nowSeconds() + 30 * DAY]);
    await api.holding('user1', { purpose: 'analytics', system: 'crm', collectedAt: '2025-01-01T00:00:00Z' });
    expect(eventItems().map((i) => i.ttl)).toEqual([undefined, undefined]);
  });

  it('when TTL removes the last finished holding of a subject, its events expire 30 days later', async () => {
    // GIVEN a subject with an event and one holding, finished
    await api.holding('user1', { purpose: 'analytics', system: 'crm', collectedAt: '2025-01-01T00:00:00Z' });
    expect((await api.event('user1', { type: 'unsubscribed', at: '2025-02-01T00:00:00Z' })).status).toBe(201);
    const [holding] = world.ddb.items(ledgerTable('analytics'));
    await world.rt.ledger.finish(holding as never, 'erased', 'sweep:s1', world.clock.now);
    expect(eventItems().map((i) => i.ttl)).toEqual([undefined, undefined]);
    // WHEN TTL removes its finished ledger item (the stream sees the removal)
    const done = world.ddb.items(ledgerTable('analytics'))[0];
    world.ddb.remove(ledgerTable('analytics'), done);
    await handleLedgerRecord(world.rt, ttlRemoval('analytics', done));
    // THEN its event and counter carry a ttl 30 days away
    expect(eventItems().map((i) => i.ttl)).toEqual([nowSeconds() + 30 * DAY, nowSeconds() + 30 * DAY]);
  });

  it('a subject that still has an active holding keeps its events when another of its holdings is removed', async () => {
    await api.holding('user1', { purpose: 'analytics', system: 'crm', collectedAt: '2025-01-01T00:00:00Z' });
    await api.holding('user1', { purpose: 'customer', system: 'crm', collectedAt: '2025-01-01T00:00:00Z' });
    expect((await api.event('user1', { type: 'unsubscribed', at: '2025-02-01T00:00:00Z' })).status).toBe(201);
    const [holding] = world.ddb.items(ledgerTable('analytics'));
    await world.rt.ledger.finish(holding as never, 'erased', 'sweep:s1', world.clock.now);
    const done = world.ddb.items(ledgerTable('analytics'))[0];
    world.ddb.remove(ledgerTable('analytics'), done);
    await handleLedgerRecord(world.rt, ttlRemoval('analytics', done));
    expect(eventItems().map((i) => i.ttl)).toEqual([undefined, undefined]);
  });
});

describe('erasure requests', () => {
  async function completedRequest(): Promise<string> {
    await api.holding('user1', { purpose: 'analytics', system: 'crm', collectedAt: '2025-01-01T00:00:00Z' });
    const answer = await api.postRequest({ subjectId: 'user1', verification }, { 'Idempotency-Key': 'retention-1' });
    const requestId = answer.body.requestId as string;
    const planned = await planErasure(world.rt, requestId);
    const results: ErasureSystemOutput[] = [];
    for (const { system } of planned.systems) results.push(await eraseInSystem(world.rt, requestId, system));
    expect((await finishErasure(world.rt, { requestId, results })).status).toBe('completed');
    return requestId;
  }

  it('while open, GET answers the subject id to the caller who sent it', async () => {
    const answer = await api.postRequest({ subjectId: 'user1', verification }, { 'Idempotency-Key': 'retention-0' });
    const view = await api.getRequest(answer.body.requestId as string);
    expect(view.body).toMatchObject({ subjectId: 'user1', status: 'received' });
  });

  it('once completed: the sealed subject id is gone, GET answers without it, and the request expires 90 days later', async () => {
    const requestId = await completedRequest();
    const [item] = world.ddb.items(TABLES.requests);
    expect(item).toMatchObject({ requestId, status: 'completed', ttl: nowSeconds() + 90 * DAY });
    expect(Object.keys(item).filter((k) => k.startsWith('sealed'))).toEqual([]);
    const view = await api.getRequest(requestId);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ requestId, status: 'completed' });
    expect(view.body).not.toHaveProperty('subjectId');
    expect(JSON.stringify(view.body)).not.toContain('user1');
  });
});

it('every table that holds anything about a subject has a TTL attribute, and the runtime writes it', () => {
  expect([LEDGER_TABLE.ttlAttribute, EVENTS_TABLE.ttlAttribute, REQUESTS_TABLE.ttlAttribute]).toEqual(['ttl', 'ttl', 'ttl']);
  expect([EVENTS.ttlAttribute, REQUESTS.ttlAttribute]).toEqual(['ttl', 'ttl']);
});
