/**
 * `GET /console-api/audit[?requestId=]`: the audit chain verified now (lib/audit `verifyChain`, one read of every
 * object), and with `requestId` that request's records from the same read: ids and HMACs only (an audit record holds
 * nothing else: lib/audit/record.ts), oldest first. With the audit-chain table, the end of the chain is checked against
 * the head the writer recorded there (read first, so records written meanwhile are past it, not a break): the only
 * way to see that the newest records were removed.
 */
import type { ChainHead } from '../audit/head';
import { recordsOf } from '../audit/record';
import { type AuditSource, verifyChain } from '../audit/verify';
import type { AuditRecord } from '../core/contract';
import type { ConsoleAudit } from './contract';
import { ConsoleRequestError } from './errors';

/** Reads the chain's head from the audit-chain table (lib/audit `readChainHead`). */
export interface AuditHeadReader {
  /** The table's name, for messages. */
  readonly table: string;
  read(): Promise<ChainHead | undefined>;
}

/** Request ids as the API gives them (UUIDs); checked so that nothing else is ever matched or echoed. */
const REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function checkRequestId(value: string | null): string | undefined {
  if (value === null) return undefined;
  if (!REQUEST_ID.test(value)) {
    throw new ConsoleRequestError(400, 'invalid-input', 'requestId: expected a request id as the API gives it (letters, digits, - . _ :)');
  }
  return value;
}

/**
 * The break's message for the console. A JSON parse error can quote the object's text, which is not shown: an
 * unreadable object is named, not quoted. The other messages hold names, sequence numbers and hashes only.
 */
function breakMessage(kind: string, name: string, message: string): string {
  return kind === 'unreadable' ? `${name} is not a readable audit record (lethe audit verify says why)` : message;
}

export async function consoleAudit(
  source: AuditSource,
  options: { readonly requestId?: string; readonly now: Date; readonly head?: AuditHeadReader },
): Promise<ConsoleAudit> {
  // The head before the records: the writer moves it only after storing, so every record up to it is listed below.
  let head: ChainHead | undefined;
  if (options.head) {
    try {
      head = await options.head.read();
    } catch (error) {
      const name = (error as { name?: unknown }).name;
      throw new ConsoleRequestError(
        502,
        'audit-head-unreadable',
        `the audit-chain table ${options.head.table} cannot be read (${typeof name === 'string' ? name : 'error'}): the credentials need dynamodb:GetItem on it`,
        { cause: error },
      );
    }
  }
  // One read: what the verifier reads is kept, and the request's records are taken from it.
  const texts: string[] = [];
  const reading: AuditSource = {
    description: source.description,
    names: () => source.names(),
    async read(name) {
      const text = await source.read(name);
      texts.push(text);
      return text;
    },
  };
  const report = await verifyChain(reading, head ? { reachesHead: head } : {});
  const result: ConsoleAudit = {
    checkedAt: options.now.toISOString(),
    intact: report.break === undefined,
    records: report.records,
    head: head ? { seq: head.seq } : null,
    ...(head ? {} : { headUnchecked: options.head ? 'no-head-recorded' : 'no-chain-table' }),
    ...(report.break
      ? {
          break: {
            kind: report.break.kind,
            seq: report.break.seq ?? (report.last?.seq ?? 0) + 1,
            message: breakMessage(report.break.kind, report.break.name, report.break.message),
          },
        }
      : {}),
  };
  if (options.requestId === undefined) return result;
  const records: AuditRecord[] = [];
  for (const text of texts) {
    try {
      records.push(...recordsOf(text));
    } catch {
      // the break above names it
    }
  }
  const requestRecords = records
    .filter((r) => r.requestId === options.requestId)
    .sort((a, b) => a.seq - b.seq)
    .map((r) => ({
      seq: r.seq,
      at: r.at,
      action: r.action,
      system: r.system,
      outcome: r.outcome,
      subjectRef: r.subject,
      hash: r.hash,
    }));
  return { ...result, requestRecords };
}
