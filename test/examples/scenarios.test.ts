/**
 * Issue 13's scenarios, as a DPO would try them on the five re-encoded example policies: realistic subjects whose
 * history includes an event that, counted per subject and from any time (version 1), deleted data the policy
 * promises to keep, or kept one clock where the policy keeps one per item. Each expected date is computed by hand
 * in the comment above it (all in Europe/Stockholm: winter time +01:00, summer time +02:00 from the last Sunday
 * of March to the last Sunday of October).
 *
 * The planner is given the subject's holdings and events and `now`; without a request it plans the expiry sweep.
 */
import { join } from 'node:path';
import { Temporal } from '@js-temporal/polyfill';
import { loadPolicyFile } from '../../lib/policy/load';
import type { Policy } from '../../lib/policy/model';
import { plan, type SubjectRequest } from '../../lib/planner/plan';
import { computeExpiry } from '../../lib/retention/expiry';

const EXAMPLES = join(__dirname, '..', '..', 'examples');
const policies = new Map<string, Policy>();
const policyOf = (name: string): Policy => {
  if (!policies.has(name)) policies.set(name, loadPolicyFile(join(EXAMPLES, `${name}.yaml`)).policy);
  return policies.get(name)!;
};

const at = (iso: string): Temporal.Instant => Temporal.Instant.from(iso);
/** An instant as the register and the CLI print it: local time with its offset. */
const zoned = (instant: Temporal.ZonedDateTime | null): string | null =>
  instant === null ? null : instant.toString({ timeZoneName: 'never' });

interface HoldingIn {
  readonly purpose: string;
  readonly system: string;
  readonly collectedAt: string;
  readonly ref?: string;
}
interface EventIn {
  readonly type: string;
  readonly at: string;
  readonly ref?: string;
}
interface RecordOut {
  readonly system: string;
  readonly ref?: string;
  readonly record: 'delete' | 'anonymise' | 'keep';
  readonly removeFields?: readonly string[];
  readonly anonymiseFields?: readonly string[];
  readonly restrict?: boolean;
}
interface HoldingExpiry {
  readonly purpose: string;
  readonly system: string;
  readonly ref?: string;
  readonly expiresAt: string | null;
  readonly waitingFor?: readonly string[];
}
interface Scenario {
  readonly name: string;
  readonly example: string;
  readonly holdings: readonly HoldingIn[];
  readonly events: readonly EventIn[];
  readonly now: string;
  readonly request?: { readonly receivedAt: string };
  /** Every record of the subject, in the planner's order (systems in policy order, main record first, items by ref). */
  readonly records: readonly RecordOut[];
  /** Each holding's expiry, in the order of `holdings`. */
  readonly expiries: readonly HoldingExpiry[];
  readonly retained?: readonly { purpose: string; ref?: string; until: string | null }[];
}

const keep = (system: string, ref?: string): RecordOut => ({ system, ...(ref ? { ref } : {}), record: 'keep' });
const remove = (system: string, ref: string | undefined, removeFields: string[]): RecordOut => ({
  system,
  ...(ref ? { ref } : {}),
  record: 'keep',
  removeFields,
});
const del = (system: string, ref?: string): RecordOut => ({ system, ...(ref ? { ref } : {}), record: 'delete' });

const SCENARIOS: readonly Scenario[] = [
  {
    name: 'Diploma: a customer who left in 2021 and came back in 2024 keeps the current customer record',
    example: 'diploma-group',
    // GIVEN the current customer record, collected when the customer came back on 2024-03-01, and the evidence
    // copied into the archive after the first agreement ended on 2021-06-30
    holdings: [
      { purpose: 'customer-relationship', system: 'crm', collectedAt: '2024-03-01T10:00:00+01:00' },
      { purpose: 'legal-claims', system: 'evidence-archive', collectedAt: '2021-08-02T09:00:00+02:00' },
    ],
    events: [{ type: 'contract-ended', at: '2021-06-30T17:00:00+02:00' }],
    // WHEN the sweep runs on 2025-01-15
    now: '2025-01-15T12:00:00+01:00',
    // THEN the customer record stays: the 2021 end is before its collection and does not count (2.1); it waits
    // for the end of the current agreement. The evidence (since: any) runs from 2021-06-30 17:00 + 10 years.
    records: [keep('crm'), keep('evidence-archive')],
    expiries: [
      { purpose: 'customer-relationship', system: 'crm', expiresAt: null, waitingFor: ['contract-ended'] },
      { purpose: 'legal-claims', system: 'evidence-archive', expiresAt: '2031-06-30T17:00:00+02:00' },
    ],
  },
  {
    name: 'Diploma: the returning customer leaves again; the current record goes 3 months after the second end',
    example: 'diploma-group',
    holdings: [{ purpose: 'customer-relationship', system: 'crm', collectedAt: '2024-03-01T10:00:00+01:00' }],
    events: [
      { type: 'contract-ended', at: '2021-06-30T17:00:00+02:00' },
      { type: 'contract-ended', at: '2025-02-28T17:00:00+01:00' },
    ],
    // WHEN the sweep runs on 2025-05-28, and on 2025-05-28 the clock is at 2025-02-28 17:00 + 3 months =
    // 2025-05-28 17:00 (summer time): not yet
    now: '2025-05-28T12:00:00+02:00',
    records: [keep('crm')],
    expiries: [{ purpose: 'customer-relationship', system: 'crm', expiresAt: '2025-05-28T17:00:00+02:00' }],
  },
  {
    name: "Digmi: a registration for a new activity, and its health data, do not expire from the previous activity's end",
    example: 'digmi-group',
    // GIVEN a participant registered for act-A (autumn 2024) and, on 2025-05-01, for act-B, with health data
    // (allergies) in both registrations; act-A ended on 2024-10-15 17:00
    holdings: [
      { purpose: 'training-events', system: 'event-registrations', collectedAt: '2024-09-01T09:00:00+02:00', ref: 'act-A' },
      { purpose: 'activity-health-data', system: 'event-registrations', collectedAt: '2024-09-01T09:00:00+02:00', ref: 'act-A' },
      { purpose: 'training-events', system: 'event-registrations', collectedAt: '2025-05-01T09:00:00+02:00', ref: 'act-B' },
      { purpose: 'activity-health-data', system: 'event-registrations', collectedAt: '2025-05-01T09:00:00+02:00', ref: 'act-B' },
    ],
    events: [{ type: 'activity-ended', at: '2024-10-15T17:00:00+02:00', ref: 'act-A' }],
    // WHEN the sweep runs on 2025-05-10
    now: '2025-05-10T12:00:00+02:00',
    // THEN act-A's health data went at act-A's end (its fields are removed; the registration stays until
    // 2024-10-15 17:00 + 13 months = 2025-11-15 17:00, winter time); act-B's registration and health data wait for
    // act-B's end and are untouched
    records: [remove('event-registrations', 'act-A', ['dietaryNeeds', 'accessibilityNeeds']), keep('event-registrations', 'act-B')],
    expiries: [
      { purpose: 'training-events', system: 'event-registrations', ref: 'act-A', expiresAt: '2025-11-15T17:00:00+01:00' },
      { purpose: 'activity-health-data', system: 'event-registrations', ref: 'act-A', expiresAt: '2024-10-15T17:00:00+02:00' },
      { purpose: 'training-events', system: 'event-registrations', ref: 'act-B', expiresAt: null, waitingFor: ['activity-ended'] },
      { purpose: 'activity-health-data', system: 'event-registrations', ref: 'act-B', expiresAt: null, waitingFor: ['activity-ended'] },
    ],
  },
  {
    name: "Digmi: a re-subscriber to the newsletter is not deleted by last year's unsubscribe",
    example: 'digmi-group',
    // GIVEN a subscriber who unsubscribed on 2024-11-04 and subscribed again on 2025-09-01
    holdings: [{ purpose: 'newsletters', system: 'newsletter', collectedAt: '2025-09-01T09:00:00+02:00' }],
    events: [{ type: 'unsubscribed', at: '2024-11-04T10:00:00+01:00' }],
    now: '2025-10-01T12:00:00+02:00',
    // THEN the new subscription stays, waiting for a new unsubscription
    records: [keep('newsletter')],
    expiries: [{ purpose: 'newsletters', system: 'newsletter', expiresAt: null, waitingFor: ['unsubscribed'] }],
  },
  {
    name: "DH Solutions: a re-subscriber to news e-mails is not deleted by last year's unsubscribe",
    example: 'dh-solutions',
    holdings: [{ purpose: 'marketing-email', system: 'newsletter', collectedAt: '2025-09-01T09:00:00+02:00' }],
    events: [{ type: 'unsubscribed', at: '2024-11-04T10:00:00+01:00' }],
    now: '2025-10-01T12:00:00+02:00',
    records: [keep('newsletter')],
    expiries: [{ purpose: 'marketing-email', system: 'newsletter', expiresAt: null, waitingFor: ['relationship-ended', 'unsubscribed'] }],
  },
  {
    name: "Diploma: a re-subscriber to news is not deleted by last year's objection",
    example: 'diploma-group',
    holdings: [{ purpose: 'news', system: 'newsletter', collectedAt: '2025-09-01T09:00:00+02:00' }],
    events: [{ type: 'unsubscribed', at: '2024-11-04T10:00:00+01:00' }],
    now: '2025-10-01T12:00:00+02:00',
    records: [keep('newsletter')],
    expiries: [{ purpose: 'news', system: 'newsletter', expiresAt: null, waitingFor: ['contract-ended', 'unsubscribed'] }],
  },
  {
    name: "Digmi: a new support matter does not expire from the previous matter's resolution",
    example: 'digmi-group',
    // GIVEN matter M-1 (resolved 2023-01-20 10:00) and a new matter M-2 opened on 2025-03-01
    holdings: [
      { purpose: 'customer-service', system: 'support-desk', collectedAt: '2023-01-10T09:00:00+01:00', ref: 'M-1' },
      { purpose: 'customer-service', system: 'support-desk', collectedAt: '2025-03-01T09:00:00+01:00', ref: 'M-2' },
    ],
    events: [{ type: 'matter-resolved', at: '2023-01-20T10:00:00+01:00', ref: 'M-1' }],
    // WHEN the sweep runs on 2025-03-05
    now: '2025-03-05T12:00:00+01:00',
    // THEN M-1 is deleted (2023-01-20 10:00 + 2 years = 2025-01-20 10:00, past), M-2 waits for its own resolution
    records: [del('support-desk', 'M-1'), keep('support-desk', 'M-2')],
    expiries: [
      { purpose: 'customer-service', system: 'support-desk', ref: 'M-1', expiresAt: '2025-01-20T10:00:00+01:00' },
      { purpose: 'customer-service', system: 'support-desk', ref: 'M-2', expiresAt: null, waitingFor: ['matter-resolved'] },
    ],
  },
  {
    name: 'IT services company: data given after re-enabling AI features does not expire from the earlier disabling',
    example: 'unnamed-work-tracking-saas',
    // GIVEN AI context of project proj-apollo given on 2026-02-01, after AI features were disabled for it on
    // 2026-01-15 17:45 and enabled again; and project proj-zeus, disabled on 2026-01-10 and not enabled again
    holdings: [
      { purpose: 'ai-features', system: 'ai-context-store', collectedAt: '2026-02-01T08:00:00+01:00', ref: 'proj-apollo' },
      { purpose: 'ai-features', system: 'ai-context-store', collectedAt: '2025-09-01T08:00:00+02:00', ref: 'proj-zeus' },
    ],
    events: [
      { type: 'ai-features-disabled', at: '2026-01-15T17:45:00+01:00', ref: 'proj-apollo' },
      { type: 'ai-features-disabled', at: '2026-01-10T09:00:00+01:00', ref: 'proj-zeus' },
    ],
    // WHEN the sweep runs on 2026-03-01
    now: '2026-03-01T12:00:00+01:00',
    // THEN proj-apollo's new data stays (the disabling is before its collection), proj-zeus's goes (2026-01-10 09:00)
    records: [keep('ai-context-store', 'proj-apollo'), del('ai-context-store', 'proj-zeus')],
    expiries: [
      {
        purpose: 'ai-features',
        system: 'ai-context-store',
        ref: 'proj-apollo',
        expiresAt: null,
        waitingFor: ['ai-features-disabled', 'customer-relationship-ended'],
      },
      { purpose: 'ai-features', system: 'ai-context-store', ref: 'proj-zeus', expiresAt: '2026-01-10T09:00:00+01:00' },
    ],
  },
  {
    name: 'DH Solutions: a second ID-document image is not deleted before its own request is handled',
    example: 'dh-solutions',
    // GIVEN the image sent with request req-1 (2025-10-01) and the image sent with request req-2 (2025-10-20);
    // Lethe recorded request-handled for req-1 on 2025-10-25 10:00
    holdings: [
      { purpose: 'identity-verification', system: 'dsr-id-documents', collectedAt: '2025-10-01T08:00:00+02:00', ref: 'req-1' },
      { purpose: 'identity-verification', system: 'dsr-id-documents', collectedAt: '2025-10-20T08:00:00+02:00', ref: 'req-2' },
    ],
    events: [{ type: 'request-handled', at: '2025-10-25T10:00:00+02:00', ref: 'req-1' }],
    // WHEN the sweep runs on 2025-10-26 (winter time)
    now: '2025-10-26T12:00:00+01:00',
    // THEN req-1's image is deleted, req-2's waits for req-2 to be handled
    records: [del('dsr-id-documents', 'req-1'), keep('dsr-id-documents', 'req-2')],
    expiries: [
      { purpose: 'identity-verification', system: 'dsr-id-documents', ref: 'req-1', expiresAt: '2025-10-25T10:00:00+02:00' },
      { purpose: 'identity-verification', system: 'dsr-id-documents', ref: 'req-2', expiresAt: null, waitingFor: ['request-handled'] },
    ],
  },
  {
    name: 'DH Solutions: 7 years per invoice, not from the latest invoice',
    example: 'dh-solutions',
    // GIVEN invoices F-1 (2018-03-15) and F-2 (2024-05-15)
    holdings: [
      { purpose: 'bookkeeping', system: 'accounting', collectedAt: '2018-03-15T10:00:00+01:00', ref: 'F-1' },
      { purpose: 'bookkeeping', system: 'accounting', collectedAt: '2024-05-15T10:00:00+02:00', ref: 'F-2' },
    ],
    events: [
      { type: 'invoiced', at: '2018-03-15T10:00:00+01:00', ref: 'F-1' },
      { type: 'invoiced', at: '2024-05-15T10:00:00+02:00', ref: 'F-2' },
    ],
    // WHEN the sweep runs at the first instant of 2026
    now: '2026-01-01T00:00:00+01:00',
    // THEN F-1: fiscal (calendar) year 2018 ends -> 2019-01-01 + 7 years = 2026-01-01 00:00, due now: deleted.
    // F-2: 2024 -> 2025-01-01 + 7 years = 2032-01-01: kept. (One clock per subject would keep F-1 until 2032.)
    records: [del('accounting', 'F-1'), keep('accounting', 'F-2')],
    expiries: [
      { purpose: 'bookkeeping', system: 'accounting', ref: 'F-1', expiresAt: '2026-01-01T00:00:00+01:00' },
      { purpose: 'bookkeeping', system: 'accounting', ref: 'F-2', expiresAt: '2032-01-01T00:00:00+01:00' },
    ],
  },
  {
    name: 'DH Solutions: an erasure request retains each invoice until its own date, and the CRM keeps name and contact 6 months',
    example: 'dh-solutions',
    // GIVEN a former customer (relationship ended 2025-09-30 17:00) with one invoice F-2 of 2024-05-15
    holdings: [
      { purpose: 'customer-relationship', system: 'crm', collectedAt: '2023-02-01T10:00:00+01:00' },
      { purpose: 'customer-identification', system: 'crm', collectedAt: '2023-02-01T10:00:00+01:00' },
      { purpose: 'bookkeeping', system: 'accounting', collectedAt: '2024-05-15T10:00:00+02:00', ref: 'F-2' },
    ],
    events: [
      { type: 'invoiced', at: '2024-05-15T10:00:00+02:00', ref: 'F-2' },
      { type: 'relationship-ended', at: '2025-09-30T17:00:00+02:00' },
    ],
    // WHEN the sweep runs on 2025-10-01 (no request)
    now: '2025-10-01T12:00:00+02:00',
    // THEN the personal identity number and company name go from the CRM record (customer-identification expired
    // at the end of the relationship) while name and contact details stay until 2025-09-30 17:00 + 6 months =
    // 2026-03-30 17:00 (summer time); the invoice stays until 2032-01-01
    records: [remove('crm', undefined, ['companyName', 'orgOrPersonalNo']), keep('accounting', 'F-2')],
    expiries: [
      { purpose: 'customer-relationship', system: 'crm', expiresAt: '2026-03-30T17:00:00+02:00' },
      { purpose: 'customer-identification', system: 'crm', expiresAt: '2025-09-30T17:00:00+02:00' },
      { purpose: 'bookkeeping', system: 'accounting', ref: 'F-2', expiresAt: '2032-01-01T00:00:00+01:00' },
    ],
  },
  {
    name: 'DH Solutions: an erasure request erases the CRM record and retains the invoice, per item, until its date',
    example: 'dh-solutions',
    holdings: [
      { purpose: 'customer-relationship', system: 'crm', collectedAt: '2023-02-01T10:00:00+01:00' },
      { purpose: 'customer-identification', system: 'crm', collectedAt: '2023-02-01T10:00:00+01:00' },
      { purpose: 'bookkeeping', system: 'accounting', collectedAt: '2024-05-15T10:00:00+02:00', ref: 'F-2' },
    ],
    events: [{ type: 'invoiced', at: '2024-05-15T10:00:00+02:00', ref: 'F-2' }],
    // WHEN the customer asks for erasure on 2025-10-01
    now: '2025-10-01T12:00:00+02:00',
    request: { receivedAt: '2025-10-01T12:00:00+02:00' },
    // THEN the CRM record is deleted (both purposes erase on request); the invoice is retained (Bokföringslagen),
    // restricted, until 2024 -> 2025-01-01 + 7 years = 2032-01-01
    records: [del('crm'), { system: 'accounting', ref: 'F-2', record: 'keep', restrict: true }],
    expiries: [
      { purpose: 'customer-relationship', system: 'crm', expiresAt: null, waitingFor: ['relationship-ended'] },
      { purpose: 'customer-identification', system: 'crm', expiresAt: null, waitingFor: ['relationship-ended'] },
      { purpose: 'bookkeeping', system: 'accounting', ref: 'F-2', expiresAt: '2032-01-01T00:00:00+01:00' },
    ],
    retained: [{ purpose: 'bookkeeping', ref: 'F-2', until: '2032-01-01T00:00:00+01:00' }],
  },
  {
    name: 'Digmi: 30 days per call recording',
    example: 'digmi-group',
    // GIVEN calls on 2025-10-20 14:00 (summer time) and 2025-11-10 09:00
    holdings: [
      { purpose: 'call-recordings', system: 'call-recordings', collectedAt: '2025-10-20T14:00:00+02:00', ref: 'call-1' },
      { purpose: 'call-recordings', system: 'call-recordings', collectedAt: '2025-11-10T09:00:00+01:00', ref: 'call-2' },
    ],
    events: [],
    // WHEN the sweep runs on 2025-11-20
    now: '2025-11-20T12:00:00+01:00',
    // THEN call-1: 2025-10-20 + 30 days = 2025-11-19 14:00 (wall-clock time kept, now winter time): deleted;
    // call-2: 2025-11-10 + 30 days = 2025-12-10 09:00: kept
    records: [del('call-recordings', 'call-1'), keep('call-recordings', 'call-2')],
    expiries: [
      { purpose: 'call-recordings', system: 'call-recordings', ref: 'call-1', expiresAt: '2025-11-19T14:00:00+01:00' },
      { purpose: 'call-recordings', system: 'call-recordings', ref: 'call-2', expiresAt: '2025-12-10T09:00:00+01:00' },
    ],
  },
  {
    name: 'Digmi: 10 years per order, 1 + 10 years per conversation',
    example: 'digmi-group',
    // GIVEN order O-1 completed 2015-02-10 12:00 and order O-2 completed 2024-06-01 12:00; conversation C-1 whose
    // last message was 2014-01-15 10:00 and conversation C-2 with a message on 2025-05-05 10:00
    holdings: [
      { purpose: 'order-management', system: 'orders', collectedAt: '2015-02-01T10:00:00+01:00', ref: 'O-1' },
      { purpose: 'order-management', system: 'orders', collectedAt: '2024-05-20T10:00:00+02:00', ref: 'O-2' },
      { purpose: 'employee-external-communication', system: 'mail-archive', collectedAt: '2014-01-10T10:00:00+01:00', ref: 'C-1' },
      { purpose: 'employee-external-communication', system: 'mail-archive', collectedAt: '2025-05-01T10:00:00+02:00', ref: 'C-2' },
    ],
    events: [
      { type: 'order-completed', at: '2015-02-10T12:00:00+01:00', ref: 'O-1' },
      { type: 'order-completed', at: '2024-06-01T12:00:00+02:00', ref: 'O-2' },
      { type: 'message-exchanged', at: '2014-01-15T10:00:00+01:00', ref: 'C-1' },
      { type: 'message-exchanged', at: '2025-05-05T10:00:00+02:00', ref: 'C-2' },
    ],
    // WHEN the sweep runs on 2025-06-01
    now: '2025-06-01T12:00:00+02:00',
    // THEN O-1: 2015-02-10 12:00 + 10 years = 2025-02-10 12:00: deleted; O-2: 2034-06-01 12:00: kept.
    // C-1: 2014-01-15 10:00 + 1 year + 10 years = 2025-01-15 10:00: deleted; C-2: 2025-05-05 + 11 years =
    // 2036-05-05 10:00: kept
    records: [del('orders', 'O-1'), keep('orders', 'O-2'), del('mail-archive', 'C-1'), keep('mail-archive', 'C-2')],
    expiries: [
      { purpose: 'order-management', system: 'orders', ref: 'O-1', expiresAt: '2025-02-10T12:00:00+01:00' },
      { purpose: 'order-management', system: 'orders', ref: 'O-2', expiresAt: '2034-06-01T12:00:00+02:00' },
      { purpose: 'employee-external-communication', system: 'mail-archive', ref: 'C-1', expiresAt: '2025-01-15T10:00:00+01:00' },
      { purpose: 'employee-external-communication', system: 'mail-archive', ref: 'C-2', expiresAt: '2036-05-05T10:00:00+02:00' },
    ],
  },
  {
    name: 'Diploma: a new follow-up period per completed course',
    example: 'diploma-group',
    // GIVEN course reg-1 (completed 2025-03-14 15:00, followed up 2025-05-02 10:00) and course reg-2 (completed
    // 2025-09-26 15:00, not yet followed up)
    holdings: [
      { purpose: 'course-follow-up', system: 'evaluations', collectedAt: '2025-03-01T09:00:00+01:00', ref: 'reg-1' },
      { purpose: 'course-follow-up', system: 'evaluations', collectedAt: '2025-09-01T09:00:00+02:00', ref: 'reg-2' },
    ],
    events: [
      { type: 'course-completed', at: '2025-03-14T15:00:00+01:00', ref: 'reg-1' },
      { type: 'follow-up-completed', at: '2025-05-02T10:00:00+02:00', ref: 'reg-1' },
      { type: 'course-completed', at: '2025-09-26T15:00:00+02:00', ref: 'reg-2' },
    ],
    now: '2025-10-01T12:00:00+02:00',
    // THEN reg-1 went at its follow-up; reg-2 stays until its own follow-up, at most 2025-09-26 + 12 months =
    // 2026-09-26 15:00
    records: [del('evaluations', 'reg-1'), keep('evaluations', 'reg-2')],
    expiries: [
      { purpose: 'course-follow-up', system: 'evaluations', ref: 'reg-1', expiresAt: '2025-05-02T10:00:00+02:00' },
      { purpose: 'course-follow-up', system: 'evaluations', ref: 'reg-2', expiresAt: '2026-09-26T15:00:00+02:00' },
    ],
  },
];

describe('issue 13 scenarios on the re-encoded examples', () => {
  it.each(SCENARIOS.map((s) => [s.name, s] as const))('%s', (_name, s) => {
    // GIVEN the example policy and the subject's holdings and events
    const policy = policyOf(s.example);
    const holdings = s.holdings.map((h) => ({ ...h, collectedAt: at(h.collectedAt) }));
    const events = s.events.map((e) => ({ ...e, at: at(e.at) }));
    const request: SubjectRequest | undefined = s.request ? { type: 'erasure', receivedAt: at(s.request.receivedAt) } : undefined;

    // WHEN the planner plans the sweep (or the request) at `now`
    const result = plan(policy, { subjectId: 'subject-1', holdings, events }, at(s.now), request);

    // THEN every record of the subject gets what the policy promises
    expect(result.systems).toEqual(s.records.map((r) => ({ removeFields: [], anonymiseFields: [], restrict: false, ...r })));
    // and each holding's expiry is the hand-computed one, in plan and in computeExpiry alike
    expect(
      result.holdings.map((d) => ({
        purpose: d.holding.purpose,
        system: d.holding.system,
        ...(d.holding.ref ? { ref: d.holding.ref } : {}),
        expiresAt: zoned(d.expiry.expiresAt),
        ...(d.expiry.waitingFor ? { waitingFor: d.expiry.waitingFor } : {}),
      })),
    ).toEqual(s.expiries);
    for (const h of holdings) {
      const alone = computeExpiry(policy, h.purpose, { collectedAt: h.collectedAt, events, ...(h.ref ? { ref: h.ref } : {}) });
      const expected = s.expiries.find((e) => e.purpose === h.purpose && e.system === h.system && e.ref === h.ref)!;
      expect(zoned(alone.expiresAt)).toBe(expected.expiresAt);
    }
    if (s.retained) {
      expect(result.retained.map((r) => ({ purpose: r.purpose, ...(r.ref ? { ref: r.ref } : {}), until: zoned(r.until) }))).toEqual(
        s.retained,
      );
    }
  });

  it('counts the holdings the scenarios name against the policies: every purpose and system exists', () => {
    for (const s of SCENARIOS) {
      const policy = policyOf(s.example);
      for (const h of s.holdings) {
        expect({ purpose: h.purpose, system: h.system, inPolicy: policy.purposes[h.purpose]?.systems.includes(h.system) }).toEqual({
          purpose: h.purpose,
          system: h.system,
          inPolicy: true,
        });
        expect({ purpose: h.purpose, ref: h.ref !== undefined }).toEqual({
          purpose: h.purpose,
          ref: policy.purposes[h.purpose].per === 'item',
        });
      }
    }
  });
});
