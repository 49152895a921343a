/**
 * subjectRef is injective on the ids Lethe accepts (issue 15, item 16): the HMAC is taken over the id's UTF-8
 * bytes, and UTF-8 encodes a lone surrogate as U+FFFD, so `u1\ud800`, `u1\udfff` and `u1\uFFFD` were one
 * subject to the ledger. Ids that are not well-formed Unicode are refused before any HMAC; for the others
 * UTF-8 is one-to-one, so two ids that differ never share a reference. Also SubjectRefs itself: a keyed,
 * purpose-separated HMAC whose secret is read once.
 */
import { createHmac } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import fc from 'fast-check';
import { InputError } from '../../../lib/core/errors';
import { isWellFormed, secretKeySource, SubjectRefs } from '../../../lib/core/subject-ref';
import { fakeSecrets, TEST_SECRET } from '../runtime/support/aws';

const refs = new SubjectRefs(async () => TEST_SECRET);

/** Text of any UTF-16 code units: lone surrogates, U+FFFD and NUL come often, since they are what collided. */
const anyText = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(0xd800, 0xdbff, 0xdc00, 0xdfff, 0xfffd, 0x0000, 0x75, 0x31) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
    ),
    { minLength: 1, maxLength: 6 },
  )
  .map((units) => String.fromCharCode(...units));

/** The reference, or REFUSED when `ref` refuses the id. */
async function refOrRefused(id: string): Promise<string> {
  try {
    return await refs.ref(id);
  } catch (error) {
    if (error instanceof InputError) return 'REFUSED';
    throw error;
  }
}

describe('subjectRef', () => {
  it.each([
    ['u1\ud800', 'a lone high surrogate'],
    ['u1\udfff', 'a lone low surrogate'],
    ['\udfff\ud800', 'surrogates in the wrong order'],
  ])('refuses %j (%s) before any HMAC, naming subjectId', async (id) => {
    // GIVEN a key source that records whether it was asked
    let asked = false;
    const watched = new SubjectRefs(async () => {
      asked = true;
      return TEST_SECRET;
    });
    // WHEN the id is referenced, THEN it is refused and the key was never read
    await expect(watched.ref(id)).rejects.toThrow(InputError);
    await expect(watched.ref(id)).rejects.toMatchObject({ path: 'subjectId' });
    await expect(watched.auditSubject(id)).rejects.toThrow(InputError);
    expect(asked).toBe(false);
  });

  it('gives u1\\uFFFD, and a pair of surrogates, a reference of their own', async () => {
    const [replacement, pair] = [await refs.ref('u1\uFFFD'), await refs.ref('u1\ud83d\ude00')];
    expect(replacement).toMatch(/^[0-9a-f]{64}$/);
    expect(pair).not.toBe(replacement);
  });

  it('is injective on accepted ids: two ids that differ never share a reference (property)', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, anyText, async (a, b) => {
        const [ra, rb] = [await refOrRefused(a), await refOrRefused(b)];
        if (ra !== 'REFUSED' && rb !== 'REFUSED') expect({ a, b, sameRef: ra === rb }).toEqual({ a, b, sameRef: a === b });
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts an id exactly when it is well-formed Unicode (property)', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, async (id) => {
        expect(await refOrRefused(id)).toEqual(isWellFormed(id) ? expect.stringMatching(/^[0-9a-f]{64}$/) : 'REFUSED');
      }),
      { numRuns: 2000 },
    );
  });
});

describe('SubjectRefs', () => {
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
