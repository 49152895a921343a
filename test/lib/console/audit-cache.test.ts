/**
 * lib/console/audit-cache.ts: the console keeps the audit texts it read while the bucket lists each name with the same
 * version (ETag), so a second visit reads only what is new or changed; an edit written over an object is read again
 * and found by the verifier; a removed object is forgotten; the cap is kept.
 */
import { type AuditSource, chainRecord, GENESIS_HASH, serialiseRecord, verifyChain } from '../../../lib/audit';
import { auditFileName } from '../../../lib/audit/record';
import { AuditReadCache } from '../../../lib/console/audit-cache';
import { ConsoleError } from '../../../lib/console/errors';
import { sweepEntry } from '../../support/audit-entries';

/** A bucket in memory: name → text, each with a version that changes on every write, and the reads counted. */
class Bucket {
  public readonly objects = new Map<string, { text: string; version: string }>();
  public reads: string[] = [];
  private writes = 0;

  public constructor(records: number) {
    let prev = GENESIS_HASH;
    for (let seq = 1; seq <= records; seq++) {
      const record = chainRecord(sweepEntry(seq), seq, prev);
      this.put(auditFileName(seq), serialiseRecord(record));
      prev = record.hash;
    }
  }

  public put(name: string, text: string): void {
    this.objects.set(name, { text, version: `"v${++this.writes}"` });
  }

  /** A fresh source per visit, as the console server's `audit()` gives one. */
  public source(options: { versions?: boolean } = {}): AuditSource {
    let listed = new Map<string, string>();
    return {
      description: 'memory://audit/',
      names: async () => {
        listed = new Map([...this.objects].map(([name, o]) => [name, o.version]));
        return [...listed.keys()];
      },
      read: async (name) => {
        this.reads.push(name);
        const object = this.objects.get(name);
        if (!object) throw new Error(`NoSuchKey ${name}`);
        return object.text;
      },
      ...(options.versions === false ? {} : { listedVersion: (name: string) => listed.get(name) }),
    };
  }
}

describe('AuditReadCache', () => {
  it('GIVEN a chain read once THEN a second visit reads no object, and verifies the same', async () => {
    const bucket = new Bucket(10);
    const cache = new AuditReadCache();
    const first = await verifyChain(cache.wrap(bucket.source()));
    expect(bucket.reads).toHaveLength(10);
    bucket.reads = [];
    // WHEN the chain is verified again through the cache
    const second = await verifyChain(cache.wrap(bucket.source()));
    // THEN nothing is read again and the report is the same
    expect(bucket.reads).toEqual([]);
    expect(second).toEqual(first);
    expect(second).toMatchObject({ records: 10, last: { seq: 10 } });
    expect(cache.size.objects).toBe(10);
  });

  it('GIVEN records written since THEN only they are read', async () => {
    const bucket = new Bucket(5);
    const cache = new AuditReadCache();
    await verifyChain(cache.wrap(bucket.source()));
    bucket.reads = [];
    // WHEN records 6 and 7 are appended (rebuilt as one chain: the same texts for 1 to 5)
    const longer = new Bucket(7);
    for (const seq of [6, 7]) bucket.put(auditFileName(seq), longer.objects.get(auditFileName(seq))!.text);
    const report = await verifyChain(cache.wrap(bucket.source()));
    // THEN only 6 and 7 were read, and the chain is intact to 7
    expect(bucket.reads.sort()).toEqual([auditFileName(6), auditFileName(7)]);
    expect(report).toMatchObject({ records: 7, last: { seq: 7 } });
    expect(report.break).toBeUndefined();
  });

  it('GIVEN an object written over after it was kept (an edit) THEN it is read again and the edit is found', async () => {
    const bucket = new Bucket(6);
    const cache = new AuditReadCache();
    expect((await verifyChain(cache.wrap(bucket.source()))).break).toBeUndefined();
    // WHEN record 3 is written over with an edited outcome (a new version of the same name)
    const edited = { ...(JSON.parse(bucket.objects.get(auditFileName(3))!.text) as object), outcome: 'kept' };
    bucket.put(auditFileName(3), JSON.stringify(edited));
    bucket.reads = [];
    const report = await verifyChain(cache.wrap(bucket.source()));
    // THEN the new version was read, and it is the break
    expect(bucket.reads).toEqual([auditFileName(3)]);
    expect(report.break).toMatchObject({ kind: 'edited', seq: 3 });
  });

  it('GIVEN an object removed after it was kept THEN it is forgotten and the gap is found', async () => {
    const bucket = new Bucket(6);
    const cache = new AuditReadCache();
    await verifyChain(cache.wrap(bucket.source()));
    const keptChars = cache.size.chars;
    // WHEN record 4 is removed
    const removed = bucket.objects.get(auditFileName(4))!.text;
    bucket.objects.delete(auditFileName(4));
    const report = await verifyChain(cache.wrap(bucket.source()));
    // THEN the chain has a gap before 5, and record 4's text is no longer kept
    expect(report.break).toMatchObject({ kind: 'gap', seq: 5 });
    expect(cache.size).toEqual({ objects: 5, chars: keptChars - removed.length });
  });

  it('GIVEN a source that cannot tell versions THEN every visit reads every object, and nothing is kept', async () => {
    const bucket = new Bucket(4);
    const cache = new AuditReadCache();
    await verifyChain(cache.wrap(bucket.source({ versions: false })));
    await verifyChain(cache.wrap(bucket.source({ versions: false })));
    expect(bucket.reads).toHaveLength(8);
    expect(cache.size).toEqual({ objects: 0, chars: 0 });
  });

  it('GIVEN a cap THEN texts are kept up to it, the first read first; the rest are read on every visit', async () => {
    const bucket = new Bucket(10);
    const one = bucket.objects.get(auditFileName(1))!.text.length;
    // GIVEN room for 3 objects' texts (they are all about the same length)
    const cache = new AuditReadCache({ maxChars: 3 * one + 10 });
    await verifyChain(cache.wrap(bucket.source()), { readAhead: 0 });
    expect(cache.size.objects).toBe(3);
    expect(cache.size.chars).toBeLessThanOrEqual(3 * one + 10);
    bucket.reads = [];
    await verifyChain(cache.wrap(bucket.source()), { readAhead: 0 });
    // THEN 1 to 3 come from the cache, 4 to 10 from the bucket
    expect(bucket.reads).toEqual([4, 5, 6, 7, 8, 9, 10].map((seq) => auditFileName(seq)));
  });

  it.each([-1, 1.5, Number.NaN])('GIVEN maxChars %p THEN a ConsoleError naming it', (maxChars) => {
    expect(() => new AuditReadCache({ maxChars })).toThrow(
      new ConsoleError(`the audit cache cannot keep ${String(maxChars)} characters: maxChars is a whole number, 0 or more`),
    );
  });
});
