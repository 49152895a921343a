/**
 * The leak scanner (support/leak-scanner.ts) finds what it is given, in the forms it claims, and not what only
 * looks like it: the scan of local mode's logs, audit records and history (local-mode.test.ts) relies on both.
 */
import { randomBytes } from 'node:crypto';
import { LeakScanner, personalForms, personalNeedles, secretBytes, secretForms, secretNeedles } from './support/leak-scanner';

const labels = (scanner: LeakScanner, text: string): string[] => scanner.scan(text, 'text').map((f) => f.label);

describe('personal values', () => {
  const scanner = new LeakScanner([
    ...personalNeedles('load-subject-1', 'id 1', { boundary: true }),
    ...personalNeedles('load-subject-10', 'id 10', { boundary: true }),
    ...personalNeedles('Linnéa Ekström', 'name'),
    ...personalNeedles('Ekström', 'surname', { boundary: true }),
    ...personalNeedles('linnea.ekstrom.7@lastprovet.example', 'e-mail'),
  ]);

  test.each([
    ['a JSON field', '{"subjectId":"load-subject-1"}', ['id 1']],
    ['a path', 'GET /subjects/load-subject-1/holdings', ['id 1']],
    ['a longer id that starts with it is itself only', '{"subjectId":"load-subject-10"}', ['id 10']],
    ['an id followed by more digits is not that id', 'load-subject-100', []],
    ['the name', 'hello Linnéa Ekström!', ['name', 'surname']],
    ['the name decomposed (NFD)', `x ${'Linnéa Ekström'.normalize('NFD')} x`, ['name', 'surname']],
    ['the name JSON-escaped', '"Linn\\u00e9a Ekstr\\u00f6m"', ['name', 'surname']],
    ['the name percent-encoded', '/x/Linn%C3%A9a%20Ekstr%C3%B6m', ['name']],
    ['a name part as a word', '{"last":"Ekström"}', ['surname']],
    ['a name part inside a word or a base64 run is not a finding', 'xEkströmx 9Ekström0', []],
    ['the e-mail address', 'to: linnea.ekstrom.7@lastprovet.example', ['e-mail']],
    ['the e-mail address percent-encoded', '?to=linnea.ekstrom.7%40lastprovet.example', ['e-mail']],
    ['nothing', '{"subjectRef":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}', []],
  ])('%s', (_what, text, expected) => {
    expect(labels(scanner, text).sort()).toEqual([...expected].sort());
  });

  test('forms of a value: as is, NFD, \\u-escaped, percent-encoded', () => {
    expect(personalForms('Åsa Öberg')).toEqual(
      expect.arrayContaining(['Åsa Öberg', 'Åsa Öberg'.normalize('NFD'), '\\u00c5sa \\u00d6berg', '%C3%85sa%20%C3%96berg']),
    );
  });

  test('a needle shorter than 5 characters is refused (it would match by chance)', () => {
    expect(() => new LeakScanner([{ value: 'Ek', label: 'too short' }])).toThrow('at least 5');
  });
});

describe('secrets', () => {
  // Random, but its base64 holds '+' and '/' (from the first six bytes), so that base64url is a form of its own: a
  // form equal to another is listed once (see the last test).
  const key = Buffer.concat([Buffer.from('fbefbeffffff', 'hex'), randomBytes(26)]);
  const hex = key.toString('hex');
  const token = randomBytes(24).toString('base64url');
  const scanner = new LeakScanner([...secretNeedles(hex, 'kms key'), ...secretNeedles(token, 'token')]);

  test.each([
    ['as stored (hex)', () => hex, 'kms key (as stored)'],
    ['in capitals', () => hex.toUpperCase(), 'kms key (HEX)'],
    ['as base64', () => key.toString('base64'), 'kms key (base64)'],
    ['as base64 without padding', () => key.toString('base64').replace(/=+$/, ''), 'kms key (base64'],
    ['as base64url', () => key.toString('base64url'), 'kms key (base64'],
    ['as Latin-1 characters', () => key.toString('latin1'), 'kms key (latin1)'],
    ['a half of it', () => hex.slice(10, 42), 'kms key (as stored, chars 10-26)'],
    ['the token in a header', () => `authorization: Bearer ${token}`, 'token (as stored)'],
    ['the first 16 characters of the token', () => `"t":"${token.slice(0, 16)}…"`, 'token (as stored, chars 0-16)'],
  ])('found %s', (_what, text, label) => {
    expect(labels(scanner, `{"x": "${text()}"}`).some((l) => l.startsWith(label))).toBe(true);
  });

  test('15 characters of a secret are not reported (below the window)', () => {
    expect(labels(scanner, `"${token.slice(3, 18)}"`)).toEqual([]);
  });

  test('the encodings of a stored value and its raw bytes', () => {
    expect(secretForms(hex).map((f) => f.form)).toEqual(['as stored', 'HEX', 'base64', 'base64 unpadded', 'base64url', 'latin1']);
    expect(secretBytes(hex)).toEqual(key);
    expect(secretBytes(key.toString('base64'))).toEqual(key);
    expect(secretBytes(token)).toEqual(Buffer.from(token, 'base64url'));
  });

  test('a form equal to another is listed once: without + or / in its base64, base64url is base64 unpadded', () => {
    const plain = Buffer.alloc(32, 0xab).toString('hex'); // base64 'q6ur…': no + or /
    expect(secretForms(plain).map((f) => f.form)).toEqual(['as stored', 'HEX', 'base64', 'base64 unpadded', 'latin1']);
  });
});
