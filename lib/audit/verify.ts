/**
 * Checks an audit chain and reports its first break. The objects are read in the order of their names
 * (`000000000001.json`, `000000000002-000000000026.json` for a segment, ...); each holds a record or a segment
 * of records, and its name must say which. For each record: it must parse, `seq` must follow
 * the previous one (a missing number is a removed record), its `hash` must match its content (an edited
 * record), and its `prevHash` must be the previous record's hash (a record replaced with a re-hashed one).
 *
 * Limit: removing the newest records leaves a shorter chain that is still consistent. The head in the
 * audit-chain table, and Object Lock on the bucket, guard against that; `expectedHead` checks it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { FileError } from '../core/errors';
import type { AuditRecord } from '../core/contract';
import { hashOfRecord } from './canonical';
import { AuditChainError } from './errors';
import { AUDIT_PREFIX, auditFileName, GENESIS_HASH } from './record';

/** Where the records are: a list of names in chain order, and each one's text. */
export interface AuditSource {
  /** For messages: "s3://bucket/audit/" or a directory. */
  readonly description: string;
  names(): Promise<string[]>;
  read(name: string): Promise<string>;
  /**
   * The version of `name` as the last `names()` listed it (S3: its ETag), where the source can tell; a reader may
   * keep a text it read while its name is listed with the same version (lib/console/audit-cache.ts).
   */
  listedVersion?(name: string): string | undefined;
}

export const BREAK_KINDS = ['unreadable', 'misnamed', 'gap', 'out-of-order', 'edited', 'broken-link', 'truncated'] as const;
export type BreakKind = (typeof BREAK_KINDS)[number];

export interface ChainBreak {
  readonly kind: BreakKind;
  /** The record (object key or file name) where the chain breaks. */
  readonly name: string;
  readonly seq?: number;
  readonly message: string;
}

export interface VerifyReport {
  /** Records checked and found in order before the first break (all of them when there is none). */
  readonly records: number;
  /** The last good record. */
  readonly last?: { readonly seq: number; readonly hash: string };
  readonly break?: ChainBreak;
}

export interface VerifyOptions {
  /** The head recorded elsewhere (the audit-chain table): the chain must end exactly there. */
  readonly expectedHead?: { readonly seq: number; readonly hash?: string };
  /**
   * The head read from the audit-chain table before the records were listed, on a chain that may be written to
   * meanwhile: the chain must reach it (fewer records: `truncated`) and its record there must have the head's hash;
   * records past it are not a break (written since, or their writer has not moved the head yet: writer.ts moves it
   * after storing). The writer never moves the head past a record not stored, so a chain short of it lost records.
   */
  readonly reachesHead?: { readonly seq: number; readonly hash?: string };
  /**
   * How many objects are read ahead of the one being checked (each read is a GET on a bucket: latency, not bandwidth,
   * bounds a chain read one object at a time). They are still checked one by one, in order; none is read more than
   * this far past the first break.
   * @default 16
   */
  readonly readAhead?: number;
}

/** VerifyOptions.readAhead's default. */
export const DEFAULT_READ_AHEAD = 16;

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, { error: 'expected 64 lowercase hex digits' });
const count = z.int().min(0);
const RecordShape = z.object({
  seq: z.int().min(1),
  prevHash: hex64,
  at: z.string(),
  kind: z.enum(['erasure-request', 'restriction-request', 'sweep', 'ttl', 'hold', 'access-request', 'replay']),
  requestId: z.string().optional(),
  sweepId: z.string().optional(),
  replayId: z.string().optional(),
  holdId: z.string().optional(),
  purposes: z.array(z.string()),
  system: z.string(),
  item: hex64.optional(),
  action: z.enum(['delete', 'anonymise', 'keep', 'restrict', 'unrestrict', 'export', 'retain', 'hold', 'release']),
  outcome: z.string(),
  counts: z.object({ records: count, fields: count, objects: count }),
  subject: z.string(),
  policyHash: z.string(),
  objectHash: hex64.optional(),
  verification: z.enum(['verified', 'unverified', 'failed']).optional(),
  hash: hex64,
});

/** What a field of an audit record is expected to be, by zod's name for the type. */
const EXPECTED: Readonly<Record<string, string>> = {
  number: 'a whole number',
  int: 'a whole number',
  string: 'text',
  array: 'a list',
  object: 'an object',
};

/**
 * Why a stored value is not an audit record, in the verifier's words and without quoting any value: a folder or
 * bucket may hold other files, and what they hold must not reach the console.
 */
function whyNotARecord(issue: z.core.$ZodIssue, item: unknown): string {
  if (issue.path.length === 0) return 'expected a JSON object with the fields of an audit record (seq, prevHash, hash, …)';
  const field = issue.path.map(String).join('.');
  let value: unknown = item;
  for (const key of issue.path)
    value = typeof value === 'object' && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  if (value === undefined) return `the field ${field} is missing`;
  switch (issue.code) {
    case 'invalid_type':
      return `the field ${field} is not ${EXPECTED[issue.expected] ?? issue.expected}`;
    case 'invalid_value':
      return `the field ${field} is none of ${issue.values.map(String).join(', ')}`;
    case 'too_small':
      return `the field ${field} is below ${String(issue.minimum)}`;
    default:
      return `the field ${field} is not valid: ${issue.message}`;
  }
}

/**
 * The texts of `names` in order, each read started up to `ahead` names before it is needed. A read that fails is
 * reported when its turn comes (as a read in order would), never as an unhandled rejection.
 */
async function* readInOrder(source: AuditSource, names: readonly string[], ahead: number): AsyncGenerator<[string, Promise<string>]> {
  const inFlight: Promise<string>[] = [];
  let started = 0;
  for (const name of names) {
    while (started < names.length && inFlight.length <= ahead) {
      const reading = source.read(names[started++]);
      reading.catch(() => undefined); // handled when awaited in turn; a read past the break is never awaited
      inFlight.push(reading);
    }
    yield [name, inFlight.shift()!];
  }
}

export async function verifyChain(source: AuditSource, options: VerifyOptions = {}): Promise<VerifyReport> {
  const ahead = options.readAhead ?? DEFAULT_READ_AHEAD;
  if (!Number.isInteger(ahead) || ahead < 0) {
    throw new AuditChainError(
      `the audit chain cannot be read ${String(options.readAhead)} objects ahead: readAhead is a whole number, 0 or more`,
    );
  }
  const names = (await source.names()).sort();
  let last: { seq: number; hash: string } | undefined;
  let records = 0;
  const floor = options.reachesHead;
  let atFloor: string | undefined;
  const report = (brk: ChainBreak): VerifyReport => ({ records, ...(last ? { last } : {}), break: brk });

  for await (const [name, text] of readInOrder(source, names, ahead)) {
    let data: unknown;
    try {
      data = JSON.parse(await text);
    } catch (error) {
      return report({ kind: 'unreadable', name, message: `${name} is not JSON (${(error as Error).message})` });
    }
    // An object holds a record, or a segment: an array of consecutive records (record.ts).
    const segment = Array.isArray(data);
    const items: unknown[] = segment ? (data as unknown[]) : [data];
    if (items.length === 0) return report({ kind: 'unreadable', name, message: `${name} is an empty segment` });
    for (const [i, item] of items.entries()) {
      const shape = RecordShape.safeParse(item);
      if (!shape.success) {
        const where = segment ? `[${i}]: ` : '';
        return report({
          kind: 'unreadable',
          name,
          message: `${name} is not an audit record: ${where}${whyNotARecord(shape.error.issues[0], item)}`,
        });
      }
    }
    const stored = items as AuditRecord[];
    const first = stored[0].seq;
    const lastOfObject = stored.at(-1)!.seq;
    const baseName = name.slice(name.lastIndexOf('/') + 1);
    const belongs = lastOfObject >= first ? auditFileName(first, lastOfObject) : undefined;
    if (baseName !== belongs || (segment && stored.length === 1)) {
      const what = segment ? `records ${first} to ${lastOfObject}` : `record ${first}`;
      return report({
        kind: 'misnamed',
        name,
        seq: first,
        message: `${name} holds ${what}, which belong${segment ? '' : 's'} in ${belongs ?? 'no object (they are not in order)'}`,
      });
    }
    for (const record of stored) {
      const expectedSeq = (last?.seq ?? 0) + 1;
      if (record.seq > expectedSeq) {
        const missing =
          record.seq - expectedSeq === 1 ? `record ${expectedSeq} is missing` : `records ${expectedSeq} to ${record.seq - 1} are missing`;
        return report({ kind: 'gap', name, seq: record.seq, message: `gap before record ${record.seq} (${name}): ${missing} (removed)` });
      }
      if (record.seq < expectedSeq) {
        return report({ kind: 'out-of-order', name, seq: record.seq, message: `${name} has seq ${record.seq}, expected ${expectedSeq}` });
      }
      // Hash what was stored, every key included: an added key is an edit too.
      let actual: string;
      try {
        actual = hashOfRecord(record);
      } catch (error) {
        // Valid JSON text that is not I-JSON (a lone surrogate in a string): it has no canonical form, so no hash.
        const message = `${name}: record ${record.seq} is not I-JSON, so it has no canonical form (${(error as Error).message})`;
        return report({ kind: 'unreadable', name, seq: record.seq, message });
      }
      if (actual !== record.hash) {
        return report({
          kind: 'edited',
          name,
          seq: record.seq,
          message: `record ${record.seq} (${name}) was edited: its content hashes to ${actual}, not to its recorded hash ${record.hash}`,
        });
      }
      const prev = last?.hash ?? GENESIS_HASH;
      if (record.prevHash !== prev) {
        return report({
          kind: 'broken-link',
          name,
          seq: record.seq,
          message: `record ${record.seq} (${name}) does not follow record ${record.seq - 1}: prevHash ${record.prevHash}, but record ${record.seq - 1} hashes to ${prev} (one of them was replaced)`,
        });
      }
      last = { seq: record.seq, hash: record.hash };
      if (record.seq === floor?.seq) atFloor = record.hash;
      records++;
    }
  }

  const head = options.expectedHead;
  if (head && (last?.seq ?? 0) !== head.seq) {
    const have = last?.seq ?? 0;
    return report({
      kind: have < head.seq ? 'truncated' : 'out-of-order',
      name: `${AUDIT_PREFIX}${auditFileName(Math.max(head.seq, 1))}`,
      seq: head.seq,
      message:
        have < head.seq
          ? `the chain ends at record ${have}, but the head says ${head.seq}: the newest records were removed`
          : `the chain goes on past the head (${have} > ${head.seq})`,
    });
  }
  if (head?.hash && head.seq === last?.seq && head.hash !== last.hash) {
    return report({
      kind: 'edited',
      name: `${AUDIT_PREFIX}${auditFileName(last.seq)}`,
      seq: last.seq,
      message: `record ${last.seq} does not match the head's hash`,
    });
  }
  if (floor && (last?.seq ?? 0) < floor.seq) {
    const have = last?.seq ?? 0;
    return report({
      kind: 'truncated',
      name: `${AUDIT_PREFIX}${auditFileName(Math.max(floor.seq, 1))}`,
      seq: floor.seq,
      message: `the chain ends at record ${have}, but the head says ${floor.seq}: the newest records were removed`,
    });
  }
  if (floor?.hash && atFloor !== undefined && atFloor !== floor.hash) {
    return report({
      kind: 'edited',
      name: `${AUDIT_PREFIX}${auditFileName(floor.seq)}`,
      seq: floor.seq,
      message: `record ${floor.seq} does not match the head's hash`,
    });
  }
  return { records, ...(last ? { last } : {}) };
}

/**
 * A directory of records: `<dir>/audit/*.json` when `<dir>/audit` exists (a copy of the bucket), otherwise
 * `<dir>/*.json`.
 */
export function directorySource(dir: string): AuditSource {
  let base: string;
  try {
    if (!statSync(dir).isDirectory()) throw new FileError(`${dir} is not a directory`);
    const nested = join(dir, AUDIT_PREFIX.replace(/\/$/, ''));
    base = statSync(nested, { throwIfNoEntry: false })?.isDirectory() ? nested : dir;
  } catch (error) {
    if (error instanceof FileError) throw error;
    throw new FileError(`cannot read the audit directory ${dir}: ${(error as Error).message}`, { cause: error });
  }
  return {
    description: base,
    names: async () => readdirSync(base).filter((n) => n.endsWith('.json')),
    read: async (name) => readFileSync(join(base, name), 'utf8'),
  };
}

/** The records in a bucket, under `audit/`. */
export function s3Source(s3: S3Client, bucket: string): AuditSource {
  let listed = new Map<string, string>();
  return {
    description: `s3://${bucket}/${AUDIT_PREFIX}`,
    async names() {
      const keys: string[] = [];
      const etags = new Map<string, string>();
      for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: AUDIT_PREFIX })) {
        for (const object of page.Contents ?? []) {
          if (!object.Key?.endsWith('.json')) continue;
          keys.push(object.Key);
          if (object.ETag) etags.set(object.Key, object.ETag);
        }
      }
      listed = etags;
      return keys;
    },
    listedVersion: (key) => listed.get(key),
    async read(key) {
      const { Body } = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!Body) throw new FileError(`s3://${bucket}/${key} has no body`);
      return Body.transformToString('utf8');
    },
  };
}

/** One line for a person: "ok: 42 records, chain intact (last 000000000042)" or the break. */
export function formatReport(source: AuditSource, report: VerifyReport): string {
  if (!report.break) {
    return report.records === 0
      ? `${source.description}: no audit records`
      : `${source.description}: ok, ${report.records} record${report.records === 1 ? '' : 's'}, chain intact (last ${auditFileName(report.last!.seq)})`;
  }
  const before = report.last ? `; records 1 to ${report.last.seq} are intact` : '';
  return `${source.description}: chain broken (${report.break.kind}): ${report.break.message}${before}`;
}
