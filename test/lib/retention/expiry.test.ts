import { computeExpiry, type SubjectEvent } from '../../../lib/retention/expiry';
import { formatInstant } from '../../../lib/retention/time';
import { instant, policyWithRetention } from '../../helpers/policy';

interface Row {
  readonly name: string;
  readonly retention: unknown;
  readonly fiscalYearEnd?: string;
  readonly timezone?: string;
  readonly collectedAt: string;
  readonly events?: readonly { type: string; at: string; purpose?: string }[];
  readonly expiresAt: string | null;
  readonly waitingFor?: readonly string[];
  readonly indefinite?: true;
  readonly explanation?: RegExp;
}

/** Every expected value below was worked out by hand from the spec, not printed by the engine. */
const rows: Row[] = [
  // Form 1: duration from an anchor
  {
    name: 'from defaults to collected',
    retention: { keep: 'P10Y' },
    collectedAt: '2024-04-01T10:00:00+02:00',
    expiresAt: '2034-04-01T10:00:00+02:00',
    explanation: /^10 years after collection on 2024-04-01$/,
  },
  {
    name: 'input in Z is computed in the policy zone',
    retention: { keep: 'P1D' },
    collectedAt: '2024-06-01T08:00:00Z',
    expiresAt: '2024-06-02T10:00:00+02:00',
  },
  {
    name: 'input in a foreign offset',
    retention: { keep: 'P1M' },
    collectedAt: '2024-01-15T20:00:00-05:00',
    expiresAt: '2024-02-16T02:00:00+01:00',
  },
  // Month ends and leap years (overflow: constrain)
  {
    name: 'Jan 31 + P1M clamps to Feb 29 in a leap year',
    retention: { keep: 'P1M' },
    collectedAt: '2024-01-31T12:00:00+01:00',
    expiresAt: '2024-02-29T12:00:00+01:00',
  },
  {
    name: 'Jan 31 + P1M clamps to Feb 28 in a common year',
    retention: { keep: 'P1M' },
    collectedAt: '2023-01-31T12:00:00+01:00',
    expiresAt: '2023-02-28T12:00:00+01:00',
  },
  {
    name: 'Feb 29 + P1Y clamps to Feb 28',
    retention: { keep: 'P1Y' },
    collectedAt: '2024-02-29T09:00:00+01:00',
    expiresAt: '2025-02-28T09:00:00+01:00',
  },
  {
    name: 'Feb 29 + P4Y lands on Feb 29',
    retention: { keep: 'P4Y' },
    collectedAt: '2024-02-29T09:00:00+01:00',
    expiresAt: '2028-02-29T09:00:00+01:00',
  },
  {
    name: 'Nov 30 + P27M clamps to Feb 28',
    retention: { keep: 'P27M' },
    collectedAt: '2024-11-30T08:00:00+01:00',
    expiresAt: '2027-02-28T08:00:00+01:00',
  },
  {
    name: 'Mar 31 + P1M clamps to Apr 30 and crosses DST',
    retention: { keep: 'P1M' },
    collectedAt: '2024-03-31T01:00:00+01:00',
    expiresAt: '2024-04-30T01:00:00+02:00',
  },
  {
    name: 'years then months then days, in that order',
    retention: { keep: 'P1Y1M1D' },
    collectedAt: '2023-01-31T00:00:00+01:00',
    expiresAt: '2024-03-01T00:00:00+01:00',
  },
  // DST: days keep wall-clock time, hours are exact
  {
    name: 'spring forward: P1D keeps the wall clock',
    retention: { keep: 'P1D' },
    collectedAt: '2024-03-30T12:00:00+01:00',
    expiresAt: '2024-03-31T12:00:00+02:00',
  },
  {
    name: 'spring forward: PT24H is exact time',
    retention: { keep: 'PT24H' },
    collectedAt: '2024-03-30T12:00:00+01:00',
    expiresAt: '2024-03-31T13:00:00+02:00',
  },
  {
    name: 'spring forward: a skipped wall-clock time moves later',
    retention: { keep: 'P1D' },
    collectedAt: '2024-03-30T02:30:00+01:00',
    expiresAt: '2024-03-31T03:30:00+02:00',
  },
  {
    name: 'fall back: P1D keeps the wall clock',
    retention: { keep: 'P1D' },
    collectedAt: '2024-10-26T12:00:00+02:00',
    expiresAt: '2024-10-27T12:00:00+01:00',
  },
  {
    name: 'fall back: PT24H is exact time',
    retention: { keep: 'PT24H' },
    collectedAt: '2024-10-26T12:00:00+02:00',
    expiresAt: '2024-10-27T11:00:00+01:00',
  },
  {
    name: 'fall back: a repeated wall-clock time takes the earlier offset',
    retention: { keep: 'P1D' },
    collectedAt: '2024-10-26T02:30:00+02:00',
    expiresAt: '2024-10-27T02:30:00+02:00',
  },
  {
    name: 'PT36H across spring forward',
    retention: { keep: 'PT36H' },
    collectedAt: '2024-03-30T00:00:00+01:00',
    expiresAt: '2024-03-31T13:00:00+02:00',
  },
  {
    name: 'P2W is 14 calendar days',
    retention: { keep: 'P2W' },
    collectedAt: '2024-03-25T00:00:00+01:00',
    expiresAt: '2024-04-08T00:00:00+02:00',
  },
  {
    name: 'P0D expires at the anchor',
    retention: { keep: 'P0D' },
    collectedAt: '2024-03-25T00:00:00+01:00',
    expiresAt: '2024-03-25T00:00:00+01:00',
  },
  // Form 2: until an event
  {
    name: 'until an event that has not occurred waits for it',
    retention: { until: 'account-closed', keep: 'P3M' },
    collectedAt: '2024-01-01T00:00:00+01:00',
    expiresAt: null,
    waitingFor: ['account-closed'],
    explanation: /^waiting for account-closed; kept 3 months after the latest "account-closed" event$/,
  },
  {
    name: 'until an event, then keep more',
    retention: { until: 'account-closed', keep: 'P3M' },
    collectedAt: '2024-01-01T00:00:00+01:00',
    events: [{ type: 'account-closed', at: '2024-05-31T10:00:00+02:00' }],
    expiresAt: '2024-08-31T10:00:00+02:00',
  },
  {
    name: 'until an event, keep defaults to P0D',
    retention: { until: 'unsubscribed' },
    collectedAt: '2024-01-01T00:00:00+01:00',
    events: [{ type: 'unsubscribed', at: '2024-05-31T10:15:30+02:00' }],
    expiresAt: '2024-05-31T10:15:30+02:00',
    explanation: /^until unsubscribed on 2024-05-31$/,
  },
  {
    name: 'the latest occurrence of an event counts',
    retention: { from: 'order-completed', keep: 'P10Y' },
    collectedAt: '2020-01-01T00:00:00+01:00',
    events: [
      { type: 'order-completed', at: '2024-04-01T12:00:00+02:00' },
      { type: 'order-completed', at: '2021-06-01T12:00:00+02:00' },
    ],
    expiresAt: '2034-04-01T12:00:00+02:00',
    explanation: /^10 years after order-completed on 2024-04-01$/,
  },
  {
    name: 'an event for another purpose does not count',
    retention: { from: 'order-completed', keep: 'P1Y' },
    collectedAt: '2020-01-01T00:00:00+01:00',
    events: [{ type: 'order-completed', at: '2024-04-01T12:00:00+02:00', purpose: 'other' }],
    expiresAt: null,
    waitingFor: ['order-completed'],
  },
  {
    name: 'an event for this purpose counts',
    retention: { from: 'order-completed', keep: 'P1Y' },
    collectedAt: '2020-01-01T00:00:00+01:00',
    events: [
      { type: 'order-completed', at: '2025-04-01T12:00:00+02:00', purpose: 'other' },
      { type: 'order-completed', at: '2024-04-01T12:00:00+02:00', purpose: 'p' },
    ],
    expiresAt: '2025-04-01T12:00:00+02:00',
  },
  // Anchors
  {
    name: 'latestOf takes the latest known anchor',
    retention: { from: { latestOf: ['collected', 'last-login'] }, keep: 'P2Y' },
    collectedAt: '2022-05-01T09:00:00+02:00',
    events: [{ type: 'last-login', at: '2023-11-15T18:00:00+01:00' }],
    expiresAt: '2025-11-15T18:00:00+01:00',
  },
  {
    name: 'latestOf ignores unknown anchors',
    retention: { from: { latestOf: ['collected', 'last-login'] }, keep: 'P2Y' },
    collectedAt: '2022-05-01T09:00:00+02:00',
    expiresAt: '2024-05-01T09:00:00+02:00',
  },
  {
    name: 'latestOf waits only when no anchor is known',
    retention: { from: { latestOf: ['last-login', 'order-completed'] }, keep: 'P2Y' },
    collectedAt: '2022-05-01T09:00:00+02:00',
    expiresAt: null,
    waitingFor: ['last-login', 'order-completed'],
  },
  {
    name: 'add shifts the anchor, clamping month ends',
    retention: { from: { add: 'P1M', to: 'order-completed' }, keep: 'P1Y' },
    collectedAt: '2024-01-01T00:00:00+01:00',
    events: [{ type: 'order-completed', at: '2024-01-31T10:00:00+01:00' }],
    expiresAt: '2025-02-28T10:00:00+01:00',
  },
  {
    name: 'endOfYear is local midnight of the next 1 January',
    retention: { from: { endOfYear: 'collected' }, keep: 'P7Y' },
    collectedAt: '2024-03-05T10:00:00+01:00',
    expiresAt: '2032-01-01T00:00:00+01:00',
    explanation: /^7 years after the end of 2024 \(the year of collection on 2024-03-05\)$/,
  },
  {
    name: 'endOfYear of an instant that is already next year locally (Z input)',
    retention: { from: { endOfYear: 'collected' }, keep: 'P0D' },
    collectedAt: '2024-12-31T23:30:00Z',
    expiresAt: '2026-01-01T00:00:00+01:00',
  },
  {
    name: 'endOfYear of an instant still this year locally (Z input)',
    retention: { from: { endOfYear: 'collected' }, keep: 'P0D' },
    collectedAt: '2024-12-31T22:30:00Z',
    expiresAt: '2025-01-01T00:00:00+01:00',
  },
  {
    name: 'endOfYear of local midnight on 1 January is the end of that year',
    retention: { from: { endOfYear: 'collected' }, keep: 'P0D' },
    collectedAt: '2025-01-01T00:00:00+01:00',
    expiresAt: '2026-01-01T00:00:00+01:00',
  },
  {
    name: 'endOfFiscalYear, fiscal year ending 06-30, last day of the year',
    fiscalYearEnd: '06-30',
    retention: { from: { endOfFiscalYear: 'invoiced' }, keep: 'P0D' },
    collectedAt: '2024-01-01T00:00:00+01:00',
    events: [{ type: 'invoiced', at: '2024-06-30T23:59:00+02:00' }],
    expiresAt: '2024-07-01T00:00:00+02:00',
  },
  {
    name: 'endOfFiscalYear, fiscal year ending 06-30, first day of the next year',
    fiscalYearEnd: '06-30',
    retention: { from: { endOfFiscalYear: 'invoiced' }, keep: 'P0D' },
    collectedAt: '2024-01-01T00:00:00+01:00',
    events: [{ type: 'invoiced', at: '2024-07-01T00:00:00+02:00' }],
    expiresAt: '2025-07-01T00:00:00+02:00',
  },
  {
    name: 'endOfFiscalYear with the default year end 12-31',
    retention: { from: { endOfFiscalYear: 'invoiced' }, keep: 'P1Y' },
    collectedAt: '2024-01-01T00:00:00+01:00',
    events: [{ type: 'invoiced', at: '2024-08-01T00:00:00+02:00' }],
    expiresAt: '2026-01-01T00:00:00+01:00',
  },
  {
    name: 'Bookkeeping Act: fiscal year 07-01..06-30 ending in 2025 → 7 years from the end of 2025',
    fiscalYearEnd: '06-30',
    retention: { from: { endOfYear: 'invoiced', fiscal: true }, keep: 'P7Y' },
    collectedAt: '2024-01-01T00:00:00+01:00',
    events: [{ type: 'invoiced', at: '2024-09-10T10:00:00+02:00' }],
    expiresAt: '2033-01-01T00:00:00+01:00',
  },
  {
    name: 'Bookkeeping Act: fiscal year ending 2024-06-30 → 7 years from the end of 2024',
    fiscalYearEnd: '06-30',
    retention: { from: { endOfYear: 'invoiced', fiscal: true }, keep: 'P7Y' },
    collectedAt: '2024-01-01T00:00:00+01:00',
    events: [{ type: 'invoiced', at: '2024-05-10T10:00:00+02:00' }],
    expiresAt: '2032-01-01T00:00:00+01:00',
  },
  {
    name: 'Bookkeeping Act with a calendar fiscal year',
    retention: { from: { endOfYear: 'invoiced', fiscal: true }, keep: 'P7Y' },
    collectedAt: '2024-01-01T00:00:00+01:00',
    events: [{ type: 'invoiced', at: '2024-12-31T23:59:59+01:00' }],
    expiresAt: '2032-01-01T00:00:00+01:00',
  },
  {
    name: 'fiscal year ending 02-29 ends on Feb 28 in a common year',
    fiscalYearEnd: '02-29',
    retention: { from: { endOfFiscalYear: 'invoiced' }, keep: 'P0D' },
    collectedAt: '2023-01-01T00:00:00+01:00',
    events: [{ type: 'invoiced', at: '2023-02-28T12:00:00+01:00' }],
    expiresAt: '2023-03-01T00:00:00+01:00',
  },
  {
    name: 'fiscal year ending 02-29 ends on Feb 29 in a leap year',
    fiscalYearEnd: '02-29',
    retention: { from: { endOfFiscalYear: 'invoiced' }, keep: 'P0D' },
    collectedAt: '2023-01-01T00:00:00+01:00',
    events: [{ type: 'invoiced', at: '2023-03-01T12:00:00+01:00' }],
    expiresAt: '2024-03-01T00:00:00+01:00',
  },
  {
    name: 'nested anchors: a month after the end of the fiscal year of the latest of two events',
    fiscalYearEnd: '08-31',
    retention: { from: { add: 'P1M', to: { endOfFiscalYear: { latestOf: ['invoiced', 'order-completed'] } } }, keep: 'P0D' },
    collectedAt: '2023-01-01T00:00:00+01:00',
    events: [
      { type: 'invoiced', at: '2024-08-31T20:00:00+02:00' },
      { type: 'order-completed', at: '2024-02-01T20:00:00+01:00' },
    ],
    expiresAt: '2024-10-01T00:00:00+02:00',
  },
  {
    name: 'another time zone: America/New_York end of year',
    timezone: 'America/New_York',
    retention: { from: { endOfYear: 'collected' }, keep: 'P0D' },
    collectedAt: '2025-01-01T03:00:00Z',
    expiresAt: '2025-01-01T00:00:00-05:00',
  },
  // Form 3
  {
    name: 'indefinite never expires',
    retention: { indefinite: true, justification: 'Public archive of board minutes' },
    collectedAt: '2024-01-01T00:00:00+01:00',
    expiresAt: null,
    indefinite: true,
    explanation: /^kept indefinitely: Public archive of board minutes$/,
  },
  // Form 4
  {
    name: 'cases: the first matching case applies',
    retention: { cases: [{ when: { occurred: 'unsubscribed' }, until: 'unsubscribed' }, { keep: 'P2Y' }] },
    collectedAt: '2024-01-01T00:00:00+01:00',
    events: [{ type: 'unsubscribed', at: '2024-02-01T00:00:00+01:00' }],
    expiresAt: '2024-02-01T00:00:00+01:00',
    explanation: /\(case 1 of 2: unsubscribed occurred\)$/,
  },
  {
    name: 'cases: the default applies when no condition holds',
    retention: { cases: [{ when: { occurred: 'unsubscribed' }, until: 'unsubscribed' }, { keep: 'P2Y' }] },
    collectedAt: '2024-01-01T00:00:00+01:00',
    expiresAt: '2026-01-01T00:00:00+01:00',
    explanation: /\(case 2 of 2, the default\)$/,
  },
  {
    name: 'cases: not',
    retention: {
      cases: [
        { when: { not: { occurred: 'order-completed' } }, keep: 'P6M' },
        { from: 'order-completed', keep: 'P3Y' },
      ],
    },
    collectedAt: '2024-01-01T00:00:00+01:00',
    expiresAt: '2024-07-01T00:00:00+02:00',
  },
  {
    name: 'cases: allOf needs every condition',
    retention: {
      cases: [
        { when: { allOf: [{ occurred: 'order-completed' }, { occurred: 'account-closed' }] }, from: 'account-closed', keep: 'P1M' },
        { indefinite: true, justification: 'until the customer relationship ends' },
      ],
    },
    collectedAt: '2024-01-01T00:00:00+01:00',
    events: [{ type: 'order-completed', at: '2024-02-01T00:00:00+01:00' }],
    expiresAt: null,
    indefinite: true,
  },
  {
    name: 'cases: anyOf needs one condition',
    retention: {
      cases: [
        {
          when: { anyOf: [{ occurred: 'unsubscribed' }, { occurred: 'account-closed' }] },
          from: { latestOf: ['unsubscribed', 'account-closed'] },
          keep: 'P0D',
        },
        { until: 'unsubscribed' },
      ],
    },
    collectedAt: '2024-01-01T00:00:00+01:00',
    events: [{ type: 'account-closed', at: '2024-03-01T00:00:00+01:00' }],
    expiresAt: '2024-03-01T00:00:00+01:00',
  },
  {
    name: 'cases: a condition counts only events for this purpose',
    retention: { cases: [{ when: { occurred: 'unsubscribed' }, keep: 'P0D' }, { keep: 'P2Y' }] },
    collectedAt: '2024-01-01T00:00:00+01:00',
    events: [{ type: 'unsubscribed', at: '2024-02-01T00:00:00+01:00', purpose: 'other' }],
    expiresAt: '2026-01-01T00:00:00+01:00',
  },
  {
    name: 'cases: the chosen case may wait for an event',
    retention: { cases: [{ when: { occurred: 'order-completed' }, until: 'account-closed', keep: 'P1Y' }, { keep: 'P1M' }] },
    collectedAt: '2024-01-01T00:00:00+01:00',
    events: [{ type: 'order-completed', at: '2024-02-01T00:00:00+01:00' }],
    expiresAt: null,
    waitingFor: ['account-closed'],
  },
];

describe('computeExpiry', () => {
  it.each(rows)('$name', (row) => {
    // GIVEN a policy whose purpose `p` has the rule
    const policy = policyWithRetention(row.retention, {
      ...(row.fiscalYearEnd ? { fiscalYearEnd: row.fiscalYearEnd } : {}),
      ...(row.timezone ? { timezone: row.timezone } : {}),
    });
    const events: SubjectEvent[] = (row.events ?? []).map((e) => ({
      type: e.type,
      at: instant(e.at),
      ...(e.purpose ? { purpose: e.purpose } : {}),
    }));

    // WHEN the expiry of a holding is computed
    const expiry = computeExpiry(policy, 'p', { collectedAt: instant(row.collectedAt), events });

    // THEN it is the instant the spec gives, printed in the policy zone with its offset
    expect(expiry.expiresAt === null ? null : formatInstant(expiry.expiresAt, policy.timezone)).toBe(row.expiresAt);
    expect(expiry.waitingFor).toEqual(row.waitingFor);
    expect(expiry.indefinite).toBe(row.indefinite);
    if (row.explanation) expect(expiry.explanation).toMatch(row.explanation);
  });

  it('rejects an unknown purpose by name', () => {
    const policy = policyWithRetention({ keep: 'P1Y' });
    expect(() => computeExpiry(policy, 'nope', { collectedAt: instant('2024-01-01T00:00:00Z'), events: [] })).toThrow(
      /unknown purpose "nope"/,
    );
  });
});

interface V2Row {
  readonly name: string;
  readonly version?: 1 | 2;
  readonly retention: unknown;
  readonly collectedAt: string;
  readonly ref?: string;
  readonly events?: readonly { type: string; at: string; purpose?: string; ref?: string }[];
  readonly expiresAt: string | null;
  readonly waitingFor?: readonly string[];
  /** Version 1 only: the event types the 2.1 warning names; absent, no warning. */
  readonly warns?: readonly string[];
}

/** Version 2 (spec 2.1, 2.2, 2.4); every expected value worked out by hand. */
const v2Rows: V2Row[] = [
  {
    name: '2.1: an event before collection does not count; the clock waits',
    retention: { until: 'account-closed', keep: 'P1Y' },
    collectedAt: '2024-03-01T10:00:00+01:00',
    events: [{ type: 'account-closed', at: '2021-06-30T12:00:00+02:00' }],
    expiresAt: null,
    waitingFor: ['account-closed'],
  },
  {
    name: '2.1: an event at the instant of collection counts (at or after)',
    retention: { until: 'account-closed', keep: 'P1Y' },
    collectedAt: '2024-03-01T10:00:00+01:00',
    events: [{ type: 'account-closed', at: '2024-03-01T09:00:00Z' }],
    // 2024-03-01 10:00 +01:00 + 1 year
    expiresAt: '2025-03-01T10:00:00+01:00',
  },
  {
    name: '2.1: the latest occurrence after collection anchors, the earlier one is ignored',
    retention: { until: 'unsubscribed' },
    collectedAt: '2024-03-01T10:00:00+01:00',
    events: [
      { type: 'unsubscribed', at: '2023-11-01T10:00:00+01:00' },
      { type: 'unsubscribed', at: '2024-09-01T10:00:00+02:00' },
    ],
    expiresAt: '2024-09-01T10:00:00+02:00',
  },
  {
    name: '2.1: since: any counts an event before collection (version 1 meaning, written out)',
    retention: { from: { event: 'account-closed', since: 'any' }, keep: 'P1Y' },
    collectedAt: '2024-03-01T10:00:00+01:00',
    events: [{ type: 'account-closed', at: '2021-06-30T12:00:00+02:00' }],
    expiresAt: '2022-06-30T12:00:00+02:00',
  },
  {
    name: '2.1: occurred counts only from collection: a new customer is not "closed"',
    retention: { cases: [{ when: { occurred: 'account-closed' }, keep: 'P0D' }, { keep: 'P3Y' }] },
    collectedAt: '2024-03-01T10:00:00+01:00',
    events: [{ type: 'account-closed', at: '2021-06-30T12:00:00+02:00' }],
    // the default case: 3 years from collection
    expiresAt: '2027-03-01T10:00:00+01:00',
  },
  {
    name: '2.1: occurred with since: any sees the earlier event',
    retention: { cases: [{ when: { occurred: 'account-closed', since: 'any' }, keep: 'P0D' }, { keep: 'P3Y' }] },
    collectedAt: '2024-03-01T10:00:00+01:00',
    events: [{ type: 'account-closed', at: '2021-06-30T12:00:00+02:00' }],
    expiresAt: '2024-03-01T10:00:00+01:00',
  },
  {
    name: '2.1 inside latestOf and endOfYear: only occurrences after collection',
    retention: { from: { endOfYear: { latestOf: ['invoiced', 'order-completed'] } }, keep: 'P7Y' },
    collectedAt: '2024-03-01T10:00:00+01:00',
    events: [
      { type: 'order-completed', at: '2025-02-01T10:00:00+01:00' },
      { type: 'invoiced', at: '2026-01-15T10:00:00+01:00' },
      { type: 'invoiced', at: '2023-01-15T10:00:00+01:00' },
    ],
    // latest counting = invoiced 2026-01-15 → end of 2026 = 2027-01-01 → + 7 years
    expiresAt: '2034-01-01T00:00:00+01:00',
  },
  {
    name: '2.2: an item event counts only for the holding with that ref',
    retention: { from: { endOfYear: 'invoiced', fiscal: true }, keep: 'P7Y' },
    collectedAt: '2024-03-01T10:00:00+01:00',
    ref: 'INV-1',
    events: [
      { type: 'invoiced', at: '2024-03-02T10:00:00+01:00', ref: 'INV-1' },
      { type: 'invoiced', at: '2025-06-02T10:00:00+02:00', ref: 'INV-10' },
    ],
    // INV-1 invoiced 2024-03-02 → FY (calendar) ends 2024-12-31 → 2025-01-01 + 7 years
    expiresAt: '2032-01-01T00:00:00+01:00',
  },
  {
    name: '2.2: an item event does not count for a holding without ref',
    retention: { until: 'ticket-closed', keep: 'P36M' },
    collectedAt: '2024-03-01T10:00:00+01:00',
    events: [{ type: 'ticket-closed', at: '2024-05-01T10:00:00+02:00', ref: 'T-7' }],
    expiresAt: null,
    waitingFor: ['ticket-closed'],
  },
  {
    name: '2.2: an event without ref counts for an item holding',
    retention: { until: 'account-closed', keep: 'P1M' },
    collectedAt: '2024-03-01T10:00:00+01:00',
    ref: 'O-1',
    events: [{ type: 'account-closed', at: '2024-05-31T10:00:00+02:00' }],
    // May 31 + P1M clamps to June 30
    expiresAt: '2024-06-30T10:00:00+02:00',
  },
  {
    name: '2.4: request-handled with the request id as ref ends an ID document kept per request',
    retention: { until: 'request-handled' },
    collectedAt: '2024-03-01T10:00:00+01:00',
    ref: 'REQ-2',
    events: [
      { type: 'request-handled', at: '2024-02-10T10:00:00+01:00', ref: 'REQ-1' },
      { type: 'request-handled', at: '2024-03-05T10:00:00+01:00', ref: 'REQ-2' },
    ],
    expiresAt: '2024-03-05T10:00:00+01:00',
  },
  {
    name: '2.4: the first request handled does not end the second document',
    retention: { until: 'request-handled' },
    collectedAt: '2024-03-01T10:00:00+01:00',
    ref: 'REQ-2',
    events: [{ type: 'request-handled', at: '2024-03-02T10:00:00+01:00', ref: 'REQ-1' }],
    expiresAt: null,
    waitingFor: ['request-handled'],
  },
  {
    name: 'version 1 keeps its meaning and warns where it relies on an event before collection',
    version: 1,
    retention: { until: 'account-closed', keep: 'P1Y' },
    collectedAt: '2024-03-01T10:00:00+01:00',
    events: [{ type: 'account-closed', at: '2021-06-30T12:00:00+02:00' }],
    expiresAt: '2022-06-30T12:00:00+02:00',
    warns: ['account-closed'],
  },
  {
    name: 'version 1 does not warn when the early event changes nothing',
    version: 1,
    retention: { until: 'account-closed', keep: 'P1Y' },
    collectedAt: '2024-03-01T10:00:00+01:00',
    events: [
      { type: 'account-closed', at: '2021-06-30T12:00:00+02:00' },
      { type: 'account-closed', at: '2024-06-30T12:00:00+02:00' },
    ],
    expiresAt: '2025-06-30T12:00:00+02:00',
  },
  {
    name: 'version 1 does not warn about an early event the rule does not use',
    version: 1,
    retention: { keep: 'P1Y' },
    collectedAt: '2024-03-01T10:00:00+01:00',
    events: [{ type: 'account-closed', at: '2021-06-30T12:00:00+02:00' }],
    expiresAt: '2025-03-01T10:00:00+01:00',
  },
];

describe('computeExpiry, version 2', () => {
  it.each(v2Rows)('$name', (row) => {
    // GIVEN a policy of the row's version whose purpose `p` has the rule
    const policy = policyWithRetention(row.retention, { version: row.version ?? 2 });
    const events: SubjectEvent[] = (row.events ?? []).map((e) => ({
      type: e.type,
      at: instant(e.at),
      ...(e.purpose ? { purpose: e.purpose } : {}),
      ...(e.ref ? { ref: e.ref } : {}),
    }));

    // WHEN the expiry of a holding (an item's, with a ref) is computed
    const expiry = computeExpiry(policy, 'p', { collectedAt: instant(row.collectedAt), events, ...(row.ref ? { ref: row.ref } : {}) });

    // THEN it is the instant the spec gives, and a version 1 result relying on an early event is warned about
    expect(expiry.expiresAt === null ? null : formatInstant(expiry.expiresAt, policy.timezone)).toBe(row.expiresAt);
    expect(expiry.waitingFor).toEqual(row.waitingFor);
    expect(expiry.warning?.events).toEqual(row.warns);
    if (row.warns)
      expect(expiry.warning?.message).toMatch(
        /before the holding's collection on 2024-03-01; version 2 counts an event only from collection/,
      );
  });
});
