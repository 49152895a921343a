/**
 * subjectRef and sealing: keyed, purpose-separated HMACs; the secret read once; sealed values bound to the
 * item they belong to; the due shard stable and spread.
 */
import { createHmac } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { KMSClient } from '@aws-sdk/client-kms';
import { InputError } from '../../../lib/errors';
import { LEDGER } from '../../../lib/runtime/contract';
import { dueShardOf } from '../../../lib/runtime/ledger';
import { holdingContext, MAX_SEALED_BYTES, Sealer } from '../../../lib/runtime/sealing';
import { secretKeySource, SubjectRefs } from '../../../lib/runtime/subject-ref';
import { FakeKms, fakeSecrets, TEST_SECRET } from './support/aws';

describe('SubjectRefs', () => {
  const refs = new SubjectRefs(async () => TEST_SECRET);

  it('is a keyed HMAC: stable, hex, different per subject (user1 vs user10) and per key', async () => {
    const a = await refs.ref('user1');
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(await refs.ref('user1')).toBe(a);
    expect(await refs.ref('user10')).not.toBe(a);
    expect(await new SubjectRefs(async () => 'another key').ref('user1')).not.toBe(a);
  });

  it('keeps the ledger ref, the audit subject and the hmac anonymisation strategy apart', async () => {
    const plain = createHmac('sha256', TEST_SECRET).update('user1').digest('hex');
    const ref = await refs.ref('user1');
    const audit = await refs.auditSubject('user1');
    expect(new Set([plain, ref, audit]).size).toBe(3);
  });

  it('reads the secret from Secrets Manager once and caches it', async () => {
    const mock = fakeSecrets();
    try {
      const source = new SubjectRefs(secretKeySource('lethe/hmac', { client: new SecretsManagerClient({ region: 'eu-north-1' }) }));
      await source.ref('a');
      await source.ref('b');
      await source.auditSubject('c');
      expect(mock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
      expect(mock.commandCalls(GetSecretValueCommand)[0].args[0].input.SecretId).toBe('lethe/hmac');
    } finally {
      mock.restore();
    }
  });

  it('refuses an empty key', async () => {
    await expect(new SubjectRefs(async () => '').ref('user1')).rejects.toThrow(/empty/);
  });
});

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
      name: 'InvalidCiphertextException',
    });
  });

  it('refuses a value KMS cannot encrypt in one call, naming the field', async () => {
    const error = await sealer.seal({ x: 'y'.repeat(MAX_SEALED_BYTES) }, {}, 'identifiers').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect(error).toMatchObject({ path: 'identifiers' });
    expect(kms.encrypts).toBe(0);
  });
});

describe('dueShardOf', () => {
  it('is two digits within the shard count, stable, and spreads subjects', () => {
    const shards = Array.from({ length: 1000 }, (_, i) => dueShardOf(createHmac('sha256', 'k').update(`user${i}`).digest('hex')));
    expect(shards.every((s) => /^\d{2}$/.test(s) && Number(s) < LEDGER.dueShards)).toBe(true);
    expect(new Set(shards).size).toBe(LEDGER.dueShards);
    expect(dueShardOf('abc')).toBe(dueShardOf('abc'));
  });
});
