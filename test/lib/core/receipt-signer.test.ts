/**
 * lib/core/receipt-signer.ts: local mode's receipt key (a P-256 PEM in the data directory, created once, mode 0600,
 * kept across runs) signs as KMS does (DER ECDSA over SHA-256), and one verifier checks any such signature.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  keyIdOf,
  LOCAL_RECEIPT_KEY_FILE,
  loadOrCreateLocalReceiptKey,
  LocalReceiptSigner,
  pemOfSpkiDer,
  publicKeyOf,
  ReceiptKeyError,
  verifySignature,
} from '../../../lib/core/receipt-signer';
import { tempDir } from '../../support/temp-dir';

describe('loadOrCreateLocalReceiptKey', () => {
  it('creates the key file once (owner-only) and reads the same key on the next run', async () => {
    // GIVEN an empty data directory
    const file = path.join(tempDir('lethe-receipt-key-'), LOCAL_RECEIPT_KEY_FILE);
    // WHEN the key is loaded twice
    const first = loadOrCreateLocalReceiptKey(file);
    const text = readFileSync(file, 'utf8');
    const second = loadOrCreateLocalReceiptKey(file);
    // THEN the file is a PKCS#8 PEM readable by its owner only, unchanged by the second load, and both are one key
    expect(text).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toBe(text);
    expect(await second.publicKeyPem()).toBe(await first.publicKeyPem());
  });

  it('fails naming the file when local mode has not created it', () => {
    expect(() => LocalReceiptSigner.fromFile('/nonexistent/receipt-key.pem')).toThrow(
      'no receipt key at /nonexistent/receipt-key.pem: start local mode on its data directory first',
    );
  });
});

describe('LocalReceiptSigner', () => {
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signer = new LocalReceiptSigner(keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);

  it('signs DER ECDSA over SHA-256, which verifySignature accepts for that message only', async () => {
    const pem = await signer.publicKeyPem();
    const signature = await signer.sign(Buffer.from('receipt'));
    expect(Buffer.from(signature)[0]).toBe(0x30); // a DER SEQUENCE, as KMS answers
    expect(verifySignature(pem, Buffer.from('receipt'), signature)).toBe(true);
    expect(verifySignature(pem, Buffer.from('receipT'), signature)).toBe(false);
    expect(verifySignature(pem, Buffer.from('receipt'), Buffer.from('not DER'))).toBe(false);
  });

  it.each([
    ['an RSA key', generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string],
    ['a P-384 key', generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string],
    ['text that is no key', 'hello'],
  ])('refuses %s', (_name, pem) => {
    expect(() => new LocalReceiptSigner(pem)).toThrow(ReceiptKeyError);
  });
});

describe('public keys', () => {
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = keys.publicKey.export({ type: 'spki', format: 'pem' }) as string;

  it('keyIdOf is sha256 of the SPKI DER, the same from PEM and from the DER KMS answers', () => {
    expect(keyIdOf(pem)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(keyIdOf(pemOfSpkiDer(keys.publicKey.export({ type: 'spki', format: 'der' })))).toBe(keyIdOf(pem));
    expect(
      keyIdOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }) as string),
    ).not.toBe(keyIdOf(pem));
  });

  it('publicKeyOf names what is not a P-256 public key', () => {
    expect(() => publicKeyOf('nope', 'key.pem')).toThrow('key.pem is not a PEM public key (expected -----BEGIN PUBLIC KEY-----)');
    const file = path.join(tempDir('lethe-receipt-pub-'), 'rsa.pem');
    writeFileSync(file, generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }));
    expect(() => publicKeyOf(readFileSync(file, 'utf8'), 'rsa.pem')).toThrow(/rsa\.pem is not an ECDSA P-256 key/);
  });
});
