/**
 * The ledger stream (lambdas/ledger-stream.ts): a TTL removal of a still-active holding erases it and puts it
 * back, done, or still due if the erasure failed. Both stream shapes: AWS (userIdentity of the DynamoDB service)
 * and DynamoDB Local (no userIdentity, its own eventName).
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { ConnectorPermanentError } from '../../lib/connectors/errors';
import { makeHandler } from '../../lambdas/ledger-stream';
import { answerAll } from '../lib/runtime/support/aws';
import { AUDIT_BUCKET, captureOutput, createWorld, lambdaContext, ledgerTable, type TestWorld } from '../lib/runtime/support/runtime';
import { apiClient } from './helpers';

let world: TestWorld;
let api: ReturnType<typeof apiClient>;
const context = lambdaContext('lethe-ledger-stream') as never;

beforeEach(() => {
  world = createWorld({ now: '2025-01-01T00:00:00Z' });
  api = apiClient(world);
});
afterEach(() => world.restore());

type Shape = 'aws' | 'local';

function removal(purpose: string, item: Record<string, unknown>, shape: Shape, seq = '100'): DynamoDBRecord {
  return {
    eventID: `evt-${seq}`,
    // DynamoDB Local names the event its own way and sends no userIdentity.
    eventName: (shape === 'aws' ? 'REMOVE' : 'TTL_REMOVE') as never,
    eventSource: 'aws:dynamodb',
    eventSourceARN: `arn:aws:dynamodb:eu-north-1:123456789012:table/${ledgerTable(purpose)}/stream/2025-01-01T00:00:00.000`,
    dynamodb: {
      Keys: marshall({ subjectRef: item.subjectRef, system: item.system }) as never,
      OldImage: marshall(item, { removeUndefinedValues: true }) as never,
      SequenceNumber: seq,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    ...(shape === 'aws' ? { userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' } } : {}),
  };
}

const run = (...records: DynamoDBRecord[]) => makeHandler(() => world.rt)({ Records: records }, context);

/** Registers an analytics holding (P1Y), moves the clock past its TTL, and lets "TTL" delete it. */
async function expiredAndRemoved(subjectId = 'user1') {
  await api.holding(subjectId, {
    purpose: 'analytics',
    system: 'crm',
    collectedAt: '2025-01-01T00:00:00Z',
    locator: { customerId: 'C-1' },
  });
  const [item] = world.ddb.items(ledgerTable('analytics')).filter((i) => i.status === 'active');
  world.clock.now = world.clock.now.add({ hours: 24 * 400 });
  world.ddb.remove(ledgerTable('analytics'), item);
  return item;
}

describe.each<Shape>(['aws', 'local'])('a TTL removal of an active holding (%s stream)', (shape) => {
  it('erases the holding as the sweep would and puts it back as done', async () => {
    const item = await expiredAndRemoved();
    const result = await run(removal('analytics', item, shape));
    expect(result).toEqual({ batchItemFailures: [] });
    const [invocation] = world.connectors.forSystem('crm');
    expect(invocation.subjects[0]).toMatchObject({ subjectId: 'user1', locator: { customerId: 'C-1' }, record: 'anonymise' });
    const [back] = world.ddb.items(ledgerTable('analytics'));
    expect(back).toMatchObject({ subjectRef: item.subjectRef, status: 'done', outcome: 'erased', finishedBy: 'ttl:evt-100' });
    expect(back.sealed).toBeUndefined();
    expect(back.dueAt).toBeUndefined();
    const [record] = [...world.s3.bodies(AUDIT_BUCKET).values()].map((b) => JSON.parse(b));
    expect(record).toMatchObject({ kind: 'ttl', purposes: ['analytics'], system: 'crm', outcome: 'erased' });
  });

  it('puts the holding back, still due, when its erasure fails', async () => {
    const item = await expiredAndRemoved();
    world.connectors.on('crm', () => {
      throw new ConnectorPermanentError('dynamodb: UpdateItem failed: AccessDeniedException (HTTP 400)');
    });
    expect(await run(removal('analytics', item, shape))).toEqual({ batchItemFailures: [] });
    const [back] = world.ddb.items(ledgerTable('analytics'));
    expect(back).toMatchObject({ status: 'active', dueAt: item.dueAt, dueShard: item.dueShard, sealed: item.sealed });
    expect(back.ttl).toBe(Math.floor(world.clock.now.epochMilliseconds / 1000) + 3 * 24 * 3600);
  });
});

describe('what the stream ignores', () => {
  it('TTL cleaning up a finished holding', async () => {
    const item = await expiredAndRemoved();
    await run(removal('analytics', { ...item, status: 'done', sealed: undefined }, 'aws'));
    expect(world.connectors.invocations).toHaveLength(0);
    expect(world.ddb.items(ledgerTable('analytics'))).toHaveLength(0);
  });

  it('a deletion by someone else of a holding whose TTL has not passed', async () => {
    await api.holding('user1', { purpose: 'analytics', system: 'crm', collectedAt: '2025-01-01T00:00:00Z' });
    const [item] = world.ddb.items(ledgerTable('analytics'));
    world.ddb.remove(ledgerTable('analytics'), item);
    await run(removal('analytics', item, 'local'));
    expect(world.connectors.invocations).toHaveLength(0);
  });

  it('inserts and updates', async () => {
    await api.holding('user1', { purpose: 'analytics', system: 'crm', collectedAt: '2025-01-01T00:00:00Z' });
    const [item] = world.ddb.items(ledgerTable('analytics'));
    const insert = { ...removal('analytics', item, 'aws'), eventName: 'INSERT' as const };
    insert.dynamodb = { ...insert.dynamodb, NewImage: insert.dynamodb!.OldImage, OldImage: undefined };
    await run(insert);
    expect(world.connectors.invocations).toHaveLength(0);
  });
});

it('puts back as due a removed holding whose expiry moved later', async () => {
  // GIVEN a customer holding due after account-closed, removed by TTL after a later account-closed arrived unnoticed
  await api.holding('user1', { purpose: 'customer', system: 'crm', collectedAt: '2024-01-01T00:00:00Z' });
  await api.event('user1', { type: 'account-closed', at: '2025-01-10T00:00:00Z' });
  const [item] = world.ddb.items(ledgerTable('customer'));
  const ref = item.subjectRef as string;
  world.ddb.seed('lethe-events', {
    subjectRef: ref,
    eventKey: '2025-06-01T00:00:00.000Z#account-closed#x',
    type: 'account-closed',
    at: '2025-06-01T00:00:00.000Z',
    eventId: 'x',
    recordedAt: 'x',
  });
  world.clock.now = world.clock.now.add({ hours: 24 * 200 });
  world.ddb.remove(ledgerTable('customer'), item);
  // WHEN the stream sees the removal
  await run(removal('customer', item, 'aws'));
  // THEN nothing is erased and the holding is back, due at its new expiry
  expect(world.connectors.invocations).toHaveLength(0);
  expect(world.ddb.items(ledgerTable('customer'))[0]).toMatchObject({ status: 'active', dueAt: Date.parse('2025-09-01T00:00:00Z') });
});

it('reports a record it could not handle, for Lambda to retry it', async () => {
  const item = await expiredAndRemoved();
  const other = await expiredAndRemoved('user2');
  world.ddb.beforeWrite = (call) => {
    if (
      call.command === 'Put' &&
      call.table === ledgerTable('analytics') &&
      (call.input.Item as Record<string, unknown>).subjectRef === other.subjectRef
    ) {
      throw Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' });
    }
  };
  const result = await run(removal('analytics', item, 'aws', '101'), removal('analytics', other, 'aws', '102'));
  expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '102' }] });
});

describe('holdings of several purposes in one record, all removed by TTL (each purpose its own table and stream)', () => {
  /** crm as a store of one record per subject: deleted by the first call, found by none after. */
  function oneRecordStore() {
    const deleted = new Set<string>();
    world.connectors.on('crm', (invocation) => ({
      system: invocation.system,
      subjects: invocation.subjects.map((s) => {
        const found = !deleted.has(s.subjectId);
        deleted.add(s.subjectId);
        return {
          subjectRef: s.subjectRef,
          status: found ? 'erased' : 'nothing-found',
          counts: { records: found ? 1 : 0, fields: 0, objects: 0 },
        };
      }),
    }));
  }

  /** user1's customer and marketing holdings in crm, both expired long ago, both removed by TTL. */
  async function bothRemoved() {
    await api.holding('user1', { purpose: 'customer', system: 'crm', collectedAt: '2024-01-01T00:00:00Z', locator: { customerId: 'C-1' } });
    await api.holding('user1', {
      purpose: 'marketing',
      system: 'crm',
      collectedAt: '2024-01-01T00:00:00Z',
      locator: { customerId: 'C-1' },
    });
    await api.event('user1', { type: 'account-closed', at: '2025-01-01T00:00:00Z' });
    await api.event('user1', { type: 'unsubscribed', at: '2025-01-01T00:00:00Z' });
    world.clock.now = world.clock.now.add({ hours: 24 * 200 });
    const [customer] = world.ddb.items(ledgerTable('customer'));
    const [marketing] = world.ddb.items(ledgerTable('marketing'));
    world.ddb.remove(ledgerTable('customer'), customer);
    world.ddb.remove(ledgerTable('marketing'), marketing);
    return { customer, marketing };
  }

  it("GIVEN the first removal's erasure deleted the record THEN the second's 'nothing found' is that erasure: done, not flagged, no alarm", async () => {
    oneRecordStore();
    const { customer, marketing } = await bothRemoved();
    // WHEN the customer table's stream sees its removal, then the marketing table's stream its own
    await run(removal('customer', customer, 'aws', '201'));
    const { result, output } = await captureOutput(() => run(removal('marketing', marketing, 'aws', '202')));
    // THEN the record was deleted once (the first holding alone in the ledger: nothing left to protect)
    expect(result).toEqual({ batchItemFailures: [] });
    expect(world.connectors.forSystem('crm').map((i) => i.subjects.map((s) => s.record))).toEqual([['delete'], ['delete']]);
    // AND both holdings are done: the first erased, the second found nothing because the first erased it
    expect(world.ddb.items(ledgerTable('customer'))[0]).toMatchObject({ status: 'done', outcome: 'erased', finishedBy: 'ttl:evt-201' });
    const second = world.ddb.items(ledgerTable('marketing'))[0];
    expect(second).toMatchObject({ status: 'done', outcome: 'nothing-found', finishedBy: 'ttl:evt-202' });
    expect(second.nothingFound).toBeUndefined();
    // AND no error was logged, and no HoldingsNothingFound metric published; the log says whose erasure it was
    expect(output).not.toContain('"level":"ERROR"');
    expect(output).not.toContain('HoldingsNothingFound');
    expect(output).toContain('"erasedBy":"ttl:evt-201"');
    // AND the audit says what each call found
    const audit = [...world.s3.bodies(AUDIT_BUCKET).values()].flatMap((b) => [JSON.parse(b)].flat());
    expect(audit.map((r) => [r.purposes, r.outcome])).toEqual([
      [['customer'], 'erased'],
      [['marketing'], 'nothing-found'],
    ]);
  });

  it("GIVEN no erasure of the record by Lethe after the holding expired THEN 'nothing found' is still flagged (data gone behind Lethe's back)", async () => {
    // GIVEN the marketing holding alone removed, its record gone with no erasure by Lethe (the customer holding still open)
    world.connectors.on('crm', answerAll('nothing-found', { records: 0, fields: 0, objects: 0 }));
    const { customer, marketing } = await bothRemoved();
    world.ddb.seed(ledgerTable('customer'), customer);
    await run(removal('marketing', marketing, 'aws', '202'));
    // THEN it stays open, flagged
    expect(world.ddb.items(ledgerTable('marketing'))[0]).toMatchObject({ status: 'active', nothingFound: { by: 'ttl:evt-202' } });
  });

  it("GIVEN the record erased by Lethe before the holding expired THEN 'nothing found' is flagged: that erasure did not cover it", async () => {
    // GIVEN the customer holding finished erased by a sweep on 2025-02-01, before marketing's expiry (a later unsubscribe)
    oneRecordStore();
    const { customer, marketing } = await bothRemoved();
    world.ddb.seed(ledgerTable('customer'), {
      ...customer,
      status: 'done',
      outcome: 'erased',
      finishedBy: 'sweep:s-early',
      finishedAt: '2024-12-01T00:00:00.000Z',
      finishedAtMs: Date.parse('2024-12-01T00:00:00Z'),
    });
    world.connectors.on('crm', answerAll('nothing-found', { records: 0, fields: 0, objects: 0 }));
    await run(removal('marketing', marketing, 'aws', '202'));
    // THEN marketing (expired 2025-01-01) stays open, flagged
    expect(world.ddb.items(ledgerTable('marketing'))[0]).toMatchObject({ status: 'active', nothingFound: { by: 'ttl:evt-202' } });
  });
});
