import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AuditEntry,
  auditFileName,
  chainRecord,
  directorySource,
  GENESIS_HASH,
  serialiseRecord,
  serialiseRecords,
} from '../../../lib/audit';
import { checkRequestId, consoleAudit } from '../../../lib/console/audit-view';
import type { AuditRecord } from '../../../lib/core/contract';

const subjectRef = (n: number) => String(n).repeat(64).slice(0, 64);
const entry = (n: number, requestId?: string): AuditEntry => ({
  at: `2026-12-01T10:00:${String(n).padStart(2, '0')}Z`,
  kind: requestId ? 'erasure-request' : 'sweep',
  ...(requestId ? { requestId } : { sweepId: 'sweep-1' }),
  purposes: ['customer'],
  system: n % 2 ? 'crm' : 'newsletter',
  action: 'delete',
  outcome: 'erased',
  counts: { records: 1, fields: 0, objects: 0 },
  subject: subjectRef(n % 3),
  policyHash: 'a'.repeat(64),
});

/** Records 1..6: 2 and 5 of request r-1, 3 of r-10 (a prefix of neither), the rest sweeps; 4 to 6 as one segment. */
function chain(): { dir: string; records: AuditRecord[] } {
  const dir = mkdtempSync(join(tmpdir(), 'lethe-console-audit-'));
  const records: AuditRecord[] = [];
  let prev = GENESIS_HASH;
  const ids = [undefined, 'r-1', 'r-10', undefined, 'r-1', undefined];
  ids.forEach((requestId, i) => {
    const record = chainRecord(entry(i + 1, requestId), i + 1, prev);
    records.push(record);
    prev = record.hash;
  });
  for (const r of records.slice(0, 3)) writeFileSync(join(dir, auditFileName(r.seq)), serialiseRecord(r));
  writeFileSync(join(dir, auditFileName(4, 6)), serialiseRecords(records.slice(3)));
  return { dir, records };
}

let dir: string;
let records: AuditRecord[];
beforeEach(() => ({ dir, records } = chain()));
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const now = new Date('2026-12-04T18:00:00Z');

describe('the audit chain as the console shows it', () => {
  it('an intact chain: when it was checked, intact, how many records; no request records unless asked', async () => {
    expect(await consoleAudit(directorySource(dir), { now })).toEqual({ checkedAt: '2026-12-04T18:00:00.000Z', intact: true, records: 6 });
  });

  it("with a requestId: exactly that request's records (not r-10's), oldest first, ids and HMACs only", async () => {
    const shown = await consoleAudit(directorySource(dir), { requestId: 'r-1', now });
    expect(shown.requestRecords).toEqual(
      [records[1], records[4]].map((r) => ({
        seq: r.seq,
        at: r.at,
        action: 'delete',
        system: r.system,
        outcome: 'erased',
        subjectRef: r.subject,
        hash: r.hash,
      })),
    );
    expect(Object.keys(shown.requestRecords![0]).sort()).toEqual(['action', 'at', 'hash', 'outcome', 'seq', 'subjectRef', 'system']);
  });

  it('a request without records: an empty list', async () => {
    expect((await consoleAudit(directorySource(dir), { requestId: 'r-2', now })).requestRecords).toEqual([]);
  });

  it('an edited record: broken, with the kind, the sequence number and the verifier message', async () => {
    writeFileSync(join(dir, auditFileName(2)), serialiseRecord({ ...records[1], outcome: 'skipped' as AuditRecord['outcome'] }));
    const shown = await consoleAudit(directorySource(dir), { now });
    expect(shown).toMatchObject({ intact: false, records: 1, break: { kind: 'edited', seq: 2 } });
    expect(shown.break!.message).toMatch(/^record 2 \(000000000002\.json\) was edited/);
  });

  it('an unreadable object is named, never quoted (it might hold anything)', async () => {
    writeFileSync(join(dir, auditFileName(3)), 'Astrid Lindqvist, astrid@example.se');
    const shown = await consoleAudit(directorySource(dir), { now });
    expect(shown.break).toEqual({
      kind: 'unreadable',
      seq: 3,
      message: '000000000003.json is not a readable audit record (lethe audit verify says why)',
    });
    expect(JSON.stringify(shown)).not.toMatch(/Astrid|example\.se/);
  });
});

describe('?requestId=', () => {
  it.each([null])('absent: undefined', (value) => expect(checkRequestId(value)).toBeUndefined());
  it.each(['r-1', '6f1c2b1e-5f0a-4c4e-9d2a-3b1e2f4a5c6d'])('"%s" is taken', (value) => expect(checkRequestId(value)).toBe(value));
  it.each(['', '../x', 'a b', 'x'.repeat(129), '<script>'])('"%s" is a 400', (value) => {
    expect(() => checkRequestId(value)).toThrow(/^requestId: expected a request id/);
  });
});
