/**
 * The spec's anonymisation strategies as pure functions (spec: "Systems", "Anonymisation strategies").
 * Nothing here reads a clock, the network or a secret: the HMAC key is passed in by the caller, who reads it
 * from Secrets Manager at run time. Only `random` draws from the operating system's CSPRNG.
 *
 * How each strategy treats a value, by its type (a field's value as stored: JSON or DynamoDB):
 *
 * | strategy        | text                         | number              | boolean, object, array, binary | null |
 * |-----------------|------------------------------|---------------------|--------------------------------|------|
 * | remove          | removed                      | removed             | removed                        | removed |
 * | redact          | the replacement text         | the replacement     | the replacement                | null |
 * | hmac            | 64 hex digits                | HMAC of its decimal | removed                        | null |
 * | generalise-date | `YYYY` or `YYYY-MM`, or removed when it is no date | removed | removed       | null |
 * | truncate        | the first `keep` characters  | of its decimal text | removed                        | null |
 * | mask-ip         | the masked address, or removed when it is no IP | removed | removed          | null |
 * | random          | random text                  | random text         | random text                    | null |
 *
 * The rule behind the table: a strategy that transforms a value (hmac, generalise-date, truncate, mask-ip)
 * works on text, and on numbers through their decimal text; a value it cannot interpret is *removed*, never
 * left in place, because an anonymisation that silently did nothing would keep personal data. `null` holds
 * nothing and stays `null`.
 */
import { createHmac, randomInt } from 'node:crypto';
import type { Strategy } from '../policy/model';
import { maskIp } from './ip';
import { generaliseDate } from './dates';
import { AnonymisationError } from './errors';

/** What to do with a field: set it to `value`, or remove it. */
export type Anonymised = { readonly remove: true } | { readonly remove: false; readonly value: unknown };

export const REMOVED: Anonymised = Object.freeze({ remove: true });
const set = (value: unknown): Anonymised => ({ remove: false, value });

export const DEFAULT_REDACTION = '[redacted]';
export const DEFAULT_RANDOM_LENGTH = 16;
/** The alphabet of `random`: letters and digits, so the result is safe in any store and any encoding. */
export const RANDOM_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** What the strategies need from outside: the HMAC key, for `hmac` only. */
export interface AnonymiseKeys {
  /** The deployment's HMAC key (from Secrets Manager); required only by the `hmac` strategy. */
  readonly hmacKey?: Uint8Array | string;
}

/** `redact`: the replacement text, `"[redacted]"` by default. */
export function redact(value: unknown, replacement: string = DEFAULT_REDACTION): Anonymised {
  return value === null ? set(null) : set(replacement);
}

/** The keyed HMAC-SHA-256 of a text, as 64 lowercase hex digits. Deterministic for one key. */
export function hmacHex(text: string, key: Uint8Array | string): string {
  if (key.length === 0) throw new AnonymisationError('the hmac strategy needs a non-empty key');
  return createHmac('sha256', key).update(text, 'utf8').digest('hex');
}

/** A value `hmac` has already produced: exactly 64 lowercase hex digits. */
export const HMAC_OUTPUT = /^[0-9a-f]{64}$/;

/**
 * `hmac`: the keyed HMAC-SHA-256 of the text (numbers: of their decimal text), hex.
 *
 * A text that already is 64 lowercase hex digits is taken as a value this strategy produced and left as it
 * is, so that running an anonymisation twice (a retry, a redrive) does not hash the hash. The consequence: a
 * field that holds *unkeyed* SHA-256 hex digests before anonymisation is left as it is; give such a field the
 * `redact` or `remove` strategy.
 */
export function hmac(value: unknown, key: Uint8Array | string | undefined): Anonymised {
  if (value === null) return set(null);
  if (key === undefined) throw new AnonymisationError('the hmac strategy needs the HMAC key, and none was provided');
  const text = asText(value);
  if (text === undefined) return REMOVED;
  if (typeof value === 'string' && HMAC_OUTPUT.test(value)) return set(value);
  return set(hmacHex(text, key));
}

/**
 * `truncate`: the first `keep` characters (Unicode code points, so a character is never cut in half). A number
 * becomes the first `keep` characters of its decimal text, as text: `12345` with `keep: 2` is `"12"`.
 */
export function truncate(value: unknown, keep: number): Anonymised {
  if (!Number.isInteger(keep) || keep < 0) throw new AnonymisationError(`truncate needs keep: a whole number >= 0, got ${keep}`);
  if (value === null) return set(null);
  const text = asText(value);
  if (text === undefined) return REMOVED;
  return set(Array.from(text).slice(0, keep).join(''));
}

/** `generalise-date`: the year (`YYYY`) or month (`YYYY-MM`) of an ISO 8601 date or timestamp; see `dates.ts`. */
export function generaliseDateValue(value: unknown, to: 'year' | 'month'): Anonymised {
  if (value === null) return set(null);
  if (typeof value !== 'string') return REMOVED;
  const generalised = generaliseDate(value, to);
  return generalised === undefined ? REMOVED : set(generalised);
}

/** `mask-ip`: IPv4 keeps its first three octets, IPv6 its first 48 bits; see `ip.ts`. */
export function maskIpValue(value: unknown): Anonymised {
  if (value === null) return set(null);
  if (typeof value !== 'string') return REMOVED;
  const masked = maskIp(value);
  return masked === undefined ? REMOVED : set(masked);
}

/** A random text of `length` letters and digits from the operating system's CSPRNG (uniform, no modulo bias). */
export function randomText(length: number = DEFAULT_RANDOM_LENGTH): string {
  if (!Number.isInteger(length) || length < 1) throw new AnonymisationError(`random needs length: a whole number >= 1, got ${length}`);
  let text = '';
  for (let i = 0; i < length; i++) text += RANDOM_ALPHABET[randomInt(RANDOM_ALPHABET.length)];
  return text;
}

/** `random`: replaces any value but `null` with a random text. */
export function random(value: unknown, length: number = DEFAULT_RANDOM_LENGTH): Anonymised {
  return value === null ? set(null) : set(randomText(length));
}

/**
 * Applies a field's strategy to its value. No strategy (a field declared without `anonymise`) means the
 * field is removed, as the spec says.
 */
export function anonymise(value: unknown, strategy: Strategy | undefined, keys: AnonymiseKeys = {}): Anonymised {
  if (strategy === undefined) return REMOVED;
  switch (strategy.strategy) {
    case 'remove':
      return REMOVED;
    case 'redact':
      return redact(value, strategy.value ?? DEFAULT_REDACTION);
    case 'hmac':
      return hmac(value, keys.hmacKey);
    case 'generalise-date':
      return generaliseDateValue(value, strategy.to);
    case 'truncate':
      return truncate(value, strategy.keep);
    case 'mask-ip':
      return maskIpValue(value);
    case 'random':
      return random(value, strategy.length ?? DEFAULT_RANDOM_LENGTH);
  }
}

/** Whether the strategy needs the HMAC key (so that callers fetch it only when it is used). */
export function needsHmacKey(strategy: Strategy | undefined): boolean {
  return strategy?.strategy === 'hmac';
}

/** Text, and numbers as their decimal text; anything else is not text. */
function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint') return value.toString();
  return undefined;
}
