/**
 * The local runtime killed in the middle of a sweep (issue 7, "Faults"): local mode runs in a child process as a
 * user runs it (`tsx bin/local.ts --persist` on a temporary data directory, prepared beforehand through the API
 * by a local mode in this process); many holdings are due; a sweep starts; the whole process group gets SIGKILL while the sweep is under way (DynamoDB Local's Java process
 * included: no orphan may survive); local mode starts again on the same data directory and its sweeps finish
 * the work. Then: no holding is lost (every due holding done, its data gone or anonymised), nothing that was not
 * due was touched, and no action was applied twice with a different outcome (the audit records: per subject and
 * system one outcome, or repeats of the same one), and the audit chain is whole.
 *
 * Only the store systems (DynamoDB, S3, the `lambda` demo function) take part: the `http` systems' SaaS is local
 * mode's in-process receiver, which dies with it (and keeps its records only at a graceful stop).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CreateTableCommand, type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { recordsOf, s3Source, verifyChain } from '../../lib/audit';
import { localNames, startLocal } from '../../lib/local';
import { localSubjectRefs } from '../../lib/local/keys';
import { loadPolicyFile } from '../../lib/policy/load';
import { AUDIT_CHAIN, type AuditRecord } from '../../lib/core/contract';
import { eventually } from '../support/eventually';
import { type ChildLocal, processesNaming, startChildLocal } from './support/child-local';
import {
  type Clients,
  collectedForExpiry,
  FILES_BUCKET,
  holdEverywhere,
  inBatches,
  ledgerItems,
  leftovers,
  OUTCOME_OF,
  outcomesBySubjectAndSystem,
  POLICY_FILE,
  PURPOSE_OF,
  seedSubject,
  snapshot,
  STORE_SYSTEMS,
  TABLES,
} from './support/subjects';

jest.setTimeout(480_000);

const names = localNames(loadPolicyFile(POLICY_FILE, { forDeployment: true }).policy, 'eu-north-1');
const DUE = Array.from({ length: 30 }, (_, i) => `rel-k-${i + 1}`);
/** Not due: collected a month ago; ids that extend the due ones' and a case variant. */
const NOT_DUE = [...Array.from({ length: 3 }, (_, i) => `rel-k-nd-${i + 1}`), 'rel-k-300', 'rel-k-1-b', 'REL-K-1'];

let dataDir: string;
let child: ChildLocal | undefined;
let untouched: Record<string, unknown> = {};

beforeAll(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'lethe-rel-kill-'));
});

afterAll(async () => {
  await child?.kill();
  // Whatever still names this test's data directory was started by this test.
  for (const { pid } of processesNaming(dataDir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
});

test('killed with SIGKILL in the middle of a sweep: after a restart the sweep finishes, nothing lost, nothing applied twice differently', async () => {
  const timings: Record<string, number> = {};
  let t = Date.now();
  const lap = (what: string) => {
    timings[what] = Date.now() - t;
    t = Date.now();
    if (process.env.LETHE_FAULT_DEBUG) process.stderr.write(`${what}: ${timings[what]} ms\n`);
  };

  // GIVEN a data directory prepared by local mode (here in this process, without sweeps): the store systems'
  // tables and bucket, 30 subjects whose holdings in every store system expired yesterday, and 6 whose holdings
  // are not due, registered through the API
  const first = await startLocal({
    policyFile: POLICY_FILE,
    port: 0,
    dataDir,
    persist: true,
    seedDemo: false,
    sweepEveryMs: false,
    streamPollMs: false,
    deadlineMonitorEveryMs: false,
    banner: false,
  });
  const clients = { dynamodb: first.clients.dynamodb, documents: first.clients.documents, s3: first.clients.s3 };
  try {
    lap('first start');
    await createStores(clients);
    const dueAt = collectedForExpiry(1);
    const notDueAt = collectedForExpiry(-30);
    await inBatches([...DUE, ...NOT_DUE], 8, async (id) => {
      await seedSubject(clients, id, STORE_SYSTEMS);
      await holdEverywhere(
        (method, apiPath, body) => first.api(method, apiPath, { body }),
        id,
        STORE_SYSTEMS,
        DUE.includes(id) ? dueAt : notDueAt,
      );
    });
    untouched = Object.fromEntries(await Promise.all(NOT_DUE.map(async (id) => [id, await snapshot(clients, id, STORE_SYSTEMS)])));
  } finally {
    await first.stop();
  }
  lap('seeding and registering');

  // WHEN local mode starts again with a sweep every second, and is killed (the whole process group, SIGKILL) as
  // soon as the first batch of the first sweep is done
  // Each start of local mode begins a fresh functions.log (the previous run's becomes functions.log.1), so the log
  // read below holds this run's lines only.
  const logFile = path.join(dataDir, 'logs', 'functions.log');
  const logBefore = 0;
  child = await startChildLocal({ policyFile: POLICY_FILE, dataDir, args: ['--no-seed', '--sweep-every', '1'] });
  lap('second start');
  const firstBatch = await eventually(
    'a sweep batch',
    () => (sweepLines(logFile, logBefore).applied.length > 0 ? true : undefined),
    240_000,
    50,
  );
  expect(firstBatch).toBe(true);
  await child.kill();
  lap('sweep until the kill');

  // THEN no process of that local mode survives (DynamoDB Local's Java process included)
  await eventually('every process to be gone', () => (processesNaming(dataDir).length === 0 ? true : undefined), 10_000, 50).catch(
    () => undefined,
  );
  expect(processesNaming(dataDir)).toEqual([]);
  // AND the kill came in the middle of the sweep: some holdings were done, not all (as the log shows)
  const killed = sweepLines(logFile, logBefore);
  const doneBeforeKill = killed.applied.reduce((n, line) => n + line.holdingsDone, 0);
  expect(doneBeforeKill).toBeGreaterThan(0);
  expect(doneBeforeKill).toBeLessThan(DUE.length * STORE_SYSTEMS.length);

  // WHEN local mode starts again on the same data directory, and its sweeps run until nothing is due
  child = await startChildLocal({ policyFile: POLICY_FILE, dataDir, args: ['--no-seed', '--sweep-every', '1'] });
  lap('restart');
  const refs = localSubjectRefs(dataDir);
  await eventually('the sweeps to finish', async () => ((await dueHoldings(child!)).length === 0 ? true : undefined), 180_000, 50);
  lap('sweeps after the restart');

  // THEN every due holding is done and its data is gone (or anonymised) in every system
  const ledger = Object.fromEntries(
    await Promise.all(
      STORE_SYSTEMS.map(async (s) => [s, await ledgerItems(child!.clients.documents, names.ledgerTables[PURPOSE_OF[s]])] as const),
    ),
  );
  for (const id of DUE) {
    const ref = await refs.ref(id);
    for (const system of STORE_SYSTEMS) {
      const item = ledger[system].find((h) => h.subjectRef === ref && h.system === system);
      expect({ id, system, status: item?.status }).toEqual({ id, system, status: 'done' });
    }
    expect({ id, leftovers: await leftovers(child.clients, id, STORE_SYSTEMS) }).toEqual({ id, leftovers: [] });
  }
  // AND nothing that was not due was touched: its data byte for byte, its holdings active
  for (const id of NOT_DUE) {
    expect({ id, data: await snapshot(child.clients, id, STORE_SYSTEMS) }).toEqual({ id, data: untouched[id] });
    const ref = await refs.ref(id);
    for (const system of STORE_SYSTEMS) {
      expect({ id, system, status: ledger[system].find((h) => h.subjectRef === ref && h.system === system)?.status }).toEqual({
        id,
        system,
        status: 'active',
      });
    }
  }
  // AND the audit chain is whole (a record claimed but not stored before the kill was stored after it)
  const audit = await auditRecords(child);
  const head = await chainHead(child.clients.dynamodb);
  const chain = await verifyChain(s3Source(child.clients.s3, names.auditBucket), head ? { expectedHead: head } : {});
  expect(chain.break).toBeUndefined();
  expect(chain.records).toBe(audit.length);
  // AND no action was applied twice with a different outcome: per subject and system, one outcome (repeats of the
  // same outcome allowed), and it is the one the ledger holds
  const { groups, conflicting } = outcomesBySubjectAndSystem(audit);
  expect(conflicting).toEqual([]);
  let repeated = 0;
  let outcomeLost = 0;
  for (const id of DUE) {
    const [subject, ref] = [await refs.auditSubject(id), await refs.ref(id)];
    for (const system of STORE_SYSTEMS) {
      const outcome = ledger[system].find((h) => h.subjectRef === ref && h.system === system)?.outcome;
      const outcomes = groups.get(`${subject}/${system}`) ?? [];
      expect({ id, system, recorded: outcomes.length > 0, outcome: outcomes[0] }).toEqual({ id, system, recorded: true, outcome });
      if (outcomes.length > 1) repeated++;
      if (outcome !== OUTCOME_OF[system]) outcomeLost++;
    }
  }
  // AND local mode stops cleanly and leaves nothing behind
  expect(await child.stop()).toBe(0);
  child = undefined;
  expect(processesNaming(dataDir)).toEqual([]);
  lap('checks and stop');

  process.stdout.write(
    `\nfaults-kill figures: ${JSON.stringify({
      holdingsDue: DUE.length * STORE_SYSTEMS.length,
      holdingsNotDue: NOT_DUE.length * STORE_SYSTEMS.length,
      doneBeforeKill,
      batchesDoneBeforeKill: killed.applied.length,
      auditRecords: audit.length,
      subjectSystemsAuditedTwiceSameOutcome: repeated,
      outcomesRecordedAsNothingFound: outcomeLost,
      itemsLost: 0,
      timings,
    })}\n`,
  );
});

/** The tables and the bucket of the store systems (local mode's demo would create them; without it, nobody does). */
async function createStores(clients: Clients): Promise<void> {
  const keys = { profiles: 'userId', surveys: 'respondentId', crm: 'subjectId' } as const;
  for (const system of ['profiles', 'surveys', 'crm'] as const) {
    await clients.dynamodb.send(
      new CreateTableCommand({
        TableName: TABLES[system],
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: keys[system], KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: keys[system], AttributeType: 'S' }],
      }),
    );
  }
  await clients.s3.send(new CreateBucketCommand({ Bucket: FILES_BUCKET }));
}

/** The sweep-apply "batch applied" lines written to the log file after `from` (its length at a start). */
function sweepLines(logFile: string, from: number): { applied: { holdingsDone: number; holdingsFailed: number }[] } {
  if (!existsSync(logFile)) return { applied: [] };
  const text = readFileSync(logFile, 'utf8').slice(from);
  const applied = text
    .split('\n')
    .filter((line) => line.includes('lethe-local-sweep-apply') && line.includes('"batch applied"'))
    .map((line) => JSON.parse(line.slice(line.indexOf('{'))) as { holdingsDone: number; holdingsFailed: number });
  return { applied };
}

/** Active holdings past their due time, in every purpose. */
async function dueHoldings(local: ChildLocal): Promise<string[]> {
  const now = Date.now();
  const out: string[] = [];
  for (const table of Object.values(names.ledgerTables)) {
    for (const h of await ledgerItems(local.clients.documents, table)) {
      if (h.status === 'active' && h.dueAt !== undefined && h.dueAt <= now) out.push(`${h.system}/${h.subjectRef}`);
    }
  }
  return out;
}

async function auditRecords(local: ChildLocal): Promise<AuditRecord[]> {
  const source = s3Source(local.clients.s3, names.auditBucket);
  const keys = (await source.names()).sort();
  return (await Promise.all(keys.map(async (key) => recordsOf(await source.read(key))))).flat();
}

async function chainHead(ddb: DynamoDBClient): Promise<{ seq: number; hash?: string } | undefined> {
  const { Item } = await ddb.send(
    new GetItemCommand({
      TableName: names.auditChainTable,
      Key: { [AUDIT_CHAIN.partitionKey]: { S: AUDIT_CHAIN.headId } },
      ConsistentRead: true,
    }),
  );
  return Item?.seq?.N ? { seq: Number(Item.seq.N), ...(Item.hash?.S ? { hash: Item.hash.S } : {}) } : undefined;
}
