import { planToJson } from '../../../lib/cli/main';
import type { InputError } from '../../../lib/core/errors';
import { type Hold, type Holding, plan, requestDeadline, type SubjectRequest } from '../../../lib/planner/plan';
import type { SubjectEvent } from '../../../lib/retention/expiry';
import { formatInstant } from '../../../lib/retention/time';
import { basePolicyDoc, instant, policyFromDoc } from '../../helpers/policy';
import { shopPolicy } from '../../helpers/shop-policy';
import { shopPolicyV2 } from '../../helpers/shop-policy-v2';

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
const keepAll = (system: string, restrict = false) => ({ system, record: 'keep', removeFields: [], anonymiseFields: [], restrict });
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
        { system: 'crm', record: 'delete', removeFields: [], anonymiseFields: [], restrict: false },
        { system: 'orders', record: 'keep', removeFields: ['address'], anonymiseFields: [], restrict: true },
        { system: 'newsletter', record: 'delete', removeFields: [], anonymiseFields: [], restrict: false },
      ],
      retained: [{ purpose: 'bookkeeping', reason: BOOKKEEPING_REASON, until: '2032-01-01T00:00:00+01:00' }],
      warnings: [],
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
      systems: [
        keepAll('crm'),
        keepAll('orders'),
        { system: 'newsletter', record: 'delete', removeFields: [], anonymiseFields: [], restrict: false },
      ],
      retained: [],
      warnings: [],
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
        { system: 'crm', record: 'keep', removeFields: ['allergies'], anonymiseFields: [], restrict: false },
        keepAll('orders'),
        keepAll('newsletter'),
      ],
      retained: [],
      warnings: [],
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
        { system: 'crm', record: 'keep', removeFields: ['allergies'], anonymiseFields: [], restrict: false },
        keepAll('orders'),
        { system: 'newsletter', record: 'delete', removeFields: [], anonymiseFields: [], restrict: false },
      ],
      retained: [],
      warnings: [],
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
        { system: 'crm', record: 'delete', removeFields: [], anonymiseFields: [], restrict: false },
        { system: 'orders', record: 'keep', removeFields: ['address'], anonymiseFields: [], restrict: false },
        { system: 'newsletter', record: 'delete', removeFields: [], anonymiseFields: [], restrict: false },
      ],
      retained: [],
      warnings: [],
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
      systems: [
        { system: 'crm', record: 'anonymise', removeFields: ['phone', 'allergies'], anonymiseFields: ['name', 'email'], restrict: false },
      ],
      retained: [],
      warnings: [],
    },
  },
  {
    name: 'sweep: nothing expired leaves everything as it is',
    holdings: everything,
    events: [invoiced],
    now: '2024-06-01T12:00:00+02:00',
    expected: {
      subjectId: 'u1',
      deadline: null,
      systems: [keepAll('crm'), keepAll('orders'), keepAll('newsletter')],
      retained: [],
      warnings: [],
    },
  },
  {
    name: 'sweep: an event stamped after now has not happened yet',
    holdings: [holding('marketing', 'newsletter')],
    events: [event('unsubscribed', '2025-01-01T00:00:00+01:00')],
    now: '2024-06-01T12:00:00+02:00',
    expected: { subjectId: 'u1', deadline: null, systems: [keepAll('newsletter')], retained: [], warnings: [] },
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
      systems: [{ system: 'orders', record: 'delete', removeFields: [], anonymiseFields: [], restrict: false }],
      retained: [],
      warnings: [],
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
      systems: [keepAll('orders', true)],
      retained: [{ purpose: 'bookkeeping', reason: BOOKKEEPING_REASON, until: null, waitingFor: ['invoiced'] }],
      warnings: [],
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
    expect(result.systems).toEqual([
      { system: 'crm', record: 'keep', removeFields: ['email', 'phone'], anonymiseFields: [], restrict: false },
    ]);
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

describe('plan, version 2', () => {
  const at = (iso: string) => instant(iso);
  const h = (purpose: string, system: string, collectedAt: string, ref?: string): Holding => ({
    purpose,
    system,
    collectedAt: at(collectedAt),
    ...(ref ? { ref } : {}),
  });
  const e = (type: string, when: string, ref?: string): SubjectEvent => ({ type, at: at(when), ...(ref ? { ref } : {}) });
  const rec = (system: string, record: string, extra: Record<string, unknown> = {}) => ({
    system,
    record,
    removeFields: [],
    anonymiseFields: [],
    restrict: false,
    ...extra,
  });
  const COURT = 'Dispute before the Stockholm District Court, case T 1234-21';
  const INVOICES = 'Invoices are kept for seven years under the Bookkeeping Act.';

  interface V2Row {
    readonly name: string;
    readonly holdings: readonly Holding[];
    readonly events?: readonly SubjectEvent[];
    readonly holds?: readonly Hold[];
    readonly now: string;
    readonly request?: SubjectRequest;
    readonly expected: Record<string, unknown>;
  }

  /** Expected plans worked out by hand from spec 2.1 to 2.4; dates in Europe/Stockholm. */
  const v2rows: V2Row[] = [
    {
      name: '2.1: a returning customer keeps her current record; the old account-closed does not count',
      holdings: [h('customer', 'crm', '2024-05-01T10:00:00+02:00'), h('identity-number', 'crm', '2024-05-01T10:00:00+02:00')],
      events: [e('account-closed', '2021-06-30T12:00:00+02:00')],
      now: '2025-01-01T12:00:00+01:00',
      expected: { subjectId: 'u1', deadline: null, systems: [rec('crm', 'keep')], retained: [], warnings: [] },
    },
    {
      name: 'two purposes over one record: the identity number goes when the relationship ends, the rest stays a year',
      holdings: [h('customer', 'crm', '2024-05-01T10:00:00+02:00'), h('identity-number', 'crm', '2024-05-01T10:00:00+02:00')],
      events: [e('account-closed', '2024-12-01T10:00:00+01:00')],
      now: '2024-12-02T00:00:00+01:00',
      // identity-number expires at account-closed (P0D) → its field pnr is removed; customer runs to 2025-12-01
      expected: { subjectId: 'u1', deadline: null, systems: [rec('crm', 'keep', { removeFields: ['pnr'] })], retained: [], warnings: [] },
    },
    {
      name: '2.2: a clock per order: the old order goes, the new one and the customer record stay',
      holdings: [h('order', 'orders', '2024-01-10T10:00:00+01:00', 'O-1'), h('order', 'orders', '2026-02-01T10:00:00+01:00', 'O-10')],
      events: [e('order-completed', '2024-01-12T10:00:00+01:00', 'O-1'), e('order-completed', '2026-02-03T10:00:00+01:00', 'O-10')],
      now: '2027-02-01T00:00:00+01:00',
      // O-1: 2024-01-12 + 3 years = 2027-01-12 ≤ now; O-10: 2029-02-03
      expected: {
        subjectId: 'u1',
        deadline: null,
        systems: [rec('orders', 'delete', { ref: 'O-1' }), rec('orders', 'keep', { ref: 'O-10' })],
        retained: [],
        warnings: [],
      },
    },
    {
      name: '2.2: erasing one order (scope refs) touches neither the other order nor the main record; its invoice is retained',
      holdings: [
        h('customer', 'crm', '2024-01-10T10:00:00+01:00'),
        h('order', 'orders', '2024-01-10T10:00:00+01:00', 'O-1'),
        h('bookkeeping', 'orders', '2024-01-10T10:00:00+01:00', 'O-1'),
        h('order', 'orders', '2024-01-10T10:00:00+01:00', 'O-10'),
      ],
      events: [e('order-completed', '2024-01-12T10:00:00+01:00', 'O-1'), e('invoiced', '2024-01-12T10:00:00+01:00', 'O-1')],
      now: '2024-06-01T12:00:00+02:00',
      request: { type: 'erasure', receivedAt: at('2024-06-01T09:00:00+02:00'), scope: { refs: ['O-1'] } },
      // bookkeeping protects identity and order in O-1's record, which is restricted; invoiced 2024 → 2025-01-01 + 7 years
      expected: {
        subjectId: 'u1',
        deadline: '2024-07-01T09:00:00+02:00',
        systems: [rec('crm', 'keep'), rec('orders', 'keep', { ref: 'O-1', restrict: true }), rec('orders', 'keep', { ref: 'O-10' })],
        retained: [{ purpose: 'bookkeeping', ref: 'O-1', reason: INVOICES, until: '2032-01-01T00:00:00+01:00' }],
        warnings: [],
      },
    },
    {
      name: '2.3: a hold keeps expired data through the sweep, restricted, with the hold as the reason',
      holdings: [h('customer', 'crm', '2020-01-01T10:00:00+01:00')],
      events: [e('account-closed', '2021-01-01T10:00:00+01:00')],
      holds: [{ holdId: 'h1', reason: COURT, placedAt: at('2021-06-01T00:00:00+02:00') }],
      now: '2023-01-01T12:00:00+01:00',
      expected: {
        subjectId: 'u1',
        deadline: null,
        systems: [rec('crm', 'keep', { restrict: true })],
        retained: [{ purpose: 'customer', reason: COURT, until: null, hold: 'h1', expiresAt: '2022-01-01T10:00:00+01:00' }],
        warnings: [],
      },
    },
    {
      name: '2.3: once released, the data expires at the later of its expiry and the release',
      holdings: [h('customer', 'crm', '2020-01-01T10:00:00+01:00')],
      events: [e('account-closed', '2021-01-01T10:00:00+01:00')],
      holds: [{ holdId: 'h1', reason: COURT, placedAt: at('2021-06-01T00:00:00+02:00'), releasedAt: at('2023-03-01T00:00:00+01:00') }],
      now: '2023-03-01T00:00:00+01:00',
      expected: { subjectId: 'u1', deadline: null, systems: [rec('crm', 'delete')], retained: [], warnings: [] },
    },
    {
      name: '2.3: a hold not yet placed at now does not cover',
      holdings: [h('customer', 'crm', '2020-01-01T10:00:00+01:00')],
      events: [e('account-closed', '2021-01-01T10:00:00+01:00')],
      holds: [{ holdId: 'h1', reason: COURT, placedAt: at('2023-06-01T00:00:00+02:00') }],
      now: '2023-01-01T12:00:00+01:00',
      expected: { subjectId: 'u1', deadline: null, systems: [rec('crm', 'delete')], retained: [], warnings: [] },
    },
    {
      name: '2.3: a scoped hold (system AND ref) retains one order through an erasure, before the purpose reason',
      holdings: [
        h('customer', 'crm', '2024-01-10T10:00:00+01:00'),
        h('order', 'orders', '2024-01-10T10:00:00+01:00', 'O-1'),
        h('bookkeeping', 'orders', '2024-01-10T10:00:00+01:00', 'O-1'),
        h('order', 'orders', '2024-01-10T10:00:00+01:00', 'O-10'),
      ],
      events: [
        e('order-completed', '2024-01-12T10:00:00+01:00', 'O-1'),
        e('invoiced', '2024-01-12T10:00:00+01:00', 'O-1'),
        e('order-completed', '2024-01-12T10:00:00+01:00', 'O-10'),
      ],
      holds: [{ holdId: 'h2', reason: COURT, placedAt: at('2024-05-01T00:00:00+02:00'), scope: { systems: ['orders'], refs: ['O-1'] } }],
      now: '2024-06-01T12:00:00+02:00',
      request: { type: 'erasure', receivedAt: at('2024-06-01T09:00:00+02:00') },
      expected: {
        subjectId: 'u1',
        deadline: '2024-07-01T09:00:00+02:00',
        systems: [rec('crm', 'delete'), rec('orders', 'keep', { ref: 'O-1', restrict: true }), rec('orders', 'delete', { ref: 'O-10' })],
        retained: [
          // O-1 completed 2024-01-12 + 3 years; invoiced 2024 → 2032-01-01
          { purpose: 'order', ref: 'O-1', reason: COURT, until: null, hold: 'h2', expiresAt: '2027-01-12T10:00:00+01:00' },
          { purpose: 'bookkeeping', ref: 'O-1', reason: COURT, until: null, hold: 'h2', expiresAt: '2032-01-01T00:00:00+01:00' },
        ],
        warnings: [],
      },
    },
    {
      name: '2.4: the first request handled does not delete the second ID document',
      holdings: [
        h('id-check', 'documents', '2024-02-01T10:00:00+01:00', 'REQ-1'),
        h('id-check', 'documents', '2024-03-01T10:00:00+01:00', 'REQ-2'),
      ],
      events: [e('request-handled', '2024-02-10T10:00:00+01:00', 'REQ-1')],
      now: '2024-03-02T00:00:00+01:00',
      expected: {
        subjectId: 'u1',
        deadline: null,
        systems: [rec('documents', 'delete', { ref: 'REQ-1' }), rec('documents', 'keep', { ref: 'REQ-2' })],
        retained: [],
        warnings: [],
      },
    },
    {
      name: '2.7: an erasure retains the open request’s ID document and says what its date waits for',
      holdings: [h('id-check', 'documents', '2024-03-01T10:00:00+01:00', 'REQ-2')],
      now: '2024-03-02T12:00:00+01:00',
      request: { type: 'erasure', receivedAt: at('2024-03-02T09:00:00+01:00') },
      expected: {
        subjectId: 'u1',
        deadline: '2024-04-02T09:00:00+02:00',
        systems: [rec('documents', 'keep', { ref: 'REQ-2', restrict: true })],
        retained: [
          {
            purpose: 'id-check',
            ref: 'REQ-2',
            reason: 'Your ID document is kept until your request has been handled.',
            until: null,
            waitingFor: ['request-handled'],
          },
        ],
        warnings: [],
      },
    },
    {
      name: '2.4: a restriction restricts what is in scope and deletes nothing, not even expired data',
      holdings: [h('customer', 'crm', '2020-01-01T10:00:00+01:00'), h('order', 'orders', '2020-01-10T10:00:00+01:00', 'O-1')],
      events: [e('order-completed', '2020-01-12T10:00:00+01:00', 'O-1')],
      now: '2024-06-01T12:00:00+02:00',
      request: { type: 'restriction', receivedAt: at('2024-05-31T09:00:00+02:00'), scope: ['customer'] },
      expected: {
        subjectId: 'u1',
        deadline: '2024-06-30T09:00:00+02:00',
        systems: [rec('crm', 'keep', { restrict: true }), rec('orders', 'keep', { ref: 'O-1' })],
        retained: [],
        warnings: [],
      },
    },
    {
      name: '2.4: access lists, per record, the purposes, categories and fields held; nothing changes',
      holdings: [
        h('customer', 'crm', '2024-01-10T10:00:00+01:00'),
        h('identity-number', 'crm', '2024-01-10T10:00:00+01:00'),
        h('order', 'orders', '2024-01-10T10:00:00+01:00', 'O-1'),
        h('id-check', 'documents', '2024-01-10T10:00:00+01:00', 'REQ-1'),
      ],
      now: '2024-06-01T12:00:00+02:00',
      request: { type: 'access', receivedAt: at('2024-06-01T09:00:00+02:00') },
      expected: {
        subjectId: 'u1',
        deadline: '2024-07-01T09:00:00+02:00',
        systems: [rec('crm', 'keep'), rec('orders', 'keep', { ref: 'O-1' }), rec('documents', 'keep', { ref: 'REQ-1' })],
        retained: [],
        access: [
          {
            system: 'crm',
            purposes: ['customer', 'identity-number'],
            categories: ['identity', 'identity-number', 'contact'],
            fields: ['name', 'email', 'pnr'],
          },
          { system: 'orders', ref: 'O-1', purposes: ['order'], categories: ['identity', 'order'], fields: ['lines', 'buyer'] },
          { system: 'documents', ref: 'REQ-1', purposes: ['id-check'], categories: ['id-document'], fields: [] },
        ],
        warnings: [],
      },
    },
  ];

  it.each(v2rows)('$name', (row) => {
    // GIVEN the version 2 shop, a subject's holdings, events and holds
    const subject = { subjectId: 'u1', holdings: row.holdings, events: row.events ?? [], holds: row.holds ?? [] };
    // WHEN the planner runs at `now`
    const result = plan(shopPolicyV2, subject, instant(row.now), row.request);
    // THEN each record gets exactly what the spec prescribes
    expect(planToJson(shopPolicyV2, result)).toEqual(row.expected);
  });

  it.each<[string, Partial<{ holdings: Holding[]; holds: Hold[] }>, SubjectRequest | undefined, RegExp, string]>([
    [
      'a per: item holding without ref',
      { holdings: [h('order', 'orders', '2024-01-10T10:00:00+01:00')] },
      undefined,
      /per: item.*needs `ref`/,
      'holdings[0].ref',
    ],
    [
      'a hold released before it was placed',
      { holds: [{ holdId: 'h', reason: 'x', placedAt: at('2024-02-01T00:00:00Z'), releasedAt: at('2024-01-01T00:00:00Z') }] },
      undefined,
      /cannot be released before it is placed/,
      'holds[0].releasedAt',
    ],
    [
      'a hold scoped to an unknown system',
      { holds: [{ holdId: 'h', reason: 'x', placedAt: at('2024-02-01T00:00:00Z'), scope: { systems: ['erp'] } }] },
      undefined,
      /unknown system "erp"/,
      'holds[0].scope.systems[0]',
    ],
    [
      'keep on an erasure request',
      {},
      { type: 'erasure', receivedAt: at('2024-02-01T00:00:00Z'), keep: true },
      /`keep` belongs to a restriction request/,
      'request.keep',
    ],
    [
      'a restriction lifted before it was received',
      {},
      { type: 'restriction', receivedAt: at('2024-02-01T00:00:00Z'), until: at('2024-01-01T00:00:00Z') },
      /must be lifted after the request was received/,
      'request.until',
    ],
  ])('refuses %s, naming it', (_name, facts, request, message, path) => {
    const subject = { subjectId: 'u1', holdings: facts.holdings ?? [], events: [], holds: facts.holds ?? [] };
    expect(() => plan(shopPolicyV2, subject, instant('2024-06-01T00:00:00Z'), request)).toThrow(message);
    try {
      plan(shopPolicyV2, subject, instant('2024-06-01T00:00:00Z'), request);
    } catch (error) {
      expect((error as InputError).path).toBe(path);
    }
  });
});
