/**
 * Sealing: the subject's id, locators and identifiers are stored only encrypted under the deployment's KMS key.
 * Each sealed value is bound to the item it belongs to (table, purpose, system, subjectRef or requestId): a
 * sealed value copied onto another subject's item does not open.
 *
 * Envelope encryption, as KMS recommends for many small values: a data key from KMS `GenerateDataKey` encrypts
 * each value with AES-256-GCM, the item's context (its pairs sorted by key) as associated data; the data key,
 * encrypted by KMS, travels in the sealed value. A Sealer keeps its data key for `dataKeyMaxAgeMs` and
 * `dataKeyMaxUses`, and remembers the data keys it has decrypted for as long, so a sweep batch that opens
 * 25 holdings sealed within the same minutes asks KMS once, not 25 times (docs/benchmarks.md). KMS still decides
 * who may open what: every data key is encrypted under the deployment's key with the context
 * `{"lethe:use": "sealing"}`, and a role without `kms:Decrypt` on it opens nothing.
 *
 * Format: `l2.<encrypted data key, base64>.<iv | tag | ciphertext, base64>`. A value sealed before envelopes (the
 * base64 of a KMS ciphertext, which has no dot) is still opened with KMS `Decrypt`.
 *
 * One data key per period (issue 16; `periodKeys`, as the runtime configures it): every function that seals in
 * the same period (an hour, UTC, by default) seals with the same data key, the first one stored for the period
 * (period-keys.ts: a conditional write, so functions that start the period at once agree). Its encryption context
 * names the period too (`{"lethe:use": "sealing", "lethe:period": "2026-12-04T12:00:00Z"}`), and so does the value:
 * `l3.<period>.<encrypted data key>.<iv | tag | ciphertext>`. KMS then costs per period and function, not per
 * holding: an opener decrypts one data key per period it meets, where it met one per function and 5 minutes. A
 * plaintext data key is still kept at most `dataKeyMaxAgeMs` (then decrypted again), so revoking `kms:Decrypt`
 * still takes effect within 5 minutes. `l2` values and values sealed before envelopes open as before.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { InputError } from '../core/errors';
import { SealedValueError } from './errors';
import type { PeriodKeyStore } from './period-keys';

export type SealContext = Readonly<Record<string, string>>;

/** The most JSON one sealed value holds. */
export const MAX_SEALED_BYTES = 4096;

/** The KMS encryption context of every sealing data key. */
export const DATA_KEY_CONTEXT = { 'lethe:use': 'sealing' } as const;

const PREFIX = 'l2';
/** A value sealed with its period's shared data key. */
const PERIOD_PREFIX = 'l3';
/** A period's item outlives the period by a day (period-keys.ts); sealed values carry their key themselves. */
const PERIOD_KEY_KEPT_SECONDS = 86_400;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * A ledger item's sealed `{subjectId, locator, ref?}`. An item holding's (spec 2.2) is bound to its item too
 * (`itemRef`, the HMAC of its ref): one order's sealed locator copied onto another order's item does not open.
 */
export function holdingContext(purpose: string, system: string, subjectRef: string, itemRef?: string): SealContext {
  return {
    'lethe:table': 'ledger',
    'lethe:purpose': purpose,
    'lethe:system': system,
    'lethe:subject': subjectRef,
    ...(itemRef === undefined ? {} : { 'lethe:item': itemRef }),
  };
}

/**
 * A request item's sealed parts: `subject` ({subjectId}), `details` ({identifiers, reason}) and `refs` (the raw refs
 * of its item records by itemRef, for the answer to the caller who registered them).
 */
export function requestContext(requestId: string, part: 'subject' | 'details' | 'refs'): SealContext {
  return { 'lethe:table': 'requests', 'lethe:request': requestId, 'lethe:part': part };
}

/**
 * An encryption context as associated data: its pairs sorted by key, so the order they were given in does not
 * matter. Sealing binds each value to its item with it; local mode's KMS (lib/local/keys.ts) does the same.
 */
export function contextAad(context: SealContext | undefined): Buffer {
  const pairs = Object.entries(context ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.from(JSON.stringify(pairs), 'utf8');
}

export interface SealerOptions {
  /** How long a data key is used to seal, and a decrypted one kept to open. @default 300000 (5 minutes) */
  readonly dataKeyMaxAgeMs?: number;
  /** How many values one data key seals before a new one is asked for. @default 10000 */
  readonly dataKeyMaxUses?: number;
  /** How many decrypted data keys are kept (the oldest goes first). @default 64 */
  readonly openKeysKept?: number;
  /** @default Date.now */
  readonly clock?: () => number;
  /**
   * Seal with one data key per period, shared by every sealer that uses this store (period-keys.ts). Without it,
   * each sealer has data keys of its own (`l2`). `dataKeyMaxUses` does not apply to a shared key: AES-GCM with
   * random IVs allows 2^32 values per key, far beyond what a deployment seals in a period.
   */
  readonly periodKeys?: PeriodKeyStore;
  /** The length of a period, a divisor of a day. @default 3600000 (an hour, UTC) */
  readonly periodMs?: number;
}

interface DataKey {
  readonly plaintext: Buffer;
  /** The data key encrypted by KMS, base64. */
  readonly encrypted: string;
  /** The period whose shared key it is (its KMS encryption context names it), if it is one. */
  readonly period?: string;
  readonly at: number;
  uses: number;
}

/** Where a decrypted data key is remembered: by its period (if it has one) and its encrypted form. */
const cacheKey = (encrypted: string, period: string | undefined): string => (period === undefined ? encrypted : `${period}.${encrypted}`);

/** The KMS encryption context of a data key: of a period's shared key, or of a sealer's own. */
function dataKeyContext(period: string | undefined): Record<string, string> {
  return period === undefined ? { ...DATA_KEY_CONTEXT } : { ...DATA_KEY_CONTEXT, 'lethe:period': period };
}

export class Sealer {
  private readonly maxAgeMs: number;
  private readonly maxUses: number;
  private readonly kept: number;
  private readonly clock: () => number;
  private readonly periodMs: number;
  private sealing?: Promise<DataKey>;
  /** The current period's shared key as stored (encrypted): read from the store once per period. */
  private stored?: { readonly period: string; readonly encrypted: string };
  /** Decrypted data keys by their period and encrypted form (cacheKey), oldest first. */
  private readonly opened = new Map<string, Promise<DataKey>>();

  public constructor(
    private readonly kms: KMSClient,
    private readonly keyId: string,
    private readonly options: SealerOptions = {},
  ) {
    this.maxAgeMs = options.dataKeyMaxAgeMs ?? 300_000;
    this.maxUses = options.dataKeyMaxUses ?? 10_000;
    this.kept = options.openKeysKept ?? 64;
    this.clock = options.clock ?? Date.now;
    this.periodMs = options.periodMs ?? 3_600_000;
    for (const [name, value] of [
      ['dataKeyMaxAgeMs', this.maxAgeMs],
      ['dataKeyMaxUses', this.maxUses],
      ['openKeysKept', this.kept],
      ['periodMs', this.periodMs],
    ] as const) {
      if (!Number.isInteger(value) || value < 1) throw new InputError(`${name} must be a whole number >= 1, got ${value}`);
    }
    // Periods must be whole seconds (the period is named to the second) that tile a UTC day.
    if (this.periodMs % 1000 !== 0 || 86_400_000 % this.periodMs !== 0) {
      throw new InputError(`periodMs must be whole seconds that divide a day, got ${this.periodMs}`);
    }
  }

  /**
   * Encrypts `value` as JSON. Too large a value is an `InputError` at `path` (the caller's field), never a
   * partial write.
   */
  public async seal(value: unknown, context: SealContext, path = 'body'): Promise<string> {
    const plaintext = Buffer.from(JSON.stringify(value), 'utf8');
    if (plaintext.length > MAX_SEALED_BYTES) {
      throw new InputError(`too large: at most ${MAX_SEALED_BYTES} bytes of JSON in all, got ${plaintext.length}`, { path });
    }
    const key = await this.sealingKey();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key.plaintext, iv);
    cipher.setAAD(contextAad(context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const data = Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
    return key.period === undefined ? `${PREFIX}.${key.encrypted}.${data}` : `${PERIOD_PREFIX}.${key.period}.${key.encrypted}.${data}`;
  }

  public async unseal<T>(sealed: string, context: SealContext): Promise<T> {
    if (!sealed.includes('.')) return this.unsealWithKms<T>(sealed, context);
    const parts = sealed.split('.');
    const [prefix] = parts;
    // l2.<key>.<data>, or l3.<period>.<key>.<data>
    const [period, encrypted, payload, ...rest] = prefix === PERIOD_PREFIX ? parts.slice(1) : [undefined, ...parts.slice(1)];
    const blob = Buffer.from(payload ?? '', 'base64');
    if (
      (prefix !== PREFIX && prefix !== PERIOD_PREFIX) ||
      (prefix === PERIOD_PREFIX && !period) ||
      !encrypted ||
      rest.length > 0 ||
      blob.length <= IV_BYTES + TAG_BYTES
    ) {
      throw new SealedValueError('not a sealed value (expected l2.<key>.<data> or l3.<period>.<key>.<data>)');
    }
    const key = await this.openingKey(encrypted, period);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.plaintext, blob.subarray(0, IV_BYTES));
      decipher.setAuthTag(blob.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      decipher.setAAD(contextAad(context));
      const plaintext = Buffer.concat([decipher.update(blob.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
      return JSON.parse(plaintext.toString('utf8')) as T;
    } catch (error) {
      throw new SealedValueError("the sealed value does not open with this context (another item's, or altered)", { cause: error });
    }
  }

  /**
   * The data key to seal with: the current one while it is young (and, a sealer's own, not used up; a period's,
   * still of the current period), else a new one: the period's shared key, or one of its own from KMS.
   */
  private async sealingKey(): Promise<DataKey> {
    const pending = this.sealing;
    let key = pending ? await pending.catch(() => undefined) : undefined;
    const period = this.options.periodKeys ? this.periodOf(this.clock()) : undefined;
    if (!key || this.clock() - key.at >= this.maxAgeMs || (period === undefined ? key.uses >= this.maxUses : key.period !== period)) {
      // One new key for everyone who found this one stale at once (a failed request is tried again next time).
      if (this.sealing === pending) this.sealing = period === undefined ? this.newDataKey() : this.periodKey(period);
      key = await this.sealing!;
    }
    key.uses++;
    return key;
  }

  /** The period an instant falls in, named by its start: `2026-12-04T12:00:00Z`. */
  private periodOf(at: number): string {
    return new Date(Math.floor(at / this.periodMs) * this.periodMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  /**
   * The period's shared key: the one stored for the period (decrypted by KMS, or remembered while young), else a
   * new one from KMS, stored if no other sealer stored one first (then the first one is decrypted and used).
   */
  private async periodKey(period: string): Promise<DataKey> {
    const store = this.options.periodKeys!;
    let encrypted = this.stored?.period === period ? this.stored.encrypted : await store.get(period);
    if (encrypted === undefined) {
      const fresh = await this.newDataKey(period);
      const periodEnd = Date.parse(period) + this.periodMs;
      encrypted = await store.putFirst(period, fresh.encrypted, Math.ceil(periodEnd / 1000) + PERIOD_KEY_KEPT_SECONDS);
      this.stored = { period, encrypted };
      if (encrypted === fresh.encrypted) return fresh;
      // Another sealer stored its key first: this one was never used, and is forgotten.
      this.opened.delete(cacheKey(fresh.encrypted, period));
    }
    this.stored = { period, encrypted };
    const key = await this.openingKey(encrypted, period);
    // Used to seal from now: its age counts from this sealer's first use, as a key of its own would.
    return { ...key, uses: 0 };
  }

  private async newDataKey(period?: string): Promise<DataKey> {
    const { Plaintext, CiphertextBlob } = await this.kms.send(
      new GenerateDataKeyCommand({ KeyId: this.keyId, KeySpec: 'AES_256', EncryptionContext: dataKeyContext(period) }),
    );
    if (!Plaintext || !CiphertextBlob) throw new Error('KMS GenerateDataKey returned no key');
    const key: DataKey = {
      plaintext: Buffer.from(Plaintext),
      encrypted: Buffer.from(CiphertextBlob).toString('base64'),
      ...(period === undefined ? {} : { period }),
      at: this.clock(),
      uses: 0,
    };
    // What this sealer seals, it opens without asking KMS (a function that registers and then reads back).
    this.remember(cacheKey(key.encrypted, period), Promise.resolve(key));
    return key;
  }

  /** The decrypted data key: remembered while young, else asked of KMS (at most once at a time per key). */
  private async openingKey(encrypted: string, period?: string): Promise<DataKey> {
    // By period and key: a value relabelled with another period is asked of KMS, which refuses it.
    const cached = cacheKey(encrypted, period);
    const known = this.opened.get(cached);
    if (known) {
      const key = await known.catch(() => undefined);
      if (key && this.clock() - key.at < this.maxAgeMs) return key;
      if (this.opened.get(cached) === known) this.opened.delete(cached);
    }
    const opening = this.kms
      .send(
        new DecryptCommand({
          KeyId: this.keyId,
          CiphertextBlob: Buffer.from(encrypted, 'base64'),
          EncryptionContext: dataKeyContext(period),
        }),
      )
      .then(({ Plaintext }): DataKey => {
        if (!Plaintext) throw new Error('KMS Decrypt returned no plaintext');
        return { plaintext: Buffer.from(Plaintext), encrypted, ...(period === undefined ? {} : { period }), at: this.clock(), uses: 0 };
      });
    this.remember(cached, opening);
    opening.catch(() => {
      if (this.opened.get(cached) === opening) this.opened.delete(cached);
    });
    return opening;
  }

  private remember(cached: string, key: Promise<DataKey>): void {
    this.opened.set(cached, key);
    while (this.opened.size > this.kept) this.opened.delete(this.opened.keys().next().value!);
  }

  /** A value sealed before envelopes: the base64 of a KMS ciphertext, opened by KMS itself. */
  private async unsealWithKms<T>(sealed: string, context: SealContext): Promise<T> {
    const { Plaintext } = await this.kms.send(
      new DecryptCommand({ KeyId: this.keyId, CiphertextBlob: Buffer.from(sealed, 'base64'), EncryptionContext: { ...context } }),
    );
    if (!Plaintext) throw new Error('KMS Decrypt returned no plaintext');
    return JSON.parse(Buffer.from(Plaintext).toString('utf8')) as T;
  }
}
