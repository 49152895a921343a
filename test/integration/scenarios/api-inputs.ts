/**
 * Bad input to the API over HTTP: every problem is a 4xx naming what was wrong (and where, for a field), never
 * a 500, and nothing is written.
 */
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import type { Harness } from '../support/harness';
import { erasureBody, isoDaysFromNow, testUser } from '../support/harness';

interface ErrorAnswer {
  readonly error: { readonly code: string; readonly message: string; readonly path?: string };
}

const holding = (extra: Record<string, unknown> = {}) => ({
  purpose: 'account',
  system: 'profiles',
  collectedAt: isoDaysFromNow(-1),
  ...extra,
});

export function defineApiInputScenarios(harness: () => Harness): void {
  describe('bad input to the API', () => {
    const subject = testUser('it-bad-input', 'Berit Fel');
    const holdings = `/subjects/${subject.id}/holdings`;
    const events = `/subjects/${subject.id}/events`;

    // [what, method, path, body, status, path of the error, words in the message]
    const cases: [string, string, string, unknown, number, string | undefined, RegExp][] = [
      ['a holding without collectedAt', 'POST', holdings, { purpose: 'account', system: 'profiles' }, 400, 'collectedAt', /collectedAt/],
      ['a collectedAt without an offset', 'POST', holdings, holding({ collectedAt: '2026-01-01T10:00:00' }), 400, 'collectedAt', /offset/],
      [
        'a collectedAt that is no date',
        'POST',
        holdings,
        holding({ collectedAt: 'yesterday' }),
        400,
        'collectedAt',
        /offset.*got "yesterday"/,
      ],
      ['an unknown purpose', 'POST', holdings, holding({ purpose: 'profiling' }), 400, 'purpose', /unknown purpose "profiling".*account/],
      ['an unknown system', 'POST', holdings, holding({ system: 'crm' }), 400, 'system', /unknown system "crm".*profiles/],
      [
        'a purpose in a system it does not use',
        'POST',
        holdings,
        holding({ system: 'mailer' }),
        400,
        'system',
        /does not hold data in system "mailer"/,
      ],
      ['an unknown key', 'POST', holdings, holding({ color: 'blue' }), 400, undefined, /unknown key "color"/],
      ['a locator that is not text', 'POST', holdings, holding({ locator: { userId: 7 } }), 400, 'locator.userId', /text/],
      [
        'an unknown event type',
        'POST',
        events,
        { type: 'birthday', at: isoDaysFromNow(0) },
        400,
        'type',
        /unknown event type "birthday".*invoiced/,
      ],
      ['"collected" as an event', 'POST', events, { type: 'collected', at: isoDaysFromNow(0) }, 400, 'type', /register a holding/],
      [
        'an event for an unknown purpose',
        'POST',
        events,
        { type: 'invoiced', at: isoDaysFromNow(0), purpose: 'x' },
        400,
        'purpose',
        /unknown purpose/,
      ],
      [
        'an erasure request without verification',
        'POST',
        '/erasure-requests',
        { subjectId: subject.id },
        400,
        'verification',
        /verification/,
      ],
      [
        'an erasure request scoped to an unknown purpose',
        'POST',
        '/erasure-requests',
        erasureBody(subject, { scope: ['nope'] }),
        400,
        'scope[0]',
        /unknown purpose "nope"/,
      ],
      ['an empty scope', 'POST', '/erasure-requests', erasureBody(subject, { scope: [] }), 400, 'scope', /at least one purpose/],
      [
        'a subject id of 257 characters',
        'POST',
        '/erasure-requests',
        erasureBody(subject, { subjectId: 'x'.repeat(257) }),
        400,
        'subjectId',
        /256/,
      ],
      [
        'an extension of 3 months',
        'POST',
        `/erasure-requests/${randomUUID()}/extend`,
        { months: 3, reason: 'busy' },
        400,
        'months',
        /1 or 2/,
      ],
      ['an unknown request', 'GET', `/erasure-requests/${randomUUID()}`, undefined, 404, 'requestId', /no erasure request/],
      ['a request id that cannot be one', 'GET', '/erasure-requests/not%20an%20id', undefined, 400, 'requestId', /request id/],
      ['an unknown route', 'GET', '/subjects', undefined, 404, undefined, /./],
      // Issue 15, item 19: instants from the future
      [
        'a holding collected in 2036',
        'POST',
        holdings,
        holding({ collectedAt: '2036-01-01T00:00:00+01:00' }),
        400,
        'collectedAt',
        /later than/,
      ],
      ['an invoiced event in 2099', 'POST', events, { type: 'invoiced', at: '2099-01-01T00:00:00Z' }, 400, 'at', /5 minutes/],
      // Issue 15, item 16: ids that could name another subject, or that no path can name
      ['a subject id with a NUL', 'POST', '/subjects/a%00b/holdings', holding(), 400, 'subjectId', /control character/],
      [
        'a subject id with a line feed',
        'POST',
        '/erasure-requests',
        erasureBody(subject, { subjectId: 'a\nb' }),
        400,
        'subjectId',
        /control/,
      ],
      ['a subject named ".." (the client resolves it away)', 'POST', '/subjects/%2E%2E/holdings', holding(), 400, 'subjectId', /"\.\."/],
      [
        'a subject named "." (the client resolves it away)',
        'POST',
        '/subjects/./events',
        { type: 'invoiced', at: isoDaysFromNow(0) },
        400,
        'subjectId',
        /no subject id/,
      ],
    ];

    test.each(
      cases.map(([what, method, path, body, status, errorPath, message]) => ({ what, method, path, body, status, errorPath, message })),
    )('$what: $method $path answers $status', async ({ method, path, body, status, errorPath, message }) => {
      const { local } = harness();
      // WHEN the API gets the bad input (with the Idempotency-Key an erasure request needs, so that the body is judged)
      const answer = await local.api(method, path, {
        ...(body === undefined ? {} : { body }),
        headers: { 'Idempotency-Key': randomUUID() },
      });
      // THEN it answers the status, with the error's path and a message that says what was wrong
      expect(answer.status).toBe(status);
      const error = (answer.body as ErrorAnswer).error;
      expect(error.message).toMatch(message);
      if (errorPath !== undefined) expect(error.path).toBe(errorPath);
    });

    test('an erasure request without an Idempotency-Key is a 400 naming the header, and starts nothing', async () => {
      const { local } = harness();
      const executions = local.executions().length;
      const answer = await local.api('POST', '/erasure-requests', { body: erasureBody(subject) });
      expect(answer.status).toBe(400);
      expect((answer.body as ErrorAnswer).error).toMatchObject({ code: 'invalid-input', path: 'headers.Idempotency-Key' });
      expect(local.executions()).toHaveLength(executions);
    });

    test('a body that is not JSON is a 400 naming the body', async () => {
      const { local } = harness();
      const answer = await local.api('POST', holdings, { rawBody: '{"purpose": ', headers: { 'content-type': 'application/json' } });
      expect(answer.status).toBe(400);
      expect((answer.body as ErrorAnswer).error).toMatchObject({ code: 'invalid-json', path: 'body' });
    });

    test('a body over 64 KiB is refused with 413 before it is parsed', async () => {
      const { local } = harness();
      const big = JSON.stringify(holding({ locator: { userId: 'x'.repeat(64 * 1024) } }));
      expect(Buffer.byteLength(big)).toBeGreaterThan(64 * 1024);
      const answer = await local.api('POST', holdings, { rawBody: big, headers: { 'content-type': 'application/json' } });
      expect(answer.status).toBe(413);
      expect((answer.body as ErrorAnswer).error.code).toBe('body-too-large');
    });

    test('without the bearer token, or with a wrong one, every route is 401 and nothing is written', async () => {
      const { local } = harness();
      const executions = local.executions().length;
      const url = `${local.apiUrl}/erasure-requests`;
      const body = JSON.stringify(erasureBody(subject));
      const none = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const wrong = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer nope' },
        body,
      });
      const basic = await fetch(`${local.apiUrl}${holdings}`, { method: 'POST', headers: { authorization: `Basic ${local.token}` }, body });
      expect([none.status, wrong.status, basic.status]).toEqual([401, 401, 401]);
      expect(local.executions()).toHaveLength(executions);
    });

    test('no input makes the API answer 500: arbitrary JSON bodies on every write route are 4xx', async () => {
      const { local } = harness();
      const executions = local.executions().length;
      const routes = [holdings, events, '/erasure-requests', `/erasure-requests/${randomUUID()}/extend`];
      const seen = new Set<number>();
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...routes), fc.jsonValue({ maxDepth: 3 }), async (route, body) => {
          const answer = await local.api('POST', route, {
            rawBody: JSON.stringify(body),
            headers: { 'content-type': 'application/json', 'Idempotency-Key': randomUUID() },
          });
          seen.add(answer.status);
          return answer.status >= 400 && answer.status < 500;
        }),
        { numRuns: 120 },
      );
      // Also odd headers and paths
      const odd = [
        await local.api('POST', holdings, { rawBody: 'null', headers: { 'content-type': 'text/plain' } }),
        await local.api('POST', holdings, { rawBody: '', headers: { 'content-type': 'application/json' } }),
        await local.api('POST', `/subjects/%C3%28/holdings`, { body: holding() }),
        await local.api('POST', '/erasure-requests', { body: erasureBody(subject), headers: { 'Idempotency-Key': 'k'.repeat(300) } }),
        await local.api('DELETE', '/erasure-requests', {}),
      ];
      for (const answer of odd) {
        expect(answer.status).toBeGreaterThanOrEqual(400);
        expect(answer.status).toBeLessThan(500);
      }
      expect(seen.has(400)).toBe(true);
      // None of it started an erasure
      expect(local.executions()).toHaveLength(executions);
    });
  });
}
