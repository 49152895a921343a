/** console/i18n.ts and the two message files: the same keys and placeholders in both languages, and filling them. */
import { fill, LANGS, MESSAGES, preferredLang, translator } from '../../console/i18n';

const placeholders = (text: string): string[] => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('the message files', () => {
  it('GIVEN en and sv WHEN their keys are compared THEN they are the same keys', () => {
    expect(Object.keys(MESSAGES.sv).sort()).toEqual(Object.keys(MESSAGES.en).sort());
    expect(Object.keys(MESSAGES.en).length).toBeGreaterThan(100);
  });

  it('GIVEN each key WHEN its texts are compared THEN both name the same placeholders', () => {
    const differing = Object.keys(MESSAGES.en)
      .map((key) => [
        key,
        placeholders(MESSAGES.en[key as keyof typeof MESSAGES.en]),
        placeholders(MESSAGES.sv[key as keyof typeof MESSAGES.en]),
      ])
      .filter(([, en, sv]) => JSON.stringify(en) !== JSON.stringify(sv));
    expect(differing).toEqual([]);
  });

  it.each(LANGS)('GIVEN %s WHEN its texts are read THEN none is empty', (lang) => {
    expect(Object.entries(MESSAGES[lang]).filter(([, text]) => text.trim() === '')).toEqual([]);
  });

  it('GIVEN the Swedish texts THEN they are translated, not English copies (a few words may be alike, e.g. Status)', () => {
    const same = Object.keys(MESSAGES.en).filter(
      (key) => MESSAGES.en[key as keyof typeof MESSAGES.en] === MESSAGES.sv[key as keyof typeof MESSAGES.en],
    );
    expect(same.length).toBeLessThan(8);
  });
});

describe('fill', () => {
  it.each([
    ['{days} days left', { days: 3 }, '3 days left'],
    ['{a} and {a}', { a: 'x' }, 'x and x'],
    ['{missing} stays', {}, '{missing} stays'],
    ['no placeholders', { a: 1 }, 'no placeholders'],
  ])('GIVEN %j with %j THEN %j', (template, values, expected) => {
    expect(fill(template, values)).toBe(expected);
  });

  it('GIVEN a language WHEN translating a key THEN its text is filled', () => {
    expect(translator('en')('daysLeft', { days: 5 })).toBe('5 days left');
    expect(translator('sv')('daysLeft', { days: 5 })).toBe('5 dagar kvar');
  });
});

describe('preferredLang', () => {
  it.each([
    [['sv-SE', 'en'], 'sv'],
    [['en-US', 'sv'], 'en'],
    [['de-DE', 'sv'], 'sv'],
    [['fi'], 'en'],
    [[], 'en'],
  ])('GIVEN the browser languages %j THEN %s', (languages, expected) => {
    expect(preferredLang(languages)).toBe(expected);
  });
});
