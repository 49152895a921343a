/**
 * DynamoDB Local restarted in the middle of a run (issue 7, "Faults"): erasure requests and a sweep are in flight
 * when DynamoDB Local, which holds Lethe's ledger, requests, idempotency records and audit chain head as well as
 * the demo tables, is killed and started again on the same port with the same data (`persist`). Everything that
 * reaches it meanwhile meets refused connections: the AWS SDK's retries, then the state machines' Retry (with
 * the definitions' own backoff here, 2 s doubling, not the suites' 20 ms) must carry the run through.
 *
 * Then: every request completed without a redrive, with each system's outcome; no due holding lost (after the
 * sweep, and at most the next ones, as the schedule would run them); nothing that was not due touched; no
 * action applied twice with a different outcome; the audit chain whole. A system whose connector did its work
 * just before the store went away, so that the outcome could not be recorded, is retried and reports
 * nothing-found: allowed (the proxy's log shows the earlier change) and counted (docs/reliability.md).
 */
import { Temporal } from '@js-temporal/polyfill';
import { localSubjectRefs } from '../../lib/local/keys';
import { eventually } from '../support/eventually';
import { expectErasedCorrectly, type RequestResult } from './support/checks';
import { type FaultyLocal, startFaultyLocal } from './support/faulty-local';
import {
  collectedForExpiry,
  holdEverywhere,
  inBatches,
  ledgerItems,
  leftovers,
  outcomesBySubjectAndSystem,
  PURPOSE_OF,
  seedSubject,
  snapshot,
  SYSTEMS,
} from './support/subjects';

jest.setTimeout(300_000);

const DOWN_MS = 2000;
let env: FaultyLocal | undefined;

beforeAll(async () => {
  env = await startFaultyLocal({ persist: true, definitionsBackoff: true });
}, 180_000);

afterAll(async () => {
  await env?.stop();
}, 60_000);

test(`DynamoDB Local killed and restarted (${DOWN_MS} ms down) while erasures and a sweep run: all complete, nothing lost`, async () => {
  const e = env!;
  const { local } = e;
  // GIVEN 8 subjects who will ask for erasure, 24 whose every holding expired yesterday, 4 not due and bystanders
  const erase = Array.from({ length: 8 }, (_, i) => `rel-d-e-${i + 1}`);
  const due = Array.from({ length: 24 }, (_, i) => `rel-d-s-${i + 1}`);
  const notDue = ['rel-d-nd-1', 'rel-d-nd-2', 'rel-d-e-10', 'REL-D-S-1'];
  const collected30DaysAgo = Temporal.Now.instant()
    .subtract({ hours: 24 * 30 })
    .toString({ smallestUnit: 'second' });
  await inBatches([...erase, ...notDue], 8, async (id) => {
    await seedSubject(e.clients, id, SYSTEMS);
    await holdEverywhere(e.api, id, SYSTEMS, collected30DaysAgo);
  });
  const dueAt = collectedForExpiry(1);
  await inBatches(due, 8, async (id) => {
    await seedSubject(e.clients, id, SYSTEMS);
    await holdEverywhere(e.api, id, SYSTEMS, dueAt);
  });
  const untouched = Object.fromEntries(await Promise.all(notDue.map(async (id) => [id, await snapshot(e.clients, id)])));
  const refs = localSubjectRefs(e.dataDir);
  const started = Date.now();
  const linesBefore = local.logLines().length;

  // WHEN the erasure requests are sent and the sweeps start
  const requestIds = await Promise.all(
    erase.map(async (id) => {
      const answer = await e.api(
        'POST',
        '/erasure-requests',
        {
          subjectId: id,
          verification: { method: 'e-mail confirmation', verifiedAt: Temporal.Now.instant().toString({ smallestUnit: 'second' }) },
        },
        { 'Idempotency-Key': `restart-${id}` },
      );
      expect(answer.status).toBe(202);
      return (answer.body as { requestId: string }).requestId;
    }),
  );
  const sweeping = local.runAllSweeps();
  // AND DynamoDB Local is killed as soon as connectors are at work, and started again 2 s later
  await eventually(
    'a connector at work',
    () =>
      local
        .logLines()
        .slice(linesBefore)
        .some((l) => l.includes('"connector invoked"'))
        ? true
        : undefined,
    60_000,
    20,
  );
  const restartedAt = Date.now() - started;
  await local.restartDynamoDbLocal({ how: 'kill', downMs: DOWN_MS });

  const debug = process.env.LETHE_FAULT_DEBUG
    ? setInterval(() => {
        const summary = local.executions().map((x) => `${x.name.slice(0, 8)} ${x.status} ${x.error ?? ''} ${x.cause?.slice(0, 200) ?? ''}`);
        process.stderr.write(`t=${Date.now() - started}\n  ${summary.join('\n  ')}\n`);
      }, 10_000)
    : undefined;
  // THEN every request completes, without a redrive, with each system's outcome (or one lost with a call that did
  // its work just before the store went away, counted), its data gone, one audit record per system
  const views = await Promise.all(requestIds.map((id) => local.waitForRequest(id, { timeoutMs: 240_000 })));
  const sweeps = await sweeping;
  if (debug) clearInterval(debug);
  const results = new Map(erase.map((id, i) => [id, views[i] as unknown as RequestResult]));
  const lostInRequests = await expectErasedCorrectly(e, results, { allowLostOutcomes: true });
  // AND the sweeps ended (a batch that failed leaves its holdings due), and the next sweeps leave nothing due
  expect(sweeps.map((s) => s.status)).toEqual(sweeps.map(() => 'SUCCEEDED'));
  let extraRounds = 0;
  while ((await stillDue(e)).length > 0 && extraRounds < 3) {
    extraRounds++;
    await local.runAllSweeps();
  }
  expect(await stillDue(e)).toEqual([]);
  const lostInSweeps: string[] = [];
  for (const id of due) {
    const ref = await refs.ref(id);
    for (const system of SYSTEMS) {
      const item = (await ledgerItems(e.clients.documents, local.names.ledgerTables[PURPOSE_OF[system]])).find(
        (h) => h.subjectRef === ref && h.system === system,
      );
      const verdict = e.judge(system, id, item?.outcome);
      expect({ id, system, status: item?.status, acceptable: verdict !== 'wrong' }).toEqual({
        id,
        system,
        status: 'done',
        acceptable: true,
      });
      if (verdict === 'lost') lostInSweeps.push(`${system}/${id}`);
    }
    expect({ id, leftovers: await leftovers(e.clients, id) }).toEqual({ id, leftovers: [] });
  }
  // AND nothing that was not due was touched
  for (const id of notDue) expect({ id, data: await snapshot(e.clients, id) }).toEqual({ id, data: untouched[id] });
  // AND no action was applied twice with a different outcome, and the audit chain is whole
  const audit = await local.auditRecords();
  const { conflicting } = outcomesBySubjectAndSystem(audit.filter((r) => r.outcome !== 'failed'));
  expect(conflicting).toEqual([]);
  const chain = await local.verifyAudit();
  expect(chain.break).toBeUndefined();
  expect(chain.records).toBe(audit.length);

  process.stdout.write(
    `\nfaults-dynamodb-restart figures: ${JSON.stringify({
      requests: erase.length,
      holdingsDue: due.length * SYSTEMS.length,
      holdingsNotDue: notDue.length * SYSTEMS.length,
      downMs: DOWN_MS,
      restartedAtMs: restartedAt,
      extraSweepRounds: extraRounds,
      outcomesLost: { requests: lostInRequests.length, sweeps: lostInSweeps.length },
      failedAuditRecords: audit.filter((r) => r.outcome === 'failed').length,
      itemsLost: 0,
      ms: Date.now() - started,
    })}\n`,
  );
});

async function stillDue(e: FaultyLocal): Promise<string[]> {
  const now = Date.now();
  const out: string[] = [];
  for (const table of Object.values(e.local.names.ledgerTables)) {
    for (const h of await ledgerItems(e.clients.documents, table)) {
      if (h.status === 'active' && h.dueAt !== undefined && h.dueAt <= now) out.push(`${h.system}/${h.subjectRef}`);
    }
  }
  return out;
}
