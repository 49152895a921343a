/**
 * Sealing: the subject's id, locators and identifiers are stored only encrypted with the deployment's KMS key.
 * Each ciphertext is bound by its encryption context to the item it belongs to (table, purpose, system,
 * subjectRef or requestId): a sealed value copied onto another subject's item does not decrypt.
 */
import { DecryptCommand, EncryptCommand, type KMSClient } from '@aws-sdk/client-kms';
import { InputError } from '../errors';

export type SealContext = Readonly<Record<string, string>>;

/** KMS Encrypt takes at most 4096 bytes of plaintext. */
export const MAX_SEALED_BYTES = 4096;

/** A ledger item's sealed `{subjectId, locator}`. */
export function holdingContext(purpose: string, system: string, subjectRef: string): SealContext {
  return { 'lethe:table': 'ledger', 'lethe:purpose': purpose, 'lethe:system': system, 'lethe:subject': subjectRef };
}

/** A request item's sealed parts: `subject` ({subjectId}) and `details` ({identifiers, reason}). */
export function requestContext(requestId: string, part: 'subject' | 'details'): SealContext {
  return { 'lethe:table': 'requests', 'lethe:request': requestId, 'lethe:part': part };
}

export class Sealer {
  public constructor(
    private readonly kms: KMSClient,
    private readonly keyId: string,
  ) {}

  /**
   * Encrypts `value` as JSON; base64 of the ciphertext. Too large a value is an `InputError` at `path` (the
   * caller's field), never a partial write.
   */
  public async seal(value: unknown, context: SealContext, path = 'body'): Promise<string> {
    const plaintext = Buffer.from(JSON.stringify(value), 'utf8');
    if (plaintext.length > MAX_SEALED_BYTES) {
      throw new InputError(`too large: at most ${MAX_SEALED_BYTES} bytes of JSON in all, got ${plaintext.length}`, { path });
    }
    const { CiphertextBlob } = await this.kms.send(
      new EncryptCommand({ KeyId: this.keyId, Plaintext: plaintext, EncryptionContext: { ...context } }),
    );
    if (!CiphertextBlob) throw new Error('KMS Encrypt returned no ciphertext');
    return Buffer.from(CiphertextBlob).toString('base64');
  }

  public async unseal<T>(sealed: string, context: SealContext): Promise<T> {
    const { Plaintext } = await this.kms.send(
      new DecryptCommand({ KeyId: this.keyId, CiphertextBlob: Buffer.from(sealed, 'base64'), EncryptionContext: { ...context } }),
    );
    if (!Plaintext) throw new Error('KMS Decrypt returned no plaintext');
    return JSON.parse(Buffer.from(Plaintext).toString('utf8')) as T;
  }
}
