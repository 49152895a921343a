import { createHmac } from 'node:crypto';
import { isIP } from 'node:net';
import fc from 'fast-check';
import {
  AnonymisationError,
  anonymise,
  DEFAULT_REDACTION,
  generaliseDate,
  hmacHex,
  maskIp,
  RANDOM_ALPHABET,
  randomText,
  REMOVED,
  type Anonymised,
} from '../../../lib/anonymise';
import type { Strategy } from '../../../lib/policy/model';

const KEY = 'test-key-not-a-secret';
const set = (value: unknown): Anonymised => ({ remove: false, value });
const run = (value: unknown, strategy: Strategy | undefined) => anonymise(value, strategy, { hmacKey: KEY });
const expectedHmac = (text: string) => createHmac('sha256', KEY).update(text, 'utf8').digest('hex');

describe('anonymise: each strategy by value type', () => {
  // GIVEN a strategy and a stored value WHEN anonymised THEN the field is set to the result, or removed
  test.each<[string, unknown, Strategy | undefined, Anonymised]>([
    ['no strategy removes', 'Ada', undefined, REMOVED],
    ['remove removes text', 'Ada', { strategy: 'remove' }, REMOVED],
    ['remove removes null too', null, { strategy: 'remove' }, REMOVED],
    ['redact with the default', 'Ada Lovelace', { strategy: 'redact' }, set(DEFAULT_REDACTION)],
    ['redact with a value', 'Ada Lovelace', { strategy: 'redact', value: '[erased]' }, set('[erased]')],
    ['redact a number', 42, { strategy: 'redact' }, set('[redacted]')],
    ['redact an object', { street: 'x' }, { strategy: 'redact' }, set('[redacted]')],
    ['redact keeps null', null, { strategy: 'redact' }, set(null)],
    ['hmac of text', 'ada@example.com', { strategy: 'hmac' }, set(expectedHmac('ada@example.com'))],
    ['hmac of a number is of its decimal text', 46701234567, { strategy: 'hmac' }, set(expectedHmac('46701234567'))],
    ['hmac of a boolean removes (two values: no protection)', true, { strategy: 'hmac' }, REMOVED],
    ['hmac of an object removes', { a: 1 }, { strategy: 'hmac' }, REMOVED],
    ['hmac keeps null', null, { strategy: 'hmac' }, set(null)],
    ['generalise a date to year', '1985-07-14', { strategy: 'generalise-date', to: 'year' }, set('1985')],
    ['generalise a date to month', '1985-07-14', { strategy: 'generalise-date', to: 'month' }, set('1985-07')],
    [
      'generalise a timestamp with offset, as written',
      '1985-12-31T23:30:00-05:00',
      { strategy: 'generalise-date', to: 'year' },
      set('1985'),
    ],
    ['generalise a Z timestamp in UTC', '1985-12-31T23:30:00Z', { strategy: 'generalise-date', to: 'month' }, set('1985-12')],
    ['generalise text that is no date removes', 'next tuesday', { strategy: 'generalise-date', to: 'year' }, REMOVED],
    ['generalise a number removes (epoch? ambiguous)', 489196800, { strategy: 'generalise-date', to: 'year' }, REMOVED],
    ['truncate text', 'SE-11122', { strategy: 'truncate', keep: 3 }, set('SE-')],
    ['truncate keeps a shorter text', 'SE', { strategy: 'truncate', keep: 3 }, set('SE')],
    ['truncate a number gives text', 12345, { strategy: 'truncate', keep: 2 }, set('12')],
    ['truncate to nothing', 'abc', { strategy: 'truncate', keep: 0 }, set('')],
    ['truncate never splits a character', '😀😀😀', { strategy: 'truncate', keep: 2 }, set('😀😀')],
    ['truncate a boolean removes', false, { strategy: 'truncate', keep: 2 }, REMOVED],
    ['mask an IPv4', '192.0.2.77', { strategy: 'mask-ip' }, set('192.0.2.0')],
    ['mask an IPv6', '2001:DB8:aaaa:bbbb:cccc:dddd:eeee:ffff', { strategy: 'mask-ip' }, set('2001:db8:aaaa::')],
    ['mask text that is no IP removes', 'localhost', { strategy: 'mask-ip' }, REMOVED],
    ['mask a number removes', 3221225985, { strategy: 'mask-ip' }, REMOVED],
    ['random keeps null', null, { strategy: 'random' }, set(null)],
  ])('%s', (_name, value, strategy, expected) => {
    expect(run(value, strategy)).toEqual(expected);
  });

  test('random: default length 16, letters and digits, differs between calls', () => {
    const a = run('Ada', { strategy: 'random' });
    const b = run('Ada', { strategy: 'random' });
    expect(a.remove).toBe(false);
    const value = (a as { value: string }).value;
    expect(value).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(value).not.toBe((b as { value: string }).value);
  });

  test('random: the length asked for, for any value type', () => {
    for (const value of ['x', 7, true, { a: 1 }, [1]]) {
      expect((run(value, { strategy: 'random', length: 40 }) as { value: string }).value).toMatch(/^[A-Za-z0-9]{40}$/);
    }
  });

  test('hmac: without a key it is an error, not a silent pass', () => {
    expect(() => anonymise('ada@example.com', { strategy: 'hmac' })).toThrow(AnonymisationError);
    expect(() => anonymise('ada@example.com', { strategy: 'hmac' }, { hmacKey: '' })).toThrow(/non-empty key/);
  });

  test('hmac: a value hmac already produced is left as it is (a retry does not hash the hash)', () => {
    const once = run('ada@example.com', { strategy: 'hmac' }) as { value: string };
    expect(run(once.value, { strategy: 'hmac' })).toEqual(set(once.value));
  });
});

describe('generalise-date', () => {
  test.each([
    ['1985-07-14', 'year', '1985'],
    ['19850714', 'month', '1985-07'],
    ['1985-07-14T10:00', 'month', '1985-07'],
    ['1985-07-14 10:00:00+02:00', 'year', '1985'],
    ['1985-07', 'year', '1985'],
    ['1985-07', 'month', '1985-07'],
    ['1985', 'year', '1985'],
    ['1985', 'month', '1985'], // already coarser than a month: unchanged
    ['-000001-12-31T23:59:59.999Z', 'year', '-000001'], // expanded years, as Temporal writes them
    ['+012345-07-01', 'month', '+012345-07'],
    ['-000001', 'month', '-000001'],
    ['2024-02-30', 'year', undefined], // no such day
    ['1985-07-14[u-ca=japanese]', 'year', undefined], // not the ISO calendar
    [' 1985-07-14', 'year', undefined],
    ['', 'year', undefined],
  ] as const)('%s to %s is %s', (input, to, expected) => {
    expect(generaliseDate(input, to)).toBe(expected);
  });
});

describe('mask-ip', () => {
  test.each([
    ['10.1.2.3', '10.1.2.0'],
    ['255.255.255.255', '255.255.255.0'],
    ['0.0.0.0', '0.0.0.0'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::'],
    ['fe80::1%eth0', 'fe80::'],
    ['::1', '::'],
    ['::', '::'],
    ['::ffff:192.0.2.7', '::ffff:192.0.2.0'],
    ['::ffff:c000:0207', '::ffff:192.0.2.0'],
    ['2a00:1450:4001:81c::200e', '2a00:1450:4001::'],
  ])('%s → %s', (input, expected) => {
    expect(maskIp(input)).toBe(expected);
  });

  test.each(['1.2.3.4/24', '01.2.3.4', '1.2.3', 'example.com', '2001:db8::g', ' 1.2.3.4', ''])('%j is not an IP', (input) => {
    expect(maskIp(input)).toBeUndefined();
  });
});

describe('properties', () => {
  const anyValue = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.object(), fc.array(fc.string()));
  const idempotent: Strategy[] = [
    { strategy: 'remove' },
    { strategy: 'redact' },
    { strategy: 'redact', value: 'gone' },
    { strategy: 'hmac' },
    { strategy: 'generalise-date', to: 'year' },
    { strategy: 'generalise-date', to: 'month' },
    { strategy: 'truncate', keep: 3 },
    { strategy: 'mask-ip' },
  ];

  test.each(idempotent.map((s) => [JSON.stringify(s), s] as const))('%s is idempotent: applying it twice = once', (_name, strategy) => {
    fc.assert(
      fc.property(
        fc.oneof(
          anyValue,
          fc.ipV4(),
          fc.ipV6(),
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        ),
        (value) => {
          const once = run(value, strategy);
          if (once.remove) return; // removed: nothing left to apply it to
          expect(run(once.value, strategy)).toEqual(once);
        },
      ),
    );
  });

  test('hmac is deterministic for one key and differs between keys', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (text, k1, k2) => {
        expect(hmacHex(text, k1)).toBe(hmacHex(text, k1));
        expect(hmacHex(text, k1)).toMatch(/^[0-9a-f]{64}$/);
        if (k1 !== k2) expect(hmacHex(text, k1)).not.toBe(hmacHex(text, k2));
      }),
    );
  });

  test('mask-ip always yields a valid IP of the same family, with the host part zeroed', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (ip) => {
        const masked = maskIp(ip);
        expect(masked).toBeDefined();
        expect(isIP(masked!)).toBe(isIP(ip));
        if (isIP(ip) === 4) expect(masked!.endsWith('.0')).toBe(true);
      }),
    );
  });

  test('truncate never yields more than keep characters, and is a prefix', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.nat(50), (text, keep) => {
        const result = run(text, { strategy: 'truncate', keep });
        expect(result.remove).toBe(false);
        const value = (result as { value: string }).value;
        expect(Array.from(value).length).toBeLessThanOrEqual(keep);
        expect(text.startsWith(value)).toBe(true);
      }),
    );
  });

  test('random has exactly the length asked for, from the alphabet', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1024 }), (length) => {
        const text = randomText(length);
        expect(text).toHaveLength(length);
        expect([...text].every((c) => RANDOM_ALPHABET.includes(c))).toBe(true);
      }),
    );
  });

  test('no strategy ever keeps a non-null value unchanged unless it is already in its output form', () => {
    // GIVEN a free-text value that is no date, no IP and no digest WHEN any strategy but truncate is applied
    // THEN the original text does not survive
    fc.assert(
      fc.property(
        fc.string({ minLength: 20 }).filter((s) => !/^\d/.test(s) && !s.includes(':') && !s.includes('.')),
        (text) => {
          for (const strategy of idempotent.filter((s) => s.strategy !== 'truncate')) {
            const result = run(text, strategy);
            if (!result.remove) expect(result.value).not.toBe(text);
          }
        },
      ),
    );
  });
});
