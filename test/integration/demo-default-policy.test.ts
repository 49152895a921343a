/**
 * `npx lethe demo` as a newcomer runs it: on the default policy (examples/dh-solutions.yaml, version 2, with item
 * purposes), starting its own local mode. It failed once on that policy while the test policy's run passed.
 * Needs Java 17+ (DynamoDB Local), as local mode does.
 */
import { runDemo } from '../../lib/demo/scenario';

jest.setTimeout(240_000);

test('runs end to end on the default policy', async () => {
  // WHEN the demo runs as `npx lethe demo` does, with no policy given
  const lines: string[] = [];
  const report = await runDemo({ out: (line) => lines.push(line) });

  // THEN its request completed, the sweep ran, and the audit chain is intact
  expect(report.requestId).toMatch(/^[0-9a-f-]{36}$/);
  expect(report.steps).toHaveLength(17);
  expect(report.sweep).toMatchObject({ status: 'SUCCEEDED' });
  expect(report.auditRecords).toBeGreaterThan(0);
  expect(lines.join('\n')).toContain('chain intact');
  // AND the item purposes it cannot register are named, never registered and refused midway
  expect(lines.join('\n')).toContain('bookkeeping: kept per item (per: item)');
  // AND the rights steps ran: a hold on infrastructure-logs and its release, a restriction of the CRM record, an
  // access export, and one of two ID documents (ref = her restriction's and her access request's ids) erased
  const { rights } = report;
  expect(rights.hold).toMatchObject({ purpose: 'infrastructure-logs' });
  expect(rights.restriction).toMatchObject({ purpose: 'customer-relationship', systems: { crm: 'restricted' } });
  expect(Object.keys(rights.access!.fields)).toEqual(['customer-relationship/crm', 'customer-identification/crm', 'service-messages/crm']);
  expect(rights.item).toMatchObject({
    purpose: 'identity-verification',
    system: 'dsr-id-documents',
    erased: rights.restriction!.requestId,
    kept: rights.access!.requestId,
  });
  expect(lines).toContainEqual(
    `    ${rights.access!.requestId}: unchanged (1 record(s) kept) (s3rver bucket dh-solutions-dsr, id-documents/customer-9/${rights.access!.requestId}/)`,
  );
  expect(lines).toContainEqual(
    expect.stringMatching(new RegExp(`^ {4}POST /restriction-requests/${rights.restriction!.requestId}/lift: 200`)),
  );
  expect(lines.join('\n')).not.toMatch(/Karin|karin\.holm/);
}, 240_000);
