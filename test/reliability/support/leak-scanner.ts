/**
 * Searches text for many known values at once (personal data of seeded subjects, secrets of the data directory)
 * and reports each occurrence: which value, in which form, where.
 *
 * Matching: every needle is indexed by its first 4 characters; the scan visits each position of the text once and
 * compares only the needles that start with the 4 characters found there. That keeps a scan of megabytes of logs
 * against thousands of needles to a few seconds, without regular expressions built from the values.
 *
 * Chance matches. A needle that could occur by chance inside a hash, a UUID or base64 would make the scan fail
 * for nothing (or teach people to ignore it), so:
 * - needles must be at least 5 characters (refused otherwise);
 * - short values that are words (name parts such as `Sigrid`) are matched as words only: the characters before and
 *   after must not be letters or digits (`boundary: true`). Base64 and hex runs are letters and digits, so a name
 *   part inside one is not reported, while `"name":"Sigrid Ekström"` or `Sigrid,` is;
 * - ids that are prefixes of one another (`load-subject-1`, `load-subject-10`) use the same rule, so
 *   `load-subject-10` is reported as itself and not also as `load-subject-1`;
 * - secrets are matched in every encoding we know of (as stored, hex, base64 with and without padding, base64url,
 *   the raw bytes as Latin-1) and also by every 16-character window of each encoding, so that half a secret is
 *   found too; 16 characters of random hex or base64 (at least 64 bits) do not occur by chance in the volumes
 *   scanned here (below 10^8 characters: expected chance matches under 10^-9).
 */

export interface Needle {
  /** What is searched for, exactly (case-sensitive). */
  readonly value: string;
  /** What it is, for the report: e.g. `email of load-subject-17`, `HMAC secret (base64, chars 0-16)`. */
  readonly label: string;
  /** Match only when the characters on both sides are not letters or digits. @default false */
  readonly boundary?: boolean;
}

export interface Finding {
  readonly label: string;
  readonly value: string;
  /** Where it was found: the source's name and the offset in it. */
  readonly where: string;
  /** A few characters around the match, the match itself masked, to locate it without repeating it. */
  readonly context: string;
}

const KEY_LENGTH = 4;
export const MIN_NEEDLE_LENGTH = 5;
/** The length of the windows of a secret that are searched for (see above). */
export const SECRET_WINDOW = 16;
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

export class LeakScanner {
  private readonly byKey = new Map<string, Needle[]>();
  public readonly needles: readonly Needle[];

  public constructor(needles: readonly Needle[]) {
    const unique = new Map<string, Needle>();
    for (const needle of needles) {
      if (needle.value.length < MIN_NEEDLE_LENGTH) {
        throw new Error(`needle "${needle.label}" is ${needle.value.length} characters; at least ${MIN_NEEDLE_LENGTH} are needed`);
      }
      const key = `${needle.boundary ? 'w' : 's'}\u0000${needle.value}`;
      if (!unique.has(key)) unique.set(key, needle);
    }
    this.needles = [...unique.values()];
    for (const needle of this.needles) {
      const key = needle.value.slice(0, KEY_LENGTH);
      const list = this.byKey.get(key);
      if (list) list.push(needle);
      else this.byKey.set(key, [needle]);
    }
  }

  /** Every occurrence of every needle in `text`. */
  public scan(text: string, where: string): Finding[] {
    const findings: Finding[] = [];
    const end = text.length - KEY_LENGTH;
    for (let i = 0; i <= end; i++) {
      const candidates = this.byKey.get(text.slice(i, i + KEY_LENGTH));
      if (!candidates) continue;
      for (const needle of candidates) {
        if (!text.startsWith(needle.value, i)) continue;
        const after = i + needle.value.length;
        if (needle.boundary && (isLetterOrDigit(text, i - 1) || isLetterOrDigit(text, after))) continue;
        findings.push({
          label: needle.label,
          value: needle.value,
          where: `${where}@${i}`,
          context: `${text.slice(Math.max(0, i - 30), i)}[…]${text.slice(after, after + 30)}`,
        });
      }
    }
    return findings;
  }

  /** Every occurrence in each text of `texts` (named `where#index`). */
  public scanAll(texts: readonly string[], where: string): Finding[] {
    return texts.flatMap((text, i) => this.scan(text, `${where}#${i}`));
  }
}

function isLetterOrDigit(text: string, index: number): boolean {
  if (index < 0 || index >= text.length) return false;
  const code = text.codePointAt(index)!;
  // A low surrogate: look at the whole code point.
  const char =
    code >= 0xdc00 && code <= 0xdfff && index > 0 ? String.fromCodePoint(text.codePointAt(index - 1)!) : String.fromCodePoint(code);
  return LETTER_OR_DIGIT.test(char);
}

/**
 * The forms a personal value can take in a log line or a JSON document: as it is, JSON-escaped with \\u for
 * non-ASCII (some serialisers do), percent-encoded (in a URL or a path), and Unicode-decomposed (NFD).
 */
export function personalForms(value: string): string[] {
  const forms = new Set<string>([value, value.normalize('NFD'), value.normalize('NFC')]);
  forms.add(value.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
  forms.add(encodeURIComponent(value));
  forms.add(encodeURIComponent(value).replace(/%20/g, '+'));
  return [...forms];
}

/** Needles for one personal value in all its forms. */
export function personalNeedles(value: string, label: string, options: { boundary?: boolean } = {}): Needle[] {
  return personalForms(value).map((form) => ({ value: form, label, ...(options.boundary ? { boundary: true } : {}) }));
}

/**
 * The encodings of a secret: the text as stored, and when that text is hex, base64 or base64url of some bytes,
 * those bytes in hex (both cases), base64 (with and without padding), base64url and as Latin-1 characters.
 */
export function secretForms(stored: string): { readonly form: string; readonly value: string }[] {
  const text = stored.trim();
  const forms: { form: string; value: string }[] = [{ form: 'as stored', value: text }];
  let bytes: Buffer | undefined;
  if (/^[0-9a-fA-F]+$/.test(text) && text.length % 2 === 0) bytes = Buffer.from(text, 'hex');
  else if (/^[A-Za-z0-9+/]+={0,2}$/.test(text)) bytes = Buffer.from(text, 'base64');
  else if (/^[A-Za-z0-9_-]+$/.test(text)) bytes = Buffer.from(text, 'base64url');
  if (bytes && bytes.length >= 16) {
    forms.push(
      { form: 'hex', value: bytes.toString('hex') },
      { form: 'HEX', value: bytes.toString('hex').toUpperCase() },
      { form: 'base64', value: bytes.toString('base64') },
      { form: 'base64 unpadded', value: bytes.toString('base64').replace(/=+$/, '') },
      { form: 'base64url', value: bytes.toString('base64url') },
      { form: 'latin1', value: bytes.toString('latin1') },
    );
  }
  const seen = new Set<string>();
  return forms.filter((f) => !seen.has(f.value) && seen.add(f.value));
}

/** Needles for a secret: each encoding whole, and each 16-character window of it. */
export function secretNeedles(stored: string, label: string): Needle[] {
  const needles: Needle[] = [];
  for (const { form, value } of secretForms(stored)) {
    needles.push({ value, label: `${label} (${form})` });
    for (let i = 0; i + SECRET_WINDOW <= value.length; i++) {
      needles.push({ value: value.slice(i, i + SECRET_WINDOW), label: `${label} (${form}, chars ${i}-${i + SECRET_WINDOW})` });
    }
  }
  return needles;
}

/** The raw bytes of a secret, to search binary files with (Buffer.indexOf), when its stored text encodes bytes. */
export function secretBytes(stored: string): Buffer | undefined {
  const forms = secretForms(stored);
  const latin1 = forms.find((f) => f.form === 'latin1');
  return latin1 ? Buffer.from(latin1.value, 'latin1') : undefined;
}
