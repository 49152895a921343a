/**
 * Subject identifiers for the isolation property (test/reliability/isolation.property.test.ts): ids chosen to make
 * one subject's lookup hit another's data if anything matches loosely. Fake values only.
 *
 * - Near collisions: prefixes of each other (user1, user10, user1x), case variants (User1, USER1), Unicode
 *   normalisation variants of one visible string (NFC "é" U+00E9 vs NFD "e" + U+0301), white space variants
 *   (trailing space, no-break space, tab), emoji and CJK.
 * - Characters special somewhere: in S3 keys and prefixes (/, %, +, *, ?, #, "..", "../", "."), in DynamoDB
 *   expressions (":v", "#n", "${x}", "=", quotes), in XML (&, <, &amp;), in JSON and JavaScript ("__proto__").
 * - Lone UTF-16 surrogates: text with no UTF-8 form.
 * - Random text: fast-check strings over a hostile alphabet, over graphemes, and over any code point.
 *
 * The oracles say which ids a layout must refuse, written from the stores' rules (not from the connectors' code):
 * the connectors must refuse exactly those, with a clear error, before touching anything.
 */
import fc from 'fast-check';
import { HOSTILE_STRINGS } from '../../fuzz/hostile-strings';

const NFC_E = '\u00e9';
const NFD_E = 'e\u0301';

/** Ids that have collided, or could collide, under a careless lookup. */
export const NEAR_COLLISIONS: readonly string[] = [
  'user1',
  'user10',
  'user1x',
  'user11',
  'user',
  'User1',
  'USER1',
  'user1 ',
  ' user1',
  'user1\u00a0',
  'user 1',
  'user1\t',
  'user1\n',
  'user1\r',
  'c\u0085',
  'c\u2026',
  `caf${NFC_E}`,
  `caf${NFD_E}`,
  NFC_E,
  NFD_E,
  'E\u0301',
  '\u00c9',
  '\u{1F9E8}',
  '\u{1F469}\u200d\u{1F4BB}',
  '\u7528\u6237',
  '\u7528\u62371',
  '\u30e6\u30fc\u30b6\u30fc',
  '/',
  'user1/',
  'user1/x',
  '%',
  '%2F',
  'user1%2F',
  '+',
  'user+1',
  '*',
  'user*',
  '?',
  '#',
  ':',
  '.',
  '..',
  '../',
  '../user1',
  'user1..',
  '${x}',
  ':v',
  '#n',
  ':match',
  '#match',
  '#pk = :pk',
  '"',
  "'",
  'o\'brien"',
  '&',
  '&amp;',
  '<x>',
  '\\',
  'a=b',
  'user@example.test',
  '007',
  '7',
  '1e3',
  '1000',
  'true',
  'null',
  '__proto__',
  'constructor',
  ' ',
  'x\ud800',
  'x\udc00',
  '\udc00x',
];

/** The hostile strings the fuzz tests share, as far as they can be ids (not empty, not huge). */
const HOSTILE_IDS = [...new Set(HOSTILE_STRINGS.filter((s) => s.length > 0 && s.length <= 64))];

/** Characters that matter somewhere, for random near-miss ids. */
const ALPHABET = [
  'u', 's', 'e', 'r', '1', '0', 'U', 'E', NFC_E, NFD_E, '\u0301', ' ', '\u00a0', '/', '.', '%', '+', '*', '?', '#', ':',
  '$', '{', '}', '"', "'", '\\', '&', '<', '=', '@', '-', '_', '\u{1F9E8}', '\u7528', '\t', '\r', '\u0085',
]; // prettier-ignore

/** A few related ids around one base: extensions, truncations, case, normal forms, white space, specials. */
export function relatives(base: string): string[] {
  const all = [
    base,
    `${base}0`,
    `${base}x`,
    base.slice(0, -1),
    base.toUpperCase(),
    base.toLowerCase(),
    base.normalize('NFC'),
    base.normalize('NFD'),
    `${base} `,
    ` ${base}`,
    `${base}/`,
    `${base}*`,
    `${base}..`,
  ];
  return [...new Set(all.filter((s) => s.length > 0))];
}

/** One id from anywhere in the hostile space. */
export const anyId: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NEAR_COLLISIONS) },
  { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_IDS) },
  { weight: 3, arbitrary: fc.string({ unit: fc.constantFrom(...ALPHABET), minLength: 1, maxLength: 6 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.string({ maxLength: 3 }), fc.integer({ min: 0xd800, max: 0xdfff }))
      .map(([text, surrogate]) => `${text}${String.fromCharCode(surrogate)}`),
  },
);

/** 2 to `max` distinct ids (distinct as strings: NFC and NFD of one word are two ids), mostly relatives of a base. */
export function populationIds(max: number): fc.Arbitrary<string[]> {
  return fc.oneof(fc.constantFrom('user1', `caf${NFC_E}`, 'User', '\u7528\u6237', 'a'), anyId).chain((base) =>
    fc.uniqueArray(fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...relatives(base)) }, { weight: 2, arbitrary: anyId }), {
      minLength: 2,
      maxLength: max,
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Oracles: what a layout must refuse.

/** Well-formed Unicode: no lone surrogate (such text has no UTF-8 form, and stores replace it). */
export function isWellFormed(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      return false;
    }
  }
  return true;
}

/**
 * S3 prefix layout (`customers/{subjectId}/`): a value that is ".", or holds "/" or "..", would make the prefix
 * reach into another subject's objects (`customers/a/b/` is inside `customers/a/`), and one an XML listing does not
 * return as it is would hide the subject's objects; both are refused.
 */
export function prefixLayoutRefuses(id: string): boolean {
  return !isWellFormed(id) || id === '.' || id.includes('/') || id.includes('..') || !xmlKeepsAsIs(id);
}

/**
 * Whether an XML listing returns a key holding this text as it is: XML 1.0 has no C0 controls but tab, line feed
 * and carriage return, nor U+FFFE and U+FFFF, and its parsers turn a carriage return into a line feed. (S3's
 * ListObjects documentation: XML 1.0 cannot carry some characters, such as those from 0 to 10.)
 */
export function xmlKeepsAsIs(text: string): boolean {
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a) || code === 0xfffe || code === 0xffff) return false;
  }
  return true;
}

/**
 * S3 tag layout: S3's documented tag value rule (API reference, Tag / S3Tag: up to 256 characters matching
 * `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`), and no white space at either end (a trimmed value would equal another id).
 */
export function tagLayoutRefuses(value: string): boolean {
  if (!isWellFormed(value) || value.length === 0 || value.length > 256) return true;
  for (const char of value) {
    const allowed = /\p{L}|\p{Z}|\p{N}/u.test(char) || '_.:/=+-@'.includes(char);
    if (!allowed) return true;
  }
  return /\p{Z}/u.test([...value][0]) || /\p{Z}/u.test([...value].at(-1)!);
}

/** DynamoDB layouts: only ill-formed text (the key and index values are compared exactly). */
export function dynamoDbRefuses(id: string): boolean {
  return !isWellFormed(id);
}
