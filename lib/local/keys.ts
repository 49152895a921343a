/**
 * Local stand-ins for the KMS sealing key and the Secrets Manager secrets, kept in the data directory so that
 * subjectRefs and sealed values stay readable across restarts (`persist`):
 *
 * - `kms-key`: 32 random bytes (hex). Encrypt is AES-256-GCM with the EncryptionContext as additional
 *   authenticated data, so a Decrypt with another context fails as KMS's does (InvalidCiphertextException).
 * - `secrets.json`: the HMAC secret behind subjectRef and one webhook signing secret per `http` system
 *   (by its `config.secretName`), each 32 random bytes, base64.
 * - `receipt-key.pem`: the ECDSA P-256 key that signs receipts (lib/core/receipt-signer.ts), in place of KMS.
 *
 * Both files are created with mode 0600. Nothing here is an AWS credential.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { LocalModeError } from './errors';
import { contextAad } from '../runtime/sealing';
import { SubjectRefs } from '../core/subject-ref';
import { LOCAL_RECEIPT_KEY_FILE, loadOrCreateLocalReceiptKey } from '../core/receipt-signer';

export const LOCAL_ACCOUNT = '000000000000';

/** Ciphertext blob: version byte, 12-byte IV, 16-byte tag, ciphertext. */
const BLOB_VERSION = 1;

/** The error KMS raises when a ciphertext, its key or its context do not match. */
export class KmsInvalidCiphertext extends Error {
  public constructor(message = 'the ciphertext, the key or the encryption context do not match') {
    super(message);
    this.name = 'InvalidCiphertextException';
  }
}

/** The encryption context as AAD: the same encoding as sealing's. */
export { contextAad };

export class LocalKmsKey {
  public readonly keyId: string;
  public readonly arn: string;
  public readonly alias: string;

  public constructor(
    private readonly key: Buffer,
    region: string,
    keyId = '11111111-2222-3333-4444-555555555555',
  ) {
    if (key.length !== 32) throw new LocalModeError(`the local KMS key must be 32 bytes, got ${key.length}`);
    this.keyId = keyId;
    this.arn = `arn:aws:kms:${region}:${LOCAL_ACCOUNT}:key/${keyId}`;
    this.alias = 'alias/lethe-local-sealing';
  }

  /** Whether a KeyId (id, ARN or alias, with or without the alias ARN) names this key. */
  public matches(keyId: string | undefined): boolean {
    if (!keyId) return false;
    return keyId === this.keyId || keyId === this.arn || keyId === this.alias || keyId.endsWith(`:${this.alias}`);
  }

  public encrypt(plaintext: Buffer, context?: Readonly<Record<string, string>>): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(contextAad(context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.from([BLOB_VERSION]), iv, cipher.getAuthTag(), body]);
  }

  public decrypt(blob: Buffer, context?: Readonly<Record<string, string>>): Buffer {
    if (blob.length < 1 + 12 + 16 || blob[0] !== BLOB_VERSION) throw new KmsInvalidCiphertext();
    const iv = blob.subarray(1, 13);
    const tag = blob.subarray(13, 29);
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
    decipher.setAAD(contextAad(context));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(blob.subarray(29)), decipher.final()]);
    } catch {
      throw new KmsInvalidCiphertext();
    }
  }
}

export interface LocalSecrets {
  /** Secret name → value (SecretString). */
  readonly values: Readonly<Record<string, string>>;
}

export const HMAC_SECRET_NAME = 'lethe-local/hmac';

/**
 * Reads the key and the secrets from `dataDir`, creating what is missing: the KMS key, the HMAC secret and a
 * webhook secret for each name in `webhookSecretNames`.
 */
export function loadOrCreateKeys(
  dataDir: string,
  region: string,
  webhookSecretNames: readonly string[],
): { kms: LocalKmsKey; secrets: LocalSecrets } {
  const keyFile = path.join(dataDir, 'kms-key');
  let keyHex = existsSync(keyFile) ? readFileSync(keyFile, 'utf8').trim() : '';
  if (!/^[0-9a-f]{64}$/.test(keyHex)) {
    keyHex = randomBytes(32).toString('hex');
    writeFileSync(keyFile, `${keyHex}\n`, { mode: 0o600 });
  }
  const secretsFile = path.join(dataDir, 'secrets.json');
  const values = readSecrets(secretsFile);
  let changed = false;
  for (const name of [HMAC_SECRET_NAME, ...webhookSecretNames]) {
    if (typeof values[name] !== 'string' || values[name] === '') {
      values[name] = randomBytes(32).toString('base64');
      changed = true;
    }
  }
  if (changed) writeFileSync(secretsFile, `${JSON.stringify(values, null, 2)}\n`, { mode: 0o600 });
  // The receipt key (ECDSA P-256, PEM): local mode's stand-in for the stack's KMS receipt key (issue 19, item 2).
  loadOrCreateLocalReceiptKey(path.join(dataDir, LOCAL_RECEIPT_KEY_FILE));
  return { kms: new LocalKmsKey(Buffer.from(keyHex, 'hex'), region), secrets: { values } };
}

/** The secrets file's values; none if it does not exist yet. */
function readSecrets(secretsFile: string): Record<string, string> {
  if (!existsSync(secretsFile)) return {};
  try {
    return JSON.parse(readFileSync(secretsFile, 'utf8')) as Record<string, string>;
  } catch (error) {
    throw new LocalModeError(`${secretsFile} is not JSON; delete it to have local mode create new secrets`, { cause: error });
  }
}

/**
 * The subject references local mode computes (its API, its functions), from the HMAC secret in `dataDir`: for a
 * program beside local mode that must find a subject's ledger items, as the benchmark and the tests do.
 */
export function localSubjectRefs(dataDir: string): SubjectRefs {
  const secretsFile = path.join(dataDir, 'secrets.json');
  const secret = readSecrets(secretsFile)[HMAC_SECRET_NAME];
  if (!secret) throw new LocalModeError(`${secretsFile} holds no ${HMAC_SECRET_NAME}: start local mode on ${dataDir} first`);
  return new SubjectRefs(async () => secret);
}
