/**
 * subjectRef: how a subject appears everywhere outside the sealed fields (keys, Step Functions payloads, logs):
 * a keyed HMAC-SHA-256 of its id, hex. The key is the deployment's HMAC secret (Secrets Manager, cached by
 * Powertools Parameters). Purpose-bound keys are derived from it, so that the same id gives unrelated values in
 * the ledger (`ref`), in the audit trail (`auditSubject`) and in data anonymised with the `hmac` strategy (which
 * uses the secret itself): anonymised data cannot be joined back to the ledger or the audit records.
 *
 * The HMAC is taken over the id's UTF-8 bytes. UTF-8 is one-to-one on well-formed Unicode only: a lone surrogate
 * encodes as U+FFFD, so `u1\ud800`, `u1\udfff` and `u1\uFFFD` would be one subject. Both methods therefore refuse
 * an id that is not well-formed (`InputError`, before the key is read), which makes the reference injective on
 * every id they accept (test/lib/core/subject-ref.test.ts checks it as a property).
 */
import { createHmac } from 'node:crypto';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { InputError, RuntimeConfigError } from './errors';

export type KeySource = () => Promise<string | Uint8Array>;

const LABELS = {
  ref: 'lethe/subject-ref/v1',
  audit: 'lethe/audit-subject/v1',
  item: 'lethe/item-ref/v1',
  auditItem: 'lethe/audit-item/v1',
} as const;

const hmacHex = (key: string | Uint8Array, text: string): string => createHmac('sha256', key).update(text, 'utf8').digest('hex');

/** `String.prototype.isWellFormed` (Node 20; ES2024, beyond the ES2022 library this project compiles against). */
export const isWellFormed = (text: string): boolean => (text as string & { isWellFormed(): boolean }).isWellFormed();

/** Refuses an id whose UTF-8 encoding would not be its own (a lone surrogate). The message never quotes the id. */
export function checkWellFormed(text: string, path = 'subjectId'): string {
  if (!isWellFormed(text)) {
    throw new InputError(
      'expected well-formed Unicode text; it has a lone surrogate (half of a UTF-16 pair), which would be read as U+FFFD and name another subject',
      { path },
    );
  }
  return text;
}

export class SubjectRefs {
  public constructor(private readonly key: KeySource) {}

  /** The subject's reference in the ledger, events, requests and workflow payloads. */
  public async ref(subjectId: string): Promise<string> {
    checkWellFormed(subjectId);
    return hmacHex(await this.derived(LABELS.ref), subjectId);
  }

  /** The subject as it appears in audit records: links one subject's records without naming it. */
  public async auditSubject(subjectId: string): Promise<string> {
    checkWellFormed(subjectId);
    return hmacHex(await this.derived(LABELS.audit), subjectId);
  }

  /**
   * An item's reference (spec 2.2: the `ref` of an order, an invoice, a case), as the ledger keys and the events
   * store it: the raw ref never appears in a key, a log line or a payload. Bound to the subject (its subjectRef),
   * so the same order number of two subjects gives unrelated values.
   */
  public async itemRef(subjectRef: string, ref: string): Promise<string> {
    checkWellFormed(ref, 'ref');
    return hmacHex(await this.derived(LABELS.item), `${subjectRef}\u0000${ref}`);
  }

  /** An item as it appears in audit records: unrelated to its ledger `itemRef`, as `auditSubject` is to `ref`. */
  public async auditItem(auditSubject: string, ref: string): Promise<string> {
    checkWellFormed(ref, 'ref');
    return hmacHex(await this.derived(LABELS.auditItem), `${auditSubject}\u0000${ref}`);
  }

  private async derived(label: string): Promise<Buffer> {
    const key = await this.key();
    if (key.length === 0) throw new RuntimeConfigError('the HMAC secret is empty');
    return createHmac('sha256', key).update(label, 'utf8').digest();
  }
}

export interface SecretKeySourceOptions {
  /** @default a client for the function's own region */
  readonly client?: SecretsManagerClient;
  /** How long the secret is cached in memory. @default 300 */
  readonly maxAgeSeconds?: number;
}

/** The HMAC secret from Secrets Manager (SecretString or SecretBinary), cached. */
export function secretKeySource(secretId: string, options: SecretKeySourceOptions = {}): KeySource {
  const provider = new SecretsProvider(options.client ? { awsSdkV3Client: options.client } : {});
  const maxAge = options.maxAgeSeconds ?? 300;
  return async () => {
    const value = await provider.get(secretId, { maxAge });
    if (value === undefined || value.length === 0) throw new RuntimeConfigError(`the HMAC secret "${secretId}" is empty or missing`);
    return value;
  };
}
