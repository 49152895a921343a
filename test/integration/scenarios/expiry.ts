/**
 * Retention without a request: the sweep on a simulated clock (the sweep state machine's `now`), and the TTL
 * backstop (DynamoDB Local's TTL removes an active holding, the ledger stream erases it).
 */
import { Temporal } from '@js-temporal/polyfill';
import { itemsReadBySweep } from '../../../lib/demo/scenario';
import type { Harness } from '../support/harness';
import { auditOf, dynamoRecord, eventually, hold, ledgerItems, recordOf, seed, testUser } from '../support/harness';

const DAY_MS = 24 * 3600 * 1000;

export function defineExpiryScenarios(harness: () => Harness): void {
  describe('retention without a request', () => {
    test('a sweep on a simulated clock erases the holdings due at `now` and leaves the others, reading only what is due', async () => {
      const { local } = harness();
      // GIVEN five support-desk users; support keeps data 2 years after collection. Three are due within 30 days
      // from today, two only in 100 days.
      const today = Temporal.Now.instant();
      const collected = (dueInDays: number) =>
        today.toZonedDateTimeISO('UTC').subtract({ years: 2 }).add({ days: dueInDays }).toInstant().toString({ smallestUnit: 'second' });
      const due = [testUser('it-sweep-due-1', 'Dag Ek'), testUser('it-sweep-due-2', 'Disa Ek'), testUser('it-sweep-due-3', 'Dan Ek')];
      const notDue = [testUser('it-sweep-later-1', 'Lea Ek'), testUser('it-sweep-later-2', 'Liv Ek')];
      for (const [i, user] of due.entries()) {
        await seed(local, user, ['tickets']);
        await hold(local, user, 'support', 'tickets', collected(5 + i * 10));
      }
      for (const user of notDue) {
        await seed(local, user, ['tickets']);
        await hold(local, user, 'support', 'tickets', collected(100));
      }
      const now = today.add({ hours: 30 * 24 });
      const dueNow = (items: Record<string, unknown>[]) =>
        items.filter((i) => i.status === 'active' && typeof i.dueAt === 'number' && i.dueAt <= now.epochMilliseconds);
      // The ledger (read whole, as the oracle) holds exactly these three due holdings in this purpose
      expect(dueNow(await ledgerItems(local, 'support'))).toHaveLength(due.length);
      const callsBefore = local.receiver.received('tickets').length;

      // WHEN the support sweep runs with now = 30 days from today
      const sweep = await local.runSweep('support', now.toString());

      // THEN it succeeded and read as many ledger items as were due (the due index, not a scan)
      expect(sweep.status).toBe('SUCCEEDED');
      expect(itemsReadBySweep(local.logLines(), sweep.name)).toBe(due.length);
      // The due users' records are gone from the SaaS, the others are as they were
      const records = local.receiver.records('tickets');
      for (const user of due) expect(records[user.id]).toBeUndefined();
      for (const user of notDue) expect(records[user.id]).toEqual(recordOf(user, 'tickets'));
      // The SaaS was asked (one call per page of the due index: here one per subject) to delete exactly the due users,
      // and then (verified erasure, issue 19) what of each is left: the same subjects, in calls of operation verify
      const all = local.receiver.received('tickets').slice(callsBefore);
      const verifying = all.filter((c) => (c.request as { operation?: unknown } | undefined)?.operation === 'verify');
      const calls = all.filter((c) => !verifying.includes(c));
      expect(
        verifying
          .flatMap((c) => c.request?.subjects ?? [])
          .map((s) => s.subjectId)
          .sort(),
      ).toEqual(due.map((u) => u.id).sort());
      const asked = calls.flatMap((c) => c.request?.subjects ?? []);
      expect(asked.map((s) => s.subjectId).sort()).toEqual(due.map((u) => u.id).sort());
      expect(asked.every((s) => s.record === 'delete')).toBe(true);
      expect(calls.every((c) => c.status === 200 && c.signatureValid)).toBe(true);
      // The ledger: nothing due is left active; the two later holdings are still active and due later
      const after = await ledgerItems(local, 'support');
      expect(dueNow(after)).toEqual([]);
      expect(after.filter((i) => i.status === 'done' && String(i.finishedBy).startsWith('sweep:'))).toHaveLength(due.length);
      const later = after.filter((i) => i.status === 'active' && typeof i.dueAt === 'number' && i.dueAt > now.epochMilliseconds);
      expect(later.filter((i) => Math.abs((i.dueAt as number) - today.epochMilliseconds - 100 * DAY_MS) < 2 * DAY_MS)).toHaveLength(
        notDue.length,
      );
      // One audit record per due holding, each a sweep erasure
      const audit = await auditOf(local, { sweepId: sweep.name });
      expect(audit.map((r) => [r.kind, r.system, r.action, r.outcome])).toEqual(due.map(() => ['sweep', 'tickets', 'delete', 'erased']));
      expect(new Set(audit.map((r) => r.subject)).size).toBe(due.length);
    });

    test('the TTL path: an active holding that DynamoDB TTL removes is erased through the ledger stream', async () => {
      const { local } = harness();
      // GIVEN Tage's survey answers (research: anonymise 2 years after collection), collected 2 years and 10 days
      // ago: expired 10 days ago, and past its TTL backstop (expiry + 3 days), which DynamoDB Local acts on at once
      const tage = testUser('it-tage', 'Tage Blom');
      await seed(local, tage, ['surveys']);
      const startedAt = Date.now();
      const answer = await hold(
        local,
        tage,
        'research',
        'surveys',
        Temporal.Now.zonedDateTimeISO('UTC').subtract({ years: 2, days: 10 }).toInstant().toString(),
      );
      expect(answer.expiresAt).toEqual(expect.any(String));

      // WHEN DynamoDB TTL removes the ledger item (no sweep runs: local mode's sweep timer is off)
      // THEN the stream handler anonymises the survey record...
      const survey = await eventually('the TTL removal to reach the survey record', async () => {
        const record = await dynamoRecord(local, 'surveys', tage);
        return record?.name === '[erased]' ? record : undefined;
      });
      const ttlMs = Date.now() - startedAt;
      expect(survey).toMatchObject({ respondentId: tage.id, name: '[erased]', birthDate: '1985' });
      expect(survey.email).toMatch(/^[0-9a-f]{64}$/);
      // ...the ledger holding is back, done, finished by TTL...
      const done = await eventually('the holding to be put back done', async () => {
        const items = (await ledgerItems(local, 'research')).filter(
          (i) =>
            i.system === 'surveys' &&
            i.status === 'done' &&
            String(i.finishedBy).startsWith('ttl:') &&
            (i.finishedAtMs as number) >= startedAt,
        );
        return items.length > 0 ? items : undefined;
      });
      expect(done).toHaveLength(1);
      // ...and the audit trail has a TTL record of the anonymisation
      const audit = (await auditOf(local, { kind: 'ttl' })).filter((r) => r.system === 'surveys' && Date.parse(r.at) >= startedAt - 1000);
      expect(audit.map((r) => [r.action, r.outcome, r.purposes])).toEqual([['anonymise', 'anonymised', ['research']]]);
      // Reported, not asserted: how long DynamoDB Local's TTL and the stream took here.
      process.stdout.write(`TTL path: removal to anonymised record in ${ttlMs} ms\n`);
    });
  });
}
