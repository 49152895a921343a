/** console/pages/request.tsx: a request's view (systems, retained data) and the extend form's states. */
import { h } from 'preact';
import type { RequestDetail } from '../../../console/answers';
import { translator } from '../../../console/i18n';
import { cannotExtend, ExtendForm, RequestSummary, RetainedTable, SystemsTable, untilText } from '../../../console/pages/request';
import { renderIn, textOf } from '../render';

const NOW = new Date('2026-12-04T12:00:00Z');

const open: RequestDetail = {
  requestId: 'r-1',
  subjectId: 'user-1',
  status: 'running',
  receivedAt: '2026-11-20T10:00:00+01:00',
  deadline: '2026-12-20T10:00:00+01:00',
  systems: [
    { system: 'crm', status: 'erased' },
    { system: 'orders', ref: 'O-1', status: 'fields-removed', fields: ['email', 'phone'] },
    { system: 'mail', status: 'failed', error: 'ConnectorPermanentError' },
  ],
  retained: [
    { purpose: 'bookkeeping', reason: 'Bokföringslagen 7 kap. 2 §', until: '2034-01-01T00:00:00+01:00' },
    { purpose: 'warranty', item: 'hmac-1', reason: 'Warranty claims', until: null, waitingFor: ['delivered'] },
    { purpose: 'legal', reason: 'Litigation', until: null, indefinite: true },
  ],
};

describe('untilText', () => {
  const t = translator('en');
  it.each([
    [{ until: '2034-01-01T00:00:00Z' }, '1 Jan 2034'],
    [{ until: null, waitingFor: ['delivered', 'paid'] }, 'waits for: delivered, paid'],
    [{ until: null, indefinite: true as const }, 'indefinitely'],
    [{ until: null }, 'not known yet'],
  ])('GIVEN %j THEN %s', (entry, expected) => {
    expect(untilText(entry, t, 'en')).toContain(expected);
  });
});

describe('SystemsTable and RetainedTable', () => {
  it('GIVEN the per-system outcomes THEN a row each with record, outcome, fields and error', () => {
    const html = renderIn('en', h(SystemsTable, { systems: open.systems }));
    expect(textOf(html)).toBe(
      'What became of the data in each system System Record Outcome Fields Error crm erased orders O-1 fields-removed email, phone mail failed ConnectorPermanentError',
    );
  });

  it('GIVEN retained data THEN its reason and until, what it waits for, or indefinitely', () => {
    const text = textOf(renderIn('sv', h(RetainedTable, { retained: open.retained })));
    expect(text).toContain('bookkeeping Bokföringslagen 7 kap. 2 §');
    expect(text).toContain('warranty hmac-1 Warranty claims väntar på: delivered');
    expect(text).toContain('legal Litigation tills vidare');
  });

  it('GIVEN none THEN each says so', () => {
    expect(textOf(renderIn('en', h(SystemsTable, { systems: [] })))).toBe('No system recorded yet.');
    expect(textOf(renderIn('en', h(RetainedTable, { retained: [] })))).toBe('Nothing retained.');
  });
});

describe('RequestSummary', () => {
  it('GIVEN an open erasure request THEN its status, subject (open requests only), dates, days left and no extension', () => {
    const text = textOf(renderIn('en', h(RequestSummary, { request: open, now: NOW })));
    expect(text).toMatch(/^Status running Subject id user-1 Received .* Deadline .* \( 16 days left \) Extension none$/);
  });

  it('GIVEN a lifted restriction THEN its until, keep and lift', () => {
    const restriction: RequestDetail = {
      ...open,
      status: 'completed',
      subjectId: undefined,
      kind: 'restriction',
      until: null,
      keep: true,
      lifted: { at: '2026-12-01T10:00:00Z', by: 'api', unrestricted: [] },
      extension: { months: 2, reason: 'Many systems' },
    };
    const text = textOf(renderIn('en', h(RequestSummary, { request: restriction, now: NOW })));
    expect(text).toContain('Extension 2 months more: Many systems');
    expect(text).toContain('Restricted until until the controller lifts it');
    expect(text).toContain('Data also kept while restricted yes');
    expect(text).toMatch(/Lifted .*\(api\)$/);
    expect(text).not.toContain('Subject id');
  });
});

describe('ExtendForm', () => {
  const noop = () => undefined;

  it.each([
    [{ ...open, status: 'completed' }, 'A closed request cannot be extended.'],
    [{ ...open, extension: { months: 1, reason: 'x' } }, 'The deadline has been extended already; it can be extended only once.'],
    [open, undefined],
  ] as const)('cannotExtend(%j) is %s', (request, expected) => {
    expect(cannotExtend(request as RequestDetail, translator('en'))).toBe(expected);
  });

  it('GIVEN an open request not extended THEN the form: months, a labelled reason, a submit button', () => {
    const html = renderIn('en', h(ExtendForm, { kind: 'erasure', request: open, onExtended: noop }));
    expect(html).toMatch(/<label>Further months<select name="months"/);
    expect(html).toContain('<option selected value="1">1 month</option><option value="2">2 months</option>');
    expect(html).toMatch(/<label>Reason<textarea name="reason" rows="3" required/);
    expect(html).toContain('<button type="submit">Extend deadline</button>');
    expect(html).not.toContain('role="alert"');
  });

  it('GIVEN the API refused THEN its message is shown as an alert, and the form stays', () => {
    const html = renderIn(
      'en',
      h(ExtendForm, {
        kind: 'erasure',
        request: open,
        onExtended: noop,
        initial: { state: 'failed', message: 'Not extended: extended already' },
      }),
    );
    expect(html).toContain('<p class="message error" role="alert">Not extended: extended already</p>');
    expect(html).toContain('<button type="submit">Extend deadline</button>');
  });

  it('GIVEN it is sending THEN the button says so and is disabled', () => {
    const html = renderIn('sv', h(ExtendForm, { kind: 'access', request: open, onExtended: noop, initial: { state: 'sending' } }));
    expect(html).toContain('<button type="submit" disabled>Förlänger…</button>');
  });

  it('GIVEN it was extended and the request reloaded THEN the new deadline is announced, and no form', () => {
    const extended = { ...open, extension: { months: 1 as const, reason: 'x' }, deadline: '2027-01-20T10:00:00+01:00' };
    const html = renderIn(
      'en',
      h(ExtendForm, { kind: 'erasure', request: extended, onExtended: noop, initial: { state: 'done', deadline: extended.deadline } }),
    );
    expect(html).toMatch(/<p class="message success" role="status">Deadline extended to 20 Jan 2027, \d\d:00\.<\/p>/);
    expect(html).not.toContain('<form');
  });
});
