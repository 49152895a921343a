/**
 * Faults in the connectors (issue 7, "Faults"): systems that time out, throttle, or fail 30 % of calls at random.
 * Every erasure request still completes after retries, with the right result: the data erased (or anonymised)
 * in every system, the request completed, one audit record per system with the right outcome, and no other
 * subject touched by a single byte. The sweep under the same faults leaves no due holding behind.
 *
 * How the faults are injected (support/faulty-local.ts): the `http` systems' SaaS is local mode's receiver
 * (fail / delay / failRandomly); the DynamoDB, S3 and `lambda` systems' connector functions reach DynamoDB Local
 * and s3rver through a fault-injecting proxy (support/fault-proxy.ts) that answers as the services do when they
 * throttle or fail, resets connections, or stalls calls until the connector function times out. Randomness is
 * seeded (LETHE_FAULT_SEED, printed on failure): the same seed gives the same faults at the same attempts.
 *
 * Retries that carry a request through: the AWS SDK's own (inside a connector), then the erasure state machine's
 * Retry on ConnectorTransientError (locally after 20 ms instead of the definition's 2 s backoff).
 */
import { randomUUID } from 'node:crypto';
import { Temporal } from '@js-temporal/polyfill';
import { localSubjectRefs } from '../../lib/local/keys';
import type { FaultProxyStats } from './support/fault-proxy';
import { expectErasedCorrectly, type RequestResult } from './support/checks';
import { CONNECTOR_TIMEOUT_MS, type FaultyLocal, PROXIED, startFaultyLocal } from './support/faulty-local';
import {
  collectedForExpiry,
  holdEverywhere,
  HTTP_SYSTEMS,
  inBatches,
  leftovers,
  ledgerItems,
  outcomesBySubjectAndSystem,
  PURPOSE_OF,
  seedSubject,
  snapshot,
  SYSTEMS,
} from './support/subjects';

jest.setTimeout(240_000);

const SEED = process.env.LETHE_FAULT_SEED ?? '7-2024';
const ERASURE_SYSTEM = 'lethe-local-erasure-system';

let env: FaultyLocal | undefined;
const current = (): FaultyLocal => {
  if (!env) throw new Error('local mode did not start (see the error of beforeAll)');
  return env;
};

/** What each test measured, for docs/reliability.md (printed once at the end). */
const figures: Record<string, unknown>[] = [];

beforeAll(async () => {
  env = await startFaultyLocal();
}, 180_000);

afterAll(async () => {
  await env?.stop();
  if (figures.length > 0) process.stdout.write(`\nfaults-connectors figures (seed ${SEED}):\n${JSON.stringify(figures, null, 2)}\n`);
}, 60_000);

afterEach(() => {
  if (process.env.LETHE_FAULT_DEBUG && env) {
    const lines = env.local.logEntries().filter((l) => /warn|error|WARN|ERROR|Timedout/.test(l.line));
    process.stdout.write(
      `warnings:\n${lines.map((l) => `  ${l.at.getTime() % 100000} ${l.functionName} ${l.line.slice(0, 400)}`).join('\n')}\n`,
    );
    for (const [system, proxy] of Object.entries(env.proxies))
      process.stdout.write(
        `${system}:\n${proxy
          .calls()
          .map((c) => `  ${c.at % 100000} ${c.fault ?? c.status} ${c.identity}`)
          .join('\n')}\n`,
      );
  }
  env?.heal();
});

interface Counters {
  readonly proxy: FaultProxyStats;
  readonly receiverCalls: number;
  readonly erasureSystemInvocations: number;
  readonly connectorErrors: number;
}

function counters(e: FaultyLocal): Counters {
  const stats = e.local.functionStats();
  const connectors = stats.filter((s) => s.name.startsWith('lethe-local-connector-') || s.name === 'rel-crm');
  return {
    proxy: e.proxyStats(),
    receiverCalls: e.local.receiver.received().length,
    erasureSystemInvocations: stats.find((s) => s.name === ERASURE_SYSTEM)?.invocations ?? 0,
    connectorErrors: connectors.reduce((n, s) => n + s.errors, 0),
  };
}

/** Faults met between two counters: by kind at the proxies, by status or delay at the receiver. */
function faultsBetween(e: FaultyLocal, before: Counters, after: Counters): Record<string, number> {
  const out: Record<string, number> = {};
  for (const kind of Object.keys(after.proxy.faults) as (keyof FaultProxyStats['faults'])[]) {
    const n = after.proxy.faults[kind] - before.proxy.faults[kind];
    if (n > 0) out[`store ${kind}`] = n;
  }
  for (const call of e.local.receiver.received().slice(before.receiverCalls)) {
    if (!call.injected) continue;
    const label = 'status' in call.injected ? `http ${call.injected.status}` : `http late answer (${call.injected.lost} lost)`;
    out[label] = (out[label] ?? 0) + 1;
  }
  return out;
}

const total = (faults: Record<string, number>) => Object.values(faults).reduce((a, b) => a + b, 0);

/** Seeds the subjects and bystanders in every system and registers every holding, collected `collectedAt`. */
async function prepare(e: FaultyLocal, ids: readonly string[], collectedAt: string): Promise<void> {
  await inBatches(ids, 6, async (id) => {
    await seedSubject(e.clients, id, SYSTEMS);
    await holdEverywhere(e.api, id, SYSTEMS, collectedAt);
  });
}

/** Sends an erasure request for each subject at once and waits for all of them. */
async function eraseAll(e: FaultyLocal, ids: readonly string[]): Promise<Map<string, RequestResult>> {
  const results = new Map<string, RequestResult>();
  await Promise.all(
    ids.map(async (id) => {
      const answer = await e.api(
        'POST',
        '/erasure-requests',
        {
          subjectId: id,
          verification: { method: 'e-mail confirmation', verifiedAt: Temporal.Now.instant().toString({ smallestUnit: 'second' }) },
        },
        { 'Idempotency-Key': randomUUID() },
      );
      if (answer.status !== 202) throw new Error(`erasure request for ${id}: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
      const { requestId } = answer.body as { requestId: string };
      results.set(id, (await e.local.waitForRequest(requestId, { timeoutMs: 180_000 })) as unknown as RequestResult);
    }),
  );
  return results;
}

async function snapshots(e: FaultyLocal, ids: readonly string[]): Promise<Record<string, unknown>> {
  return Object.fromEntries(await Promise.all(ids.map(async (id) => [id, await snapshot(e.clients, id)] as const)));
}

const collected30DaysAgo = () =>
  Temporal.Now.instant()
    .subtract({ hours: 24 * 30 })
    .toString({ smallestUnit: 'second' });

describe('connectors that time out, throttle or fail at random: every erasure request completes, right', () => {
  test('time-outs: webhooks answered after the connector gave up, and DynamoDB/S3 calls that hang until the function times out', async () => {
    const e = current();
    // GIVEN four subjects in every system, and bystanders whose ids extend theirs
    const ids = ['rel-t-1', 'rel-t-2', 'rel-t-3', 'rel-t-4'];
    const bystanders = ['rel-t-10', 'rel-t-1-b', 'REL-T-1'];
    await prepare(e, [...ids, ...bystanders], collected30DaysAgo());
    const untouched = await snapshots(e, bystanders);
    // AND faults: the webhook with a 1 s timeout answers 1.5 s late (work done, answer lost), twice; the other
    // one hangs 1.5 s without doing the work and answers 504 (a gateway timeout); the DynamoDB, S3 and lambda
    // systems' calls hang until the connector function times out
    e.local.receiver.delay('mailer', { ms: 1500, times: 2, lost: 'answer' });
    e.local.receiver.delay('tickets', { ms: 1500, times: 1, lost: 'request' });
    e.proxies.profiles.inject('stall', 2);
    e.proxies.files.inject('stall', 2);
    e.proxies.surveys.inject('stall', 1);
    e.proxies.crm.inject('stall', 1);
    const before = counters(e);
    const started = Date.now();

    // WHEN each subject asks for erasure, all at once
    const results = await eraseAll(e, ids);
    const erasedMs = Date.now() - started;

    // THEN every request completed with the policy's outcome in every system, audited once per system
    await expectErasedCorrectly(e, results);
    // AND no bystander changed
    expect(await snapshots(e, bystanders)).toEqual(untouched);
    // AND every injected fault was met: the stalls became function time-outs, which were retried
    const after = counters(e);
    const faults = faultsBetween(e, before, after);
    expect(faults).toEqual({ 'store stall': 6, 'http late answer (answer lost)': 2, 'http late answer (request lost)': 1 });
    expect(after.connectorErrors - before.connectorErrors).toBeGreaterThanOrEqual(6); // Sandbox.Timedout
    // AND the late answers were replayed from the SaaS's idempotency store, never done twice
    const mailerCalls = e.local.receiver.received('mailer').slice(0);
    expect(mailerCalls.filter((c) => c.injected && 'delayMs' in c.injected).every((c) => !c.replayed)).toBe(true);
    expect(mailerCalls.filter((c) => c.replayed).length).toBeGreaterThanOrEqual(2);
    figures.push({
      test: 'time-outs',
      requests: ids.length,
      systems: SYSTEMS.length,
      faults,
      stepFunctionsRetries: after.erasureSystemInvocations - before.erasureSystemInvocations - ids.length * SYSTEMS.length,
      connectorTimeoutMs: CONNECTOR_TIMEOUT_MS,
      itemsLost: 0,
      erasureMs: erasedMs,
      ms: Date.now() - started,
    });
  });

  test('throttling: 429 with Retry-After from the SaaS, ThrottlingException from DynamoDB, SlowDown from S3', async () => {
    const e = current();
    // GIVEN four subjects and their bystanders
    const ids = ['rel-th-1', 'rel-th-2', 'rel-th-3', 'rel-th-4'];
    const bystanders = ['rel-th-10', 'rel-th-1-b'];
    await prepare(e, [...ids, ...bystanders], collected30DaysAgo());
    const untouched = await snapshots(e, bystanders);
    // AND every system throttles: more throttled answers in a row than the AWS SDK's 3 attempts, so the state
    // machine's Retry is needed too
    for (const system of HTTP_SYSTEMS) e.local.receiver.fail(system, { status: 429, retryAfterSeconds: 1, times: 3 });
    for (const system of PROXIED) e.proxies[system].inject('throttle', 4);
    const before = counters(e);
    const started = Date.now();

    // WHEN each subject asks for erasure
    const results = await eraseAll(e, ids);

    // THEN all completed right, bystanders untouched, every throttled answer met
    await expectErasedCorrectly(e, results);
    expect(await snapshots(e, bystanders)).toEqual(untouched);
    const after = counters(e);
    const faults = faultsBetween(e, before, after);
    expect(faults).toEqual({ 'store throttle': 16, 'http 429': 6 });
    const retries = after.erasureSystemInvocations - before.erasureSystemInvocations - ids.length * SYSTEMS.length;
    expect(retries).toBeGreaterThanOrEqual(HTTP_SYSTEMS.length * 3); // each 429 is one state machine retry
    figures.push({
      test: 'throttling',
      requests: ids.length,
      faults,
      stepFunctionsRetries: retries,
      itemsLost: 0,
      ms: Date.now() - started,
    });
  });

  test(`30 % of calls fail at random (seed ${SEED}): every request completes, right`, async () => {
    const e = current();
    // GIVEN twelve subjects and bystanders (prefixes, a case variant)
    const ids = Array.from({ length: 12 }, (_, i) => `rel-r-${i + 1}`);
    const bystanders = ['rel-r-120', 'rel-r-1-b', 'REL-R-1'];
    await prepare(e, [...ids, ...bystanders], collected30DaysAgo());
    const untouched = await snapshots(e, bystanders);
    // AND every system fails 30 % of calls, seeded: throttling, errors, dropped connections, late answers
    randomFaults(e, { httpLateAnswers: true });
    const before = counters(e);
    const started = Date.now();

    // WHEN each subject asks for erasure, all at once
    const results = await eraseAll(e, ids);

    // THEN every request completed right (an outcome lost with a call that did its work is allowed, and counted; so
    // is a system that ran out of retries and was made good by the finish's one more run: with verification (issue
    // 19) an http system is called twice per attempt, the action and its verify, so an attempt fails about half the
    // time at this rate, and seven attempts in a row can); bystanders untouched
    const retried: string[] = [];
    const lost = await expectErasedCorrectly(e, results, { allowLostOutcomes: true, retried });
    expect(await snapshots(e, bystanders)).toEqual(untouched);
    const after = counters(e);
    const faults = faultsBetween(e, before, after);
    // about 30 % of the calls met a fault (a binomial share; the seed fixes it)
    const calls = after.proxy.requests - before.proxy.requests + after.receiverCalls - before.receiverCalls;
    expect(total(faults) / calls).toBeGreaterThan(0.2);
    expect(total(faults) / calls).toBeLessThan(0.4);
    figures.push({
      test: 'random 30 %',
      seed: SEED,
      requests: ids.length,
      calls,
      faults,
      faultShare: Number((total(faults) / calls).toFixed(3)),
      outcomesLost: lost.length,
      systemsRunOutOfRetries: retried.length,
      stepFunctionsRetries: after.erasureSystemInvocations - before.erasureSystemInvocations - ids.length * SYSTEMS.length,
      itemsLost: 0,
      ms: Date.now() - started,
    });
  });

  test(`the sweep under the same faults (seed ${SEED}): every due holding ends done, nothing else touched`, async () => {
    const e = current();
    // GIVEN 30 subjects whose every holding expired yesterday, 5 whose holdings are not due, and bystanders
    const due = Array.from({ length: 30 }, (_, i) => `rel-s-${i + 1}`);
    const notDue = Array.from({ length: 5 }, (_, i) => `rel-s-nd-${i + 1}`);
    const bystanders = ['rel-s-100', 'REL-S-1'];
    await prepare(e, due, collectedForExpiry(1));
    await prepare(e, [...notDue, ...bystanders], collected30DaysAgo());
    const untouched = await snapshots(e, [...notDue, ...bystanders]);
    const refs = localSubjectRefs(e.dataDir);
    // AND the same random faults
    randomFaults(e, { httpLateAnswers: false });
    const before = counters(e);
    const started = Date.now();

    // WHEN the sweeps run, as the schedule would run them again, until nothing is due (a failed batch stays due)
    const sweepIds = new Set<string>();
    const roundMs: number[] = [];
    while (roundMs.length < 10) {
      const roundStarted = Date.now();
      for (const sweep of await e.local.runAllSweeps()) {
        expect(sweep.status).toBe('SUCCEEDED');
        sweepIds.add(sweep.name);
      }
      roundMs.push(Date.now() - roundStarted);
      if ((await stillDue(e)).length === 0) break;
    }

    // THEN nothing is due any more, within a few rounds
    expect(await stillDue(e)).toEqual([]);
    // AND each due subject's holdings are done, and its data is gone or anonymised in every system
    const ledger = Object.fromEntries(
      await Promise.all(
        SYSTEMS.map(async (s) => [s, await ledgerItems(e.clients.documents, e.local.names.ledgerTables[PURPOSE_OF[s]])] as const),
      ),
    );
    const outcomeLost: string[] = [];
    for (const id of due) {
      const ref = await refs.ref(id);
      for (const system of SYSTEMS) {
        const item = ledger[system].find((h) => h.subjectRef === ref && h.system === system);
        expect({ id, system, status: item?.status }).toEqual({ id, system, status: 'done' });
        // The policy's outcome, or (a known limit, docs/reliability.md) nothing-found where a batch call that
        // failed as a whole (its function timed out, its answer was lost) had already changed this subject's
        // data: its outcome was lost with the call, and the next sweep found nothing left to do. (A call that
        // fails for some subjects only answers for the others: ConnectorResult.failed.) Allowed only with that
        // evidence in the proxy's log.
        const verdict = e.judge(system, id, item?.outcome);
        expect({ id, system, outcome: item?.outcome, acceptable: verdict !== 'wrong' }).toEqual({
          id,
          system,
          outcome: item?.outcome,
          acceptable: true,
        });
        if (verdict === 'lost') outcomeLost.push(`${id}/${system}`);
      }
      expect({ id, leftovers: await leftovers(e.clients, id) }).toEqual({ id, leftovers: [] });
    }
    // AND exactly one sweep audit record per subject and system, with the ledger's outcome
    const audit = (await e.local.auditRecords()).filter((r) => r.sweepId !== undefined && sweepIds.has(r.sweepId));
    const { groups, conflicting } = outcomesBySubjectAndSystem(audit);
    expect(conflicting).toEqual([]);
    for (const id of due) {
      const [subject, ref] = [await refs.auditSubject(id), await refs.ref(id)];
      for (const system of SYSTEMS) {
        const outcome = ledger[system].find((h) => h.subjectRef === ref && h.system === system)?.outcome;
        expect({ id, system, outcomes: groups.get(`${subject}/${system}`) }).toEqual({ id, system, outcomes: [outcome] });
      }
    }
    expect(audit).toHaveLength(due.length * SYSTEMS.length);
    // AND the subjects not due, and the bystanders, are untouched
    expect(await snapshots(e, [...notDue, ...bystanders])).toEqual(untouched);
    const after = counters(e);
    const faults = faultsBetween(e, before, after);
    expect(total(faults)).toBeGreaterThan(0);
    figures.push({
      test: 'sweep, random 30 %',
      seed: SEED,
      holdingsDue: due.length * SYSTEMS.length,
      holdingsNotDue: (notDue.length + bystanders.length) * SYSTEMS.length,
      sweepRounds: roundMs.length,
      roundMs,
      faults,
      outcomesLostWithAFailedBatchCall: outcomeLost.length,
      itemsLost: 0,
      ms: Date.now() - started,
    });
  });
});

/**
 * Every proxied system and both http systems fail 30 % of calls, seeded. The store systems throttle, fail and drop
 * connections (their hangs are the time-outs test's: each costs a connector time-out); the SaaS answers 5xx,
 * 429, or late (a time-out for mailer's 1 s).
 */
function randomFaults(e: FaultyLocal, options: { httpLateAnswers: boolean }): void {
  for (const system of PROXIED) e.proxies[system].random({ rate: 0.3, seed: `${SEED}/${system}`, kinds: ['throttle', 'error', 'reset'] });
  for (const system of HTTP_SYSTEMS) {
    e.local.receiver.failRandomly(system, {
      rate: 0.3,
      seed: `${SEED}/${system}`,
      faults: [
        { status: 503 },
        { status: 429, retryAfterSeconds: 1 },
        { status: 500 },
        // mailer's connector waits 1 s: 1.5 s is a time-out; tickets' waits 10 s, so its 1.5 s is only slow
        { delayMs: 1500, lost: 'request' },
        ...(options.httpLateAnswers ? [{ delayMs: 1500, lost: 'answer' as const }] : []),
      ],
    });
  }
}

/** Active holdings whose due time has passed, in every purpose (`purpose/system/subjectRef`). */
async function stillDue(e: FaultyLocal): Promise<string[]> {
  const now = Date.now();
  const out: string[] = [];
  for (const [purpose, table] of Object.entries(e.local.names.ledgerTables)) {
    for (const h of await ledgerItems(e.clients.documents, table)) {
      if (h.status === 'active' && h.dueAt !== undefined && h.dueAt <= now) out.push(`${purpose}/${h.system}/${h.subjectRef}`);
    }
  }
  return out;
}
