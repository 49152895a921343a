/**
 * lib/local/demo.ts and console.ts: the demo values are fake but plausible, each system's locator and prefix
 * find exactly the subject's records, and what the console shows holds no personal data.
 */
import { formatLogLine, curlLines } from '../../../lib/local/console';
import { DEMO_SUBJECTS, demoLocator, demoPrefix, demoRecord, demoValue, personalValuesOf } from '../../../lib/local/demo';
import { loadPolicyFile } from '../../../lib/policy/load';
import type { SystemSpec } from '../../../lib/policy/model';

const dh = loadPolicyFile('examples/dh-solutions.yaml').policy;
const [astrid, johan, maja] = DEMO_SUBJECTS;

test('three subjects, two of whose ids are prefixes of each other, with example.se addresses', () => {
  expect(DEMO_SUBJECTS.map((s) => s.subjectId)).toEqual(['customer-1', 'customer-10', 'customer-2']);
  expect(DEMO_SUBJECTS.every((s) => s.email.endsWith('@example.se'))).toBe(true);
  expect(maja.kind).toBe('former');
  expect(personalValuesOf(astrid)).toEqual(expect.arrayContaining(['Astrid Lindqvist', 'astrid.lindqvist@example.se', 'Lindqvist']));
});

test.each([
  ['email', 'contact', 'astrid.lindqvist@example.se'],
  ['invoiceEmail', 'contact', 'astrid.lindqvist@example.se'],
  ['phone', 'contact', '+46 70 000 01 01'],
  ['ipAddress', 'technical', '192.0.2.1'],
  ['postalAddress', 'contact', 'Storgatan 1, 111 22 Stockholm'],
  ['companyName', 'company', 'Lindqvist Konsult AB'],
  ['contactName', 'identity', 'Astrid Lindqvist'],
  ['orgOrPersonalNo', 'identity', '556000-0001'],
])('demoValue(%s, %s) is %j', (name, category, value) => {
  expect(demoValue({ name, category }, astrid)).toBe(value);
});

test('the locator names a DynamoDB key other than subjectId, and the placeholders of an S3 prefix other than subjectId', () => {
  const system = (connector: SystemSpec['connector'], config: Record<string, unknown>): SystemSpec => ({
    id: 's',
    connector,
    location: 'eu-north-1',
    config,
    fields: [],
  });
  expect(demoLocator(dh.systems.crm, astrid)).toEqual({ customerId: 'C-0001' });
  expect(demoLocator(system('dynamodb', { tableName: 't', keyAttribute: 'subjectId' }), astrid)).toEqual({});
  expect(demoLocator(dh.systems['infra-logs'], astrid)).toEqual({});
  expect(demoLocator(system('s3', { bucket: 'b', prefix: 'c/{customerId}/y/{subjectId}/' }), johan)).toEqual({ customerId: 'C-0010' });
  expect(demoLocator(dh.systems.newsletter, astrid)).toEqual({});
});

test('the S3 prefix of customer-1 never matches customer-10 (the placeholder is followed by /)', () => {
  const template = String(dh.systems['infra-logs'].config.prefix);
  const one = demoPrefix(template, astrid, {});
  const ten = demoPrefix(template, johan, {});
  expect(one).toBe('access-logs/customer-1/');
  expect(ten.startsWith(one)).toBe(false);
});

test("a system's demo record has a value for each of its fields", () => {
  expect(Object.keys(demoRecord(dh.systems.crm, astrid))).toEqual(dh.systems.crm.fields.map((f) => f.name));
});

describe('console', () => {
  it('shows a function log line as ids, statuses and counts only', () => {
    const line = JSON.stringify({
      level: 'INFO',
      message: 'system done',
      requestId: 'r-1',
      system: 'crm',
      status: 'erased',
      extra: { a: 1 },
      note: 'x',
    });
    expect(formatLogLine('lethe-local-erasure-system', line)).toBe(
      '  [erasure-system] INFO system done (requestId=r-1, system=crm, status=erased)',
    );
  });
  it('shows a quarantine and the subjects a batch left for lack of time (issue 15, items 8 and 10)', () => {
    const quarantined = JSON.stringify({
      level: 'ERROR',
      message: 'holding quarantined: it failed too many sweeps and is no longer swept',
      system: 'crm',
      failedSweeps: 3,
      error: 'ConnectorPermanentError',
    });
    expect(formatLogLine('lethe-local-sweep-apply', quarantined)).toBe(
      '  [sweep-apply] ERROR holding quarantined: it failed too many sweeps and is no longer swept (system=crm, error=ConnectorPermanentError, failedSweeps=3)',
    );
    const applied = JSON.stringify({
      level: 'INFO',
      message: 'batch applied',
      sweepId: 's',
      holdingsDone: 2,
      holdingsFailed: 0,
      holdingsQuarantined: 1,
      subjectsNotDone: 3,
    });
    expect(formatLogLine('lethe-local-sweep-apply', applied)).toBe(
      '  [sweep-apply] INFO batch applied (sweepId=s, holdingsDone=2, holdingsFailed=0, holdingsQuarantined=1, subjectsNotDone=3)',
    );
  });
  it.each([
    ['metrics', JSON.stringify({ _aws: {}, Metric: 1 })],
    ['an idle sweep page', JSON.stringify({ level: 'INFO', message: 'due page read', itemsRead: 0 })],
    ["Powertools' empty-metrics notice", 'No application metrics to publish. The cold-start metric may be published'],
    ['a blank line', '  '],
  ])('skips %s', (_what, line) => {
    expect(formatLogLine('lethe-local-sweep-read', line)).toBeUndefined();
  });
  it('prints the curl lines with the token and a valid JSON body', () => {
    const lines = curlLines({ apiUrl: 'http://127.0.0.1:8787', token: 'tok', demo: { subjects: DEMO_SUBJECTS, seeded: true } });
    const post = lines.find((l) => l.includes('-X POST http://127.0.0.1:8787/erasure-requests'))!;
    expect(post).toContain(`-H 'Authorization: Bearer tok'`);
    // The API requires an Idempotency-Key: the line sends a fresh one, so that sending it again returns the same request
    expect(post).toMatch(/-H 'Idempotency-Key: [0-9a-f-]{36}'/);
    const again = curlLines({ apiUrl: 'http://127.0.0.1:8787', token: 'tok', demo: { subjects: DEMO_SUBJECTS, seeded: true } });
    expect(again.find((l) => l.includes('/erasure-requests -d'))).not.toBe(post);
    const body = JSON.parse(/-d '(.*)'$/.exec(post)![1]) as { subjectId: string; verification: { verifiedAt: string } };
    expect(body).toMatchObject({ subjectId: 'customer-1', identifiers: { email: 'astrid.lindqvist@example.se' } });
    expect(body.verification.verifiedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });
});
