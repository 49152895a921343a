/** console/pages/retention.tsx: purposes with their counts, and the 90-day calendar as a grid and as a list. */
import { h } from 'preact';
import type { ConsolePolicy, DueCalendar, HoldingStates } from '../../../lib/console/contract';
import { CalendarGrid, CalendarList, ClockPicture, dueByDay, durationWords, PurposesTable, weeks } from '../../../console/pages/retention';
import { renderIn, textOf } from '../render';

const policy: ConsolePolicy = {
  controller: 'Acme AB',
  policyHash: 'abc',
  timeZone: 'Europe/Stockholm',
  purposes: [
    {
      id: 'bookkeeping',
      name: 'Bookkeeping',
      legalBasis: 'legal obligation',
      law: 'Bokföringslagen 7 kap. 2 §',
      per: 'subject',
      clock: '7 years after the end of the fiscal year of the last order',
      waitsFor: ['order-completed'],
      duration: 'P7Y',
      keep: { years: 7 },
      indefinite: false,
      onExpiry: 'erase',
      systems: ['orders', 'invoices'],
    },
    {
      id: 'marketing',
      name: 'Marketing',
      legalBasis: 'consent',
      clock: '2 years from collection',
      waitsFor: [],
      duration: 'P2Y',
      keep: { years: 2 },
      indefinite: false,
      onExpiry: 'anonymise',
      systems: ['crm'],
    },
  ],
};

const holdings: HoldingStates = {
  asOf: '2026-12-04T12:00:00Z',
  purposes: { bookkeeping: { waiting: 4, counting: 10, due: 1, held: 2, indefinite: 0, quarantined: 1, nothingFound: 2 } },
};

describe('PurposesTable', () => {
  it('GIVEN the policy and the counts THEN a row per purpose: clock, basis, law, waits-for, systems, counts by state', () => {
    const html = renderIn('en', h(PurposesTable, { policy, holdings }));
    const rows = [...html.matchAll(/<tr>(.*?)<\/tr>/g)].map((m) => textOf(m[1]));
    // THEN quarantined and nothing-found add up under "Needs attention" (1 + 2); a purpose without counts shows dashes
    expect(rows).toEqual([
      'Purpose Clock Legal basis and law Systems Waiting Counting Due Held Indefinite Needs attention',
      'Bookkeeping bookkeeping 7 years after the end of the fiscal year of the last order collected waits for order-completed 7 years erased legal obligation Bokföringslagen 7 kap. 2 § orders, invoices 4 10 1 2 0 3',
      'Marketing marketing 2 years from collection collected 2 years anonymised consent crm – – – – – –',
    ]);
  });

  it('GIVEN Swedish THEN the count headings are Swedish', () => {
    const html = renderIn('sv', h(PurposesTable, { policy, holdings }));
    const header = textOf([...html.matchAll(/<tr>(.*?)<\/tr>/g)][0][1]);
    expect(header).toMatch(/Väntar Räknar Förfallna Spärrade Tills vidare Kräver åtgärd$/);
  });
});

describe('ClockPicture', () => {
  const base = policy.purposes[0];
  it.each<{ name: string; purpose: Partial<ConsolePolicy['purposes'][number]>; lang: 'en' | 'sv'; text: string }>([
    { name: 'waits, then counts, then erases', purpose: {}, lang: 'en', text: 'collected waits for order-completed 7 years erased' },
    {
      name: 'starts at collection, two parts, anonymises (sv)',
      purpose: { waitsFor: [], keep: { years: 1, months: 6 }, onExpiry: 'anonymise' },
      lang: 'sv',
      text: 'insamlad 1 år och 6 månader anonymiseras',
    },
    {
      name: 'until an event only',
      purpose: { waitsFor: ['unsubscribed'], duration: null, keep: undefined },
      lang: 'en',
      text: 'collected waits for unsubscribed erased',
    },
    {
      name: 'indefinite',
      purpose: { waitsFor: [], duration: null, keep: undefined, indefinite: true },
      lang: 'en',
      text: 'collected kept indefinitely',
    },
  ])('GIVEN a clock that $name THEN the picture reads "$text", hidden from screen readers', ({ purpose, lang, text }) => {
    const html = renderIn(lang, h(ClockPicture, { purpose: { ...base, ...purpose } }));
    expect(textOf(html)).toBe(text);
    expect(html).toMatch(/^<div class="clock-picture" aria-hidden="true">/);
  });
});

describe('durationWords', () => {
  it.each([
    { parts: { years: 7 }, lang: 'en', words: '7 years' },
    { parts: { months: 6 }, lang: 'sv', words: '6 månader' },
    { parts: { years: 1, months: 6, days: 3 }, lang: 'en', words: '1 year, 6 months, and 3 days' },
    { parts: { days: 90 }, lang: 'sv', words: '90 dygn' },
  ] as const)('$parts in $lang is "$words"', ({ parts, lang, words }) => {
    expect(durationWords(parts, lang)).toBe(words);
  });
});

describe('weeks', () => {
  it('GIVEN Friday 2026-12-04 and 10 days THEN two weeks from Monday, days outside left empty', () => {
    expect(weeks('2026-12-04', 10)).toEqual([
      [null, null, null, null, '2026-12-04', '2026-12-05', '2026-12-06'],
      ['2026-12-07', '2026-12-08', '2026-12-09', '2026-12-10', '2026-12-11', '2026-12-12', '2026-12-13'],
    ]);
  });

  it.each([
    ['2026-12-07', 90, 13],
    ['2026-12-04', 90, 14],
    ['2026-12-06', 1, 1],
  ])('GIVEN %s and %i days THEN %i weeks holding every day once', (from, days, count) => {
    const grid = weeks(from, days);
    expect(grid).toHaveLength(count);
    expect(grid.flat().filter((d) => d !== null)).toHaveLength(days);
    expect(grid.every((week) => week.length === 7)).toBe(true);
  });
});

const calendar: DueCalendar = {
  from: '2026-12-04',
  days: 90,
  timeZone: 'Europe/Stockholm',
  purposes: {
    bookkeeping: [
      { date: '2026-12-10', count: 2 },
      { date: '2027-01-02', count: 1 },
    ],
    marketing: [{ date: '2026-12-10', count: 5 }],
  },
};

describe('the calendar', () => {
  it('dueByDay sums per day by purpose', () => {
    expect(Object.fromEntries(dueByDay(calendar))).toEqual({
      '2026-12-10': [
        { purpose: 'bookkeeping', count: 2 },
        { purpose: 'marketing', count: 5 },
      ],
      '2027-01-02': [{ purpose: 'bookkeeping', count: 1 }],
    });
  });

  it('GIVEN the calendar THEN the grid is a table with weekday headers and the total due on a day, in words', () => {
    const html = renderIn('en', h(CalendarGrid, { calendar }));
    expect(html).toContain('<caption>Calendar: holdings due per day</caption>');
    expect(textOf(/<thead>.*<\/thead>/.exec(html)![0])).toBe('Mon Tue Wed Thu Fri Sat Sun');
    expect(html).toMatch(
      /<td class="due"><time class="day" datetime="2026-12-10">10 Dec<\/time><strong class="count">7 due<\/strong><\/td>/,
    );
    expect(html.match(/<td class="due">/g)).toHaveLength(2);
    expect(html.match(/<time /g)).toHaveLength(90);
  });

  it('GIVEN the calendar THEN the list has a row per day and purpose, with the purposes named', () => {
    const html = renderIn('sv', h(CalendarList, { calendar, names: { bookkeeping: 'Bokföring' } }));
    const rows = [...html.matchAll(/<tr>(.*?)<\/tr>/g)].map((m) => textOf(m[1]));
    expect(rows).toEqual([
      'Datum Ändamål Förfaller',
      'tors 10 dec. 2026 Bokföring 2',
      'tors 10 dec. 2026 marketing 5',
      'lör 2 jan. 2027 Bokföring 1',
    ]);
  });

  it('GIVEN nothing due THEN the list says so', () => {
    expect(textOf(renderIn('en', h(CalendarList, { calendar: { ...calendar, purposes: {} }, names: {} })))).toBe(
      'Nothing is due in this period.',
    );
  });
});
