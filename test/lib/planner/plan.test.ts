import { planToJson } from '../../../lib/cli/main';
import { type Holding, plan, requestDeadline } from '../../../lib/planner/plan';
import type { SubjectEvent } from '../../../lib/retention/expiry';
import { formatInstant } from '../../../lib/retention/time';
import { basePolicyDoc, instant, policyFromDoc } from '../../helpers/policy';
import { shopPolicy } from '../../helpers/shop-policy';

const COLLECTED = '2024-01-10T10:00:00+01:00';
const holding = (purpose: string, system: string): Holding => ({ purpose, system, collectedAt: instant(COLLECTED) });
const event = (type: string, at: string): SubjectEvent => ({ type, at: instant(at) });

const everything = [
  holding('customer', 'crm'),
  holding('customer', 'orders'),
  holding('marketing', 'crm'),
  holding('marketing', 'newsletter'),
  holding('analytics', 'crm'),
  holding('bookkeeping', 'orders'),
];
const invoiced = event('invoiced', COLLECTED);
const keepAll = (system: string) => ({ system, record: 'keep', removeFields: [], anonymiseFields: [] });
const BOOKKEEPING_REASON = 'Accounting records must be kept for seven years under the Swedish Bookkeeping Act.';

interface Row {
  readonly name: string;
  readonly holdings: readonly Holding[];
  readonly events: readonly SubjectEvent[];
  readonly now: string;
  readonly request?: { receivedAt: string; scope?: string[] };
  readonly expected: Record<string, unknown>;
}

/** Expected plans worked out by hand from "Erasure and expiry semantics". */
const rows: Row[] = [
  {
    name: 'erasure request for everything: shared record deleted, bookkeeping retained and its fields protected',
    holdings: everything,
    events: [invoiced],
    now: '2024-06-01T12:00:00+02:00',
    request: { receivedAt: '2024-05-31T09:00:00+02:00' },
    expected: {
      subjectId: 'u1',
      deadline: '2024-06-30T09:00:00+02:00',
      systems: [
        { system: 'crm', record: 'delete', removeFields: [], anonymiseFields: [] },
        { system: 'orders', record: 'keep', removeFields: ['address'], anonymiseFields: [] },
        { system: 'newsletter', record: 'delete', removeFields: [], anonymiseFields: [] },
      ],
      retained: [{ purpose: 'bookkeeping', reason: BOOKKEEPING_REASON, until: '2032-01-01T00:00:00+01:00' }],
    },
  },
  {
    name: 'request scoped to marketing: only marketing data goes; fields other purposes need stay',
    holdings: everything,
    events: [invoiced],
    now: '2024-06-01T12:00:00+02:00',
    request: { receivedAt: '2024-06-01T09:00:00+02:00', scope: ['marketing'] },
    expected: {
      subjectId: 'u1',
      deadline: '2024-07-01T09:00:00+02:00',
      systems: [keepAll('crm'), keepAll('orders'), { system: 'newsletter', record: 'delete', removeFields: [], anonymiseFields: [] }],
      retained: [],
    },
  },
  {
    name: 'request scoped to analytics (anonymise): only the category no one else needs goes, by its strategy',
    holdings: everything,
    events: [invoiced],
    now: '2024-06-01T12:00:00+02:00',
    request: { receivedAt: '2024-06-01T09:00:00+02:00', scope: ['analytics'] },
    expected: {
      subjectId: 'u1',
      deadline: '2024-07-01T09:00:00+02:00',
      systems: [
        { system: 'crm', record: 'keep', removeFields: ['allergies'], anonymiseFields: [] },
        keepAll('orders'),
        keepAll('newsletter'),
      ],
      retained: [],
    },
  },
  {
    name: 'sweep: expired marketing and analytics go; the customer relationship protects contact data',
    holdings: everything,
    events: [invoiced, event('unsubscribed', '2024-12-01T10:00:00+01:00')],
    now: '2025-02-01T00:00:00+01:00',
    expected: {
      subjectId: 'u1',
      deadline: null,
      systems: [
        { system: 'crm', record: 'keep', removeFields: ['allergies'], anonymiseFields: [] },
        keepAll('orders'),
        { system: 'newsletter', record: 'delete', removeFields: [], anonymiseFields: [] },
      ],
      retained: [],
    },
  },
  {
    name: 'sweep: when delete and anonymise meet on a record, erasure wins',
    holdings: everything,
    events: [invoiced, event('unsubscribed', '2024-03-01T10:00:00+01:00'), event('account-closed', '2024-03-01T00:00:00+01:00')],
    now: '2025-02-01T00:00:00+01:00',
    expected: {
      subjectId: 'u1',
      deadline: null,
      systems: [
        { system: 'crm', record: 'delete', removeFields: [], anonymiseFields: [] },
        { system: 'orders', record: 'keep', removeFields: ['address'], anonymiseFields: [] },
        { system: 'newsletter', record: 'delete', removeFields: [], anonymiseFields: [] },
      ],
      retained: [],
    },
  },
  {
    name: 'sweep: the last holding anonymised anonymises the whole record, field by field',
    holdings: [holding('analytics', 'crm')],
    events: [],
    now: '2025-02-01T00:00:00+01:00',
    expected: {
      subjectId: 'u1',
      deadline: null,
      systems: [{ system: 'crm', record: 'anonymise', removeFields: ['phone', 'allergies'], anonymiseFields: ['name', 'email'] }],
      retained: [],
    },
  },
  {
    name: 'sweep: nothing expired leaves everything as it is',
    holdings: everything,
    events: [invoiced],
    now: '2024-06-01T12:00:00+02:00',
    expected: { subjectId: 'u1', deadline: null, systems: [keepAll('crm'), keepAll('orders'), keepAll('newsletter')], retained: [] },
  },
  {
    name: 'sweep: an event stamped after now has not happened yet',
    holdings: [holding('marketing', 'newsletter')],
    events: [event('unsubscribed', '2025-01-01T00:00:00+01:00')],
    now: '2024-06-01T12:00:00+02:00',
    expected: { subjectId: 'u1', deadline: null, systems: [keepAll('newsletter')], retained: [] },
  },
  {
    name: 'request after a retained purpose expired: it is no longer retained and goes',
    holdings: [holding('bookkeeping', 'orders')],
    events: [invoiced],
    now: '2032-02-01T00:00:00+01:00',
    request: { receivedAt: '2032-01-31T10:00:00+01:00' },
    expected: {
      subjectId: 'u1',
      deadline: '2032-02-29T10:00:00+01:00',
      systems: [{ system: 'orders', record: 'delete', removeFields: [], anonymiseFields: [] }],
      retained: [],
    },
  },
  {
    name: 'request while the retained purpose waits for its event: until is null',
    holdings: [holding('bookkeeping', 'orders')],
    events: [],
    now: '2024-06-01T12:00:00+02:00',
    request: { receivedAt: '2024-06-01T09:00:00+02:00' },
    expected: {
      subjectId: 'u1',
      deadline: '2024-07-01T09:00:00+02:00',
      systems: [keepAll('orders')],
      retained: [{ purpose: 'bookkeeping', reason: BOOKKEEPING_REASON, until: null }],
    },
  },
];

describe('plan', () => {
  it.each(rows)('$name', (row) => {
    // GIVEN the shop's policy and a subject's holdings and events
    const subject = { subjectId: 'u1', holdings: row.holdings, events: row.events };
    const request = row.request ? { receivedAt: instant(row.request.receivedAt), scope: row.request.scope } : undefined;

    // WHEN the planner runs at `now`
    const result = plan(shopPolicy, subject, instant(row.now), request);

    // THEN each system gets exactly the action the spec prescribes
    expect(planToJson(shopPolicy, result)).toEqual(row.expected);
  });

  it('erasure wins at field level: a field one purpose removes and another anonymises is removed', () => {
    // GIVEN two purposes that share `contact` in crm, one erasing and one anonymising, and a third that stays
    const policy = policyFromDoc(
      basePolicyDoc({
        purposes: {
          a: { legalBasis: 'consent', categories: ['contact'], systems: ['crm'], retention: { keep: 'P1M' } },
          b: { legalBasis: 'consent', categories: ['contact'], systems: ['crm'], retention: { keep: 'P1M' }, onExpiry: 'anonymise' },
          r: { legalBasis: 'contract', categories: ['identity'], systems: ['crm'], retention: { keep: 'P10Y' } },
        },
      }),
    );
    const holdings = ['a', 'b', 'r'].map((p) => holding(p, 'crm'));

    // WHEN a and b expire
    const result = plan(policy, { subjectId: 'u1', holdings, events: [] }, instant('2024-06-01T00:00:00+02:00'));

    // THEN email (hmac) and phone are removed, not anonymised, and the record stays for r
    expect(result.systems).toEqual([{ system: 'crm', record: 'keep', removeFields: ['email', 'phone'], anonymiseFields: [] }]);
    expect(result.holdings.map((h) => h.outcome)).toEqual(['erase', 'anonymise', 'keep']);
  });

  it.each([
    ['2024-01-31T10:00:00+01:00', '2024-02-29T10:00:00+01:00'],
    ['2023-01-31T23:30:00+01:00', '2023-02-28T23:30:00+01:00'],
    ['2024-03-15T12:00:00+01:00', '2024-04-15T12:00:00+02:00'],
    ['2024-10-31T22:30:00Z', '2024-11-30T23:30:00+01:00'],
    ['2024-11-30T23:30:00Z', '2025-01-01T00:30:00+01:00'],
  ])('the deadline for a request received at %s is %s (one month, clamped, in the policy zone)', (received, deadline) => {
    expect(formatInstant(requestDeadline(shopPolicy, instant(received)), shopPolicy.timezone)).toBe(deadline);
  });

  it.each([
    [{ holdings: [holding('nope', 'crm')] }, /holdings\[0\]\.purpose: unknown purpose "nope"/],
    [{ holdings: [holding('customer', 'nope')] }, /holdings\[0\]\.system: unknown system "nope"/],
    [{ holdings: [holding('bookkeeping', 'crm')] }, /purpose "bookkeeping" does not hold data in system "crm"/],
    [{ events: [{ type: 'invoiced', at: instant(COLLECTED), purpose: 'nope' }] }, /events\[0\]\.purpose: unknown purpose "nope"/],
    [{ scope: ['nope'] }, /request\.scope\[0\]: unknown purpose "nope"/],
  ])('rejects bad facts before planning anything: %#', (bad, message) => {
    const b = bad as { holdings?: Holding[]; events?: SubjectEvent[]; scope?: string[] };
    const subject = { subjectId: 'u1', holdings: b.holdings ?? everything, events: b.events ?? [] };
    const request = b.scope ? { receivedAt: instant(COLLECTED), scope: b.scope } : undefined;
    expect(() => plan(shopPolicy, subject, instant(COLLECTED), request)).toThrow(message);
  });
});
