/**
 * Signed receipts (issue 19, item 2): what a completed request did, signed so that a DPO can hand it to the subject
 * or an authority, who can check it offline with the public key alone (`lethe receipt verify`, docs/receipts.md).
 *
 * A receipt names the request, the subject as its audit HMAC (as the audit records name it: never the id), the
 * policy's hash, per record what was done, whether it was verified (item 1 of the issue, not built yet: every entry
 * says `not-performed`), the audit record it rests on (its sequence number and hash in the chain), and what was
 * retained with its reason and until when. It holds no personal data: ids, HMACs, names from the policy, counts.
 *
 * Signing: every field but `signature` is digested apart (SHA-256 of its RFC 8785 canonical JSON; `systems` and
 * `retained` per entry), and the signature (ECDSA P-256 over SHA-256, DER; lib/core/receipt-signer.ts) covers the
 * canonical JSON of `{algorithm, keyId, digests}`. A verifier checks the signature over the digests, then each field
 * against its digest, so that an altered receipt is refused naming the field that no longer matches.
 *
 * Every kind of request has one (erasure, restriction: `restrict` per record, access: `export` per record). It is
 * issued once, when the request completes (the erasure workflow's finish, lambdas/erasure-finish.ts:
 * `issueAtCompletion`), and kept in the audit bucket (lib/runtime/receipt-store.ts), where it outlives the request's
 * 90-day TTL and cannot be altered. GET /{erasure,restriction,access}-requests/{id}/receipt answers the stored receipt;
 * for a request completed before receipts were stored (or one whose finish has not stored it yet), it issues and
 * stores it from the request as stored.
 */
import { GetPublicKeyCommand, type KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { Temporal } from '@js-temporal/polyfill';
import { createHash } from 'node:crypto';
import { canonicalJson, sha256Hex } from '../audit/canonical';
import type { ConnectorCounts, RecordAction, SystemStatus } from '../core/contract';
import { RuntimeConfigError } from '../core/errors';
import { keyIdOf, pemOfSpkiDer, RECEIPT_SIGNING_ALGORITHM, type ReceiptSigner, verifySignature } from '../core/receipt-signer';
import { formatInstant } from '../retention/time';
import { auditedPurposesOf, ZERO_COUNTS } from './erasure';
import { checkRequestId, requireOfKind } from './erasure-requests';
import { ConflictError, RequestNotFoundError, RuntimeTransientError } from './errors';
import { kindOf, type RequestItem, type RequestKind } from './requests';
import type { Runtime } from './runtime';

/** The receipt format, its first field. */
export const RECEIPT_FORMAT = 'lethe-receipt/1';

/** Verification of erasure (issue 19, item 1; lib/runtime/erasure.ts): per record, or not-performed where none applies. */
export type VerificationStatus = 'not-performed' | 'verified' | 'unverified';

export interface ReceiptSystem {
  readonly system: string;
  /** An item record's (spec 2.2): the item's audit HMAC, as its audit record names it. */
  readonly item?: string;
  readonly action: RecordAction | 'retain';
  readonly outcome: SystemStatus;
  readonly purposes: readonly string[];
  readonly counts: ConnectorCounts;
  /** Fields removed or anonymised where the record was kept for another purpose. */
  readonly fields?: readonly string[];
  readonly verification: VerificationStatus;
  /** The audit record this entry rests on. */
  readonly auditRecord: { readonly seq: number; readonly hash: string };
}

export interface ReceiptRetained {
  readonly purpose: string;
  readonly item?: string;
  readonly reason: string;
  readonly until: string | null;
  readonly waitingFor?: readonly string[];
  readonly indefinite?: true;
  readonly hold?: string;
}

/** Everything but the signature. */
export interface ReceiptBody {
  readonly format: typeof RECEIPT_FORMAT;
  readonly requestId: string;
  readonly kind: RequestKind;
  /** The subject's audit HMAC (SubjectRefs.auditSubject): links the receipt to the audit records, names no one. */
  readonly subject: string;
  readonly policyHash: string;
  readonly receivedAt: string;
  readonly deadline: string;
  readonly completedAt: string;
  /**
   * A restriction request's terms (Art. 18): when the restriction is to be lifted (policy time zone; null: until the
   * controller lifts it) and whether the data is also kept until then. Absent for the other kinds.
   */
  readonly restriction?: { readonly until: string | null; readonly keep: boolean };
  readonly systems: readonly ReceiptSystem[];
  readonly retained: readonly ReceiptRetained[];
}

/** A field's digest, or an array field's digests (one per entry). */
export type ReceiptDigests = Readonly<Record<string, string | readonly string[]>>;

export interface ReceiptSignature {
  readonly algorithm: typeof RECEIPT_SIGNING_ALGORITHM;
  /** `sha256:<hex>` of the public key's SPKI DER (keyIdOf). */
  readonly keyId: string;
  readonly digests: ReceiptDigests;
  /** Base64 of the DER signature over canonicalJson({algorithm, keyId, digests}). */
  readonly value: string;
}

export interface Receipt extends ReceiptBody {
  readonly signature: ReceiptSignature;
}

/** The fields digested one entry at a time, so that a change names the entry. */
const PER_ENTRY: ReadonlySet<string> = new Set(['systems', 'retained']);

const digestOf = (value: unknown): string => sha256Hex(canonicalJson(value));

/** The digests of every field of `body` (ReceiptBody, or whatever a receipt to verify holds besides its signature). */
export function digestsOf(body: Readonly<Record<string, unknown>>): Record<string, string | string[]> {
  const digests: Record<string, string | string[]> = {};
  for (const [field, value] of Object.entries(body)) {
    if (value === undefined) continue;
    digests[field] = PER_ENTRY.has(field) && Array.isArray(value) ? value.map(digestOf) : digestOf(value);
  }
  return digests;
}

/** The bytes signed: the canonical JSON of the algorithm, the key and the digests. */
export function signedBytes(signature: Pick<ReceiptSignature, 'algorithm' | 'keyId' | 'digests'>): Buffer {
  return Buffer.from(canonicalJson({ algorithm: signature.algorithm, keyId: signature.keyId, digests: signature.digests }), 'utf8');
}

/**
 * The receipt's content from the request as stored: only a completed request has one (409 before), and only one that
 * completed with its receipt basis and every record's audit record kept (409 for a request completed before receipts).
 */
export function receiptBodyOf(request: RequestItem, timezone: string): ReceiptBody {
  const kind = kindOf(request);
  const { requestId } = request;
  if (request.status !== 'completed') {
    throw new ConflictError(`${kind} request "${requestId}" is ${request.status}; a receipt is issued once it is completed`);
  }
  const basis = request.receiptBasis;
  const order = request.systemOrder ?? [];
  const unaudited = order.filter((record) => request.systems?.[record]?.auditRecord === undefined);
  if (basis === undefined || unaudited.length > 0 || request.finishedAt === undefined) {
    throw new ConflictError(
      `${kind} request "${requestId}" completed before Lethe kept what a receipt names (the subject's audit HMAC and each record's audit record); it has no receipt: its audit records are the proof`,
    );
  }
  const show = (iso: string): string => formatInstant(Temporal.Instant.from(iso), timezone);
  const itemOf = (itemRef: string | undefined) => (itemRef === undefined ? {} : { item: basis.items[itemRef] ?? itemRef });
  return {
    format: RECEIPT_FORMAT,
    requestId,
    kind,
    subject: basis.subject,
    policyHash: request.policyHash ?? '',
    receivedAt: show(request.receivedAt),
    deadline: show(request.deadline),
    completedAt: show(request.finishedAt),
    ...(kind === 'restriction'
      ? { restriction: { until: request.until === undefined ? null : show(request.until), keep: request.keep ?? false } }
      : {}),
    systems: order.map((record) => {
      const entry = request.systems![record];
      return {
        system: entry.system ?? record,
        ...itemOf(entry.itemRef),
        action: entry.action,
        outcome: entry.status,
        purposes: [...auditedPurposesOf(entry)],
        counts: entry.counts ?? ZERO_COUNTS,
        ...(entry.fields?.length ? { fields: [...entry.fields] } : {}),
        // Issue 19: as the connector answered (verified, or unverified: it cannot ask its system); not-performed where
        // nothing was to verify (retained, restricted, exported, kept shared) or the record ran before verification.
        verification: entry.verification ?? ('not-performed' as const),
        auditRecord: { seq: entry.auditRecord!.seq, hash: entry.auditRecord!.hash },
      };
    }),
    retained: (request.retained ?? []).map((r) => ({
      purpose: r.purpose,
      ...itemOf(r.itemRef),
      reason: r.reason,
      until: r.until,
      ...(r.waitingFor ? { waitingFor: [...r.waitingFor] } : {}),
      ...(r.indefinite ? { indefinite: true as const } : {}),
      ...(r.hold === undefined ? {} : { hold: r.hold }),
    })),
  };
}

/** Signs a receipt's content. */
export async function signReceipt(body: ReceiptBody, signer: ReceiptSigner): Promise<Receipt> {
  const keyId = keyIdOf(await signer.publicKeyPem());
  const unsigned = { algorithm: RECEIPT_SIGNING_ALGORITHM, keyId, digests: digestsOf(body as unknown as Record<string, unknown>) };
  const value = Buffer.from(await signer.sign(signedBytes(unsigned))).toString('base64');
  return { ...body, signature: { ...unsigned, value } };
}

/**
 * GET /{kind}-requests/{requestId}/receipt: the receipt stored when the request completed, whether or not the request
 * is still kept (404 unknown or of another kind, 409 not completed). None stored yet (the request completed a moment
 * ago and its finish has not stored it yet, or it completed before receipts were stored): it is issued here, from the
 * request as stored, the same content the finish signs, and stored once as the finish would (the first to store it
 * wins; the other answers the stored one), so that every answer is the same receipt.
 */
export async function issueReceipt(rt: Runtime, requestId: string, kind: RequestKind = 'erasure'): Promise<Receipt> {
  checkRequestId(requestId);
  const stored = await rt.receipts.get(requestId);
  if (stored !== undefined) {
    // Ids do not cross kinds (as requireOfKind): another kind's receipt is not found under this kind's route.
    if (stored.kind !== kind) throw new RequestNotFoundError(requestId, { kind });
    return stored;
  }
  const request = await requireOfKind(rt, requestId, kind);
  const receipt = await signReceipt(receiptBodyOf(request, rt.policy.timezone), rt.receiptSigner);
  return (await rt.receipts.putOnce(receipt)).receipt;
}

/**
 * At completion (lambdas/erasure-finish.ts, once finishErasure has completed the request): its receipt, signed and
 * stored once. A receipt stored already (the finish run again) is kept and answered, never replaced: a request has
 * one receipt. A request that is not completed (failed), or that completed before Lethe kept what a receipt names,
 * gets none (undefined).
 */
export async function issueAtCompletion(rt: Runtime, requestId: string): Promise<Receipt | undefined> {
  const stored = await rt.receipts.get(requestId);
  if (stored !== undefined) return stored;
  const request = await rt.requests.require(requestId);
  if (request.status !== 'completed' || request.receiptBasis === undefined) return undefined;
  const receipt = await signReceipt(receiptBodyOf(request, rt.policy.timezone), rt.receiptSigner);
  return (await rt.receipts.putOnce(receipt)).receipt;
}

// ---------------------------------------------------------------------------------------------------------
// Verification (offline: the receipt and the public key only)
// ---------------------------------------------------------------------------------------------------------

export interface ReceiptVerdict {
  readonly valid: boolean;
  /** What does not match, each naming the field (empty when valid). */
  readonly problems: readonly string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** How an entry of systems/retained is named in a problem: its index and, where it has one, its system or purpose. */
function entryName(field: string, index: number, entry: unknown): string {
  const label = isObject(entry)
    ? typeof entry.system === 'string'
      ? `system ${entry.system}`
      : typeof entry.purpose === 'string'
        ? `purpose ${entry.purpose}`
        : ''
    : '';
  return `${field}[${index}]${label ? ` (${label})` : ''}`;
}

/**
 * Checks a receipt (parsed JSON) against a public key (SPKI PEM): the signature over the digests, then every field
 * against its digest. Each problem names the field: a changed value (`systems[1] (system crm)`, `policyHash`), a field
 * removed or added, a signature by another key, or a signature that does not match its digests.
 */
export function verifyReceipt(receipt: unknown, publicKeyPem: string): ReceiptVerdict {
  if (!isObject(receipt)) return { valid: false, problems: ['the receipt is not a JSON object'] };
  const { signature, ...body } = receipt;
  if (!isObject(signature)) return { valid: false, problems: ['signature: missing (the receipt is not signed)'] };
  const problems: string[] = [];
  const { algorithm, keyId, digests, value } = signature;
  if (algorithm !== RECEIPT_SIGNING_ALGORITHM)
    problems.push(`signature.algorithm: expected ${RECEIPT_SIGNING_ALGORITHM}, got ${JSON.stringify(algorithm)}`);
  const givenKey = keyIdOf(publicKeyPem);
  if (keyId !== givenKey) problems.push(`signature.keyId: signed by key ${JSON.stringify(keyId)}, but the public key given is ${givenKey}`);
  if (!isObject(digests)) return { valid: false, problems: [...problems, 'signature.digests: missing'] };
  if (typeof value !== 'string' || value.length === 0) return { valid: false, problems: [...problems, 'signature.value: missing'] };
  if (problems.length === 0) {
    let bytes: Buffer;
    try {
      bytes = signedBytes({ algorithm: RECEIPT_SIGNING_ALGORITHM, keyId: givenKey, digests: digests as ReceiptDigests });
    } catch {
      return { valid: false, problems: ['signature.digests: not canonical JSON'] };
    }
    if (!verifySignature(publicKeyPem, bytes, Buffer.from(value, 'base64'))) {
      problems.push('signature.value: does not match signature.digests under this key (the signature or the digests were altered)');
    }
  }
  let actual: Record<string, string | string[]>;
  try {
    actual = digestsOf(body);
  } catch {
    return {
      valid: false,
      problems: [...problems, 'the receipt holds a value without canonical JSON (NaN, Infinity or a lone surrogate)'],
    };
  }
  for (const field of Object.keys(digests)) if (!(field in actual)) problems.push(`${field}: missing (it was signed)`);
  for (const [field, digest] of Object.entries(actual)) {
    const signed = digests[field];
    if (signed === undefined) {
      problems.push(`${field}: not signed (added after signing)`);
    } else if (Array.isArray(digest) && Array.isArray(signed)) {
      const entries = body[field] as unknown[];
      digest.forEach((d, i) => {
        if (d !== signed[i]) problems.push(`${entryName(field, i, entries[i])}: does not match what was signed`);
      });
      if (signed.length !== digest.length) problems.push(`${field}: ${digest.length} entries, ${signed.length} were signed`);
    } else if (digest !== signed) {
      problems.push(`${field}: does not match what was signed`);
    }
  }
  return { valid: problems.length === 0, problems };
}

// ---------------------------------------------------------------------------------------------------------
// The KMS signer (AWS)
// ---------------------------------------------------------------------------------------------------------

/**
 * Signs with a KMS asymmetric key (KeySpec ECC_NIST_P256, KeyUsage SIGN_VERIFY; lib/stack/receipt-key.ts): Sign with
 * the message's SHA-256 digest (MessageType DIGEST, ECDSA_SHA_256), which KMS answers as a DER signature. The public
 * key (GetPublicKey) is asked for once per signer.
 */
export class KmsReceiptSigner implements ReceiptSigner {
  private publicKey: Promise<string> | undefined;

  public constructor(
    private readonly kms: KMSClient,
    private readonly keyId: string,
  ) {}

  public publicKeyPem(): Promise<string> {
    this.publicKey ??= this.fetchPublicKey().catch((error: unknown) => {
      this.publicKey = undefined;
      throw error;
    });
    return this.publicKey;
  }

  public async sign(message: Uint8Array): Promise<Uint8Array> {
    const digest = createHash('sha256').update(message).digest();
    const { Signature } = await this.kms.send(
      new SignCommand({ KeyId: this.keyId, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: RECEIPT_SIGNING_ALGORITHM }),
    );
    if (!Signature) throw new RuntimeTransientError('KMS Sign answered no signature');
    return Signature;
  }

  private async fetchPublicKey(): Promise<string> {
    const answer = await this.kms.send(new GetPublicKeyCommand({ KeyId: this.keyId }));
    const { PublicKey, KeyUsage } = answer;
    // KeySpec, or the same value under its deprecated name, which KMS still answers (and moto only, in CI).
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- read only as the fallback named above
    const KeySpec = answer.KeySpec ?? answer.CustomerMasterKeySpec;
    if (KeySpec !== 'ECC_NIST_P256' || KeyUsage !== 'SIGN_VERIFY' || !PublicKey) {
      throw new RuntimeConfigError(
        `the receipt key is not an ECC_NIST_P256 SIGN_VERIFY key (KeySpec ${KeySpec ?? 'none'}, KeyUsage ${KeyUsage ?? 'none'})`,
      );
    }
    return pemOfSpkiDer(PublicKey);
  }
}
