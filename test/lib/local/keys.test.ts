/**
 * lib/local/keys.ts: the local KMS key (AES-256-GCM, the encryption context bound as AAD, as KMS binds it) and
 * the secrets kept in the data directory.
 */
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { LocalModeError } from '../../../lib/local/errors';
import {
  contextAad,
  HMAC_SECRET_NAME,
  KmsInvalidCiphertext,
  loadOrCreateKeys,
  LocalKmsKey,
  localSubjectRefs,
} from '../../../lib/local/keys';
import { LOCAL_RECEIPT_KEY_FILE, LocalReceiptSigner } from '../../../lib/core/receipt-signer';
import { SubjectRefs } from '../../../lib/core/subject-ref';
import { tempDir } from '../../support/temp-dir';

const key = new LocalKmsKey(Buffer.alloc(32, 7), 'eu-north-1');
const plaintext = Buffer.from('{"subjectId":"customer-1"}');
const context = { 'lethe:table': 'ledger', 'lethe:subject': 'ref-1' };

test('what is encrypted with a context decrypts with the same context, in any key order', () => {
  const blob = key.encrypt(plaintext, context);
  expect(blob.includes(plaintext)).toBe(false);
  expect(key.decrypt(blob, { 'lethe:subject': 'ref-1', 'lethe:table': 'ledger' }).equals(plaintext)).toBe(true);
});

test.each([
  ['another context', { ...context, 'lethe:subject': 'ref-10' }],
  ['no context', undefined],
  ['an extra pair', { ...context, extra: 'x' }],
])('decrypting with %s fails as KMS does (InvalidCiphertextException)', (_what, other) => {
  const blob = key.encrypt(plaintext, context);
  expect(() => key.decrypt(blob, other)).toThrow(KmsInvalidCiphertext);
  expect(() => key.decrypt(blob, other)).toThrow(expect.objectContaining({ name: 'InvalidCiphertextException' }));
});

test('a tampered or foreign ciphertext fails; another key cannot read it', () => {
  const blob = key.encrypt(plaintext, context);
  const tampered = Buffer.from(blob);
  tampered[tampered.length - 1] ^= 1;
  expect(() => key.decrypt(tampered, context)).toThrow(KmsInvalidCiphertext);
  expect(() => key.decrypt(Buffer.from('short'), context)).toThrow(KmsInvalidCiphertext);
  expect(() => new LocalKmsKey(Buffer.alloc(32, 8), 'eu-north-1').decrypt(blob, context)).toThrow(KmsInvalidCiphertext);
});

test('the AAD does not depend on the order of the pairs', () => {
  expect(contextAad({ b: '2', a: '1' }).equals(contextAad({ a: '1', b: '2' }))).toBe(true);
  expect(contextAad({ a: '1' }).equals(contextAad({ a: '2' }))).toBe(false);
});

test('the key answers to its id, ARN and alias only', () => {
  expect([key.keyId, key.arn, key.alias, `arn:aws:kms:eu-north-1:000000000000:${key.alias}`].every((id) => key.matches(id))).toBe(true);
  expect(key.matches('alias/other')).toBe(false);
  expect(key.matches(undefined)).toBe(false);
});

test('keys and secrets are created once in the data directory (mode 0600) and read back on the next start', () => {
  // GIVEN an empty data directory WHEN keys are loaded twice, the second time with one more webhook secret
  const dir = tempDir('lethe-keys-');
  const first = loadOrCreateKeys(dir, 'eu-north-1', ['lethe/a-webhook']);
  const second = loadOrCreateKeys(dir, 'eu-north-1', ['lethe/a-webhook', 'lethe/b-webhook']);
  // THEN the HMAC secret, the webhook secret and the key are the same, and the new secret was added
  expect(second.secrets.values[HMAC_SECRET_NAME]).toBe(first.secrets.values[HMAC_SECRET_NAME]);
  expect(second.secrets.values['lethe/a-webhook']).toBe(first.secrets.values['lethe/a-webhook']);
  expect(second.secrets.values['lethe/b-webhook']).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  expect(second.kms.decrypt(first.kms.encrypt(plaintext, context), context).equals(plaintext)).toBe(true);
  for (const file of ['kms-key', 'secrets.json']) expect(statSync(path.join(dir, file)).mode & 0o777).toBe(0o600);
  expect(readFileSync(path.join(dir, 'kms-key'), 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
});

test("GIVEN local mode's secrets WHEN localSubjectRefs computes a subject's reference THEN it is the one local mode's functions compute with that secret", async () => {
  const dir = tempDir('lethe-refs-');
  const secret = loadOrCreateKeys(dir, 'eu-north-1', []).secrets.values[HMAC_SECRET_NAME];
  const expected = await new SubjectRefs(async () => secret).ref('user1');
  await expect(localSubjectRefs(dir).ref('user1')).resolves.toBe(expected);
  await expect(localSubjectRefs(dir).ref('user10')).resolves.not.toBe(expected);
});

test('GIVEN a data directory local mode never started in WHEN localSubjectRefs is asked THEN a LocalModeError names the missing secret', () => {
  const dir = tempDir('lethe-refs-');
  expect(() => localSubjectRefs(dir)).toThrow(LocalModeError);
  expect(() => localSubjectRefs(dir)).toThrow(`holds no ${HMAC_SECRET_NAME}: start local mode on ${dir} first`);
});

test('GIVEN a data directory WHEN the keys are loaded twice THEN the receipt key is created once (owner-only) and kept', async () => {
  const dir = tempDir('lethe-receipt-');
  loadOrCreateKeys(dir, 'eu-north-1', []);
  const file = path.join(dir, LOCAL_RECEIPT_KEY_FILE);
  const first = readFileSync(file, 'utf8');
  loadOrCreateKeys(dir, 'eu-north-1', []);
  expect(readFileSync(file, 'utf8')).toBe(first);
  expect(statSync(file).mode & 0o777).toBe(0o600);
  expect(await LocalReceiptSigner.fromFile(file).publicKeyPem()).toMatch(/^-----BEGIN PUBLIC KEY-----/);
});
