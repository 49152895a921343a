/**
 * lib/audit/writer.ts: the AuditWriter chains records without a shared or skipped number under concurrent writers,
 * leaves no gap when a writer dies between claiming and storing, writes segments, applies Object Lock retention,
 * refuses bad settings and gives up, naming why, when it cannot claim a number. On the in-memory DynamoDB and S3.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  auditObjectKey,
  AuditWriter,
  GENESIS_HASH,
  padSeq,
  recordsOf,
  s3Source,
  verifyChain,
  type AuditEntry,
  type AuditSource,
} from '../../../lib/audit';
import { AuditChainError } from '../../../lib/audit/errors';
import { FakeS3 } from '../runtime/support/aws';
import { FakeDynamo } from '../runtime/support/fake-dynamodb';

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

describe('AuditWriter', () => {
  const TABLE = 'audit-chain';
  const BUCKET = 'audit-bucket';
  let ddb: FakeDynamo;
  let s3: FakeS3;
  let writer: AuditWriter;
  const documents = () => DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-north-1' }));
  const bucketSource = (): AuditSource => s3Source(new S3Client({ region: 'eu-north-1' }), BUCKET);

  beforeEach(() => {
    ddb = new FakeDynamo().createTable(TABLE, { partitionKey: 'id' });
    s3 = new FakeS3();
    writer = new AuditWriter(documents(), new S3Client({ region: 'eu-north-1' }), { chainTable: TABLE, bucket: BUCKET });
  });
  afterEach(() => {
    ddb.restore();
    s3.mock.restore();
  });

  it('chains records one after the other', async () => {
    const first = await writer.write(entry(1));
    const second = await writer.write(entry(2));
    expect([first.seq, second.seq]).toEqual([1, 2]);
    expect(first.prevHash).toBe(GENESIS_HASH);
    expect(second.prevHash).toBe(first.hash);
    expect([...s3.bodies(BUCKET).keys()]).toEqual([auditObjectKey(1), auditObjectKey(2)]);
    expect(ddb.item(TABLE, { id: 'head' })).toMatchObject({ seq: 2, hash: second.hash });
    expect((await verifyChain(bucketSource())).records).toBe(2);
  });

  it('gives concurrent writers distinct, consecutive numbers', async () => {
    // GIVEN 12 writers at once WHEN they all write THEN numbers 1..12, each once, and the chain verifies
    const records = await Promise.all(Array.from({ length: 12 }, (_, i) => writer.write(entry(i + 1))));
    expect(records.map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const report = await verifyChain(bucketSource());
    expect(report.break).toBeUndefined();
    expect(report.records).toBe(12);
    // Lost races cost claims, never a duplicate object.
    expect(ddb.callsOf('Put', TABLE).length).toBeGreaterThan(12);
  });

  it('leaves no gap when a writer dies between claiming a number and storing the record', async () => {
    // GIVEN a writer that claims record 2 and then fails to store it
    await writer.write(entry(1));
    s3.beforePut = () => {
      throw new Error('network down');
    };
    await expect(writer.write(entry(2))).rejects.toThrow('network down');
    s3.beforePut = undefined;
    // WHEN the next writer writes
    const third = await writer.write(entry(3));
    // THEN it stored the orphaned record 2 on its way, and chained after it
    expect(third.seq).toBe(3);
    const report = await verifyChain(bucketSource());
    expect(report.break).toBeUndefined();
    expect(report.records).toBe(3);
  });

  it('writes records written together as one segment object, chained like records written alone', async () => {
    // GIVEN a record alone, then a batch of 3, then one more
    await writer.write(entry(1));
    const batch = await writer.writeMany([entry(2), entry(3), entry(4)]);
    await writer.write(entry(5));
    // THEN the batch is records 2..4 in one object named for them, holding them as records written alone would be
    expect(batch.map((r) => r.seq)).toEqual([2, 3, 4]);
    expect([...s3.bodies(BUCKET).keys()]).toEqual([auditObjectKey(1), auditObjectKey(2, 4), auditObjectKey(5)]);
    expect(auditObjectKey(2, 4)).toBe('audit/000000000002-000000000004.json');
    const stored = recordsOf(s3.bodies(BUCKET).get(auditObjectKey(2, 4))!);
    expect(stored).toEqual(batch);
    expect(batch[1].prevHash).toBe(batch[0].hash);
    // AND one claim item for the batch, and the chain verifies against the head
    expect(ddb.item(TABLE, { id: padSeq(3) })).toBeUndefined();
    expect(ddb.item(TABLE, { id: 'head' })).toMatchObject({ seq: 5 });
    const report = await verifyChain(bucketSource(), { expectedHead: { seq: 5 } });
    expect(report.break).toBeUndefined();
    expect(report.records).toBe(5);
    // AND nothing to write is no write
    expect(await writer.writeMany([])).toEqual([]);
    expect(s3.bodies(BUCKET).size).toBe(3);
  });

  it('cuts a batch larger than maxSegment into several segments', async () => {
    const small = new AuditWriter(documents(), new S3Client({ region: 'eu-north-1' }), {
      chainTable: TABLE,
      bucket: BUCKET,
      maxSegment: 2,
    });
    const records = await small.writeMany([1, 2, 3, 4, 5].map(entry));
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect([...s3.bodies(BUCKET).keys()]).toEqual([auditObjectKey(1, 2), auditObjectKey(3, 4), auditObjectKey(5)]);
    expect(() => new AuditWriter(documents(), new S3Client({}), { chainTable: TABLE, bucket: BUCKET, maxSegment: 0 })).toThrow(
      'maxSegment must be a whole number >= 1, got 0',
    );
  });

  it('gives concurrent batch and single writers distinct, consecutive numbers', async () => {
    // GIVEN 6 writers of batches of 4 and 6 writers of single records, all at once
    const writes = Array.from({ length: 12 }, (_, i) =>
      i % 2 ? writer.writeMany([0, 1, 2, 3].map((k) => entry(100 + i * 4 + k))) : writer.write(entry(i)).then((r) => [r]),
    );
    const records = (await Promise.all(writes)).flat();
    // THEN numbers 1..30, each once; each batch consecutive; the chain verifies
    expect(records.map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    for (const batch of await Promise.all(writes)) expect(batch.map((r) => r.seq - batch[0].seq)).toEqual(batch.map((_, k) => k));
    const report = await verifyChain(bucketSource(), { expectedHead: { seq: 30 } });
    expect(report.break).toBeUndefined();
    expect(report.records).toBe(30);
  });

  it('leaves no gap when a writer dies between claiming a segment and storing it', async () => {
    // GIVEN a writer that claims records 2..4 and then fails to store them
    await writer.write(entry(1));
    s3.beforePut = () => {
      throw new Error('network down');
    };
    await expect(writer.writeMany([entry(2), entry(3), entry(4)])).rejects.toThrow('network down');
    s3.beforePut = undefined;
    expect(s3.bodies(BUCKET).has(auditObjectKey(2, 4))).toBe(false);
    // WHEN the next writer writes
    const next = await writer.write(entry(5));
    // THEN it stored the orphaned segment, byte for byte as claimed, and chained after it
    expect(next.seq).toBe(5);
    expect(recordsOf(s3.bodies(BUCKET).get(auditObjectKey(2, 4))!).map((r) => r.seq)).toEqual([2, 3, 4]);
    const report = await verifyChain(bucketSource());
    expect(report.break).toBeUndefined();
    expect(report.records).toBe(5);
  });

  it('writes with Object Lock retention when configured', async () => {
    const locked = new AuditWriter(documents(), new S3Client({ region: 'eu-north-1' }), {
      chainTable: TABLE,
      bucket: BUCKET,
      objectLock: { mode: 'COMPLIANCE', retainDays: 10 },
      clock: () => new Date('2025-03-01T00:00:00Z'),
    });
    await locked.write(entry(1));
    expect(s3.objects.get(`${BUCKET}/${auditObjectKey(1)}`)?.lock).toEqual({ mode: 'COMPLIANCE', until: new Date('2025-03-11T00:00:00Z') });
    await writer.write(entry(2));
    expect(s3.objects.get(`${BUCKET}/${auditObjectKey(2)}`)?.lock).toBeUndefined();
  });

  it('refuses an invalid Object Lock setting, naming it', () => {
    expect(
      () =>
        new AuditWriter(documents(), new S3Client({}), {
          chainTable: TABLE,
          bucket: BUCKET,
          objectLock: { mode: 'LEGAL' as never, retainDays: 1 },
        }),
    ).toThrow(/objectLock must be/);
  });

  it('writes nothing for no entries', async () => {
    expect(await writer.writeMany([])).toEqual([]);
    expect([ddb.calls, s3.puts]).toEqual([[], 0]);
  });

  // Table-driven: a setting out of range and the error naming it.
  it.each([
    [{ maxAttempts: 0 }, 'maxAttempts must be a whole number >= 1, got 0'],
    [{ maxAttempts: 1.5 }, 'maxAttempts must be a whole number >= 1, got 1.5'],
    [{ maxSegment: 0 }, 'maxSegment must be a whole number >= 1, got 0'],
    [
      { objectLock: { mode: 'COMPLIANCE' as const, retainDays: 0 } },
      'objectLock must be {mode: COMPLIANCE | GOVERNANCE, retainDays: a whole number >= 1}, got {"mode":"COMPLIANCE","retainDays":0}',
    ],
  ])('refuses %j, naming it', (setting, message) => {
    const build = () => new AuditWriter(documents(), new S3Client({}), { chainTable: TABLE, bucket: BUCKET, ...setting });
    expect(build).toThrow(new AuditChainError(message));
    expect(build).toThrow(AuditChainError);
  });

  it('gives up with AuditChainError after maxAttempts lost races, storing nothing', async () => {
    // GIVEN a writer that loses every claim (another writer takes each number first, as far as it can tell)
    const losing = new AuditWriter(documents(), new S3Client({ region: 'eu-north-1' }), {
      chainTable: TABLE,
      bucket: BUCKET,
      maxAttempts: 3,
    });
    ddb.beforeWrite = (call) => {
      if (call.command === 'Put') throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    };
    // WHEN it writes
    const error = await losing.write(entry(1)).catch((e: unknown) => e);
    // THEN it names why, after three claims, and stored no object
    expect(error).toEqual(new AuditChainError('could not claim an audit sequence number in 3 attempts (too many concurrent writers)'));
    expect(error).toBeInstanceOf(AuditChainError);
    expect(ddb.callsOf('Put', TABLE)).toHaveLength(3);
    expect(s3.puts).toBe(0);
  });

  it('never moves the head back: a slower writer of an earlier number leaves a later head alone', async () => {
    // GIVEN a writer paused just before it advances the head to its record 1
    let release!: () => void;
    const paused = new Promise<void>((resolve) => (release = resolve));
    let reached!: () => void;
    const atHead = new Promise<void>((resolve) => (reached = resolve));
    let first = true;
    ddb.gate = async (call) => {
      if (call.command !== 'Update' || !first) return;
      first = false;
      reached();
      await paused;
    };
    const slow = writer.write(entry(1));
    await atHead;
    // WHEN another writer writes record 2 (the head moves to 2), and then the slow one goes on
    const other = new AuditWriter(documents(), new S3Client({ region: 'eu-north-1' }), { chainTable: TABLE, bucket: BUCKET });
    expect((await other.write(entry(2))).seq).toBe(2);
    release();
    await slow;
    // THEN the head stays at 2
    expect(ddb.item(TABLE, { id: 'head' })).toMatchObject({ seq: 2 });
  });
});
