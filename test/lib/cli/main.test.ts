/**
 * The `lethe` CLI end to end: most cases run in-process through `run()` (same code path as the binary,
 * minus process start-up); the binary itself, `bin/lethe.js` run as a user would run `npx lethe`, is tested in
 * main.binary.test.ts (the integration lane: a child process per command).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { auditReadProblem, chainTableProblem, run, runAsync } from '../../../lib/cli/main';
import { basePolicyDoc, yamlOf } from '../../helpers/policy';
import { tempDir } from '../../support/temp-dir';

const ROOT = join(__dirname, '..', '..', '..');
const dir = tempDir('lethe-cli-');
const file = (name: string, content: unknown): string => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
};

function lethe(...args: string[]): { code: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const code = run(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

const shop = basePolicyDoc({
  fiscalYearEnd: '06-30',
  systems: {
    crm: {
      description: 'Customer database',
      connector: 'dynamodb',
      location: 'eu-north-1',
      fields: {
        name: { category: 'identity', anonymise: { strategy: 'redact' } },
        email: { category: 'contact', anonymise: { strategy: 'hmac' } },
      },
    },
    invoices: {
      description: 'Invoice archive',
      connector: 's3',
      location: 'SE',
      fields: { name: { category: 'identity' }, amount: { category: 'order' } },
    },
    mailer: {
      description: 'Newsletter tool',
      connector: 'http',
      location: 'US',
      transferSafeguard: 'EU-US Data Privacy Framework',
      processor: 'Mailer Inc.',
      fields: { email: { category: 'contact' } },
    },
  },
  purposes: {
    orders: {
      description: 'Managing orders',
      legalBasis: 'contract',
      categories: ['identity', 'contact', 'order'],
      systems: ['crm', 'invoices'],
      retention: { from: 'order-completed', keep: 'P10Y' },
      dataSubjects: ['Customers'],
    },
    bookkeeping: {
      description: 'Bookkeeping',
      legalBasis: 'legal-obligation',
      law: 'Bokföringslagen (1999:1078) 7 kap. 2 §',
      retainReason: 'The Swedish Bookkeeping Act requires us to keep invoices for seven years.',
      categories: ['identity', 'order'],
      systems: ['invoices'],
      retention: { from: { endOfYear: 'invoiced', fiscal: true }, keep: 'P7Y' },
    },
    newsletter: {
      description: 'Newsletter | offers',
      legalBasis: 'consent',
      categories: ['contact', 'health'],
      systems: ['mailer', 'crm'],
      retention: { until: 'unsubscribed' },
      recipients: ['Advertising partners'],
    },
  },
});
const policy = file('shop.yaml', yamlOf(shop));

describe('lethe validate', () => {
  it('exits 0 for a valid policy, warning about connector configs it could not deploy', () => {
    const r = lethe('validate', policy);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/shop\.yaml: valid \(3 purposes, 3 systems\)/);
    expect(r.stderr).toMatch(/^warning: .*shop\.yaml:\d+:\d+: systems\.crm: system "crm" has no config/m);
  });

  it('with --deploy, a config Lethe cannot deploy is an error', () => {
    const r = lethe('validate', '--deploy', policy);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/systems\.mailer: system "mailer" has no config: the http connector needs one/);
  });

  it('prints nothing on stderr for a deployable example', () => {
    expect(lethe('validate', join(ROOT, 'examples', 'dh-solutions.yaml'))).toMatchObject({ code: 0, stderr: '' });
  });

  it('exits 1 with every error on stderr, each with file:line:column', () => {
    const bad = file(
      'bad.yaml',
      yamlOf({ ...shop, timezone: 'Mars/Olympus', purposes: { ...(shop.purposes as object), x: { legalBasis: 'nope' } } }),
    );
    const r = lethe('validate', bad);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines.slice(0, -1).every((l) => /^.*bad\.yaml:\d+:\d+: \S+: /.test(l))).toBe(true);
    expect(r.stderr).toMatch(/timezone: unknown IANA time zone "Mars\/Olympus"/);
    expect(r.stderr).toMatch(/purposes\.x\.legalBasis: expected legalBasis/);
    expect(r.stderr).toMatch(/purposes\.x\.retention: /);
    expect(lines[lines.length - 1]).toMatch(/^policy is invalid \(\d+ errors\)$/);
  });

  it.each([
    ['a missing file', [join(dir, 'missing.yaml')], 1, /missing\.yaml: no such file/],
    ['malformed YAML', [file('broken.yaml', 'version: [1\n')], 1, /broken\.yaml:\d+:\d+: malformed YAML/],
    ['malformed JSON', [file('broken.json', '{"version": 1,,}')], 1, /broken\.json:1:\d+: malformed JSON/],
    ['a directory', [dir], 1, /is a directory/],
    ['no argument', [], 2, /missing required argument 'policy'/],
  ])('%s → exit %s', (_name, args, code, message) => {
    const r = lethe('validate', ...args);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('validates JSON policies too', () => {
    expect(lethe('validate', file('shop.json', shop)).code).toBe(0);
  });
});

describe('lethe expiry', () => {
  it('prints the expiry with its offset and an explanation', () => {
    const holding = file('h1.json', {
      collectedAt: '2024-01-10T10:00:00+01:00',
      events: [{ type: 'order-completed', at: '2024-04-01T12:00:00+02:00' }],
    });
    const r = lethe('expiry', '--policy', policy, '--purpose', 'orders', '--holding', holding);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      purpose: 'orders',
      expiresAt: '2034-04-01T12:00:00+02:00',
      explanation: '10 years after order-completed on 2024-04-01',
    });
  });

  it('reports the events it waits for', () => {
    const holding = file('h2.json', { collectedAt: '2024-01-10T10:00:00+01:00', events: [] });
    const r = lethe('expiry', '--policy', policy, '--purpose', 'newsletter', '--holding', holding);
    expect(JSON.parse(r.stdout)).toEqual({
      purpose: 'newsletter',
      expiresAt: null,
      waitingFor: ['unsubscribed'],
      explanation: expect.stringMatching(/^waiting for unsubscribed/),
    });
  });

  it('computes the Bookkeeping Act rule with a fiscal year ending 06-30', () => {
    const holding = file('h3.json', {
      collectedAt: '2024-01-10T10:00:00+01:00',
      events: [{ type: 'invoiced', at: '2024-09-10T10:00:00+02:00' }],
    });
    const r = lethe('expiry', '--policy', policy, '--purpose', 'bookkeeping', '--holding', holding);
    expect(JSON.parse(r.stdout).expiresAt).toBe('2033-01-01T00:00:00+01:00');
  });

  it.each([
    ['an unknown purpose', 'nope', { collectedAt: '2024-01-10T10:00:00+01:00' }, /unknown purpose "nope"/],
    [
      'a timestamp without offset',
      'orders',
      { collectedAt: '2024-01-10T10:00:00' },
      /collectedAt: timestamp "2024-01-10T10:00:00" has no time with an offset or Z/,
    ],
    ['a date only', 'orders', { collectedAt: '2024-01-10' }, /collectedAt: timestamp "2024-01-10" has no time with an offset/],
    [
      'an impossible date',
      'orders',
      { collectedAt: '2024-02-30T10:00:00Z' },
      /collectedAt: "2024-02-30T10:00:00Z" is not a valid ISO 8601 timestamp/,
    ],
    [
      'an event without offset',
      'orders',
      { collectedAt: '2024-01-10T10:00:00Z', events: [{ type: 'invoiced', at: '2024-03-01T00:00' }] },
      /events\[0\]\.at: timestamp "2024-03-01T00:00" has no time with an offset/,
    ],
    [
      'an undeclared event type',
      'orders',
      { collectedAt: '2024-01-10T10:00:00Z', events: [{ type: 'shipped', at: '2024-03-01T00:00:00Z' }] },
      /events\[0\]\.type: unknown event type "shipped"/,
    ],
    [
      'an event for an unknown purpose',
      'orders',
      { collectedAt: '2024-01-10T10:00:00Z', events: [{ type: 'invoiced', at: '2024-03-01T00:00:00Z', purpose: 'x' }] },
      /events\[0\]\.purpose: unknown purpose "x"/,
    ],
    ['a missing collectedAt', 'orders', { events: [] }, /collectedAt: holding is invalid: .*; missing/],
    ['a wrong type', 'orders', { collectedAt: 5 }, /collectedAt: holding is invalid: .*got 5/],
    ['an unknown key', 'orders', { collectedAt: '2024-01-10T10:00:00Z', colectedAt: 'x' }, /unknown key "colectedAt"/],
    ['a list instead of an object', 'orders', [], /holding is invalid/],
  ])('rejects %s with exit 1 and a message naming it', (_name, purpose, holding, message) => {
    const r = lethe('expiry', '--policy', policy, '--purpose', purpose, '--holding', file('bad-holding.json', holding));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });

  it('rejects malformed JSON in the holding file with its position', () => {
    const r = lethe('expiry', '--policy', policy, '--purpose', 'orders', '--holding', file('broken-holding.json', '{"collectedAt": '));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/broken-holding\.json:1:\d+: malformed JSON/);
    expect(r.stderr).toMatch(/holding file is invalid/);
  });

  it('is a usage error without --purpose', () => {
    const r = lethe('expiry', '--policy', policy, '--holding', 'x.json');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/required option '--purpose <id>' not specified/);
  });
});

describe('lethe plan', () => {
  const subject = {
    subjectId: 'user1',
    holdings: [
      { purpose: 'orders', system: 'crm', collectedAt: '2024-01-10T10:00:00+01:00' },
      { purpose: 'orders', system: 'invoices', collectedAt: '2024-01-10T10:00:00+01:00' },
      { purpose: 'bookkeeping', system: 'invoices', collectedAt: '2024-01-10T10:00:00+01:00' },
      { purpose: 'newsletter', system: 'mailer', collectedAt: '2024-01-10T10:00:00+01:00' },
      { purpose: 'newsletter', system: 'crm', collectedAt: '2024-01-10T10:00:00+01:00' },
    ],
    events: [
      { type: 'order-completed', at: '2024-01-12T10:00:00+01:00' },
      { type: 'invoiced', at: '2024-01-12T10:00:00+01:00' },
    ],
  };

  it('plans an erasure request: deletes what it may, keeps what the law requires, with the deadline', () => {
    const s = file('s1.json', { ...subject, request: { type: 'erasure', receivedAt: '2024-05-31T09:00:00+02:00' } });
    const r = lethe('plan', '--policy', policy, '--subject', s, '--now', '2024-06-01T12:00:00+02:00');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      subjectId: 'user1',
      deadline: '2024-06-30T09:00:00+02:00',
      systems: [
        { system: 'crm', record: 'delete', removeFields: [], anonymiseFields: [], restrict: false },
        // FY 2023-07-01..2024-06-30 ends in 2024 → kept until 2032-01-01; `amount` and `name` are still needed
        { system: 'invoices', record: 'keep', removeFields: [], anonymiseFields: [], restrict: true },
        { system: 'mailer', record: 'delete', removeFields: [], anonymiseFields: [], restrict: false },
      ],
      retained: [
        {
          purpose: 'bookkeeping',
          reason: 'The Swedish Bookkeeping Act requires us to keep invoices for seven years.',
          until: '2032-01-01T00:00:00+01:00',
        },
      ],
      warnings: [],
    });
  });

  it('plans the expiry sweep without a request', () => {
    const s = file('s2.json', { ...subject, events: [...subject.events, { type: 'unsubscribed', at: '2024-02-01T10:00:00+01:00' }] });
    const r = lethe('plan', '--policy', policy, '--subject', s, '--now', '2024-06-01T12:00:00+02:00');
    expect(JSON.parse(r.stdout)).toEqual({
      subjectId: 'user1',
      deadline: null,
      systems: [
        { system: 'crm', record: 'keep', removeFields: [], anonymiseFields: [], restrict: false },
        { system: 'invoices', record: 'keep', removeFields: [], anonymiseFields: [], restrict: false },
        { system: 'mailer', record: 'delete', removeFields: [], anonymiseFields: [], restrict: false },
      ],
      retained: [],
      warnings: [],
    });
  });

  it('leaves purposes outside the scope untouched', () => {
    const s = file('s3.json', { ...subject, request: { type: 'erasure', receivedAt: '2024-05-31T09:00:00+02:00', scope: ['newsletter'] } });
    const r = lethe('plan', '--policy', policy, '--subject', s, '--now', '2024-06-01T12:00:00+02:00');
    const out = JSON.parse(r.stdout);
    expect(out.systems).toEqual([
      { system: 'crm', record: 'keep', removeFields: [], anonymiseFields: [], restrict: false },
      { system: 'invoices', record: 'keep', removeFields: [], anonymiseFields: [], restrict: false },
      { system: 'mailer', record: 'delete', removeFields: [], anonymiseFields: [], restrict: false },
    ]);
    expect(out.retained).toEqual([]);
  });

  it.each([
    ['--now without offset', { ...subject }, '2024-06-01T12:00:00', /--now: timestamp "2024-06-01T12:00:00" has no time with an offset/],
    [
      'an unknown purpose in a holding',
      { ...subject, holdings: [{ purpose: 'x', system: 'crm', collectedAt: '2024-01-10T10:00:00Z' }] },
      '2024-06-01T12:00:00Z',
      /holdings\[0\]\.purpose: unknown purpose "x"/,
    ],
    [
      'an unknown system',
      { ...subject, holdings: [{ purpose: 'orders', system: 'erp', collectedAt: '2024-01-10T10:00:00Z' }] },
      '2024-06-01T12:00:00Z',
      /holdings\[0\]\.system: unknown system "erp"/,
    ],
    [
      'an unknown purpose in the scope',
      { ...subject, request: { type: 'erasure', receivedAt: '2024-05-31T09:00:00Z', scope: ['x'] } },
      '2024-06-01T12:00:00Z',
      /request\.scope\[0\]: unknown purpose "x"/,
    ],
    [
      'an unknown request type',
      { ...subject, request: { type: 'deletion', receivedAt: '2024-05-31T09:00:00Z' } },
      '2024-06-01T12:00:00Z',
      /request\.type: subject is invalid: expected type: "erasure" \| "restriction" \| "access"; got "deletion"/,
    ],
    [
      'a hold without a reason',
      { ...subject, holds: [{ holdId: 'h1', placedAt: '2024-05-01T00:00:00Z' }] },
      '2024-06-01T12:00:00Z',
      /holds\[0\]\.reason: subject is invalid: expected a reason \(text\); missing/,
    ],
    [
      '--now before the request was received',
      { ...subject, request: { type: 'erasure', receivedAt: '2024-05-31T09:00:00Z' } },
      '2024-05-30T12:00:00Z',
      /^lethe: --now: 2024-05-30T12:00:00Z is before the request was received \(request\.receivedAt 2024-05-31T09:00:00Z\)/,
    ],
    [
      'a receivedAt without offset',
      { ...subject, request: { type: 'erasure', receivedAt: '2024-05-31' } },
      '2024-06-01T12:00:00Z',
      /request\.receivedAt: timestamp "2024-05-31" has no time/,
    ],
    ['a missing subjectId', { holdings: [] }, '2024-06-01T12:00:00Z', /subjectId: subject is invalid/],
  ])('rejects %s with exit 1', (_name, s, now, message) => {
    const r = lethe('plan', '--policy', policy, '--subject', file('bad-subject.json', s), '--now', now);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });

  it('is a usage error without --now', () => {
    expect(lethe('plan', '--policy', policy, '--subject', 'x.json').code).toBe(2);
  });
});

describe('lethe expiry and plan, version 2', () => {
  // GIVEN the version 2 shop (test/helpers/shop-policy-v2.ts) as a file, and the same rules as version 1
  const v2 = basePolicyDoc({
    version: 2,
    systems: {
      crm: { connector: 'dynamodb', location: 'eu-north-1', fields: { name: { category: 'identity' }, email: { category: 'contact' } } },
      orders: { connector: 'dynamodb', location: 'eu-north-1', fields: { lines: { category: 'order' } } },
    },
    purposes: {
      customer: {
        legalBasis: 'contract',
        categories: ['identity', 'contact'],
        systems: ['crm'],
        retention: { until: 'account-closed', keep: 'P1Y' },
      },
      order: {
        legalBasis: 'contract',
        per: 'item',
        categories: ['order'],
        systems: ['orders'],
        retention: { until: 'order-completed', keep: 'P3Y' },
      },
    },
  });
  const policyV2 = file('shop-v2.yaml', yamlOf(v2));
  const policyV1 = file(
    'shop-v1.yaml',
    yamlOf({ ...v2, version: 1, purposes: { customer: (v2.purposes as Record<string, unknown>).customer } }),
  );
  const returning = {
    subjectId: 'user1',
    holdings: [{ purpose: 'customer', system: 'crm', collectedAt: '2024-05-01T10:00:00+02:00' }],
    events: [{ type: 'account-closed', at: '2021-06-30T12:00:00+02:00' }],
  };

  it('expiry takes the item ref on the holding and its events', () => {
    const holding = file('item.json', {
      collectedAt: '2024-01-10T10:00:00+01:00',
      ref: 'O-1',
      events: [
        { type: 'order-completed', at: '2024-01-12T10:00:00+01:00', ref: 'O-1' },
        { type: 'order-completed', at: '2025-01-12T10:00:00+01:00', ref: 'O-10' },
      ],
    });
    const r = lethe('expiry', '--policy', policyV2, '--purpose', 'order', '--holding', holding);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    // 2024-01-12 + 3 years; O-10's event does not count for O-1
    expect(JSON.parse(r.stdout)).toMatchObject({ purpose: 'order', expiresAt: '2027-01-12T10:00:00+01:00' });
  });

  it('expiry refuses a per: item holding without ref, naming it', () => {
    const r = lethe(
      'expiry',
      '--policy',
      policyV2,
      '--purpose',
      'order',
      '--holding',
      file('noref.json', { collectedAt: '2024-01-10T10:00:00+01:00' }),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^lethe: \S+noref\.json: ref: purpose "order" keeps a clock per item \(per: item\): the holding needs `ref`/);
  });

  it("plan keeps a returning customer's record in version 2", () => {
    const r = lethe('plan', '--policy', policyV2, '--subject', file('returning.json', returning), '--now', '2025-01-01T12:00:00+01:00');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(r.stdout)).toEqual({
      subjectId: 'user1',
      deadline: null,
      systems: [{ system: 'crm', record: 'keep', removeFields: [], anonymiseFields: [], restrict: false }],
      retained: [],
      warnings: [],
    });
  });

  it('plan keeps version 1 meaning for a version 1 file and warns on stderr, exit 0', () => {
    const r = lethe('plan', '--policy', policyV1, '--subject', file('returning.json', returning), '--now', '2025-01-01T12:00:00+01:00');
    expect(r.code).toBe(0);
    // version 1: the 2021 account-closed counts → expired 2022-06-30 → the record is deleted
    expect(JSON.parse(r.stdout).systems).toEqual([
      { system: 'crm', record: 'delete', removeFields: [], anonymiseFields: [], restrict: false },
    ]);
    expect(JSON.parse(r.stdout).warnings).toEqual([
      expect.stringMatching(/relies on "account-closed" from before the holding's collection on 2024-05-01/),
    ]);
    expect(r.stderr).toMatch(/^warning: purpose "customer": this result relies on "account-closed"/);
  });

  it('expiry warns a version 1 result on stderr too, exit 0', () => {
    const holding = file('v1-holding.json', { collectedAt: returning.holdings[0].collectedAt, events: returning.events });
    const r = lethe('expiry', '--policy', policyV1, '--purpose', 'customer', '--holding', holding);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).expiresAt).toBe('2022-06-30T12:00:00+02:00');
    expect(r.stderr).toMatch(/^warning: purpose "customer": this result relies on "account-closed"/);
  });

  it('validate warns a version 1 file on stderr, exit 0', () => {
    const r = lethe('validate', policyV1);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: .*version: version 1 counts an event even when it happened before a holding's collection/);
  });

  it('plan takes holds and an access request, and prints the version 2 output', () => {
    const subject = {
      subjectId: 'user1',
      holdings: [
        { purpose: 'customer', system: 'crm', collectedAt: '2020-01-01T10:00:00+01:00' },
        { purpose: 'order', system: 'orders', collectedAt: '2020-01-01T10:00:00+01:00', ref: 'O-1' },
      ],
      events: [{ type: 'account-closed', at: '2021-01-01T10:00:00+01:00' }],
      holds: [{ holdId: 'h1', reason: 'Tax audit', placedAt: '2021-06-01T00:00:00+02:00', scope: { purposes: ['customer'] } }],
    };
    const sweep = lethe('plan', '--policy', policyV2, '--subject', file('held.json', subject), '--now', '2023-01-01T12:00:00+01:00');
    expect(sweep.code).toBe(0);
    expect(JSON.parse(sweep.stdout)).toEqual({
      subjectId: 'user1',
      deadline: null,
      systems: [
        { system: 'crm', record: 'keep', removeFields: [], anonymiseFields: [], restrict: true },
        // order O-1 waits for order-completed: kept
        { system: 'orders', ref: 'O-1', record: 'keep', removeFields: [], anonymiseFields: [], restrict: false },
      ],
      retained: [{ purpose: 'customer', reason: 'Tax audit', until: null, hold: 'h1', expiresAt: '2022-01-01T10:00:00+01:00' }],
      warnings: [],
    });
    const access = lethe(
      'plan',
      '--policy',
      policyV2,
      '--subject',
      file('access.json', { ...subject, request: { type: 'access', receivedAt: '2023-01-01T09:00:00+01:00' } }),
      '--now',
      '2023-01-01T12:00:00+01:00',
    );
    expect(JSON.parse(access.stdout).access).toEqual([
      { system: 'crm', purposes: ['customer'], categories: ['identity', 'contact'], fields: ['name', 'email'] },
      { system: 'orders', ref: 'O-1', purposes: ['order'], categories: ['order'], fields: ['lines'] },
    ]);
  });

  it('register takes --lang and --date; an unknown language is a usage error', () => {
    const sv = lethe('register', '--policy', policyV2, '--lang', 'sv', '--date', '2026-12-04');
    expect(sv.code).toBe(0);
    expect(sv.stdout).toMatch(/^# Registerförteckning enligt artikel 30\.1 dataskyddsförordningen/);
    expect(sv.stdout).toContain('2026-12-04');
    expect(lethe('register', '--policy', policyV2, '--lang', 'de').code).toBe(2);
  });

  it('plan refuses a per: item holding without ref, exit 1 naming it', () => {
    const s = file('noref-subject.json', {
      subjectId: 'u',
      holdings: [{ purpose: 'order', system: 'orders', collectedAt: '2024-01-10T10:00:00Z' }],
    });
    const r = lethe('plan', '--policy', policyV2, '--subject', s, '--now', '2024-06-01T00:00:00Z');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/holdings\[0\]\.ref: purpose "order" keeps a clock per item/);
  });
});

describe('lethe register', () => {
  it('prints the Art. 30 record as Markdown by default', () => {
    const r = lethe('register', '--policy', policy);
    expect(r.code).toBe(0);
    const md = r.stdout;
    expect(md).toMatch(/^# Record of processing activities/);
    expect(md).toMatch(/\| Name \| Exempel AB \|/);
    expect(md).toMatch(/\| Contact \| dpo@example\.se \|/);
    expect(md).toMatch(/\| Legal basis \| Legal obligation, Art\. 6\(1\)\(c\): Bokföringslagen \(1999:1078\) 7 kap\. 2 § \|/);
    expect(md).toMatch(/health \(Allergies\) — special category, Art\. 9/);
    expect(md).toMatch(/\| Transfers to third countries \| mailer → United States: EU-US Data Privacy Framework \|/);
    expect(md).toMatch(
      /\| Recipients \| Advertising partners; Mailer Inc\. \(processor, mailer\); Amazon Web Services EMEA SARL \(processor hosting Lethe, Sweden \(eu-north-1\)\) \|/,
    );
    expect(md).toMatch(/\| Time limit for erasure \| 10 years after the latest "order-completed" event; then erased \|/);
    expect(md).toMatch(/7 years from the end of the calendar year in which the fiscal year of the latest "invoiced" event ended/);
    expect(md).toMatch(/\| Time limit for erasure \| Until the latest "unsubscribed" event; then erased \|/);
    expect(md).toMatch(/retained, processing restricted to storage \(Art\. 18\): The Swedish Bookkeeping Act/);
    expect(md).toMatch(/^\| 3 \| Newsletter \\\| offers \| Consent, Art\. 6\(1\)\(a\) \|/m); // a pipe in a description does not break the table
    expect(md).toMatch(/\| Categories of data subjects \| Customers \|/);
  });

  it('prints CSV, one row per purpose, that a spreadsheet reads back', () => {
    const r = lethe('register', '--policy', policy, '--format', 'csv');
    const rows: string[][] = parse(r.stdout);
    expect(rows).toHaveLength(4);
    expect(rows[0]).toEqual(expect.arrayContaining(['purpose', 'legal basis', 'retention', 'third-country transfers']));
    const newsletter = rows.find((row) => row[0] === 'newsletter')!;
    expect(newsletter).toContain('Newsletter | offers');
    expect(newsletter).toContain('health');
  });

  it('prints JSON', () => {
    const r = lethe('register', '--policy', policy, '--format', 'json');
    const register = JSON.parse(r.stdout);
    expect(register.controller).toEqual({ name: 'Exempel AB', id: '556000-0000', contact: 'dpo@example.se', jointControllers: [] });
    expect(register.activities.map((a: { purpose: string }) => a.purpose)).toEqual(['orders', 'bookkeeping', 'newsletter']);
    expect(register.policyHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('rejects an unknown format as a usage error', () => {
    const r = lethe('register', '--policy', policy, '--format', 'pdf');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Allowed choices are md, csv, json/);
  });
});

describe('what a new user meets first (issue 20, item 6)', () => {
  it.each([
    ['a directory that does not exist', join(dir, 'nope', 's.json'), /^lethe: cannot write \S+s\.json: its directory does not exist\n$/],
    ['a directory', dir, /^lethe: cannot write \S+: it is a directory; give a file name/],
  ])('schema --out to %s is bad input (exit 1) naming why, not an internal error', (_what, out, message) => {
    const r = lethe('schema', '--out', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
  });

  it('--now that is not a timestamp says so, and gives an example', () => {
    const r = lethe(
      'plan',
      '--policy',
      file('p-now.yaml', yamlOf(basePolicyDoc())),
      '--subject',
      file('s-now.json', { subjectId: 'u', holdings: [] }),
      '--now',
      'tomorrow',
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'lethe: --now: expected an ISO 8601 timestamp with an offset, e.g. "2024-04-01T09:30:00+02:00" or "2024-03-31T22:00:00Z", got "tomorrow"\n',
    );
  });

  it("a subject file's error names the file as well as the path", () => {
    const s = file('bad-ts.json', { subjectId: 'u', holdings: [{ purpose: 'service', system: 'crm', collectedAt: '2024-05-31' }] });
    const r = lethe('plan', '--policy', file('p-ts.yaml', yamlOf(basePolicyDoc())), '--subject', s, '--now', '2024-06-01T00:00:00Z');
    expect(r.stderr).toMatch(/^lethe: \S+bad-ts\.json: holdings\[0\]\.collectedAt: timestamp "2024-05-31" has no time/);
  });

  it("an empty mapping gets the language's words, not zod's", () => {
    const r = lethe('validate', file('empty-map.yaml', '{}\n'));
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/received undefined|Invalid input/);
    expect(r.stderr).toMatch(/systems: missing: expected systems: a map of system ids/);
  });

  it.each([
    ['neither --bucket nor --dir', [], /^error: give either --bucket <name> or --dir <path>\n/],
    ['both --bucket and --dir', ['--bucket', 'b', '--dir', '.'], /^error: give either --bucket <name> or --dir <path>\n/],
    [
      '--endpoint-url without --bucket',
      ['--dir', '.', '--endpoint-url', 'http://127.0.0.1:9'],
      /^error: --endpoint-url goes with --bucket\n/,
    ],
    [
      'an --endpoint-url that is not a URL',
      ['--bucket', 'b', '--endpoint-url', 'not-a-url'],
      /^error: --endpoint-url: expected an http or https URL such as http:\/\/127\.0\.0\.1:4569; got "not-a-url"\n/,
    ],
    [
      '--chain-table with --dir',
      ['--dir', '.', '--chain-table', 'chain'],
      /^error: --chain-table goes with --bucket: a copy in a directory may be older than the head\n/,
    ],
    [
      '--dynamodb-endpoint-url without --chain-table',
      ['--bucket', 'b', '--dynamodb-endpoint-url', 'http://127.0.0.1:8000'],
      /^error: --dynamodb-endpoint-url goes with --chain-table\n/,
    ],
    [
      'a --dynamodb-endpoint-url that is not a URL',
      ['--bucket', 'b', '--chain-table', 'chain', '--dynamodb-endpoint-url', '127.0.0.1:8000'],
      /^error: --dynamodb-endpoint-url: expected an http or https URL such as http:\/\/127\.0\.0\.1:8000; got "127\.0\.0\.1:8000"\n/,
    ],
  ])('audit verify with %s is a usage error (exit 2, never 1: that is a broken chain)', async (_what, args, message) => {
    let stderr = '';
    const code = await runAsync(['audit', 'verify', ...args], { stdout: () => undefined, stderr: (t) => (stderr += t) });
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toMatch(/\(run with --help for usage\)/);
  });

  const awsError = (name: string, status?: number): Error =>
    Object.assign(new Error('from the SDK'), { name, ...(status ? { $metadata: { httpStatusCode: status } } : {}) });
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  it.each([
    ['no such bucket', awsError('NoSuchBucket', 404), 's3://b/audit/: no such bucket'],
    ['a wrong key', awsError('InvalidAccessKeyId', 403), /^s3:\/\/b\/audit\/: the credentials were refused \(InvalidAccessKeyId\)/],
    ['access denied', awsError('AccessDenied', 403), /^s3:\/\/b\/audit\/: access denied/],
    [
      'an endpoint nobody listens on',
      refused,
      /^s3:\/\/b\/audit\/: cannot reach http:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\); is local mode running\?/,
    ],
    ['no region', new Error('Region is missing'), /^no AWS region: set AWS_REGION/],
  ])('audit verify: %s is told as such (exit 1), not as an internal error', (_what, error, message) => {
    expect(auditReadProblem(error, 's3://b/audit/', 'http://127.0.0.1:1')).toMatch(message);
  });

  it.each([
    ['no such table', awsError('ResourceNotFoundException', 400), 'the audit-chain table chain: no such table'],
    ['a wrong key', awsError('UnrecognizedClientException', 400), /^the audit-chain table chain: the credentials were refused/],
    ['access denied', awsError('AccessDeniedException', 400), /^the audit-chain table chain: access denied; .*dynamodb:GetItem/],
    [
      'an endpoint nobody listens on',
      refused,
      /^the audit-chain table chain: cannot reach http:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\); is local mode running\?/,
    ],
    ['not an audit-chain table', awsError('AuditChainError'), 'from the SDK'],
    ['no region', new Error('Region is missing'), /^no AWS region: .*--dynamodb-endpoint-url$/],
  ])('audit verify --chain-table: %s is told as such (exit 1)', (_what, error, message) => {
    expect(chainTableProblem(error, 'chain', 'http://127.0.0.1:1')).toMatch(message);
  });

  it('audit verify --chain-table: an error that is not the setup stays an internal error', () => {
    expect(chainTableProblem(new TypeError('x is undefined'), 'chain', undefined)).toBeUndefined();
    expect(chainTableProblem(awsError('InternalServerError', 500), 'chain', undefined)).toBeUndefined();
  });

  it('audit verify: an error that is not the setup stays an internal error', () => {
    expect(auditReadProblem(new TypeError('x is undefined'), 's3://b/audit/', undefined)).toBeUndefined();
    expect(auditReadProblem(awsError('InternalError', 500), 's3://b/audit/', undefined)).toBeUndefined();
  });
});
