/**
 * lib/local/receiver.ts: the SaaS behind every http system in local mode, driven by the real HTTP connector
 * (signed webhook, Idempotency-Key), with fault injection.
 */
import { HttpConnector } from '../../../lib/connectors/http';
import { applyToRecord, type DemoRecord, type LocalReceiver, startReceiver } from '../../../lib/local/receiver';
import type { ConnectorInvocation } from '../../../lib/runtime/contract';

const SECRET = 'webhook-secret';
let receiver: LocalReceiver;

beforeAll(async () => {
  receiver = await startReceiver({ secrets: { newsletter: SECRET } });
});
afterAll(() => receiver.close());

const connector = (secret = SECRET) =>
  new HttpConnector(
    'newsletter',
    { url: receiver.urlOf('newsletter'), secretName: 'lethe/newsletter-webhook' },
    { signingKey: async () => secret },
  );

const invocation = (subjectId: string, operationId: string, record: 'delete' | 'keep' = 'delete'): ConnectorInvocation => ({
  system: 'newsletter',
  purposes: ['marketing'],
  operationId,
  policyHash: 'h',
  subjects: [
    {
      subjectRef: `ref-${subjectId}`,
      subjectId,
      locator: {},
      identifiers: {},
      record,
      removeFields: record === 'keep' ? [{ name: 'phone', category: 'contact' }] : [],
      anonymiseFields:
        record === 'keep' ? [{ name: 'name', category: 'identity', anonymise: { strategy: 'redact', value: '[erased]' } }] : [],
    },
  ],
});

test('a signed call erases the subject, and only that subject (user1 vs user10)', async () => {
  receiver.put('newsletter', 'user1', { name: 'Ada', email: 'ada@example.se' });
  receiver.put('newsletter', 'user10', { name: 'Bo', email: 'bo@example.se' });
  const result = await connector().run(invocation('user1', 'op-1'));
  expect(result.subjects).toEqual([{ subjectRef: 'ref-user1', status: 'erased', counts: { records: 1, fields: 0, objects: 0 } }]);
  expect(Object.keys(receiver.records('newsletter'))).toEqual(['user10']);
  expect(receiver.received('newsletter').at(-1)).toMatchObject({
    signatureValid: true,
    status: 200,
    idempotencyKey: 'op-1',
    replayed: false,
  });
});

test('the same Idempotency-Key gets the same answer without doing the work again', async () => {
  receiver.put('newsletter', 'user2', { name: 'Cy' });
  await connector().run(invocation('user2', 'op-2'));
  receiver.put('newsletter', 'user2', { name: 'Cy again' });
  const again = await connector().run(invocation('user2', 'op-2'));
  expect(again.subjects[0].status).toBe('erased');
  expect(receiver.records('newsletter').user2).toEqual({ name: 'Cy again' });
  expect(receiver.received('newsletter').at(-1)).toMatchObject({ replayed: true });
});

test('a call signed with another secret is refused (401), which the connector reports as permanent', async () => {
  await expect(connector('wrong').run(invocation('user10', 'op-3'))).rejects.toMatchObject({ name: 'ConnectorPermanentError' });
  expect(receiver.received('newsletter').at(-1)).toMatchObject({ signatureValid: false, status: 401 });
  expect(receiver.records('newsletter').user10).toBeDefined();
});

test('fail() answers the next calls with the status (503: transient, 400: permanent), heal() stops it', async () => {
  receiver.put('newsletter', 'user3', { name: 'Di' });
  receiver.fail('newsletter', { times: 2 });
  await expect(connector().run(invocation('user3', 'op-4'))).rejects.toMatchObject({ name: 'ConnectorTransientError' });
  await expect(connector().run(invocation('user3', 'op-4'))).rejects.toMatchObject({ name: 'ConnectorTransientError' });
  expect((await connector().run(invocation('user3', 'op-4'))).subjects[0].status).toBe('erased');
  receiver.put('newsletter', 'user3', { name: 'Di' });
  receiver.fail('newsletter', { status: 400 });
  await expect(connector().run(invocation('user3', 'op-5'))).rejects.toMatchObject({ name: 'ConnectorPermanentError' });
  await expect(connector().run(invocation('user3', 'op-6'))).rejects.toMatchObject({ name: 'ConnectorPermanentError' });
  receiver.heal('newsletter');
  expect((await connector().run(invocation('user3', 'op-7'))).subjects[0].status).toBe('erased');
  expect(() => receiver.fail('unknown')).toThrow('the receiver serves no http system "unknown"');
});

describe('applyToRecord', () => {
  const subject = (record: 'delete' | 'keep' | 'anonymise', remove: string[], anonymise: string[]) => ({
    subjectRef: 'r',
    subjectId: 's',
    locator: {},
    identifiers: {},
    record,
    removeFields: remove.map((name) => ({ name, category: 'c' })),
    anonymiseFields: anonymise.map((name) => ({ name, category: 'c', anonymise: { strategy: 'redact' as const, value: 'X' } })),
  });
  it.each([
    ['delete', [], [], { status: 'erased', counts: { records: 1, fields: 0, objects: 0 } }, undefined],
    ['keep', ['phone'], [], { status: 'fields-removed', counts: { records: 1, fields: 1, objects: 0 } }, { name: 'A' }],
    ['keep', [], ['name'], { status: 'fields-anonymised', counts: { records: 1, fields: 1, objects: 0 } }, { name: 'X', phone: '1' }],
    ['anonymise', ['phone'], ['name'], { status: 'anonymised', counts: { records: 1, fields: 2, objects: 0 } }, { name: 'X' }],
    ['keep', ['missing'], [], { status: 'nothing-found', counts: { records: 0, fields: 0, objects: 0 } }, { name: 'A', phone: '1' }],
  ] as const)('%s, removing %j, anonymising %j → %j', (record, remove, anonymise, outcome, left) => {
    const store = new Map<string, DemoRecord>([['s', { name: 'A', phone: '1' }]]);
    expect(applyToRecord(store, subject(record, [...remove], [...anonymise]), 'k')).toEqual({ subjectRef: 'r', ...outcome });
    expect(store.get('s')).toEqual(left);
  });
  it('finds nothing for an unknown subject', () => {
    expect(applyToRecord(new Map(), subject('delete', [], []), 'k').status).toBe('nothing-found');
  });
});
