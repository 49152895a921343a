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
import type { ChainHead } from '../../../lib/audit/head';
import { type AuditHeadReader, checkRequestId, consoleAudit } from '../../../lib/console/audit-view';
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
    expect(await consoleAudit(directorySource(dir), { now })).toEqual({
      checkedAt: '2026-12-04T18:00:00.000Z',
      intact: true,
      records: 6,
      head: null,
      headUnchecked: 'no-chain-table',
    });
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

describe("the chain's end, checked against the head in the audit-chain table", () => {
  const head = (value: ChainHead | undefined | Error, order: string[] = []): AuditHeadReader => ({
    table: 'chain',
    async read() {
      order.push('head');
      if (value instanceof Error) throw value;
      return value;
    },
  });

  it.each([
    { name: 'the chain ends at the head', at: 6, hash: () => records[5].hash, intact: true, brk: undefined },
    {
      name: 'records written since the head was read (past it: not a break)',
      at: 4,
      hash: () => records[3].hash,
      intact: true,
      brk: undefined,
    },
    {
      name: 'the head ahead of the records (the newest removed)',
      at: 8,
      hash: () => 'e'.repeat(64),
      intact: false,
      brk: { kind: 'truncated', seq: 8, message: 'the chain ends at record 6, but the head says 8: the newest records were removed' },
    },
    {
      name: "a record at the head that is not the head's",
      at: 5,
      hash: () => 'e'.repeat(64),
      intact: false,
      brk: { kind: 'edited', seq: 5, message: "record 5 does not match the head's hash" },
    },
  ])('GIVEN $name THEN intact: $intact, and the head it was checked against', async ({ at, hash, intact, brk }) => {
    const shown = await consoleAudit(directorySource(dir), { now, head: head({ seq: at, hash: hash() }) });
    expect(shown).toEqual({ checkedAt: '2026-12-04T18:00:00.000Z', intact, records: 6, head: { seq: at }, ...(brk ? { break: brk } : {}) });
  });

  it('GIVEN the newest records removed THEN broken (truncated), where the chain alone looks intact', async () => {
    rmSync(join(dir, auditFileName(4, 6)));
    expect((await consoleAudit(directorySource(dir), { now })).intact).toBe(true);
    const shown = await consoleAudit(directorySource(dir), { now, head: head({ seq: 6, hash: records[5].hash }) });
    expect(shown).toMatchObject({ intact: false, records: 3, head: { seq: 6 }, break: { kind: 'truncated', seq: 6 } });
  });

  it('GIVEN a table with no head yet THEN the end is not checked, and it says why', async () => {
    const shown = await consoleAudit(directorySource(dir), { now, head: head(undefined) });
    expect(shown).toMatchObject({ intact: true, records: 6, head: null, headUnchecked: 'no-head-recorded' });
  });

  it('reads the head before the records (the writer moves it only after storing)', async () => {
    const order: string[] = [];
    const source = directorySource(dir);
    const listing = { ...source, names: () => (order.push('records'), source.names()) };
    await consoleAudit(listing, { now, head: head({ seq: 6 }, order) });
    expect(order).toEqual(['head', 'records']);
  });

  it('GIVEN the table cannot be read THEN a 502 naming the table and the permission, not the error text', async () => {
    const denied = Object.assign(new Error('User arn:aws:iam::1:user/astrid is not authorized'), { name: 'AccessDeniedException' });
    const answer = consoleAudit(directorySource(dir), { now, head: head(denied) });
    await expect(answer).rejects.toMatchObject({
      status: 502,
      message: 'the audit-chain table chain cannot be read (AccessDeniedException): the credentials need dynamodb:GetItem on it',
    });
  });
});

describe('?requestId=', () => {
  it.each([null])('absent: undefined', (value) => expect(checkRequestId(value)).toBeUndefined());
  it.each(['r-1', '6f1c2b1e-5f0a-4c4e-9d2a-3b1e2f4a5c6d'])('"%s" is taken', (value) => expect(checkRequestId(value)).toBe(value));
  it.each(['', '../x', 'a b', 'x'.repeat(129), '<script>'])('"%s" is a 400', (value) => {
    expect(() => checkRequestId(value)).toThrow(/^requestId: expected a request id/);
  });
});
