/** console/components.tsx: loading and error states, and days left in words (never colour alone). */
import { h } from 'preact';
import { ApiError } from '../../console/api';
import { DaysLeft, errorText, kindText, Load } from '../../console/components';
import { translator } from '../../console/i18n';
import { renderIn, textOf } from './render';

const NOW = new Date('2026-12-04T12:00:00Z');

describe('DaysLeft', () => {
  it.each([
    ['en', '2026-12-01T12:00:00Z', 'running', 'Overdue by 3 days', 'urgency overdue'],
    ['sv', '2026-12-01T12:00:00Z', 'running', 'Försenad med 3 dagar', 'urgency overdue'],
    ['en', '2026-12-06T12:00:00Z', 'received', 'Due within 7 days: 2 days left', 'urgency due-soon'],
    ['sv', '2026-12-06T12:00:00Z', 'received', 'Tidsfrist inom 7 dagar: 2 dagar kvar', 'urgency due-soon'],
    ['en', '2026-12-24T12:00:00Z', 'received', '20 days left', undefined],
    ['en', '2026-12-01T12:00:00Z', 'completed', 'Closed', 'muted'],
  ] as const)('GIVEN %s, deadline %s, %s THEN the text %j (class %s)', (lang, deadline, status, text, cls) => {
    const html = renderIn(lang, h(DaysLeft, { deadline, status, now: NOW }));
    expect(textOf(html)).toBe(text);
    if (cls) expect(html).toContain(`class="${cls}"`);
  });

  it('GIVEN an overdue request THEN the text is in strong emphasis, not only a colour', () => {
    expect(renderIn('en', h(DaysLeft, { deadline: '2026-12-01T12:00:00Z', status: 'received', now: NOW }))).toMatch(/^<strong/);
  });
});

describe('errorText', () => {
  const t = translator('en');
  it.each([
    [new ApiError(409, 'conflict', 'extended already'), 'extended already'],
    [new ApiError(0, 'network', 'Failed to fetch'), 'the console server did not answer (Failed to fetch)'],
    [new ApiError(502, 'http', 'HTTP 502'), 'the server answered HTTP 502'],
  ])('GIVEN %s THEN %j', (error, expected) => {
    expect(errorText(error, t)).toBe(expected);
  });
});

describe('Load', () => {
  const child = (data: string) => h('p', null, `got ${data}`);
  it.each([
    [{ state: 'loading' } as const, '<p class="message" role="status">Loading…</p>'],
    [
      { state: 'failed', error: new ApiError(404, 'not-found', 'no such request') } as const,
      '<p class="message error" role="alert">Could not load: no such request</p>',
    ],
    [{ state: 'done', data: 'x' } as const, '<p>got x</p>'],
  ])('GIVEN %j THEN %s', (loaded, expected) => {
    expect(renderIn('en', h(Load<string>, { loaded, children: child }))).toBe(expected);
  });
});

it('kindText: known kinds in words, another as it is', () => {
  expect([kindText('erasure', translator('sv')), kindText('access', translator('en')), kindText('other', translator('en'))]).toEqual([
    'Radering',
    'Access',
    'other',
  ]);
});
