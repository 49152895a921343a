/**
 * console/pages/subject.tsx: a subject's holdings and requests, and that the subject id is kept nowhere: not in the
 * address, the history or storage (the whole console source is checked for those APIs).
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { h } from 'preact';
import type { SubjectView } from '../../../console/answers';
import { translator } from '../../../console/i18n';
import { expiryText, HoldingsTable, SubjectPage, SubjectRequestsTable } from '../../../console/pages/subject';
import { renderIn, textOf } from '../render';

type Holding = SubjectView['holdings'][number];

const base: Holding = {
  purpose: 'orders',
  system: 'shop',
  collectedAt: '2026-01-01T10:00:00+01:00',
  status: 'active',
  expiresAt: null,
  holds: [],
  restrictions: [],
};

describe('expiryText', () => {
  const t = translator('en');
  it.each<[Partial<Holding>, RegExp]>([
    [{ expiresAt: '2033-12-31T23:59:59+01:00' }, /^31 Dec 2033|^1 Jan 2034/],
    [{ waitingFor: ['order-completed'] }, /^waits for: order-completed$/],
    [{ indefinite: true }, /^indefinitely$/],
    [{}, /^not known yet$/],
    [{ status: 'done', outcome: 'erased' }, /^done: erased$/],
  ])('GIVEN %j THEN %s', (change, expected) => {
    expect(expiryText({ ...base, ...change }, t, 'en')).toMatch(expected);
  });
});

describe('HoldingsTable', () => {
  it('GIVEN holdings THEN purpose, system, record, expiry, holds and restrictions (linked to the request)', () => {
    const html = renderIn(
      'en',
      h(HoldingsTable, {
        holdings: [
          { ...base, ref: 'O-1', waitingFor: ['order-completed'], holds: ['hold-1'] },
          { ...base, purpose: 'support', system: 'crm', restrictions: [{ requestId: 'r-2', kind: 'restriction', by: 'restriction' }] },
        ],
      }),
    );
    const rows = [...html.matchAll(/<tr>(.*?)<\/tr>/g)].map((m) => textOf(m[1]));
    expect(rows).toEqual([
      'Purpose System Record Expiry Legal holds Restrictions',
      'orders shop O-1 waits for: order-completed hold-1 none',
      'support crm not known yet none r-2 (Restriction)',
    ]);
    expect(html).toContain('href="#/requests/restriction/r-2"');
  });
});

it('SubjectRequestsTable: each request linked to its page, with kind, status and dates', () => {
  const html = renderIn(
    'sv',
    h(SubjectRequestsTable, {
      requests: [
        { requestId: 'r-1', kind: 'erasure', status: 'completed', receivedAt: '2026-11-01T10:00:00Z', deadline: '2026-12-01T10:00:00Z' },
      ],
    }),
  );
  expect(html).toContain('<a href="#/requests/erasure/r-1"><code>r-1</code></a>');
  expect(textOf(html)).toMatch(/^Begäranden Begäran Typ Status Mottagen Tidsfrist r-1 Radering completed 1 nov\. 2026/);
});

describe('SubjectPage', () => {
  it('GIVEN the page THEN an empty, labelled field the browser is asked not to remember, and real buttons', () => {
    const html = renderIn('en', h(SubjectPage, null));
    expect(html).toContain('<form class="inline" autocomplete="off" novalidate>');
    expect(html).toMatch(/<label>Subject id<input name="subject" value autocomplete="off" spellcheck="false"\/><\/label>/);
    expect(html).toContain('<button type="submit">Look up</button><button type="button">Clear</button>');
  });

  it('GIVEN the whole console source THEN nothing uses storage, the history or cookies, and no subject id goes into a hash', () => {
    const dir = path.join(__dirname, '../../../console');
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => /\.tsx?$/.test(f));
    expect(files).toContain('pages/subject.tsx');
    const found = files.flatMap((file) => {
      const text = readFileSync(path.join(dir, file), 'utf8');
      return [
        /localStorage/,
        /sessionStorage/,
        /indexedDB/,
        /document\.cookie/,
        /history\.(push|replace)State/,
        /location\.(search|href)\s*=/,
      ]
        .filter((pattern) => pattern.test(text))
        .map((pattern) => `${file}: ${pattern.source}`);
    });
    expect(found).toEqual([]);
    // The one place that writes the hash is the proof page's request id.
    const hashWriters = files.filter((file) => /location\.hash\s*=/.test(readFileSync(path.join(dir, file), 'utf8')));
    expect(hashWriters).toEqual(['pages/proof.tsx']);
  });
});
