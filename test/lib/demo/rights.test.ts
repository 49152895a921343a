/**
 * lib/demo/rights.ts: what `lethe demo`'s rights steps act on, chosen from the policy and the API's answers (the
 * steps themselves run against local mode: test/integration/scenarios/demo.ts and demo-default-policy.test.ts), and
 * how it reads a restriction mark and an export document.
 */
import {
  chooseHold,
  chooseRestriction,
  exportedFields,
  exportProblems,
  markOf,
  planRights,
  waitsForRequestHandled,
  zoned,
} from '../../../lib/demo/rights';
import type { SystemData } from '../../../lib/demo/systems';
import { Temporal } from '@js-temporal/polyfill';
import { loadPolicyFile } from '../../../lib/policy/load';
import type { HoldingAnswer } from '../../../lib/runtime';
import type { ExportDocument } from '../../../lib/runtime/export-document';

const dh = loadPolicyFile('examples/dh-solutions.yaml').policy;
const shop = loadPolicyFile('test/integration/fixtures/policy.yaml').policy;

const answer = (purpose: string, system: string, expiresAt: string | null, extra: Partial<HoldingAnswer> = {}): HoldingAnswer => ({
  purpose,
  system,
  collectedAt: '2026-11-04T10:00:00+01:00',
  status: 'active',
  expiresAt,
  registered: true,
  ...extra,
});

describe('planRights', () => {
  it.each([
    [
      'the default policy: access to what DynamoDB and S3 hold; ID documents per request (the accounting SaaS is skipped)',
      dh,
      ['customer-relationship', 'customer-identification', 'service-messages', 'infrastructure-logs'],
      { purpose: 'identity-verification', system: 'dsr-id-documents', byRequest: true },
    ],
    [
      'the test policy: orders in a table keyed by order id',
      shop,
      ['account', 'research'],
      { purpose: 'order', system: 'orders', byRequest: false },
    ],
  ])('%s', (_name, policy, access, item) => {
    // WHEN the rights steps are planned for the policy
    const plan = planRights(policy);
    // THEN the access scope is the non-item purposes whose systems export locally, and the item purpose is found
    expect(plan.access).toEqual(access);
    expect(plan.item).toEqual(item);
  });

  it('prefers an item purpose whose items expire without a request to one that waits for request-handled', () => {
    // GIVEN smartsign's policy, whose only item purpose keeps ID documents until the request is handled
    const smartsign = loadPolicyFile('examples/smartsign.yaml').policy;
    // THEN that purpose is chosen, marked byRequest
    expect(planRights(smartsign).item).toEqual({ purpose: 'identity-verification', system: 'dsr-id-documents', byRequest: true });
    expect(waitsForRequestHandled(smartsign, 'identity-verification')).toBe(true);
    expect(waitsForRequestHandled(shop, 'order')).toBe(false);
    expect(waitsForRequestHandled(shop, 'no-such-purpose')).toBe(false);
  });
});

describe('chooseHold', () => {
  it('holds the purpose whose holdings all have a date, the earliest latest date, and sweeps a day after it', () => {
    // GIVEN holdings: a purpose waiting for an event, one with two dates, one with an earlier date, and an item
    const answers = [
      answer('relationship', 'crm', null, { waitingFor: ['relationship-ended'] }),
      answer('analytics', 'a', '2027-03-01T00:00:00+01:00'),
      answer('analytics', 'b', '2027-05-01T00:00:00+02:00'),
      answer('logs', 'logs', '2027-04-01T00:00:00+02:00'),
      answer('orders', 'orders', '2026-12-10T00:00:00+01:00', { ref: 'O-1' }),
    ];
    // WHEN the hold is chosen
    const hold = chooseHold(answers, 'Europe/Stockholm');
    // THEN it is logs (analytics' latest date is later), swept a day past its expiry, in the policy's time zone
    expect(hold).toEqual({ purpose: 'logs', expiresAt: '2027-04-01T00:00:00+02:00', sweepAt: '2027-04-02T00:00:00+02:00' });
  });

  it('holds nothing when no purpose has only dated holdings', () => {
    const answers = [
      answer('relationship', 'crm', null, { waitingFor: ['relationship-ended'] }),
      answer('mixed', 'a', '2027-03-01T00:00:00+01:00'),
      answer('mixed', 'b', null, { indefinite: true }),
    ];
    expect(chooseHold(answers)).toBeUndefined();
    expect(chooseHold([])).toBeUndefined();
  });
});

describe('chooseRestriction', () => {
  it.each([
    ['dh: a purpose in the DynamoDB CRM, apart from the held logs', dh, 'infrastructure-logs', 'customer-relationship'],
    ['dh: nothing held', dh, undefined, 'customer-relationship'],
    ['dh: the CRM held, so a purpose in other systems', dh, 'customer-relationship', 'support'],
    ['shop: account (profiles, files) apart from held research (surveys)', shop, 'research', 'account'],
    ['shop: account held, so research (surveys: DynamoDB)', shop, 'account', 'research'],
  ])('%s', (_name, policy, held, expected) => {
    expect(chooseRestriction(policy, held)).toBe(expected);
  });
});

describe('markOf', () => {
  it.each([
    [{ requestId: 'r-1', until: '2027-01-01T00:00:00.000Z', at: 'x' }, 'r-1', true],
    [{ requestId: 'r-10' }, 'r-1', false],
    ['r-1', 'r-1', true],
    ['r-1 until 2027-01-01T00:00:00.000Z', 'r-1', true],
    ['r-10 until 2027-01-01T00:00:00.000Z', 'r-1', false],
    ['r-10', 'r-1', false],
    [null, 'r-1', false],
    [undefined, 'r-1', false],
  ])('%j is the mark of %s: %s', (value, requestId, expected) => {
    expect(markOf(value, requestId)).toBe(expected);
  });
});

describe('zoned', () => {
  it('shows an instant in the time zone, to the second, with its offset', () => {
    expect(zoned(Temporal.Instant.from('2027-02-03T15:28:43.696Z'), 'Europe/Stockholm')).toBe('2027-02-03T16:28:43+01:00');
    expect(zoned(Temporal.Instant.from('2027-07-03T15:28:43Z'), 'Europe/Stockholm')).toBe('2027-07-03T17:28:43+02:00');
  });
});

describe('exportedFields and exportProblems', () => {
  const document = (values: Record<string, unknown>, available = true): ExportDocument =>
    ({
      format: 'lethe-export/1',
      requestId: 'r-1',
      lang: 'en',
      controller: { name: 'C', contact: 'c@example.se' },
      generatedAt: '2026-12-04T10:00:00+01:00',
      purposes: [
        {
          purpose: 'account',
          legalBases: [],
          retention: 'x',
          categories: [],
          records: [
            {
              system: 'profiles',
              fields: [
                { name: 'name', category: 'identity' },
                { name: 'email', category: 'contact' },
              ],
              ...(available ? { records: [{ source: 'item', values }] } : {}),
              available,
            },
          ],
        },
      ],
    }) as unknown as ExportDocument;
  const put: Record<string, SystemData> = {
    profiles: {
      system: 'profiles',
      connector: 'dynamodb',
      where: 'table',
      records: [{ userId: 'u-1', name: 'Karin Holm', email: 'karin.holm@example.se', phone: '+46' }],
    },
  };

  it('lists per purpose and system the fields listed and those with values', () => {
    expect(exportedFields(document({ name: 'Karin Holm' }))).toEqual([
      { purpose: 'account', system: 'profiles', listed: ['name', 'email'], withValues: ['name'], records: 1, objects: 0, available: true },
    ]);
  });

  it.each([
    ['values of listed fields equal to what was put', { name: 'Karin Holm', email: 'karin.holm@example.se' }, true, []],
    [
      'a field the policy does not list there',
      { name: 'Karin Holm', phone: '+46' },
      true,
      ['account in profiles: field phone is not one the policy lists there'],
    ],
    [
      'a value other than the one put',
      { name: 'Karin Holmberg' },
      true,
      ['account in profiles: field name differs from the value put there'],
    ],
    [
      'a field the demo did not put',
      { email: 'karin.holm@example.se', name: 'Karin Holm', nickname: 'K' },
      true,
      [
        'account in profiles: field nickname is not one the policy lists there',
        'account in profiles: field nickname was not put there by the demo',
      ],
    ],
    ['nothing exported', {}, true, ['the export holds no value at all']],
    ['a record without its export', {}, false, ['account in profiles: no export came back', 'the export holds no value at all']],
  ])('%s', (_name, values, available, problems) => {
    expect(exportProblems(document(values, available), put)).toEqual(problems);
  });
});
