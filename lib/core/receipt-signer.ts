/**
 * What signs receipts (lib/runtime/receipts.ts), behind one interface so that the runtime does not care where the
 * key is: on AWS a KMS asymmetric key (KmsReceiptSigner, lib/runtime/receipts.ts), in local mode a key in a PEM file
 * of the data directory (LocalReceiptSigner, here: node:crypto only).
 *
 * Both produce the same signature: ECDSA on P-256 over the SHA-256 digest of the message, DER-encoded (what KMS Sign
 * answers for ECDSA_SHA_256), so that one verifier (`verifySignature`) checks either with the public key alone.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { LetheError } from './errors';

/** KMS's name for the signing algorithm, written into every receipt. */
export const RECEIPT_SIGNING_ALGORITHM = 'ECDSA_SHA_256' as const;

/** The local key's file name in local mode's data directory. */
export const LOCAL_RECEIPT_KEY_FILE = 'receipt-key.pem';

export interface ReceiptSigner {
  /** The public key, SPKI PEM (`-----BEGIN PUBLIC KEY-----`). */
  publicKeyPem(): Promise<string>;
  /** ECDSA P-256 over SHA-256(message), DER-encoded. */
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** A key that is not an ECDSA P-256 key, a file that is no key: named, never a stack trace. */
export class ReceiptKeyError extends LetheError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReceiptKeyError';
  }
}

/** Refuses a key that is not on P-256 (the algorithm receipts name). */
function checkP256(key: KeyObject, what: string): KeyObject {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new ReceiptKeyError(
      `${what} is not an ECDSA P-256 key (it is ${key.asymmetricKeyType ?? 'unknown'} ${key.asymmetricKeyDetails?.namedCurve ?? ''})`.trim(),
    );
  }
  return key;
}

/** A public key from PEM text (SPKI); a ReceiptKeyError naming `what` otherwise. */
export function publicKeyOf(pem: string, what = 'the public key'): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw new ReceiptKeyError(`${what} is not a PEM public key (expected -----BEGIN PUBLIC KEY-----)`, { cause: error });
  }
  return checkP256(key, what);
}

/** The SPKI PEM of a public key in DER (what KMS GetPublicKey answers). */
export function pemOfSpkiDer(der: Uint8Array): string {
  return checkP256(createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' }), 'the key').export({
    type: 'spki',
    format: 'pem',
  }) as string;
}

/** A receipt's keyId: `sha256:` and the hex SHA-256 of the public key's SPKI DER; the same for a key wherever it lives. */
export function keyIdOf(publicKeyPem: string): string {
  const der = publicKeyOf(publicKeyPem).export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(der).digest('hex')}`;
}

/** Whether `signature` (DER) is the key's ECDSA P-256 / SHA-256 signature of `message`. */
export function verifySignature(publicKeyPem: string, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verify('sha256', message, { key: publicKeyOf(publicKeyPem), dsaEncoding: 'der' }, signature);
  } catch (error) {
    if (error instanceof ReceiptKeyError) throw error;
    return false; // a malformed DER signature
  }
}

/** Signs with a P-256 private key held in memory (local mode's key, read from its file). */
export class LocalReceiptSigner implements ReceiptSigner {
  private readonly key: KeyObject;

  public constructor(privateKeyPem: string) {
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: privateKeyPem, format: 'pem' });
    } catch (error) {
      throw new ReceiptKeyError('the receipt key is not a PEM private key', { cause: error });
    }
    this.key = checkP256(key, 'the receipt key');
  }

  /** The signer of the key in `file` (local mode's data directory: loadOrCreateLocalReceiptKey). */
  public static fromFile(file: string): LocalReceiptSigner {
    if (!existsSync(file)) throw new ReceiptKeyError(`no receipt key at ${file}: start local mode on its data directory first`);
    return new LocalReceiptSigner(readFileSync(file, 'utf8'));
  }

  public async publicKeyPem(): Promise<string> {
    return createPublicKey(this.key).export({ type: 'spki', format: 'pem' }) as string;
  }

  public async sign(message: Uint8Array): Promise<Uint8Array> {
    return sign('sha256', message, { key: this.key, dsaEncoding: 'der' });
  }
}

/**
 * The local receipt key in `file`, created (PKCS#8 PEM, mode 0600) when there is none: kept across runs like local
 * mode's other keys (lib/local/keys.ts), so receipts signed before a restart still verify with the same public key.
 */
export function loadOrCreateLocalReceiptKey(file: string): LocalReceiptSigner {
  if (!existsSync(file)) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }
  return LocalReceiptSigner.fromFile(file);
}
