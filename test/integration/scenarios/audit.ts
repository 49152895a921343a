/**
 * The audit trail after everything the other scenarios did: the chain verifies (and a tampered copy does not),
 * and no audit record and no function log line holds a seeded name or e-mail address. Runs last.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { auditFileName, directorySource, serialiseRecord, verifyChain } from '../../../lib/audit';
import { runAsync } from '../../../lib/cli/main';
import { DEMO_ERASED, DEMO_EXPIRING } from '../../../lib/demo/scenario';
import { DEMO_SUBJECTS, personalValuesOf } from '../../../lib/local';
import type { Harness } from '../support/harness';
import { SEEDED_USERS } from '../support/harness';

const captured = () => {
  const out: string[] = [];
  return { io: { stdout: (t: string) => out.push(t), stderr: (t: string) => out.push(t) }, text: () => out.join('') };
};

export function defineAuditScenarios(harness: () => Harness): void {
  describe('the audit trail', () => {
    let copy: string;
    beforeAll(() => {
      copy = mkdtempSync(path.join(tmpdir(), 'lethe-it-audit-'));
    });
    afterAll(() => rmSync(copy, { recursive: true, force: true }));

    test('the audit chain of everything above verifies against its head, and a tampered copy does not', async () => {
      const { local } = harness();
      // GIVEN the records the scenarios wrote (erasures, sweeps, TTL; the demo's hold, restriction and access requests,
      // and its replay after a restore)
      const records = await local.auditRecords();
      expect(records.length).toBeGreaterThanOrEqual(20);
      expect(new Set(records.map((r) => r.kind))).toEqual(
        new Set(['erasure-request', 'sweep', 'ttl', 'hold', 'restriction-request', 'access-request', 'replay']),
      );

      // WHEN the chain in the bucket is verified (lib/audit, with the head from the chain table)
      const report = await local.verifyAudit();

      // THEN it is intact, every record in order
      expect(report.break).toBeUndefined();
      expect(report.records).toBe(records.length);
      expect(records.map((r) => r.seq)).toEqual(records.map((_r, i) => i + 1));

      // GIVEN a copy of the records on disk, which `lethe audit verify --dir` accepts
      mkdirSync(path.join(copy, 'audit'));
      for (const r of records) writeFileSync(path.join(copy, 'audit', auditFileName(r.seq)), serialiseRecord(r));
      const intact = captured();
      expect(await runAsync(['audit', 'verify', '--dir', copy], intact.io)).toBe(0);
      expect(intact.text()).toContain(`ok, ${records.length} records, chain intact`);

      // WHEN one record in the middle of the copy is edited (an erasure turned into a retention)
      const victim = records[Math.floor(records.length / 2)];
      const file = path.join(copy, 'audit', auditFileName(victim.seq));
      writeFileSync(file, readFileSync(file, 'utf8').replace(`"outcome": "${victim.outcome}"`, '"outcome": "retained"'));

      // THEN verification names the edited record, from the library and from the command line
      const tampered = await verifyChain(directorySource(copy));
      expect(tampered.break).toMatchObject({ kind: 'edited', seq: victim.seq });
      expect(tampered.records).toBe(victim.seq - 1);
      const broken = captured();
      expect(await runAsync(['audit', 'verify', '--dir', copy], broken.io)).toBe(1);
      expect(broken.text()).toContain(`record ${victim.seq}`);
      expect(await runAsync(['audit', 'verify'], captured().io)).toBe(2); // neither --bucket nor --dir: a usage error (exit 2, since 84c73e1)
    });

    test('no audit record and no log line holds a seeded name or e-mail address', async () => {
      const { local } = harness();
      // GIVEN every personal value seeded (the tests' users, local mode's and the demo's subjects): whole names,
      // e-mail addresses, phone numbers and addresses anywhere; each name part of 4+ letters as a word
      const users = [
        ...SEEDED_USERS.map((u) => ({ values: [u.name, u.email, u.phone, u.address], parts: u.name.split(' ') })),
        ...[...DEMO_SUBJECTS, DEMO_ERASED, DEMO_EXPIRING].map((s) => ({ values: personalValuesOf(s), parts: s.name.split(' ') })),
      ];
      const values = users.flatMap((u) => u.values);
      const words = users.flatMap((u) => u.parts).filter((p) => p.length >= 4);
      const found = (text: string): string[] => [
        ...new Set([
          ...values.filter((v) => text.includes(v)),
          ...words.filter((w) => new RegExp(`(^|[^\\p{L}])${w}([^\\p{L}]|$)`, 'u').test(text)),
        ]),
      ];
      expect(SEEDED_USERS.length).toBeGreaterThanOrEqual(15);
      // (the search finds what it looks for)
      expect(found(JSON.stringify({ message: 'x', to: SEEDED_USERS[0].email }))).toEqual([SEEDED_USERS[0].email]);
      expect(found(`{"name":"${DEMO_SUBJECTS[0].name.split(' ')[1]}"}`)).toEqual([DEMO_SUBJECTS[0].name.split(' ')[1]]);

      // WHEN every audit record and every function log line (and the log file) is searched
      const records = (await local.auditRecords()).map((r) => JSON.stringify(r));
      const lines = local.logLines();
      const file = readFileSync(local.logFile, 'utf8');

      // THEN there was plenty to search: the functions logged what they did...
      expect(lines.length).toBeGreaterThan(200);
      expect(lines.some((l) => l.includes('erasure request received'))).toBe(true);
      expect(lines.some((l) => l.includes('TTL removed an active holding'))).toBe(true);
      // ...and none of it holds a name or an e-mail address
      const leaks = (texts: readonly string[]) => texts.flatMap((text, i) => found(text).map((value) => `#${i}: ${value}`));
      expect(leaks(records)).toEqual([]);
      expect(leaks(lines)).toEqual([]);
      expect(leaks([file])).toEqual([]);
    });
  });
}
