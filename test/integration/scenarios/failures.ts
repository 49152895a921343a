/**
 * When a system fails: a transient failure is retried by the workflow, a permanent one fails the request by
 * name and a redrive finishes it; and a request sent twice with one Idempotency-Key is one request.
 */
import type { Harness } from '../support/harness';
import {
  auditOf,
  dynamoRecord,
  erase,
  erasureBody,
  expectStatus,
  hold,
  isoDaysFromNow,
  type RequestView,
  requestErasure,
  seed,
  statusBySystem,
  testUser,
} from '../support/harness';

export function defineFailureScenarios(harness: () => Harness): void {
  describe('failures and retries', () => {
    afterEach(() => {
      harness().local.receiver.heal('mailer');
    });

    test('a transient failure (503 once) is retried with the same Idempotency-Key and the request completes', async () => {
      const { local } = harness();
      // GIVEN Tove on the newsletter, and a SaaS that answers the next call with 503
      const tove = testUser('it-tove', 'Tove Nilsson');
      await seed(local, tove, ['mailer']);
      await hold(local, tove, 'newsletter', 'mailer', isoDaysFromNow(-30));
      local.receiver.fail('mailer', { status: 503, times: 1 });

      // WHEN she asks for erasure
      const view = await erase(local, tove);

      // THEN the workflow retried: a 503, then a 200, with one key; the request completed and the record is gone
      const calls = local.receiver.received('mailer').filter((c) => c.idempotencyKey === `${view.requestId}:mailer`);
      expect(calls.map((c) => c.status)).toEqual([503, 200]);
      expect(calls.every((c) => c.signatureValid)).toBe(true);
      expect(view.status).toBe('completed');
      expect(statusBySystem(view)).toEqual({ mailer: 'erased' });
      expect(local.receiver.records('mailer')[tove.id]).toBeUndefined();
    });

    test('a permanent failure (400) ends the request failed, naming the system; a redrive after healing completes it', async () => {
      const { local } = harness();
      // GIVEN Per with a profile and the newsletter, and a SaaS that refuses every call with 400
      const per = testUser('it-per', 'Per Andersson');
      await seed(local, per, ['profiles', 'mailer']);
      await hold(local, per, 'account', 'profiles', isoDaysFromNow(-30));
      await hold(local, per, 'newsletter', 'mailer', isoDaysFromNow(-30));
      local.receiver.fail('mailer', { status: 400 });

      // WHEN he asks for erasure
      const failed = await erase(local, per);

      // THEN the request is failed: mailer failed by error name (no retry of a permanent error), profiles erased
      expect(failed.status).toBe('failed');
      expect(failed.systems).toEqual(
        expect.arrayContaining([
          { system: 'mailer', status: 'failed', error: 'ConnectorPermanentError' },
          { system: 'profiles', status: 'erased', verification: 'verified' },
        ]),
      );
      // (the state machine runs a failed system once more, without a Catch, so that a redrive resumes there:
      // two calls, both refused; a permanent error is never retried with backoff)
      const refused = local.receiver.received('mailer').filter((c) => c.idempotencyKey === `${failed.requestId}:mailer`);
      expect(refused.map((c) => c.status)).toEqual([400, 400]);
      expect(await dynamoRecord(local, 'profiles', per)).toBeUndefined();
      expect(local.receiver.records('mailer')[per.id]).toBeDefined();

      // WHEN the SaaS is fixed and the failed execution is redriven
      local.receiver.heal('mailer');
      const execution = await local.redrive(failed.requestId);
      const view = (await local.waitForRequest(failed.requestId)) as unknown as RequestView;

      // THEN the request completes: mailer erased, profiles not erased a second time
      expect(execution.status).toBe('SUCCEEDED');
      expect(execution.redriveCount).toBe(1);
      expect(view.status).toBe('completed');
      expect(statusBySystem(view)).toEqual({ profiles: 'erased', mailer: 'erased' });
      expect(local.receiver.records('mailer')[per.id]).toBeUndefined();
      const audit = await auditOf(local, { requestId: failed.requestId });
      expect(audit.map((r) => [r.system, r.outcome])).toEqual(
        expect.arrayContaining([
          ['mailer', 'failed'],
          ['mailer', 'erased'],
          ['profiles', 'erased'],
        ]),
      );
      expect(audit.filter((r) => r.system === 'profiles')).toHaveLength(1);
    });

    test('a duplicate request with the same Idempotency-Key is the same request, erased once', async () => {
      const { local } = harness();
      // GIVEN Ida on the newsletter
      const ida = testUser('it-ida', 'Ida Berg');
      await seed(local, ida, ['mailer']);
      await hold(local, ida, 'newsletter', 'mailer', isoDaysFromNow(-30));
      const key = `it-duplicate-${Date.now()}`;

      // WHEN the same request is sent twice with one key, and once more after it completed
      const first = await requestErasure(local, ida, { idempotencyKey: key });
      const second = await requestErasure(local, ida, { idempotencyKey: key });
      const view = (await local.waitForRequest(first)) as unknown as RequestView;
      const third = await requestErasure(local, ida, { idempotencyKey: key });

      // THEN every answer names the same request; one workflow ran; the SaaS did the work once; one audit record
      expect(second).toBe(first);
      expect(third).toBe(first);
      expect(view.status).toBe('completed');
      expect(local.executions().filter((e) => e.name === first)).toHaveLength(1);
      const calls = local.receiver.received('mailer').filter((c) => c.idempotencyKey === `${first}:mailer`);
      expect(calls.filter((c) => !c.replayed)).toHaveLength(1);
      expect(await auditOf(local, { requestId: first })).toHaveLength(1);
      expect(local.receiver.records('mailer')[ida.id]).toBeUndefined();
    });

    // Powertools idempotency keys on the key AND the subject's HMAC, so a reused key reaches the handler's 409.
    test('the same Idempotency-Key for another subject is refused, never answered with the first request', async () => {
      const { local } = harness();
      // GIVEN a request for Jon under a key
      const jon = testUser('it-jon', 'Jon Holm');
      const kim = testUser('it-kim', 'Kim Strand');
      await seed(local, kim, ['mailer']);
      await hold(local, kim, 'newsletter', 'mailer', isoDaysFromNow(-30));
      const key = `it-reused-${Date.now()}`;
      const jonsRequest = await requestErasure(local, jon, { idempotencyKey: key });
      await local.waitForRequest(jonsRequest);

      // WHEN the key is reused for Kim
      const answer = await local.api('POST', '/erasure-requests', { body: erasureBody(kim), headers: { 'Idempotency-Key': key } });

      // THEN it is a conflict (409), not a 202 naming Jon's request; Kim's data is untouched
      expect((answer.body as { requestId?: string }).requestId).not.toBe(jonsRequest);
      expectStatus(answer, 409, 'reusing an Idempotency-Key for another subject');
      expect(local.receiver.records('mailer')[kim.id]).toBeDefined();
    });
  });
}
