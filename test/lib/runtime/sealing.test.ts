/**
 * lib/runtime/sealing.ts: sealed values bound to the item they belong to, one data key for many values, and the
 * refusals (another context, an altered value, a value too large, an unknown format).
 */
import { EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { InputError } from '../../../lib/core/errors';
import type { PeriodKeyStore } from '../../../lib/runtime/period-keys';
import { holdingContext, MAX_SEALED_BYTES, Sealer, type SealerOptions } from '../../../lib/runtime/sealing';
import { FakeKms } from './support/aws';

describe('Sealer', () => {
  let kms: FakeKms;
  let sealer: Sealer;
  beforeEach(() => {
    kms = new FakeKms();
    sealer = new Sealer(new KMSClient({ region: 'eu-north-1' }), 'alias/lethe');
  });
  afterEach(() => kms.mock.restore());

  it('round-trips a value with the same context, and refuses another context', async () => {
    const context = holdingContext('customer', 'crm', 'ref-1');
    const sealed = await sealer.seal({ subjectId: 'user1', locator: { id: 'C-1' } }, context);
    expect(sealed).not.toContain('user1');
    expect(await sealer.unseal(sealed, context)).toEqual({ subjectId: 'user1', locator: { id: 'C-1' } });
    await expect(sealer.unseal(sealed, holdingContext('customer', 'crm', 'ref-10'))).rejects.toMatchObject({
      name: 'SealedValueError',
    });
  });

  it('refuses a value KMS cannot encrypt in one call, naming the field', async () => {
    const error = await sealer.seal({ x: 'y'.repeat(MAX_SEALED_BYTES) }, {}, 'identifiers').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect(error).toMatchObject({ path: 'identifiers' });
    expect(kms.encrypts).toBe(0);
    expect(kms.dataKeys).toBe(0);
  });

  it('asks KMS for one data key for many values, and another process opens them all with one Decrypt', async () => {
    // GIVEN 25 holdings sealed by one sealer
    const contexts = Array.from({ length: 25 }, (_, i) => holdingContext('customer', 'crm', `ref-${i}`));
    const sealed = await Promise.all(contexts.map((c, i) => sealer.seal({ subjectId: `user${i}` }, c)));
    // THEN one GenerateDataKey, no Encrypt, and each value is in the envelope format
    expect([kms.dataKeys, kms.encrypts]).toEqual([1, 0]);
    expect(sealed.every((v) => /^l2\.[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+$/.test(v))).toBe(true);
    // WHEN a fresh sealer (another function) opens them, some at once
    const other = new Sealer(new KMSClient({ region: 'eu-north-1' }), 'alias/lethe');
    const opened = await Promise.all(sealed.map((v, i) => other.unseal<{ subjectId: string }>(v, contexts[i])));
    // THEN each opens with its own context, and KMS decrypted the data key once
    expect(opened.map((o) => o.subjectId)).toEqual(contexts.map((_, i) => `user${i}`));
    expect(kms.decrypts).toBe(1);
    // AND a value does not open with its neighbour's context (user1 vs user10), even with the key at hand
    await expect(other.unseal(sealed[1], contexts[10])).rejects.toMatchObject({ name: 'SealedValueError' });
  });

  it.each([
    ['after dataKeyMaxAgeMs', { dataKeyMaxAgeMs: 1000 }, 1000],
    ['after dataKeyMaxUses', { dataKeyMaxUses: 3 }, 0],
  ])('takes a new data key %s', async (_what, options, advanceMs) => {
    let now = 0;
    const client = new KMSClient({ region: 'eu-north-1' });
    const rotating = new Sealer(client, 'alias/lethe', { ...options, clock: () => now });
    for (let i = 0; i < 3; i++) await rotating.seal({ i }, {});
    expect(kms.dataKeys).toBe(1);
    now += advanceMs;
    const next = await rotating.seal({ i: 3 }, {});
    expect(kms.dataKeys).toBe(2);
    // AND the sealer opens its own values without KMS; another forgets a decrypted key as it ages
    expect(await rotating.unseal(next, {})).toEqual({ i: 3 });
    expect(kms.decrypts).toBe(0);
    const opener = new Sealer(client, 'alias/lethe', { ...options, clock: () => now });
    await opener.unseal(next, {});
    now += 1000;
    await opener.unseal(next, {});
    expect(kms.decrypts).toBe(advanceMs ? 2 : 1);
  });

  it('asks again after a failed GenerateDataKey', async () => {
    kms.failNext = new Error('KMS throttled');
    await expect(sealer.seal({ a: 1 }, {})).rejects.toThrow('KMS throttled');
    expect(await sealer.unseal(await sealer.seal({ a: 1 }, {}), {})).toEqual({ a: 1 });
    expect(kms.dataKeys).toBe(1);
  });

  it('opens a value sealed before envelopes (a KMS ciphertext) with KMS', async () => {
    const context = holdingContext('customer', 'crm', 'ref-1');
    const { CiphertextBlob } = await new KMSClient({ region: 'eu-north-1' }).send(
      new EncryptCommand({ KeyId: 'alias/lethe', Plaintext: Buffer.from('{"subjectId":"user1"}'), EncryptionContext: { ...context } }),
    );
    const legacy = Buffer.from(CiphertextBlob!).toString('base64');
    expect(await sealer.unseal(legacy, context)).toEqual({ subjectId: 'user1' });
    await expect(sealer.unseal(legacy, holdingContext('customer', 'crm', 'ref-10'))).rejects.toMatchObject({
      name: 'InvalidCiphertextException',
    });
  });

  it.each([
    ['another format', 'l9.abc.def'],
    ['a part missing', 'l2.abc'],
    ['an extra part', 'l2.abc.def.ghi'],
    ['a period value with a part missing', 'l3.2026-12-04T12:00:00Z.abc'],
    ['a period value with an extra part', 'l3.2026-12-04T12:00:00Z.abc.def.ghi'],
  ])('refuses a sealed value with %s, naming the format', async (_what, value) => {
    await expect(sealer.unseal(value, {})).rejects.toMatchObject({ name: 'SealedValueError', message: expect.stringContaining('l2.') });
  });

  it('refuses an altered sealed value', async () => {
    const sealed = await sealer.seal({ subjectId: 'user1' }, {});
    const [prefix, key, data] = sealed.split('.');
    const bytes = Buffer.from(data, 'base64');
    bytes[bytes.length - 1] ^= 1;
    await expect(sealer.unseal([prefix, key, bytes.toString('base64')].join('.'), {})).rejects.toMatchObject({ name: 'SealedValueError' });
  });

  it.each([
    [{ dataKeyMaxUses: 0 }, 'dataKeyMaxUses must be a whole number >= 1, got 0'],
    [{ periodMs: 0 }, 'periodMs must be a whole number >= 1, got 0'],
    [{ periodMs: 7 * 60_000 }, 'periodMs must be whole seconds that divide a day, got 420000'],
    [{ periodMs: 1500 }, 'periodMs must be whole seconds that divide a day, got 1500'],
  ])('refuses invalid options, naming them: %j', (options, message) => {
    expect(() => new Sealer(new KMSClient({}), 'k', options)).toThrow(message);
  });
});

/** The idempotency table's period items (period-keys.ts) in memory: a conditional write, the first one wins. */
class MemoryPeriodKeys implements PeriodKeyStore {
  public readonly items = new Map<string, string>();
  public reads = 0;
  public writes = 0;
  public async get(period: string): Promise<string | undefined> {
    this.reads++;
    await Promise.resolve();
    return this.items.get(period);
  }
  public async putFirst(period: string, encrypted: string): Promise<string> {
    this.writes++;
    await Promise.resolve();
    if (!this.items.has(period)) this.items.set(period, encrypted);
    return this.items.get(period)!;
  }
}

/** The parts of an `l3` value: its period, its encrypted data key and its data. */
const partsOf = (sealed: string) => {
  const [prefix, period, key, data, ...rest] = sealed.split('.');
  expect([prefix, rest]).toEqual(['l3', []]);
  return { period, key, data };
};

describe('Sealer with one data key per period (issue 16)', () => {
  // 2026-12-04T12:10:00Z
  const START = Date.UTC(2026, 11, 4, 12, 10);
  let kms: FakeKms;
  let store: MemoryPeriodKeys;
  let now: number;
  const client = () => new KMSClient({ region: 'eu-north-1' });
  const container = (options: SealerOptions = {}) =>
    new Sealer(client(), 'alias/lethe', { periodKeys: store, clock: () => now, ...options });
  beforeEach(() => {
    kms = new FakeKms();
    store = new MemoryPeriodKeys();
    now = START;
  });
  afterEach(() => kms.mock.restore());

  it('two containers sealing at once for the first time agree on one key, and each opens the other one’s values', async () => {
    // GIVEN two containers (two Lambda environments) that share the period store but nothing else
    const [a, b] = [container(), container()];
    const contexts = Array.from({ length: 20 }, (_, i) => holdingContext('customer', 'crm', `ref-${i}`));
    // WHEN both seal 10 values at once, in the same period, before either has a key
    const sealed = await Promise.all(contexts.map((c, i) => (i % 2 === 0 ? a : b).seal({ subjectId: `user${i}` }, c)));
    // THEN every value names the same period and carries the same data key: the first writer's
    const parts = sealed.map(partsOf);
    expect(new Set(parts.map((p) => p.period))).toEqual(new Set(['2026-12-04T12:00:00Z']));
    expect(new Set(parts.map((p) => p.key)).size).toBe(1);
    expect([...store.items.values()]).toEqual([parts[0].key]);
    // AND both raced (two GenerateDataKeys, one stored), the loser decrypted the winner's key once
    expect([kms.dataKeys, kms.decrypts, store.writes]).toEqual([2, 1, 2]);
    // AND a third container (a sweep) opens all 20 with one Decrypt; user1's value does not open as user10's
    const opener = new Sealer(client(), 'alias/lethe');
    const opened = await Promise.all(sealed.map((v, i) => opener.unseal<{ subjectId: string }>(v, contexts[i])));
    expect(opened.map((o) => o.subjectId)).toEqual(contexts.map((_, i) => `user${i}`));
    expect(kms.decrypts).toBe(2);
    await expect(opener.unseal(sealed[1], contexts[10])).rejects.toMatchObject({ name: 'SealedValueError' });
  });

  it('a container that starts later in the period reads the stored key and asks KMS once to decrypt it', async () => {
    const first = await container().seal({ n: 1 }, {});
    now += 20 * 60_000;
    const late = container();
    const second = await late.seal({ n: 2 }, {});
    await late.seal({ n: 3 }, {});
    expect(partsOf(second).key).toBe(partsOf(first).key);
    expect([kms.dataKeys, kms.decrypts]).toEqual([1, 1]);
  });

  it('takes the next period’s key when the period ends, and values of the last period still open', async () => {
    const sealer = container();
    const before = await sealer.seal({ n: 1 }, {});
    now = Date.UTC(2026, 11, 4, 13, 0, 5);
    const after = await sealer.seal({ n: 2 }, {});
    expect([partsOf(before).period, partsOf(after).period]).toEqual(['2026-12-04T12:00:00Z', '2026-12-04T13:00:00Z']);
    expect(partsOf(after).key).not.toBe(partsOf(before).key);
    expect(kms.dataKeys).toBe(2);
    expect(await container().unseal(before, {})).toEqual({ n: 1 });
  });

  it('keeps a decrypted key at most dataKeyMaxAgeMs, so revoking kms:Decrypt takes effect within it', async () => {
    // GIVEN a container that sealed with the period's key another container stored
    await container().seal({ n: 0 }, {});
    const sealer = container();
    await sealer.seal({ n: 1 }, {});
    expect(kms.decrypts).toBe(1);
    // WHEN 5 minutes pass within the period
    now += 300_000;
    await sealer.seal({ n: 2 }, {});
    // THEN it asked KMS to decrypt the key again (the stored key itself is remembered for the period)
    expect([kms.decrypts, store.reads]).toEqual([2, 2]);
    // AND when KMS refuses (kms:Decrypt revoked), sealing fails rather than using the remembered key
    now += 300_000;
    kms.failNext = Object.assign(new Error('not authorized to perform kms:Decrypt'), { name: 'AccessDeniedException' });
    await expect(sealer.seal({ n: 3 }, {})).rejects.toThrow('kms:Decrypt');
  });

  it('binds the key to its period: a key stored for one period does not open as another’s', async () => {
    // GIVEN the 12:00 key planted as the 13:00 key (a write to the idempotency table by someone else)
    const sealed = await container().seal({ n: 1 }, {});
    store.items.set('2026-12-04T13:00:00Z', partsOf(sealed).key);
    now = Date.UTC(2026, 11, 4, 13, 30);
    // THEN KMS refuses it (its encryption context names 12:00), and so does a value relabelled to 13:00
    await expect(container().seal({ n: 2 }, {})).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
    const relabelled = sealed.replace('2026-12-04T12:00:00Z', '2026-12-04T13:00:00Z');
    await expect(new Sealer(client(), 'alias/lethe').unseal(relabelled, {})).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
    // AND a sealer that has the 12:00 key at hand does not take the relabelled value's word for it either
    const opener = new Sealer(client(), 'alias/lethe');
    expect(await opener.unseal(sealed, {})).toEqual({ n: 1 });
    await expect(opener.unseal(relabelled, {})).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
  });

  it('still opens the values sealed before it: l2 values and values sealed by KMS itself', async () => {
    // GIVEN an l2 value (a sealer with a key of its own, as before issue 16) and a value sealed by KMS Encrypt
    const context = holdingContext('customer', 'crm', 'ref-1');
    const l2 = await new Sealer(client(), 'alias/lethe').seal({ subjectId: 'user1' }, context);
    const { CiphertextBlob } = await client().send(
      new EncryptCommand({ KeyId: 'alias/lethe', Plaintext: Buffer.from('{"subjectId":"user2"}'), EncryptionContext: { ...context } }),
    );
    const legacy = Buffer.from(CiphertextBlob!).toString('base64');
    // WHEN a container sealing with period keys opens them
    const sealer = container();
    // THEN both open, with their context only
    expect(l2.startsWith('l2.')).toBe(true);
    expect(await sealer.unseal(l2, context)).toEqual({ subjectId: 'user1' });
    expect(await sealer.unseal(legacy, context)).toEqual({ subjectId: 'user2' });
    await expect(sealer.unseal(l2, holdingContext('customer', 'crm', 'ref-10'))).rejects.toMatchObject({ name: 'SealedValueError' });
    // AND what it seals now is an l3 value of the period
    expect(partsOf(await sealer.seal({ subjectId: 'user3' }, context)).period).toBe('2026-12-04T12:00:00Z');
    expect(store.items.size).toBe(1);
  });

  it('asks again after a failed store write, and one key is still stored', async () => {
    const failing: PeriodKeyStore = {
      get: (period) => store.get(period),
      putFirst: jest
        .fn()
        .mockRejectedValueOnce(new Error('ProvisionedThroughputExceeded'))
        .mockImplementation((p: string, e: string) => store.putFirst(p, e)),
    };
    const sealer = new Sealer(client(), 'alias/lethe', { periodKeys: failing, clock: () => now });
    await expect(sealer.seal({ n: 1 }, {})).rejects.toThrow('ProvisionedThroughputExceeded');
    const sealed = await sealer.seal({ n: 2 }, {});
    expect(partsOf(sealed).key).toBe(store.items.get('2026-12-04T12:00:00Z'));
    expect(await sealer.unseal(sealed, {})).toEqual({ n: 2 });
  });
});
