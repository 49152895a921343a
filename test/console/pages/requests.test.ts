/** console/pages/requests.tsx: the list's query, its table and paging. */
import { h } from 'preact';
import type { RequestList } from '../../../lib/console/contract';
import { FilterForm, listPath, NO_FILTERS, Pager, RequestTable } from '../../../console/pages/requests';
import { renderIn, textOf } from '../render';

const NOW = new Date('2026-12-04T12:00:00Z');

describe('listPath', () => {
  it.each([
    [NO_FILTERS, undefined, '/api/requests?limit=25'],
    [{ kind: 'erasure', status: 'failed', dueThisWeek: false }, 'c1', '/api/requests?kind=erasure&status=failed&limit=25&cursor=c1'],
    [
      { kind: '', status: 'completed', dueThisWeek: true },
      undefined,
      '/api/requests?status=open&dueBefore=2026-12-11T12%3A00%3A00.000Z&limit=25',
    ],
    [
      { kind: 'access', status: '', dueThisWeek: true },
      'c2',
      '/api/requests?kind=access&status=open&dueBefore=2026-12-11T12%3A00%3A00.000Z&limit=25&cursor=c2',
    ],
  ] as const)('GIVEN the filters %j and cursor %s THEN %s', (filters, cursor, expected) => {
    expect(listPath(filters, cursor, NOW)).toBe(expected);
  });
});

const list: RequestList = {
  requests: [
    {
      requestId: 'r-overdue',
      kind: 'erasure',
      status: 'running',
      receivedAt: '2026-11-01T10:00:00Z',
      deadline: '2026-12-01T10:00:00Z',
      systems: { erased: 3, failed: 1 },
    },
    {
      requestId: 'r-soon',
      kind: 'restriction',
      status: 'received',
      receivedAt: '2026-11-05T10:00:00Z',
      deadline: '2026-12-07T10:00:00Z',
      extension: { reason: 'Complex request', extendedAt: '2026-11-20T10:00:00Z' },
      systems: {},
    },
    {
      requestId: 'r-done',
      kind: 'access',
      status: 'completed',
      receivedAt: '2026-11-10T10:00:00Z',
      deadline: '2026-12-10T10:00:00Z',
      systems: { exported: 2 },
    },
  ],
  cursor: 'next-1',
};

/** The text of each body row. */
const rows = (html: string): string[] => [...html.matchAll(/<tr>(.*?)<\/tr>/g)].slice(1).map((m) => textOf(m[1]));

describe('RequestTable', () => {
  it('GIVEN requests THEN one row each: link, kind, status, days left in words (3 days 2 hours late: 4 days), extension reason, systems', () => {
    const html = renderIn('en', h(RequestTable, { list, now: NOW }));
    const text = rows(html);
    expect(text).toHaveLength(3);
    expect(text[0]).toMatch(/^r-overdue Erasure running .* Overdue by 4 days erased 3, failed 1$/);
    expect(text[1]).toMatch(/^r-soon Restriction received .* Due within 7 days: 3 days left Extended: Complex request$/);
    expect(text[2]).toMatch(/^r-done Access completed .* Closed exported 2$/);
    expect(html).toContain('href="#/requests/erasure/r-overdue"');
    expect(html).toContain('<caption>Requests, newest received first</caption>');
    expect(html.match(/<th scope="col">/g)).toHaveLength(8);
  });

  it('GIVEN Swedish THEN the headers and words are Swedish', () => {
    const text = textOf(renderIn('sv', h(RequestTable, { list, now: NOW })));
    expect(text).toContain('Dagar kvar');
    expect(text).toContain('Försenad med 4 dagar');
    expect(text).toContain('Förlängd: Complex request');
  });

  it('GIVEN no requests THEN it says so, without a table', () => {
    expect(renderIn('en', h(RequestTable, { list: { requests: [] }, now: NOW }))).toBe(
      '<p class="message">No requests match these filters.</p>',
    );
  });
});

describe('Pager', () => {
  const noop = () => undefined;
  it.each([
    [1, undefined, true, true],
    [1, 'c', true, false],
    [2, undefined, false, true],
    [3, 'c', false, false],
  ])('GIVEN page %i and next cursor %s THEN previous disabled %s, next disabled %s', (page, next, prevOff, nextOff) => {
    const html = renderIn('en', h(Pager, { page, next, onPrevious: noop, onNext: noop }));
    const buttons = [...html.matchAll(/<button([^>]*)>([^<]*)<\/button>/g)].map((m) => [m[2], m[1].includes('disabled')]);
    expect(buttons).toEqual([
      ['Previous page', prevOff],
      ['Next page', nextOff],
    ]);
    expect(textOf(html)).toContain(`Page ${page}`);
  });
});

describe('FilterForm', () => {
  it('GIVEN the form THEN every control has a label and the submit is a real button', () => {
    const html = renderIn('en', h(FilterForm, { filters: NO_FILTERS, onApply: () => undefined }));
    expect(html).toMatch(/<label>Kind<select name="kind"/);
    expect(html).toMatch(/<label>Status<select name="status"/);
    expect(html).toMatch(
      /<label class="check"><input type="checkbox" name="dueThisWeek"[^>]*\/>Only open requests due within 7 days<\/label>/,
    );
    expect(html).toContain('<button type="submit">Show</button>');
    // The statuses GET /requests lists (no "partial": Lethe stores no such status).
    expect([...html.matchAll(/<option[^>]*>([^<]*)<\/option>/g)].map((m) => m[1])).toEqual([
      'Any',
      'Erasure',
      'Restriction',
      'Access',
      'Any',
      'Open',
      'Completed',
      'Failed',
    ]);
  });

  it('GIVEN "due within 7 days" on THEN the status select is disabled (it is open)', () => {
    const html = renderIn('en', h(FilterForm, { filters: { ...NO_FILTERS, dueThisWeek: true }, onApply: () => undefined }));
    expect(html).toMatch(/<select name="status"[^>]* disabled/);
  });
});
