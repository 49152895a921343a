/**
 * Load: 1 000 erasure requests sent at once to local mode (issue 7, item 4). 1 250 subjects are seeded into a
 * DynamoDB table, an S3 bucket and an HTTP system, their holdings registered through the API; the 1 000 whose
 * number is not a multiple of 5 ask for erasure all at once (one Promise.all, a distinct Idempotency-Key each).
 *
 * Checked: every request answered 202 (no 5xx, none lost); every one completed; each subject's data gone from
 * every system, everything else (the 250 others, local mode's demo subjects) byte for byte as before; exactly
 * three audit records per request and no other; the HTTP system called once per request about that request's
 * subject only; and every deadline right, recomputed here from the request's received time (Art. 12(3):
 * receipt + one month in the policy's time zone, policy-spec.md) with Temporal, independently of lib/.
 *
 * Measured (printed): wall time, requests per second, latency to the 202 and to completion (p50, p95, max).
 */
import { Temporal } from '@js-temporal/polyfill';
import type { ApiAnswer, ExecutionView, LocalLethe, RequestViewBody } from '../../../lib/local';
import type { AuditRecord } from '../../../lib/core/contract';
import {
  belongsTo,
  BYSTANDERS,
  ERASED,
  HTTP_SYSTEM,
  percentile,
  POPULATION,
  registerHoldings,
  seedRecords,
  snapshotAll,
  type Subject,
  type SystemsSnapshot,
  SYSTEMS,
} from '../support/population';

/** What the load run left, for the assertions below and for the leak scan (scenarios/leaks.ts). */
export interface LoadRun {
  readonly requests: readonly SentRequest[];
  readonly before: SystemsSnapshot;
  readonly after: SystemsSnapshot;
  readonly auditBefore: number;
  readonly wallMs: number;
}

export interface SentRequest {
  readonly subject: Subject;
  readonly idempotencyKey: string;
  /** Client clock, just before the request was sent and when its answer arrived. */
  readonly sentAt: Temporal.Instant;
  readonly answeredAt: Temporal.Instant;
  readonly answer: ApiAnswer;
  view?: RequestViewBody;
  execution?: ExecutionView;
}

let run: LoadRun | undefined;
export const loadRun = (): LoadRun => {
  if (!run) throw new Error('the load run did not complete (see the first load test)');
  return run;
};

/** With LETHE_RELIABILITY_PROGRESS=1, a line on stderr per phase (the run takes minutes). */
const progress = (line: string): void => {
  if (process.env.LETHE_RELIABILITY_PROGRESS) process.stderr.write(`[load] ${new Date().toISOString()} ${line}\n`);
};

export function defineLoadScenarios(current: () => LocalLethe): void {
  describe('load: 1 000 concurrent erasure requests', () => {
    test(
      'all 1 000 requests sent at once are accepted (202) and complete',
      async () => {
        const local = current();
        // GIVEN 1 250 subjects with records in profiles (DynamoDB), files (S3) and mailer (HTTP), their three holdings
        // each registered through the API (3 750 calls), collected 30 days ago
        const seedStarted = Date.now();
        await seedRecords(local, POPULATION);
        const seededMs = Date.now() - seedStarted;
        progress(`records of ${POPULATION.length} subjects seeded`);
        const collectedAt = Temporal.Now.instant()
          .subtract({ hours: 24 * 30 })
          .toString({ smallestUnit: 'second' });
        await registerHoldings(local, POPULATION, collectedAt);
        const registerMs = Date.now() - seedStarted - seededMs;
        progress(`${POPULATION.length * 3} holdings registered`);
        const before = await snapshotAll(local);
        expect(before.profiles.size).toBeGreaterThanOrEqual(POPULATION.length);
        for (const s of POPULATION) {
          expect(before.profiles.has(s.id)).toBe(true);
          expect(before.mailer.has(s.id)).toBe(true);
        }
        const auditBefore = (await local.auditRecords()).length;
        const runKey = `${Date.now()}`;

        // WHEN the 1 000 ask for erasure at the same moment
        const started = performance.now();
        const requests: SentRequest[] = await Promise.all(
          ERASED.map(async (subject): Promise<SentRequest> => {
            const idempotencyKey = `load-${runKey}-${subject.n}`;
            const sentAt = Temporal.Now.instant();
            const answer = await local.api('POST', '/erasure-requests', {
              body: { subjectId: subject.id, verification: { method: 'signed-in session', verifiedAt: sentAt.toString() } },
              headers: { 'Idempotency-Key': idempotencyKey },
            });
            return { subject, idempotencyKey, sentAt, answeredAt: Temporal.Now.instant(), answer };
          }),
        );
        const acceptedMs = performance.now() - started;
        progress(`${requests.length} requests answered`);
        const ticker = setInterval(() => {
          const running = local.executions().filter((e) => e.status === 'RUNNING').length;
          progress(`${running} executions running; ${JSON.stringify(local.functionStats().map((f) => [f.name, f.invocations, f.queued]))}`);
        }, 15_000);

        // THEN every one is answered 202 with a request id of its own: no 5xx, no 429, none lost
        const statuses = countBy(requests.map((r) => r.answer.status));
        expect(statuses).toEqual({ 202: ERASED.length });
        const ids = requests.map((r) => (r.answer.body as { requestId: string }).requestId);
        expect(new Set(ids).size).toBe(ERASED.length);

        // ...and every one completes
        await Promise.all(
          requests.map(async (r) => {
            r.view = await local.waitForRequest(requestIdOf(r), { timeoutMs: 15 * 60_000 });
          }),
        ).finally(() => clearInterval(ticker));
        const wallMs = performance.now() - started;
        expect(countBy(requests.map((r) => r.view!.status))).toEqual({ completed: ERASED.length });

        const executions = new Map(
          local
            .executions()
            .filter((e) => e.stateMachineArn === local.names.erasureStateMachineArn)
            .map((e) => [e.name, e]),
        );
        for (const r of requests) r.execution = executions.get(requestIdOf(r));
        expect(requests.filter((r) => r.execution?.status !== 'SUCCEEDED').map(requestIdOf)).toEqual([]);

        const after = await snapshotAll(local);
        run = { requests, before, after, auditBefore, wallMs };

        // The figures (docs/reliability.md quotes them)
        const toAnswer = requests.map((r) => Number(r.answeredAt.epochMilliseconds - r.sentAt.epochMilliseconds));
        const toDone = requests.map((r) => r.execution!.stopDate!.getTime() - Number(r.sentAt.epochMilliseconds));
        const retries = requests.reduce((n, r) => n + r.execution!.history.filter((e) => e.type === 'StateRetried').length, 0);
        const figures = {
          subjects: POPULATION.length,
          requests: requests.length,
          seedMs: seededMs,
          registerHoldingsMs: registerMs,
          allAcceptedMs: Math.round(acceptedMs),
          wallMs: Math.round(wallMs),
          requestsPerSecond: Number((requests.length / (wallMs / 1000)).toFixed(1)),
          toAcceptedMs: { p50: percentile(toAnswer, 50), p95: percentile(toAnswer, 95), max: Math.max(...toAnswer) },
          toCompletedMs: { p50: percentile(toDone, 50), p95: percentile(toDone, 95), max: Math.max(...toDone) },
          stepFunctionsRetries: retries,
          functions: Object.fromEntries(
            local
              .functionStats()
              .filter((f) => f.invocations > 0)
              .map((f) => [f.name, { invocations: f.invocations, errors: f.errors, queued: f.queued, longestLine: f.longestLine }]),
          ),
        };
        console.log(`load figures: ${JSON.stringify(figures)}`);
      },
      20 * 60_000,
    );

    test("each subject's data is gone from every system, and nobody else's data was touched", () => {
      const { before, after, requests } = loadRun();
      // GIVEN every record in the three systems before and after the run (DynamoDB items raw, S3 objects with
      // bytes, ETag and last-modified time, the HTTP system's records)
      for (const system of ['profiles', 'files', 'mailer'] as const) {
        // THEN what is left is exactly what was there minus the erased subjects' records: those of the 250 others
        // (ids that are prefixes of erased ids and the other way round) and of local mode's demo subjects unchanged
        const expected = new Map([...before[system]].filter(([key]) => !ERASED.some((s) => belongsTo(system, key, s))));
        expect(after[system].size).toBe(expected.size);
        expect([...after[system]].filter(([key, value]) => expected.get(key) !== value).map(([key]) => key)).toEqual([]);
        // ...and the erased subjects had something there to erase
        for (const s of ERASED) expect([...before[system].keys()].some((key) => belongsTo(system, key, s))).toBe(true);
      }
      for (const s of BYSTANDERS) expect(after.profiles.has(s.id) && after.mailer.has(s.id)).toBe(true);
      // Each request's result names the three systems as erased
      for (const r of requests) {
        const systems = (r.view!.systems as { system: string; status: string }[]).map((x) => [x.system, x.status]).sort();
        expect(systems).toEqual([...SYSTEMS].sort().map((x) => [x, 'erased']));
      }
    });

    test('the HTTP system was called once per request, about that request’s subject only', () => {
      const local = current();
      const { requests } = loadRun();
      const calls = new Map<string, { subjects: string[]; status: number; replayed: boolean }[]>();
      for (const c of local.receiver.received(HTTP_SYSTEM)) {
        const list = calls.get(c.idempotencyKey ?? '') ?? [];
        list.push({ subjects: c.request?.subjects.map((x) => x.subjectId) ?? [], status: c.status, replayed: c.replayed });
        calls.set(c.idempotencyKey ?? '', list);
      }
      for (const r of requests) {
        const made = calls.get(`${requestIdOf(r)}:${HTTP_SYSTEM}`);
        expect(made).toEqual([{ subjects: [r.subject.id], status: 200, replayed: false }]);
      }
    });

    test('exactly three audit records per request (one per system), no other, and the chain verifies', async () => {
      const local = current();
      const { requests, auditBefore } = loadRun();
      const records = await local.auditRecords();
      // THEN the run added 3 000 records, all of them about these requests
      expect(records.length).toBe(auditBefore + 3 * requests.length);
      const byRequest = new Map<string, AuditRecord[]>();
      for (const record of records.slice(auditBefore)) {
        const list = byRequest.get(record.requestId ?? '(none)') ?? [];
        list.push(record);
        byRequest.set(record.requestId ?? '(none)', list);
      }
      expect(byRequest.size).toBe(requests.length);
      const subjects = new Set<string>();
      for (const r of requests) {
        const mine = byRequest.get(requestIdOf(r)) ?? [];
        expect(mine.map((x) => [x.kind, x.system, x.action, x.outcome, x.purposes.join()]).sort()).toEqual([
          ['erasure-request', 'files', 'delete', 'erased', 'account'],
          ['erasure-request', 'mailer', 'delete', 'erased', 'newsletter'],
          ['erasure-request', 'profiles', 'delete', 'erased', 'account'],
        ]);
        // one subject per request (an HMAC), a different one for each request
        expect(new Set(mine.map((x) => x.subject)).size).toBe(1);
        subjects.add(mine[0].subject);
      }
      expect(subjects.size).toBe(requests.length);
      // ...numbered without gaps or repeats, and the chain verifies against its head
      expect(records.map((x) => x.seq)).toEqual(records.map((_x, i) => i + 1));
      const report = await local.verifyAudit();
      expect(report.break).toBeUndefined();
      expect(report.records).toBe(records.length);
    });

    test('every deadline is right: receipt + one month in the policy’s time zone, recomputed here', () => {
      const local = current();
      const { requests } = loadRun();
      const zone = local.policy.timezone;
      let checked = 0;
      for (const r of requests) {
        const answered = r.answer.body as { deadline: string };
        const view = r.view! as unknown as { receivedAt: string; deadline: string };
        // GIVEN the received time Lethe recorded, which lies between sending and the answer (same clock)
        const received = Temporal.Instant.from(view.receivedAt);
        expect(Number(received.epochMilliseconds)).toBeGreaterThanOrEqual(Number(r.sentAt.epochMilliseconds));
        expect(Number(received.epochMilliseconds)).toBeLessThanOrEqual(Number(r.answeredAt.epochMilliseconds));
        // WHEN its deadline is computed here: the same wall-clock time one calendar month later in the policy's
        // zone (the day clamped to the month's end, the offset of that date: DST is the zone's business)
        const expected = received.toZonedDateTimeISO(zone).add({ months: 1 });
        // THEN the deadline of the 202 and of GET /erasure-requests/{id} are that instant, shown with the offset the
        // zone has at that instant
        for (const shown of [answered.deadline, view.deadline]) {
          const got = Temporal.Instant.from(shown);
          expect(got.equals(expected.toInstant())).toBe(true);
          expect(shown.slice(-6)).toBe(expected.offset);
        }
        expect(view.receivedAt.slice(-6)).toBe(received.toZonedDateTimeISO(zone).offset);
        checked++;
      }
      expect(checked).toBe(ERASED.length);
    });
  });
}

export const requestIdOf = (r: SentRequest): string => (r.answer.body as { requestId: string }).requestId;

function countBy(values: readonly (string | number)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[String(v)] = (counts[String(v)] ?? 0) + 1;
  return counts;
}
