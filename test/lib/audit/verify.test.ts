/**
 * lib/audit/verify.ts: the verifier of the audit chain reports the first break: a removed record, an edited one, one
 * replaced with a re-hashed forgery; with the head, removed newest records. Also `lethe audit verify` (--dir, --bucket,
 * --chain-table) and its exit codes. (The writer is
 * tested in writer.test.ts, canonical JSON in canonical.test.ts.)
 */
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AuditChainError,
  type AuditSource,
  auditFileName,
  auditObjectKey,
  DEFAULT_READ_AHEAD,
  s3Source,
  chainRecord,
  directorySource,
  GENESIS_HASH,
  hashOfRecord,
  serialiseRecord,
  serialiseRecords,
  verifyChain,
  type AuditEntry,
} from '../../../lib/audit';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { runAsync } from '../../../lib/cli/main';
import { FakeS3 } from '../runtime/support/aws';

const entry = (n: number): AuditEntry => ({
  at: `2025-03-01T10:00:${String(n % 60).padStart(2, '0')}+01:00`,
  kind: 'sweep',
  sweepId: 'sweep-1',
  purposes: ['customer'],
  system: n % 2 ? 'crm' : 'orders',
  action: 'delete',
  outcome: 'erased',
  counts: { records: 1, fields: 0, objects: n },
  subject: 'f'.repeat(64),
  policyHash: 'a'.repeat(64),
});

/** A chain of `n` records as files in a fresh directory. */
function chainDir(n: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'lethe-audit-'));
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const record = chainRecord(entry(seq), seq, prev);
    writeFileSync(join(dir, `${String(seq).padStart(12, '0')}.json`), serialiseRecord(record));
    prev = record.hash;
  }
  return dir;
}

const file = (dir: string, seq: number) => join(dir, `${String(seq).padStart(12, '0')}.json`);

describe('verifyChain', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts an intact chain', async () => {
    dir = chainDir(5);
    const report = await verifyChain(directorySource(dir));
    expect(report.break).toBeUndefined();
    expect(report.records).toBe(5);
    expect(report.last?.seq).toBe(5);
  });

  // Every record action the runtime audits (contract RecordAction, and a hold's) is one the verifier reads.
  it.each([
    ['restriction-request', 'restrict', 'restricted'],
    ['restriction-request', 'unrestrict', 'unrestricted'],
    ['access-request', 'export', 'exported'],
    ['hold', 'hold', 'held'],
  ] as const)('accepts a %s record with action %s', async (kind, action, outcome) => {
    // GIVEN a chain whose second record is of that kind and action
    dir = mkdtempSync(join(tmpdir(), 'lethe-audit-'));
    let prev = GENESIS_HASH;
    for (let seq = 1; seq <= 3; seq++) {
      const base = entry(seq);
      const record = chainRecord(seq === 2 ? { ...base, kind, action, outcome, requestId: 'r-1' } : base, seq, prev);
      writeFileSync(file(dir, seq), serialiseRecord(record));
      prev = record.hash;
    }
    // WHEN it is verified
    const report = await verifyChain(directorySource(dir));
    // THEN it is intact, all three read
    expect(report.break).toBeUndefined();
    expect(report.records).toBe(3);
  });

  // Table-driven: each tampering and the break the verifier must report first.
  const cases: { name: string; tamper: (dir: string) => void; kind: string; seq: number; records: number }[] = [
    { name: 'a removed record (a gap)', tamper: (d) => unlinkSync(file(d, 3)), kind: 'gap', seq: 4, records: 2 },
    { name: 'the first record removed', tamper: (d) => unlinkSync(file(d, 1)), kind: 'gap', seq: 2, records: 0 },
    {
      name: 'an edited record (content changed, hash kept)',
      tamper: (d) => {
        const r = JSON.parse(readFileSync(file(d, 2), 'utf8'));
        r.outcome = 'nothing-found';
        writeFileSync(file(d, 2), JSON.stringify(r));
      },
      kind: 'edited',
      seq: 2,
      records: 1,
    },
    {
      name: 'an edited record with a key added',
      tamper: (d) => {
        const r = JSON.parse(readFileSync(file(d, 4), 'utf8'));
        r.note = 'added later';
        writeFileSync(file(d, 4), JSON.stringify(r));
      },
      kind: 'edited',
      seq: 4,
      records: 3,
    },
    {
      name: 'a record replaced with a re-hashed forgery',
      tamper: (d) => {
        const r = JSON.parse(readFileSync(file(d, 2), 'utf8'));
        r.counts.records = 0;
        r.hash = hashOfRecord(r);
        writeFileSync(file(d, 2), JSON.stringify(r));
      },
      kind: 'broken-link',
      seq: 3,
      records: 2,
    },
    {
      name: 'a record stored under another number',
      tamper: (d) => writeFileSync(file(d, 3), readFileSync(file(d, 2))),
      kind: 'misnamed',
      seq: 2,
      records: 2,
    },
    { name: 'a record that is not JSON', tamper: (d) => writeFileSync(file(d, 5), '{ not json'), kind: 'unreadable', seq: 0, records: 4 },
  ];

  it.each(cases)('reports $name', async ({ tamper, kind, seq, records }) => {
    // GIVEN an intact chain of 5 records
    dir = chainDir(5);
    // WHEN it is tampered with
    tamper(dir);
    const report = await verifyChain(directorySource(dir));
    // THEN the first break is reported, with the records before it intact
    expect(report.break?.kind).toBe(kind);
    if (seq) expect(report.break?.seq).toBe(seq);
    expect(report.records).toBe(records);
  });

  // A folder may hold files that are not audit records at all (issue 20: `--dir` on the wrong folder printed zod's
  // wording). The message says what is wrong in our words and never quotes a value (a stray file may hold anything).
  it.each([
    { name: 'a JSON object of another kind', content: { seq: 5, note: 'a-secret-value' }, says: 'the field prevHash is missing' },
    { name: 'a list of text', content: ['a-secret-value'], says: '[0]: expected a JSON object with the fields of an audit record' },
    { name: 'a seq that is text', content: { ...entry(5), seq: 'a-secret-value' }, says: 'the field seq is not a whole number' },
    {
      name: 'an unknown kind',
      content: { ...entry(5), seq: 5, prevHash: 'a'.repeat(64), kind: 'a-secret-value' },
      says: 'the field kind is none of',
    },
    {
      name: 'a hash that is not hex',
      content: { ...entry(5), seq: 5, prevHash: 'a-secret-value' },
      says: 'the field prevHash is not valid: expected 64 lowercase hex digits',
    },
  ])('says in its own words why $name is not an audit record', async ({ content, says }) => {
    // GIVEN a chain of 4 records and, where the fifth should be, a file that is not an audit record
    dir = chainDir(4);
    writeFileSync(file(dir, 5), JSON.stringify(content));
    // WHEN the chain is verified
    const report = await verifyChain(directorySource(dir));
    // THEN the file is unreadable, named, in our words and without its values
    expect(report.break?.kind).toBe('unreadable');
    expect(report.break?.message).toContain(says);
    expect(report.break?.message).not.toMatch(/Invalid input|received|a-secret-value/);
  });

  it('detects removed newest records against the head', async () => {
    dir = chainDir(5);
    unlinkSync(file(dir, 5));
    expect((await verifyChain(directorySource(dir))).break).toBeUndefined(); // the chain alone cannot tell
    const report = await verifyChain(directorySource(dir), { expectedHead: { seq: 5 } });
    expect(report.break?.kind).toBe('truncated');
  });

  describe('reachesHead: the head read before the records, on a chain written to meanwhile', () => {
    const hashOf = (d: string, seq: number) => (JSON.parse(readFileSync(file(d, seq), 'utf8')) as { hash: string }).hash;
    it.each([
      { name: 'the chain ends at the head', records: 5, head: 5, kind: undefined },
      { name: 'records written past the head (not a break)', records: 5, head: 3, kind: undefined },
      { name: 'the newest records removed, short of the head', records: 3, head: 5, kind: 'truncated' },
      { name: 'every record removed', records: 0, head: 2, kind: 'truncated' },
    ])('GIVEN $name THEN $kind', async ({ records, head, kind }) => {
      dir = chainDir(Math.max(records, 1));
      if (records === 0) unlinkSync(file(dir, 1));
      const report = await verifyChain(directorySource(dir), { reachesHead: { seq: head } });
      expect(report.break?.kind).toBe(kind);
      expect(report.records).toBe(records);
      if (kind) {
        expect(report.break).toMatchObject({ seq: head, name: `audit/${String(head).padStart(12, '0')}.json` });
        expect(report.break?.message).toBe(
          `the chain ends at record ${records}, but the head says ${head}: the newest records were removed`,
        );
      }
    });

    it("GIVEN the head's hash THEN the record at the head must have it, wherever the chain ends", async () => {
      dir = chainDir(5);
      expect((await verifyChain(directorySource(dir), { reachesHead: { seq: 3, hash: hashOf(dir, 3) } })).break).toBeUndefined();
      const report = await verifyChain(directorySource(dir), { reachesHead: { seq: 3, hash: 'f'.repeat(64) } });
      expect(report.break).toMatchObject({ kind: 'edited', seq: 3, message: "record 3 does not match the head's hash" });
    });
  });
});

describe('verifyChain over segments', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Records 1..5, with 2..4 written together: `1.json`, `2-4.json`, `5.json`. */
  function segmentedDir(): string {
    const d = mkdtempSync(join(tmpdir(), 'lethe-audit-'));
    const records = [];
    let prev = GENESIS_HASH;
    for (let seq = 1; seq <= 5; seq++) {
      records.push(chainRecord(entry(seq), seq, prev));
      prev = records.at(-1)!.hash;
    }
    writeFileSync(join(d, auditFileName(1)), serialiseRecords(records.slice(0, 1)));
    writeFileSync(join(d, auditFileName(2, 4)), serialiseRecords(records.slice(1, 4)));
    writeFileSync(join(d, auditFileName(5)), serialiseRecords(records.slice(4)));
    return d;
  }
  const segment = (d: string) => join(d, auditFileName(2, 4));
  const editSegment = (d: string, change: (records: Record<string, unknown>[]) => unknown[]) =>
    writeFileSync(segment(d), JSON.stringify(change(JSON.parse(readFileSync(segment(d), 'utf8')))));

  it('accepts an intact chain of records and segments', async () => {
    dir = segmentedDir();
    const report = await verifyChain(directorySource(dir), { expectedHead: { seq: 5 } });
    expect(report.break).toBeUndefined();
    expect(report.records).toBe(5);
  });

  const cases: { name: string; tamper: (dir: string) => void; kind: string; seq: number; records: number }[] = [
    { name: 'a removed segment', tamper: (d) => unlinkSync(segment(d)), kind: 'gap', seq: 5, records: 1 },
    {
      name: 'a record removed from inside a segment',
      tamper: (d) => editSegment(d, (rs) => [rs[0], rs[2]]),
      kind: 'gap',
      seq: 4,
      records: 2,
    },
    {
      name: 'an edited record inside a segment',
      tamper: (d) =>
        editSegment(d, (rs) => {
          rs[1].outcome = 'nothing-found';
          return rs;
        }),
      kind: 'edited',
      seq: 3,
      records: 2,
    },
    {
      name: 'a segment cut to its first record under its old name',
      tamper: (d) => editSegment(d, (rs) => [rs[0]]),
      kind: 'misnamed',
      seq: 2,
      records: 1,
    },
    {
      name: 'a segment renamed',
      tamper: (d) => {
        writeFileSync(join(d, auditFileName(2, 3)), readFileSync(segment(d)));
        unlinkSync(segment(d));
      },
      kind: 'misnamed',
      seq: 2,
      records: 1,
    },
    { name: 'an empty segment', tamper: (d) => editSegment(d, () => []), kind: 'unreadable', seq: 0, records: 1 },
  ];

  it.each(cases)('reports $name', async ({ tamper, kind, seq, records }) => {
    // GIVEN an intact chain of 5 records, 2 to 4 in one segment
    dir = segmentedDir();
    // WHEN it is tampered with
    tamper(dir);
    const report = await verifyChain(directorySource(dir));
    // THEN the first break is reported, with the records before it intact
    expect(report.break?.kind).toBe(kind);
    if (seq) expect(report.break?.seq).toBe(seq);
    expect(report.records).toBe(records);
  });
});

describe('verifyChain reads ahead (readAhead), and checks in order', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** The directory's chain, each read resolved after `delayMs` and watched: how many at once, and which names. */
  function watched(delayMs: number, fail?: { name: string; error: Error }) {
    const inner = directorySource(dir);
    const seen = { inFlight: 0, most: 0, read: [] as string[] };
    const source: AuditSource = {
      description: inner.description,
      names: () => inner.names(),
      async read(name) {
        seen.read.push(name);
        seen.inFlight++;
        seen.most = Math.max(seen.most, seen.inFlight);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        seen.inFlight--;
        if (fail?.name === name) throw fail.error;
        return inner.read(name);
      },
    };
    return { source, seen };
  }

  it.each([
    { readAhead: 0, most: 1 },
    { readAhead: 3, most: 4 },
    { readAhead: undefined, most: 1 + DEFAULT_READ_AHEAD },
  ])(
    'GIVEN readAhead $readAhead THEN at most $most reads at once, and the report is the one-by-one report',
    async ({ readAhead, most }) => {
      // GIVEN a chain of 40 records, each read taking 5 ms
      dir = chainDir(40);
      const { source, seen } = watched(5);
      // WHEN it is verified
      const report = await verifyChain(source, readAhead === undefined ? {} : { readAhead });
      // THEN every record is checked, each read once, at most `most` at a time
      expect(report).toEqual(await verifyChain(directorySource(dir), { readAhead: 0 }));
      expect(report).toMatchObject({ records: 40, last: { seq: 40 } });
      expect(report.break).toBeUndefined();
      expect(seen.most).toBe(most);
      expect([...seen.read].sort()).toEqual((await directorySource(dir).names()).sort());
    },
  );

  it('GIVEN a removed record THEN the first break is reported as one by one, and nothing is read more than readAhead past it', async () => {
    // GIVEN a chain of 40 records with record 10 removed
    dir = chainDir(40);
    unlinkSync(file(dir, 10));
    const { source, seen } = watched(1);
    // WHEN it is verified 4 objects ahead
    const report = await verifyChain(source, { readAhead: 4 });
    // THEN the gap before 11 is the break, 9 records good; 11 is the 10th name, so at most names 1 to 14 were read
    expect(report.break).toMatchObject({ kind: 'gap', seq: 11 });
    expect(report.records).toBe(9);
    expect(seen.read.length).toBeLessThanOrEqual(14);
  });

  it('GIVEN a read that fails ahead of a break THEN no unhandled rejection; a read that fails in turn is reported unreadable', async () => {
    // GIVEN a chain of 20 records: record 5 edited, and the read of record 7 fails
    dir = chainDir(20);
    const edited = JSON.parse(readFileSync(file(dir, 5), 'utf8')) as Record<string, unknown>;
    writeFileSync(file(dir, 5), JSON.stringify({ ...edited, outcome: 'kept' }));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { source } = watched(1, { name: auditFileName(7), error: new Error('SlowDown') });
      // WHEN it is verified 8 ahead THEN the edit is the break; the failed read past it is dropped
      expect((await verifyChain(source, { readAhead: 8 })).break).toMatchObject({ kind: 'edited', seq: 5 });
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
      // AND WHEN nothing breaks before the failed read THEN that object is unreadable, named
      writeFileSync(file(dir, 5), JSON.stringify(edited));
      const report = await verifyChain(watched(1, { name: auditFileName(7), error: new Error('SlowDown') }).source, { readAhead: 8 });
      expect(report.break).toMatchObject({ kind: 'unreadable', name: auditFileName(7) });
      expect(report.break?.message).toContain('SlowDown');
      expect(report.records).toBe(6);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it.each([-1, 1.5, Number.NaN])('GIVEN readAhead %p THEN an error naming it, nothing read', async (readAhead) => {
    dir = chainDir(2);
    const { source, seen } = watched(1);
    await expect(verifyChain(source, { readAhead })).rejects.toThrow(
      new AuditChainError(`the audit chain cannot be read ${String(readAhead)} objects ahead: readAhead is a whole number, 0 or more`),
    );
    expect(seen.read).toEqual([]);
  });
});

describe('s3Source', () => {
  it("GIVEN a listing THEN each key's listed version is its ETag in that listing, and names are only the .json keys", async () => {
    // GIVEN a bucket listed in two pages, one key not a record, one listed without an ETag
    const s3 = mockClient(S3Client);
    try {
      s3.on(ListObjectsV2Command)
        .resolvesOnce({
          Contents: [
            { Key: auditObjectKey(1), ETag: '"e1"' },
            { Key: 'audit/README.txt', ETag: '"t"' },
          ],
          IsTruncated: true,
          NextContinuationToken: 'next',
        })
        .resolvesOnce({ Contents: [{ Key: auditObjectKey(2) }], IsTruncated: false })
        .resolves({ Contents: [{ Key: auditObjectKey(1), ETag: '"e1-new"' }], IsTruncated: false });
      const source = s3Source(new S3Client({ region: 'eu-north-1' }), 'b');
      // WHEN listed THEN the names and their ETags
      expect(await source.names()).toEqual([auditObjectKey(1), auditObjectKey(2)]);
      expect([auditObjectKey(1), auditObjectKey(2), 'audit/README.txt'].map((k) => source.listedVersion?.(k))).toEqual([
        '"e1"',
        undefined,
        undefined,
      ]);
      // AND WHEN listed again THEN the versions are the new listing's, the old one's gone
      expect(await source.names()).toEqual([auditObjectKey(1)]);
      expect(source.listedVersion?.(auditObjectKey(1))).toBe('"e1-new"');
    } finally {
      s3.restore();
    }
  });
});

describe('lethe audit verify', () => {
  async function lethe(...args: string[]) {
    let stdout = '';
    let stderr = '';
    const code = await runAsync(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
    return { code, stdout, stderr };
  }
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0 for an intact chain and 1 for a removed record, naming it', async () => {
    dir = chainDir(3);
    const ok = await lethe('audit', 'verify', '--dir', dir);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/ok, 3 records, chain intact/);
    unlinkSync(file(dir, 2));
    const broken = await lethe('audit', 'verify', '--dir', dir);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/chain broken \(gap\).*record 2 is missing/);
  });

  it('exits 1 for an edited record', async () => {
    dir = chainDir(3);
    const r = JSON.parse(readFileSync(file(dir, 1), 'utf8'));
    r.system = 'elsewhere';
    writeFileSync(file(dir, 1), JSON.stringify(r));
    const result = await lethe('audit', 'verify', '--dir', dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/record 1 .* was edited/);
  });

  it('reads a copy of the bucket (<dir>/audit/)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lethe-audit-'));
    const nested = chainDir(2);
    mkdirSync(join(dir, 'audit'));
    for (const seq of [1, 2]) writeFileSync(join(dir, 'audit', `${String(seq).padStart(12, '0')}.json`), readFileSync(file(nested, seq)));
    rmSync(nested, { recursive: true });
    expect((await lethe('audit', 'verify', '--dir', dir)).code).toBe(0);
  });

  it('reads a bucket', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lethe-audit-'));
    const s3 = new FakeS3();
    try {
      let prev = GENESIS_HASH;
      for (let seq = 1; seq <= 3; seq++) {
        const record = chainRecord(entry(seq), seq, prev);
        s3.objects.set(`b/${auditObjectKey(seq)}`, { body: serialiseRecord(record) });
        prev = record.hash;
      }
      process.env.AWS_REGION ??= 'eu-north-1';
      const ok = await lethe('audit', 'verify', '--bucket', 'b', '--endpoint-url', 'http://127.0.0.1:4569');
      expect(ok.code).toBe(0);
      s3.objects.delete(`b/${auditObjectKey(2)}`);
      const broken = await lethe('audit', 'verify', '--bucket', 'b');
      expect(broken.code).toBe(1);
      expect(broken.stderr).toMatch(/s3:\/\/b\/audit\/.*gap/);
    } finally {
      s3.mock.restore();
    }
  });

  describe('--chain-table: the chain must reach the head recorded there', () => {
    // Made when these tests start, not when the file loads: 'reads a bucket' mocks S3 on its own before.
    let s3: FakeS3;
    let ddb: AwsClientStub<DynamoDBClient>;
    beforeAll(() => {
      s3 = new FakeS3();
      ddb = mockClient(DynamoDBClient);
    });
    afterEach(() => ddb.reset());
    afterAll(() => {
      s3.mock.restore();
      ddb.restore();
    });
    /** Records 1..n in bucket b, and the head at `head` (none: no head item). */
    function given(n: number, head?: number) {
      s3.objects.clear();
      let prev = GENESIS_HASH;
      for (let seq = 1; seq <= n; seq++) {
        const record = chainRecord(entry(seq), seq, prev);
        s3.objects.set(`b/${auditObjectKey(seq)}`, { body: serialiseRecord(record) });
        prev = record.hash;
      }
      ddb.on(GetItemCommand).resolves(head === undefined ? {} : { Item: { id: { S: 'head' }, seq: { N: String(head) } } });
    }
    const verify = (...more: string[]) =>
      lethe('audit', 'verify', '--bucket', 'b', '--endpoint-url', 'http://127.0.0.1:4569', '--chain-table', 'chain', ...more);

    it('GIVEN the chain reaches the head THEN exit 0, saying so, the head read from the named table on the given endpoint', async () => {
      dir = mkdtempSync(join(tmpdir(), 'lethe-audit-'));
      given(3, 3);
      const ok = await verify('--dynamodb-endpoint-url', 'http://127.0.0.1:8000');
      expect(ok).toMatchObject({ code: 0, stderr: '' });
      expect(ok.stdout).toMatch(/ok, 3 records, chain intact \(last 000000000003\.json\), reaches the head in chain \(record 3\)\n$/);
      expect(ddb.commandCalls(GetItemCommand)[0].args[0].input).toMatchObject({ TableName: 'chain', ConsistentRead: true });
      expect(await ddb.commandCalls(GetItemCommand)[0].thisValue.config.endpoint?.()).toMatchObject({ hostname: '127.0.0.1', port: 8000 });
    });

    it('GIVEN the newest records removed (the chain alone is consistent) THEN exit 1, truncated', async () => {
      dir = mkdtempSync(join(tmpdir(), 'lethe-audit-'));
      given(3, 5);
      expect((await lethe('audit', 'verify', '--bucket', 'b', '--endpoint-url', 'http://127.0.0.1:4569')).code).toBe(0);
      const broken = await verify();
      expect(broken.code).toBe(1);
      expect(broken.stderr).toMatch(/chain broken \(truncated\): the chain ends at record 3, but the head says 5/);
    });

    it('GIVEN no head recorded THEN the chain alone is checked, with a warning that its end was not', async () => {
      dir = mkdtempSync(join(tmpdir(), 'lethe-audit-'));
      given(2);
      const result = await verify();
      expect(result.code).toBe(0);
      expect(result.stderr).toBe("warning: chain records no head (no audit record written yet): the chain's end is not checked\n");
      expect(result.stdout).not.toMatch(/head/);
    });

    it('GIVEN no such table THEN exit 1 naming it', async () => {
      dir = mkdtempSync(join(tmpdir(), 'lethe-audit-'));
      given(2);
      ddb.on(GetItemCommand).rejects(Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' }));
      const result = await verify();
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/the audit-chain table chain: no such table/);
    });
  });

  it('needs exactly one of --bucket and --dir: a usage error (2), never 1, which is a broken chain', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lethe-audit-'));
    const neither = await lethe('audit', 'verify');
    expect(neither.code).toBe(2);
    expect(neither.stderr).toMatch(/--bucket <name> or --dir <path>/);
    expect((await lethe('audit', 'verify', '--dir', dir, '--bucket', 'b')).code).toBe(2);
  });
});
