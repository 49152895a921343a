/**
 * lib/runtime/sealing.ts: sealed values bound to the item they belong to, one data key for many values, and the
 * refusals (another context, an altered value, a value too large, an unknown format).
 */
import { EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { InputError } from '../../../lib/core/errors';
import { holdingContext, MAX_SEALED_BYTES, Sealer } from '../../../lib/runtime/sealing';
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
    ['another format', 'l3.abc.def'],
    ['a part missing', 'l2.abc'],
    ['an extra part', 'l2.abc.def.ghi'],
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

  it('refuses invalid options, naming them', () => {
    expect(() => new Sealer(new KMSClient({}), 'k', { dataKeyMaxUses: 0 })).toThrow('dataKeyMaxUses must be a whole number >= 1, got 0');
  });
});
