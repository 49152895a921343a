/** console/pages/proof.tsx: the audit chain's verdict, and a request's records. */
import { h } from 'preact';
import { ChainStatus, RecordsForm, RecordsTable } from '../../../console/pages/proof';
import { renderIn, textOf } from '../render';

describe('ChainStatus', () => {
  it.each([
    [
      { checkedAt: '2026-12-04T12:00:00Z', intact: true, records: 120, head: { seq: 120 } },
      'en',
      /^Intact: 120 records verified, the chain unbroken\. The end of the chain was checked against the head recorded in the audit-chain table, at record 120\. Checked at 4 Dec 2026/,
      'verdict intact',
    ],
    [
      {
        checkedAt: '2026-12-04T12:00:00Z',
        intact: false,
        records: 120,
        head: null,
        headUnchecked: 'no-chain-table',
        break: { kind: 'hash-mismatch', seq: 42, message: 'record 42 was changed' },
      },
      'en',
      /^Broken at record 42: hash-mismatch\. record 42 was changed The end of the chain was not checked: records removed from its end would not show\. Give --audit-chain-table <name> to lethe console\. Checked at/,
      'verdict broken',
    ],
    [
      {
        checkedAt: '2026-12-04T12:00:00Z',
        intact: false,
        records: 118,
        head: { seq: 120 },
        break: { kind: 'truncated', seq: 120, message: 'the chain ends at record 118, but the head says 120' },
      },
      'en',
      /^Broken at record 120: truncated\. the chain ends at record 118, but the head says 120 The end of the chain was checked against the head recorded in the audit-chain table, at record 120\./,
      'verdict broken',
    ],
    [
      { checkedAt: '2026-12-04T12:00:00Z', intact: true, records: 0, head: null, headUnchecked: 'no-head-recorded' },
      'en',
      /^Intact: 0 records verified, the chain unbroken\. The end of the chain was not checked: the audit-chain table records no head yet \(no record written\)\./,
      'verdict intact',
    ],
    [
      { checkedAt: '2026-12-04T12:00:00Z', intact: true, records: 3, head: { seq: 3 } },
      'sv',
      /^Obruten: 3 poster kontrollerade, kedjan är hel\. Kedjans slut kontrollerades mot huvudet som är registrerat i granskningskedjans tabell, vid post 3\./,
      'verdict intact',
    ],
    [
      { checkedAt: '2026-12-04T12:00:00Z', intact: true, records: 3, head: null, headUnchecked: 'no-chain-table' },
      'sv',
      /^Obruten: 3 poster kontrollerade, kedjan är hel\. Kedjans slut kontrollerades inte: .*--audit-chain-table <namn>/,
      'verdict intact',
    ],
  ] as const)('GIVEN %j in %s THEN %s', (audit, lang, text, cls) => {
    const html = renderIn(lang, h(ChainStatus, { audit }));
    expect(textOf(html)).toMatch(text);
    expect(html).toContain(`<div class="${cls}" role="status">`);
  });
});

describe('RecordsTable', () => {
  it("GIVEN a request's records THEN one row each: seq, time, action, system, outcome, subject HMAC, hash", () => {
    const html = renderIn(
      'en',
      h(RecordsTable, {
        requestId: 'r-1',
        records: [
          { seq: 7, at: '2026-12-01T10:00:00Z', action: 'received', subjectRef: 'hmac-s', hash: 'h7' },
          { seq: 9, at: '2026-12-01T10:00:05Z', action: 'erase', system: 'crm', outcome: 'erased', subjectRef: 'hmac-s', hash: 'h9' },
        ],
      }),
    );
    const rows = [...html.matchAll(/<tr>(.*?)<\/tr>/g)].map((m) => textOf(m[1]));
    expect(rows[0]).toBe('Seq. At Action System Outcome Subject (HMAC) Hash');
    expect(rows[1]).toMatch(/^7 1 Dec 2026, \d\d:00 received hmac-s h7$/);
    expect(rows[2]).toMatch(/^9 1 Dec 2026, \d\d:00 erase crm erased hmac-s h9$/);
    expect(html).toContain('<caption>Audit records of request r-1, oldest first</caption>');
  });

  it('GIVEN no records THEN it says so', () => {
    expect(textOf(renderIn('en', h(RecordsTable, { requestId: 'r-1', records: [] })))).toBe('No audit records for this request.');
  });
});

it('RecordsForm: a labelled request id field and a real submit button', () => {
  const html = renderIn('en', h(RecordsForm, { requestId: 'r-1' }));
  expect(html).toMatch(
    /<label>Request id<input name="requestId" value="r-1" autocomplete="off" spellcheck="false"\/><\/label><button type="submit">Show records<\/button>/,
  );
});
