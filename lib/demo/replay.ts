/**
 * `lethe demo`'s restore-and-replay step (issue 19, item 4): before the erasure request, a copy of each DynamoDB
 * table of the policy's systems is taken into memory (a scan of the user's own table, standing in for a backup; never
 * Lethe's ledger); after the erasure, the table of a system where her data was erased is restored from it (the items
 * put back), her record is back, and the replay state machine (lethe replay, run by local mode's Step Functions) erases
 * it again. The step checks its own claims: her record back after the restore, found again by the replay, the table
 * item for item as the erasure left it, the other subjects' items byte for byte as in the copy. It prints counts,
 * field names and HMACs only, never a personal value.
 */
import { type AttributeValue, DescribeTableCommand, paginateScan, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { Temporal } from '@js-temporal/polyfill';
import { canonicalJson } from '../audit';
import type { ReplayOutput } from '../core/contract';
import type { DemoSubject, LocalLethe } from '../local';
import type { SystemSpec } from '../policy/model';
import type { ApiClient } from './api-client';
import { DemoError } from './errors';
import { sameData, type Script } from './script';
import { readSubjectData, type SystemData } from './systems';

export type TableItem = Record<string, AttributeValue>;

/** A copy of a DynamoDB table's items (standing in for a backup) and the instant it was taken (the restore point). */
export interface TableCopy {
  readonly system: string;
  readonly table: string;
  /** The table's key attributes (partition key, then sort key if any). */
  readonly keys: readonly string[];
  readonly takenAt: string;
  readonly items: readonly TableItem[];
}

export interface ReplayReport {
  readonly system: string;
  readonly since: string;
  readonly output: ReplayOutput;
  /** Items of the copy the erasure did not touch (other subjects'), byte for byte as in the copy after the replay. */
  readonly bystanders: number;
  /** The receipt's entries for the system, as the receipt says: its `verification` field as it is. */
  readonly receipt: readonly { readonly outcome: string; readonly verification: unknown }[];
}

/** The statuses whose record the replay can do again to the same result (the order is the preference). */
export const REPLAYABLE: readonly string[] = ['erased', 'fields-removed'];

const tableOf = (system: SystemSpec): string | undefined => {
  const table = (system.config as { tableName?: unknown }).tableName;
  return system.connector === 'dynamodb' && typeof table === 'string' ? table : undefined;
};

async function scanTable(local: LocalLethe, table: string): Promise<TableItem[]> {
  const items: TableItem[] = [];
  for await (const page of paginateScan({ client: local.clients.dynamodb }, { TableName: table, ConsistentRead: true }))
    items.push(...(page.Items ?? []));
  return items;
}

/** Copies the items of every DynamoDB table of `systems` into memory (before the erasure request). */
export async function copyTables(local: LocalLethe, systems: readonly SystemSpec[]): Promise<TableCopy[]> {
  const copies: TableCopy[] = [];
  const takenAt = Temporal.Now.instant().toString();
  for (const system of systems) {
    const table = tableOf(system);
    if (!table || copies.some((c) => c.table === table)) continue;
    const { Table } = await local.clients.dynamodb.send(new DescribeTableCommand({ TableName: table }));
    const schema = Table?.KeySchema ?? [];
    const keys = ['HASH', 'RANGE'].flatMap((type) => schema.filter((k) => k.KeyType === type).map((k) => k.AttributeName!));
    copies.push({ system: system.id, table, keys, takenAt, items: await scanTable(local, table) });
  }
  return copies;
}

/** The copy to restore: of a system whose erasure the replay can do again, erased first; none if there is none. */
export function chooseCopy(copies: readonly TableCopy[], statusOf: ReadonlyMap<string, string>): TableCopy | undefined {
  for (const status of REPLAYABLE) {
    const copy = copies.find((c) => statusOf.get(c.system) === status);
    if (copy) return copy;
  }
  return undefined;
}

/** Compares two reads of a table item by item (by key, byte for byte as canonical JSON): which items differ. */
export function compareItems(
  keys: readonly string[],
  before: readonly TableItem[],
  after: readonly TableItem[],
): { readonly changed: number; readonly unchanged: number; readonly added: number } {
  const keyOf = (item: TableItem) => canonicalJson(keys.map((k) => item[k] ?? null));
  const afterByKey = new Map(after.map((item) => [keyOf(item), canonicalJson(item)]));
  let unchanged = 0;
  for (const item of before) if (afterByKey.get(keyOf(item)) === canonicalJson(item)) unchanged++;
  const beforeKeys = new Set(before.map(keyOf));
  return { changed: before.length - unchanged, unchanged, added: after.filter((item) => !beforeKeys.has(keyOf(item))).length };
}

/**
 * The step: restore `copy` after the erasure, show her record back, replay, show it gone again and the other items
 * unchanged, show the receipt's entries for the system. `afterErasure` is what the demo read of her after the erasure.
 */
export async function replayStep(
  local: LocalLethe,
  script: Script,
  api: ApiClient,
  options: {
    readonly copies: readonly TableCopy[];
    readonly statusOf: ReadonlyMap<string, string>;
    readonly requestId: string;
    readonly subject: DemoSubject;
    readonly afterErasure: Readonly<Record<string, SystemData>>;
  },
): Promise<ReplayReport | undefined> {
  const copy = chooseCopy(options.copies, options.statusOf);
  if (!copy) {
    script.say('    (no DynamoDB system of this policy had her data erased or fields removed: no restore and replay to show)');
    return undefined;
  }
  const system = local.policy.systems[copy.system];
  const { subject, requestId } = options;
  return script.step(
    `A restore of ${copy.system} from a copy taken before her erasure brings her back; lethe replay erases her again`,
    async (say) => {
      const erased = await scanTable(local, copy.table);
      const byErasure = compareItems(copy.keys, copy.items, erased);
      say(
        `copy of DynamoDB Local table ${copy.table} taken at ${copy.takenAt}, before her request: ${copy.items.length} items (a scan, standing in for a backup)`,
      );
      say(
        `since the copy: ${byErasure.changed} item(s) changed or gone (hers, and any other subject's erased or expired since), ${byErasure.unchanged} untouched`,
      );
      if (byErasure.changed === 0)
        throw new DemoError(`the erasure (${options.statusOf.get(copy.system)}) changed no item of ${copy.table}`);

      for (const item of copy.items) await local.clients.dynamodb.send(new PutItemCommand({ TableName: copy.table, Item: item }));
      const back = await readSubjectData(local, system, subject);
      const fields = [...new Set(back.records.flatMap((r) => Object.keys(r)))];
      say(
        `restored: the ${copy.items.length} items put back; ${copy.system} holds her record again (${back.records.length} record(s): ${fields.join(', ')})`,
      );
      if (sameData(options.afterErasure[copy.system], back))
        throw new DemoError(`the restore of ${copy.table} did not bring her record back`);

      const execution = await local.runReplay(copy.system, copy.takenAt);
      if (execution.status !== 'SUCCEEDED' || !execution.output)
        throw new DemoError(`the replay of ${copy.system} ended ${execution.status} (${execution.error ?? 'no error name'})`);
      const output = JSON.parse(execution.output) as ReplayOutput;
      say(
        `replay ${output.replayId} (the replay state machine, --system ${copy.system} --since ${copy.takenAt}): ${execution.status}; ` +
          `${output.tombstones} tombstone(s), ${output.foundAgain} found again and applied again, ${output.nothingFound} already gone, ` +
          `${output.shredded} shredded, ${output.failed.length} failed`,
      );
      const receipt = await api.erasureReceipt(requestId);
      const hmacs = output.subjectsFoundAgain.map(
        (s) => `${s.slice(0, 16)}…${s === receipt.subject ? ' (hers, as her receipt names her)' : ''}`,
      );
      say(`found again, as audit HMACs: ${hmacs.join(', ') || 'none'}`);
      if (output.failed.length > 0) throw new DemoError(`the replay failed for ${output.failed.map((f) => f.error).join(', ')}`);
      if (!output.subjectsFoundAgain.includes(receipt.subject))
        throw new DemoError(`the replay of ${copy.system} did not find her again after the restore`);

      const again = await readSubjectData(local, system, subject);
      if (!sameData(options.afterErasure[copy.system], again))
        throw new DemoError(`after the replay, ${copy.system} does not hold of her what the erasure left`);
      say(`${copy.system}: her record gone again (${again.records.length} record(s) of hers, as after the erasure)`);
      const replayed = await scanTable(local, copy.table);
      const byReplay = compareItems(copy.keys, erased, replayed);
      const bystanders = compareItems(copy.keys, copy.items, replayed).unchanged;
      if (byReplay.changed > 0 || byReplay.added > 0 || bystanders !== byErasure.unchanged)
        throw new DemoError(`after the replay, ${copy.table} is not as the erasure left it (${byReplay.changed} item(s) differ)`);
      say(
        `the other ${bystanders} item(s) of ${copy.table} (other subjects) byte for byte as in the copy; the table item for item as the erasure left it`,
      );

      const entries = receipt.systems.filter((s) => s.system === copy.system);
      if (entries.length === 0) throw new DemoError(`the receipt of request ${requestId} has no entry for ${copy.system}`);
      for (const e of receipt.systems) {
        const verification = (e as { verification?: unknown }).verification;
        say(
          `receipt: ${e.system} ${e.action} ${e.outcome}, verification ${verification === undefined ? '(no such field)' : JSON.stringify(verification)}`,
        );
      }
      say(
        `GET /erasure-requests/${requestId}/receipt: signed ${receipt.signature.algorithm}, key ${receipt.signature.keyId.slice(0, 19)}…; names her as ${receipt.subject.slice(0, 16)}…`,
      );
      return {
        system: copy.system,
        since: copy.takenAt,
        output,
        bystanders,
        receipt: entries.map((e) => ({ outcome: e.outcome, verification: (e as { verification?: unknown }).verification })),
      };
    },
  );
}
