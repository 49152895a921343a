/**
 * lib/local/receiver.ts: the SaaS behind every http system in local mode, driven by the real HTTP connector
 * (signed webhook, Idempotency-Key), with fault injection.
 */
import { HttpConnector } from '../../../lib/connectors/http';
import { applyToRecord, type DemoRecord, type LocalReceiver, receiverRecordKey, startReceiver } from '../../../lib/local/receiver';
import type { ConnectorInvocation } from '../../../lib/core/contract';

const SECRET = 'webhook-secret';
let receiver: LocalReceiver;

beforeAll(async () => {
  receiver = await startReceiver({ secrets: { newsletter: SECRET } });
});
afterAll(() => receiver.close());

const connector = (secret = SECRET, verify = false) =>
  new HttpConnector(
    'newsletter',
    // verify: the receiver answers the verify operation, as local mode configures it (issue 19); tested at the end
    { url: receiver.urlOf('newsletter'), secretName: 'lethe/newsletter-webhook', verify },
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
  expect(result.subjects).toEqual([
    { subjectRef: 'ref-user1', status: 'erased', counts: { records: 1, fields: 0, objects: 0 }, verification: 'unverified' },
  ]);
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

test('fail() with retryAfterSeconds answers 429 with a Retry-After header (throttling: transient)', async () => {
  receiver.put('newsletter', 'user4', { name: 'Ed' });
  receiver.fail('newsletter', { status: 429, times: 1, retryAfterSeconds: 2 });
  // An unsigned call is refused before any fault (it does not use up the injected one)
  expect((await fetch(receiver.urlOf('newsletter'), { method: 'POST', body: '{}' })).status).toBe(401);
  await expect(connector().run(invocation('user4', 'op-8'))).rejects.toMatchObject({ name: 'ConnectorTransientError' });
  expect(receiver.received('newsletter').at(-1)).toMatchObject({ status: 429, injected: { status: 429 } });
  expect(receiver.records('newsletter').user4).toBeDefined();
  expect(() => receiver.fail('newsletter', { retryAfterSeconds: -1 })).toThrow('retryAfterSeconds must be a whole number >= 0');
});

test('delay() does the work at once and answers late: a client that timed out gets the stored answer on its retry', async () => {
  // GIVEN a webhook that answers 1.5 s late, and a connector that waits 1 s
  receiver.put('newsletter', 'user5', { name: 'Fa' });
  receiver.delay('newsletter', { ms: 1500, times: 1 });
  const impatient = new HttpConnector(
    'newsletter',
    { url: receiver.urlOf('newsletter'), secretName: 'lethe/newsletter-webhook', timeoutSeconds: 1 },
    { signingKey: async () => SECRET },
  );
  // WHEN it calls: it times out (transient), but the record is gone already
  await expect(impatient.run(invocation('user5', 'op-9'))).rejects.toMatchObject({
    name: 'ConnectorTransientError',
    message: expect.stringContaining('timed out after 1 s'),
  });
  expect(receiver.records('newsletter').user5).toBeUndefined();
  // AND its retry with the same key is answered from the store: erased, not nothing-found
  const again = await impatient.run(invocation('user5', 'op-9'));
  expect(again.subjects[0]).toMatchObject({ status: 'erased', counts: { records: 1 } });
  expect(receiver.received('newsletter').at(-1)).toMatchObject({ replayed: true, status: 200 });
  await new Promise((resolve) => setTimeout(resolve, 600)); // the late answer is recorded when it is sent
  expect(
    receiver
      .received('newsletter')
      .filter((c) => c.idempotencyKey === 'op-9')
      .map((c) => c.injected),
  ).toEqual([undefined, { delayMs: 1500, lost: 'answer' }]);
});

test("delay() with lost: 'request' never does the work and answers 504 late: the retry does it", async () => {
  receiver.put('newsletter', 'user6', { name: 'Gu' });
  receiver.delay('newsletter', { ms: 300, times: 1, lost: 'request' });
  await expect(connector().run(invocation('user6', 'op-10'))).rejects.toMatchObject({
    name: 'ConnectorTransientError',
    message: expect.stringContaining('HTTP 504'),
  });
  expect(receiver.records('newsletter').user6).toBeDefined();
  expect((await connector().run(invocation('user6', 'op-10'))).subjects[0].status).toBe('erased');
  expect(
    receiver
      .received('newsletter')
      .filter((c) => c.idempotencyKey === 'op-10')
      .map((c) => [c.status, c.replayed]),
  ).toEqual([
    [504, false],
    [200, false],
  ]);
});

test('failRandomly() fails about the given share of calls, the same calls for the same seed, and heal() stops it', async () => {
  const run = async (seed: number) => {
    receiver.failRandomly('newsletter', { rate: 0.3, seed, faults: [{ status: 503 }, { status: 429, retryAfterSeconds: 1 }] });
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) {
      receiver.put('newsletter', `r${i}`, { name: 'x' });
      try {
        await connector().run(invocation(`r${i}`, `op-r-${seed}-${i}`));
        statuses.push(200);
      } catch (error) {
        expect(error).toMatchObject({ name: 'ConnectorTransientError' });
        statuses.push(receiver.received('newsletter').at(-1)!.status);
      }
    }
    receiver.heal('newsletter');
    return statuses;
  };
  const first = await run(7);
  const failed = first.filter((s) => s !== 200).length;
  expect(failed).toBeGreaterThanOrEqual(8); // 30 % of 60 = 18, binomial: 8..30 holds with p > 0.999
  expect(failed).toBeLessThanOrEqual(30);
  expect(new Set(first.filter((s) => s !== 200))).toEqual(new Set([503, 429]));
  // the same seed: the same attempts fail (the receiver counts attempts per call, so start from a fresh receiver)
  const again = await startReceiver({ secrets: { newsletter: SECRET } });
  try {
    const replay: number[] = [];
    again.failRandomly('newsletter', { rate: 0.3, seed: 7, faults: [{ status: 503 }, { status: 429, retryAfterSeconds: 1 }] });
    const to = new HttpConnector('newsletter', { url: again.urlOf('newsletter'), secretName: 's' }, { signingKey: async () => SECRET });
    for (let i = 0; i < 60; i++) {
      replay.push(
        await to.run(invocation(`r${i}`, `other-key-${i}`)).then(
          () => 200,
          () => again.received('newsletter').at(-1)!.status,
        ),
      );
    }
    expect(replay).toEqual(first);
  } finally {
    await again.close();
  }
  // another seed: other calls fail
  expect(await run(8)).not.toEqual(first);
  expect(() => receiver.failRandomly('newsletter', { rate: 1.5, seed: 1 })).toThrow('rate must be a number from 0 to 1');
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
  it('export (an access request) answers exported with a copy of the listed fields it holds, nothing else; none found: no record', () => {
    const store = new Map<string, DemoRecord>([
      ['s', { name: 'A', phone: '1', password: 'secret' }],
      [receiverRecordKey('s', 'O-1'), { invoice: 1 }],
    ]);
    const exporting = (ref?: string) => ({
      ...subject('keep', [], []),
      record: 'export' as const,
      exportFields: [
        { name: 'name', category: 'c' },
        { name: 'email', category: 'c' },
      ],
      ...(ref === undefined ? {} : { ref }),
    });
    expect(applyToRecord(store, exporting(), 'k')).toEqual({
      subjectRef: 'r',
      status: 'exported',
      counts: { records: 1, fields: 1, objects: 0 },
      export: { records: [{ source: 'the customer record', fields: { name: 'A' } }] },
    });
    expect(applyToRecord(store, exporting('O-2'), 'k')).toEqual({
      subjectRef: 'r',
      status: 'exported',
      counts: { records: 0, fields: 0, objects: 0 },
      export: { records: [] },
    });
    expect(store.get('s')).toEqual({ name: 'A', phone: '1', password: 'secret' });
  });
  it('an item record (ref, spec 2.2) is that item only: O-1 never O-10 or the subject’s main record', () => {
    // GIVEN the subject's main record and two items, O-1 and O-10
    const store = new Map<string, DemoRecord>([
      ['s', { name: 'A' }],
      [receiverRecordKey('s', 'O-1'), { invoice: 1 }],
      [receiverRecordKey('s', 'O-10'), { invoice: 10 }],
    ]);
    // WHEN item O-1 is deleted, THEN only O-1 is gone
    expect(applyToRecord(store, { ...subject('delete', [], []), ref: 'O-1' }, 'k').status).toBe('erased');
    expect([...store.keys()]).toEqual(['s', receiverRecordKey('s', 'O-10')]);
    // AND an item the SaaS does not hold is nothing-found, the main record untouched
    expect(applyToRecord(store, { ...subject('delete', [], []), ref: 'O-2' }, 'k').status).toBe('nothing-found');
    expect(store.get('s')).toEqual({ name: 'A' });
  });
  it('restrict marks the record (lethe:restricted), unrestrict removes only the same request’s mark (issue 14)', () => {
    const store = new Map<string, DemoRecord>([['s', { name: 'A', phone: '1' }]]);
    const marking = (record: 'restrict' | 'unrestrict', requestId: string) => ({
      ...subject('keep', [], []),
      record,
      restriction: { requestId, until: '2027-01-01T00:00:00.000Z' },
    });
    expect(applyToRecord(store, marking('restrict', 'q1'), 'k')).toEqual({
      subjectRef: 'r',
      status: 'restricted',
      counts: { records: 1, fields: 0, objects: 0 },
    });
    expect(store.get('s')).toEqual({ name: 'A', phone: '1', 'lethe:restricted': { requestId: 'q1', until: '2027-01-01T00:00:00.000Z' } });
    expect(applyToRecord(store, marking('unrestrict', 'q0'), 'k').counts.records).toBe(0);
    expect(applyToRecord(store, marking('unrestrict', 'q1'), 'k')).toMatchObject({ status: 'unrestricted', counts: { records: 1 } });
    expect(store.get('s')).toEqual({ name: 'A', phone: '1' });
    expect(applyToRecord(new Map(), marking('restrict', 'q1'), 'k')).toMatchObject({ status: 'restricted', counts: { records: 0 } });
  });
});

test('verify (issue 19): a receiver told to leaveData answers erased and keeps the record; the verify call finds it', async () => {
  receiver.put('newsletter', 'user1', { name: 'Ada', email: 'ada@example.se' });
  receiver.leaveData('newsletter');
  try {
    const result = await connector(SECRET, true).run(invocation('user1', 'op-leave'));
    expect(result).toEqual({
      system: 'newsletter',
      subjects: [],
      failed: [{ subjectRef: 'ref-user1', error: 'ConnectorVerificationError', transient: false }],
    });
    expect(receiver.records('newsletter').user1).toBeDefined();
  } finally {
    receiver.heal('newsletter');
  }
  // Healed: the erasure is done, and the verify call (never answered from the cache) finds nothing → verified
  const healed = await connector(SECRET, true).run(invocation('user1', 'op-healed'));
  expect(healed.subjects).toEqual([
    { subjectRef: 'ref-user1', status: 'erased', counts: { records: 1, fields: 0, objects: 0 }, verification: 'verified' },
  ]);
});
