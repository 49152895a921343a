/**
 * The ledger stream (lambdas/ledger-stream.ts): a TTL removal of a still-active holding erases it and puts it
 * back, done, or still due if the erasure failed. Both stream shapes: AWS (userIdentity of the DynamoDB service)
 * and DynamoDB Local (no userIdentity, its own eventName).
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { ConnectorPermanentError } from '../../lib/connectors/errors';
import { makeHandler } from '../../lambdas/ledger-stream';
import { AUDIT_BUCKET, createWorld, lambdaContext, ledgerTable, type TestWorld } from '../lib/runtime/support/runtime';
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
