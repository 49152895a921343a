/**
 * Bad input to the API over HTTP: every problem is a 4xx naming what was wrong (and where, for a field), never
 * a 500, and nothing is written. One table of bad inputs, with a row (at least) for every route of the route table
 * (lib/runtime/routes.ts; a test fails for a route without one), and properties over every route of that table:
 * no body, path parameter or query string makes the API answer 500.
 */
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { matchRoute } from '../../../lib/local/api-gateway';
import { API_ROUTES, pathParametersOf } from '../../../lib/runtime/routes';
import { HOSTILE_STRINGS } from '../../fuzz/hostile-strings';
import type { Harness } from '../support/harness';
import { erasureBody, eventually, expectStatus, hold, isoDaysFromNow, testUser } from '../support/harness';

/** [what, method, path (with its query; `{{name}}`: a fixture's id), body, status, path of the error, words in the message] */
type Row = [string, string, string, unknown, number, string | undefined, RegExp];

interface ErrorAnswer {
  readonly error: { readonly code: string; readonly message: string; readonly path?: string };
}

const holding = (extra: Record<string, unknown> = {}) => ({
  purpose: 'account',
  system: 'profiles',
  collectedAt: isoDaysFromNow(-1),
  ...extra,
});

/**
 * Ids the table's paths name as `{{name}}`, made by the scenario's beforeAll: a request of each kind left open
 * (failed: its system refused it), a restriction request completed and lifted, a hold placed and released.
 */
interface Fixtures {
  openErasure: string;
  openRestriction: string;
  openAccess: string;
  liftedRestriction: string;
  releasedHold: string;
}
const TOKEN = /\{\{(\w+)\}\}/g;
const extension = { months: 1, reason: 'Records in three archives' };
/** A body over the API's 64 KiB (its JSON, whatever the route: the size is refused before the body is read). */
const OVERSIZED = { reason: 'x'.repeat(64 * 1024) };

export function defineApiInputScenarios(harness: () => Harness): void {
  describe('bad input to the API', () => {
    const subject = testUser('it-bad-input', 'Berit Fel');
    const holdings = `/subjects/${subject.id}/holdings`;
    const events = `/subjects/${subject.id}/events`;
    const holds = `/subjects/${subject.id}/holds`;
    const fixtures: Partial<Fixtures> = {};
    /** A path of the table with its `{{name}}` ids filled in. */
    const resolve = (path: string): string =>
      path.replace(TOKEN, (_token, name: string) => {
        const id = fixtures[name as keyof Fixtures];
        if (id === undefined) throw new Error(`the fixture ${name} was not made: see the error of beforeAll`);
        return id;
      });

    beforeAll(async () => {
      const { local } = harness();
      // GIVEN a request of each kind that is open: the mailer refuses for good (400) while they run, so each ends
      // failed (open: its deadline runs, it can be extended, it has no receipt, a restriction cannot be lifted)
      const open = testUser('it-bad-input-open', 'Olle Öppen');
      await hold(local, open, 'newsletter', 'mailer', isoDaysFromNow(-10));
      local.receiver.fail('mailer', { status: 400 });
      try {
        const [erasure, restriction, access] = await Promise.all(
          (['erasure', 'restriction', 'access'] as const).map(async (kind) => {
            const sent = await local.api('POST', `/${kind}-requests`, {
              body: erasureBody(open),
              headers: { 'Idempotency-Key': randomUUID() },
            });
            expectStatus(sent, 202, `a ${kind} request for ${open.id}`);
            const { requestId } = sent.body as { requestId: string };
            await ended(kind, requestId, 'failed');
            // AND extended once (a second extension is a 409)
            expectStatus(await local.api('POST', `/${kind}-requests/${requestId}/extend`, { body: extension }), 200, `extending ${kind}`);
            return requestId;
          }),
        );
        Object.assign(fixtures, { openErasure: erasure, openRestriction: restriction, openAccess: access });
      } finally {
        local.receiver.heal('mailer');
      }
      // AND a restriction request of a subject Lethe holds nothing of: completed at once, then lifted
      const sent = await local.api('POST', '/restriction-requests', {
        body: erasureBody(testUser('it-bad-input-lifted', 'Lisa Lyft')),
        headers: { 'Idempotency-Key': randomUUID() },
      });
      expectStatus(sent, 202, 'a restriction request');
      const { requestId } = sent.body as { requestId: string };
      await ended('restriction', requestId, 'completed');
      expectStatus(await local.api('POST', `/restriction-requests/${requestId}/lift`), 200, 'lifting the restriction');
      fixtures.liftedRestriction = requestId;
      // AND a legal hold of the subject, placed and released
      const placed = await local.api('POST', holds, { body: { reason: 'Tax audit, case 1-2026' } });
      expectStatus(placed, 201, 'placing a hold');
      const { holdId } = placed.body as { holdId: string };
      expectStatus(await local.api('POST', `${holds}/${holdId}/release`), 200, 'releasing the hold');
      fixtures.releasedHold = holdId;

      async function ended(kind: string, id: string, status: 'completed' | 'failed'): Promise<void> {
        const view = await eventually(`the ${kind} request ${id} to end`, async () => {
          const answer = await local.api('GET', `/${kind}-requests/${id}`);
          const body = answer.body as { status?: string };
          return body.status === 'completed' || body.status === 'failed' ? body : undefined;
        });
        expect(view.status).toBe(status);
      }
    }, 120_000);

    const cases: Row[] = [
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
      // Issue 14, item 7: the routes added since (holds, the subject view, restriction and access requests, receipts,
      // the DPO console's views). `{{name}}`: an id of the beforeAll's fixtures.
      // Legal holds
      ['a hold without a reason', 'POST', holds, {}, 400, 'reason', /hold is invalid: expected reason.*missing/],
      ['a hold with an empty reason', 'POST', holds, { reason: '' }, 400, 'reason', /empty string/],
      [
        'a hold scoped to an unknown purpose',
        'POST',
        holds,
        { reason: 'audit', scope: { purposes: ['account', 'profiling'] } },
        400,
        'scope.purposes[1]',
        /unknown purpose "profiling"/,
      ],
      [
        'a hold scoped to an unknown system',
        'POST',
        holds,
        { reason: 'audit', scope: { systems: ['crm'] } },
        400,
        'scope.systems[0]',
        /unknown system "crm"/,
      ],
      [
        'a hold scoped by an unknown key',
        'POST',
        holds,
        { reason: 'audit', scope: { people: ['x'] } },
        400,
        'scope',
        /unknown key "people"/,
      ],
      ['a hold of a subject id with a NUL', 'POST', '/subjects/a%00b/holds', { reason: 'audit' }, 400, 'subjectId', /control character/],
      ['the holds of a subject id of 257 characters', 'GET', `/subjects/${'x'.repeat(257)}/holds`, undefined, 400, 'subjectId', /256/],
      ['the holds of a subject id with a line feed', 'GET', '/subjects/a%0Ab/holds', undefined, 400, 'subjectId', /control/],
      ['a hold id that cannot be one', 'POST', `${holds}/not%20a%20hold/release`, undefined, 400, 'holdId', /hold id/],
      ['a hold id of 3000 characters', 'POST', `${holds}/${'h'.repeat(3000)}/release`, undefined, 400, 'holdId', /hold id/],
      ['a hold id no hold has', 'POST', `${holds}/${randomUUID()}/release`, undefined, 404, 'holdId', /no hold with id/],
      ['a hold released already', 'POST', `${holds}/{{releasedHold}}/release`, undefined, 409, undefined, /released already, at/],
      [
        "a hold released as another subject's (user1's hold, as user10)",
        'POST',
        `/subjects/${subject.id}0/holds/{{releasedHold}}/release`,
        undefined,
        404,
        'holdId',
        /no hold with id/,
      ],
      [
        'a release for a subject id with a NUL',
        'POST',
        `/subjects/a%00b/holds/${randomUUID()}/release`,
        undefined,
        400,
        'subjectId',
        /control/,
      ],
      // What Lethe holds about a subject (an unknown subject is a 200 with empty lists: docs/api.md)
      ['the view of a subject id with a line feed', 'GET', '/subjects/a%0Ab', undefined, 400, 'subjectId', /control/],
      ['the view of a subject id of 257 characters', 'GET', `/subjects/${'x'.repeat(257)}`, undefined, 400, 'subjectId', /256/],
      ['the view of a subject id with a NUL', 'GET', '/subjects/a%00b', undefined, 400, 'subjectId', /control character/],
      // Restriction requests
      [
        'a restriction request without verification',
        'POST',
        '/restriction-requests',
        { subjectId: subject.id },
        400,
        'verification',
        /verification/,
      ],
      [
        'a restriction request scoped to an unknown purpose',
        'POST',
        '/restriction-requests',
        erasureBody(subject, { scope: ['account', 'nope'] }),
        400,
        'scope[1]',
        /unknown purpose "nope"/,
      ],
      [
        'a restriction request with an until that is no date',
        'POST',
        '/restriction-requests',
        erasureBody(subject, { until: 'next spring' }),
        400,
        'until',
        /offset.*got "next spring"/,
      ],
      [
        'a restriction request with an until in the past',
        'POST',
        '/restriction-requests',
        erasureBody(subject, { until: isoDaysFromNow(-1) }),
        400,
        'until',
        /after now/,
      ],
      [
        'a restriction request with keep "yes"',
        'POST',
        '/restriction-requests',
        erasureBody(subject, { keep: 'yes' }),
        400,
        'keep',
        /true or false/,
      ],
      [
        'a restriction request with a reason (it takes none)',
        'POST',
        '/restriction-requests',
        erasureBody(subject, { reason: 'asked' }),
        400,
        undefined,
        /unknown key "reason"/,
      ],
      [
        'an unknown restriction request',
        'GET',
        `/restriction-requests/${randomUUID()}`,
        undefined,
        404,
        'requestId',
        /no restriction request/,
      ],
      [
        "an erasure request's id as a restriction request",
        'GET',
        '/restriction-requests/{{openErasure}}',
        undefined,
        404,
        'requestId',
        /no restriction request/,
      ],
      [
        'a restriction request id that cannot be one',
        'GET',
        '/restriction-requests/not%20an%20id',
        undefined,
        400,
        'requestId',
        /request id/,
      ],
      [
        'an extension of a restriction request by 3 months',
        'POST',
        '/restriction-requests/{{openRestriction}}/extend',
        { months: 3, reason: 'busy' },
        400,
        'months',
        /1 or 2/,
      ],
      [
        'an extension of a restriction request without a reason',
        'POST',
        '/restriction-requests/{{openRestriction}}/extend',
        { months: 1 },
        400,
        'reason',
        /reason.*missing/,
      ],
      [
        'a second extension of a restriction request',
        'POST',
        '/restriction-requests/{{openRestriction}}/extend',
        extension,
        409,
        undefined,
        /already extended/,
      ],
      [
        'an extension of a completed restriction request',
        'POST',
        '/restriction-requests/{{liftedRestriction}}/extend',
        extension,
        409,
        undefined,
        /completed/,
      ],
      [
        'an extension of an unknown restriction request',
        'POST',
        `/restriction-requests/${randomUUID()}/extend`,
        extension,
        404,
        'requestId',
        /no restriction request/,
      ],
      [
        'a lift of a request id that cannot be one',
        'POST',
        '/restriction-requests/not%20an%20id/lift',
        undefined,
        400,
        'requestId',
        /request id/,
      ],
      [
        'a lift of a request id of 3000 characters',
        'POST',
        `/restriction-requests/${'r'.repeat(3000)}/lift`,
        undefined,
        400,
        'requestId',
        /request id/,
      ],
      [
        'a lift of an unknown restriction request',
        'POST',
        `/restriction-requests/${randomUUID()}/lift`,
        undefined,
        404,
        'requestId',
        /no restriction request/,
      ],
      [
        'a lift of an erasure request',
        'POST',
        '/restriction-requests/{{openErasure}}/lift',
        undefined,
        404,
        'requestId',
        /no restriction request/,
      ],
      [
        'a lift of a restriction request that is not completed',
        'POST',
        '/restriction-requests/{{openRestriction}}/lift',
        undefined,
        409,
        undefined,
        /is failed; it can be lifted once it is completed/,
      ],
      [
        'a lift of a lifted restriction',
        'POST',
        '/restriction-requests/{{liftedRestriction}}/lift',
        undefined,
        409,
        undefined,
        /lifted already/,
      ],
      [
        'the receipt of a restriction request that is not completed',
        'GET',
        '/restriction-requests/{{openRestriction}}/receipt',
        undefined,
        409,
        undefined,
        /is failed; a receipt is issued once it is completed/,
      ],
      [
        "an access request's id as a restriction receipt",
        'GET',
        '/restriction-requests/{{openAccess}}/receipt',
        undefined,
        404,
        'requestId',
        /no restriction request/,
      ],
      [
        'the receipt of a restriction request id that cannot be one',
        'GET',
        '/restriction-requests/a%20b/receipt',
        undefined,
        400,
        'requestId',
        /request id/,
      ],
      // Access requests
      [
        'an access request without verification',
        'POST',
        '/access-requests',
        { subjectId: subject.id },
        400,
        'verification',
        /verification/,
      ],
      [
        'an access request scoped to an unknown purpose',
        'POST',
        '/access-requests',
        erasureBody(subject, { scope: ['nope'] }),
        400,
        'scope[0]',
        /unknown purpose "nope"/,
      ],
      [
        'an access request with an empty scope',
        'POST',
        '/access-requests',
        erasureBody(subject, { scope: [] }),
        400,
        'scope',
        /at least one purpose/,
      ],
      ['an access request in German', 'POST', '/access-requests', erasureBody(subject, { lang: 'de' }), 400, 'lang', /"en" or "sv"/],
      [
        'an access request with a verifiedAt that is no date',
        'POST',
        '/access-requests',
        erasureBody(subject, { verification: { method: 'bankid', verifiedAt: 'today' } }),
        400,
        'verification.verifiedAt',
        /offset/,
      ],
      ['an unknown access request', 'GET', `/access-requests/${randomUUID()}`, undefined, 404, 'requestId', /no access request/],
      [
        "a restriction request's id as an access request",
        'GET',
        '/access-requests/{{openRestriction}}',
        undefined,
        404,
        'requestId',
        /no access request/,
      ],
      ['an access request id that cannot be one', 'GET', '/access-requests/a%2Fb', undefined, 400, 'requestId', /request id/],
      [
        'an extension of an access request by 3 months',
        'POST',
        '/access-requests/{{openAccess}}/extend',
        { months: 3, reason: 'busy' },
        400,
        'months',
        /1 or 2/,
      ],
      [
        'a second extension of an access request',
        'POST',
        '/access-requests/{{openAccess}}/extend',
        extension,
        409,
        undefined,
        /already extended/,
      ],
      [
        'an extension of an unknown access request',
        'POST',
        `/access-requests/${randomUUID()}/extend`,
        extension,
        404,
        'requestId',
        /no access request/,
      ],
      [
        'the receipt of an access request that is not completed',
        'GET',
        '/access-requests/{{openAccess}}/receipt',
        undefined,
        409,
        undefined,
        /is failed; a receipt is issued once it is completed/,
      ],
      [
        'the receipt of an unknown access request',
        'GET',
        `/access-requests/${randomUUID()}/receipt`,
        undefined,
        404,
        'requestId',
        /no access request/,
      ],
      // Erasure requests: the extension and the receipt
      [
        'an extension of an erasure request by 3 months',
        'POST',
        '/erasure-requests/{{openErasure}}/extend',
        { months: 3, reason: 'busy' },
        400,
        'months',
        /1 or 2/,
      ],
      [
        'a second extension of an erasure request',
        'POST',
        '/erasure-requests/{{openErasure}}/extend',
        extension,
        409,
        undefined,
        /already extended/,
      ],
      [
        'an extension of an erasure request id that cannot be one',
        'POST',
        '/erasure-requests/a%20b/extend',
        extension,
        400,
        'requestId',
        /request id/,
      ],
      [
        'the receipt of an erasure request that is not completed',
        'GET',
        '/erasure-requests/{{openErasure}}/receipt',
        undefined,
        409,
        undefined,
        /is failed; a receipt is issued once it is completed/,
      ],
      [
        'the receipt of an unknown erasure request',
        'GET',
        `/erasure-requests/${randomUUID()}/receipt`,
        undefined,
        404,
        'requestId',
        /no erasure request/,
      ],
      [
        "a restriction request's id as an erasure receipt",
        'GET',
        '/erasure-requests/{{openRestriction}}/receipt',
        undefined,
        404,
        'requestId',
        /no erasure request/,
      ],
      [
        'the receipt of an erasure request id that cannot be one',
        'GET',
        `/erasure-requests/${'e'.repeat(81)}/receipt`,
        undefined,
        400,
        'requestId',
        /request id/,
      ],
      // The DPO console's views: query parameters
      ['a list of requests of status "done"', 'GET', '/requests?status=done', undefined, 400, 'status', /"open", "completed"/],
      [
        'a list of requests of kind "deletion"',
        'GET',
        '/requests?kind=deletion',
        undefined,
        400,
        'kind',
        /"erasure", "restriction" or "access"/,
      ],
      ['a list of 0 requests', 'GET', '/requests?limit=0', undefined, 400, 'limit', /1 to 100/],
      ['a list of 101 requests', 'GET', '/requests?limit=101', undefined, 400, 'limit', /1 to 100/],
      ['a list of "ten" requests', 'GET', '/requests?limit=ten', undefined, 400, 'limit', /1 to 100/],
      ['a limit given twice', 'GET', '/requests?limit=1&limit=2', undefined, 400, 'limit', /give limit once/],
      ['a cursor that is no cursor', 'GET', '/requests?cursor=bm90IGEgY3Vyc29y', undefined, 400, 'cursor', /cursor of the previous page/],
      [
        'a cursor with characters no cursor has',
        'GET',
        '/requests?cursor=%24%7B1%7D',
        undefined,
        400,
        'cursor',
        /cursor of the previous page/,
      ],
      ['a dueBefore that is no date', 'GET', '/requests?dueBefore=friday', undefined, 400, 'dueBefore', /offset/],
      [
        'a dueBefore of completed requests',
        'GET',
        `/requests?status=completed&dueBefore=${encodeURIComponent(isoDaysFromNow(7))}`,
        undefined,
        400,
        'dueBefore',
        /open requests only/,
      ],
      [
        'an unknown parameter of the list',
        'GET',
        '/requests?color=blue',
        undefined,
        400,
        'color',
        /unknown query parameter "color"; this route takes kind, status/,
      ],
      ['a calendar of 0 days', 'GET', '/retention/calendar?days=0', undefined, 400, 'days', /1 to 366/],
      ['a calendar of 9999 days', 'GET', '/retention/calendar?days=9999', undefined, 400, 'days', /1 to 366/],
      ['a calendar of "abc" days', 'GET', '/retention/calendar?days=abc', undefined, 400, 'days', /1 to 366/],
      ['a calendar of -1 days', 'GET', '/retention/calendar?days=-1', undefined, 400, 'days', /1 to 366/],
      [
        'an unknown parameter of the calendar',
        'GET',
        '/retention/calendar?from=2026-01-01',
        undefined,
        400,
        'from',
        /unknown query parameter "from"; this route takes days/,
      ],
      [
        'an unknown parameter of the holding states',
        'GET',
        '/retention/holdings?purpose=account',
        undefined,
        400,
        'purpose',
        /unknown query parameter "purpose"; this route takes none/,
      ],
      // A body over 64 KiB, on every POST route with a body: 413 before the body is read
      ...API_ROUTES.filter((route) => 'body' in route).map((route): Row => [
        `a body over 64 KiB (${route.operation})`,
        route.method,
        route.path.replace(/\{subjectId\}/g, subject.id).replace(/\{[^/{}]+\}/g, () => randomUUID()),
        OVERSIZED,
        413,
        undefined,
        /at most 65536 bytes/,
      ]),
    ];

    test.each(
      cases.map(([what, method, path, body, status, errorPath, message]) => {
        // (a path of thousands of characters is shown cut short)
        const shown = path.length > 100 ? `${path.slice(0, 60)}…(${path.length} characters)` : path;
        return { what, method, path, shown, body, status, errorPath, message };
      }),
    )('$what: $method $shown answers $status', async ({ method, path, body, status, errorPath, message }) => {
      const { local } = harness();
      // WHEN the API gets the bad input (with the Idempotency-Key a request of each kind needs, so that the body is judged)
      const answer = await local.api(method, resolve(path), {
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

    test('every route of the route table has a row of bad input in the table (a new route needs its own)', () => {
      // GIVEN the routes the table's 4xx rows reach, as local mode's gateway matches them
      const uncovered = (rows: readonly Row[]): string[] => {
        const covered = new Set(
          rows
            .filter(([, , , , status]) => status >= 400 && status < 500)
            .map(([, method, path]) => {
              const match = matchRoute(method, path.split('?')[0].replace(TOKEN, randomUUID()));
              return match.kind === 'route' ? `${method} ${match.resource}` : undefined;
            }),
        );
        return API_ROUTES.map((route) => `${route.method} ${route.path}`).filter((route) => !covered.has(route));
      };
      // THEN every route of the table has one
      expect(uncovered(cases)).toEqual([]);
      // AND a route whose rows are left out is named (the check can fail)
      expect(uncovered(cases.filter(([, , path]) => !path.endsWith('/receipt')))).toEqual([
        'GET /erasure-requests/{requestId}/receipt',
        'GET /restriction-requests/{requestId}/receipt',
        'GET /access-requests/{requestId}/receipt',
      ]);
    });

    test('a request of each kind without an Idempotency-Key is a 400 naming the header, and starts nothing', async () => {
      const { local } = harness();
      const executions = local.executions().length;
      for (const route of API_ROUTES.filter((r) => r.status === 202)) {
        const answer = await local.api(route.method, route.path, { body: erasureBody(subject) });
        expect([route.path, answer.status]).toEqual([route.path, 400]);
        expect((answer.body as ErrorAnswer).error).toMatchObject({ code: 'invalid-input', path: 'headers.Idempotency-Key' });
      }
      expect(local.executions()).toHaveLength(executions);
    });

    /** Path parameter values: a fixture's id of the right kind, a UUID no one has, hostile text, 3000 characters. */
    const parameterValue = (name: string): fc.Arbitrary<string> => {
      const valid: Record<string, (string | undefined)[]> = {
        subjectId: [subject.id],
        holdId: [fixtures.releasedHold],
        requestId: [fixtures.openErasure, fixtures.openRestriction, fixtures.openAccess, fixtures.liftedRestriction],
      };
      const known = (valid[name] ?? []).filter((id): id is string => id !== undefined);
      return fc.oneof(
        ...(known.length ? [fc.constantFrom(...known)] : []),
        fc.uuid(),
        fc.constantFrom(...HOSTILE_STRINGS, 'x'.repeat(3000)),
        fc.string({ maxLength: 40 }),
      );
    };
    /** A route of the table and a value for each of its path parameters. */
    const routeAndIds = (routes: readonly (typeof API_ROUTES)[number][]) =>
      fc
        .constantFrom(...routes)
        .chain((route) => fc.tuple(fc.constant(route), fc.tuple(...pathParametersOf(route.path).map(parameterValue))));
    /** encodeURIComponent; a lone surrogate (which it refuses) sent as U+FFFD, as a client sends it. */
    const enc = (text: string): string =>
      encodeURIComponent(text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'));
    const pathOf = (route: (typeof API_ROUTES)[number], ids: readonly string[]): string => {
      let i = 0;
      return route.path.replace(/\{[^/{}]+\}/g, () => enc(ids[i++]));
    };
    /**
     * Never a 5xx; a refusal in the API's error shape, except a 431: local mode's HTTP server (Node's) refuses a request
     * line and headers over its 16 KiB before any of Lethe runs (a hostile string of 70 KiB in the path or the query).
     */
    const expectNo500 = (what: string, answer: { status: number; body: unknown }): void => {
      if (answer.status >= 500) throw new Error(`${what.slice(0, 200)} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      if (answer.status === 431) return;
      if (answer.status >= 400) {
        expect([what.slice(0, 200), answer.body]).toEqual([
          what.slice(0, 200),
          { error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }) },
        ]);
      }
    };

    test('no input makes the API answer 500: arbitrary JSON bodies on every POST route of the route table are 4xx', async () => {
      const { local } = harness();
      const executions = local.executions().length;
      const posts = API_ROUTES.filter((route) => route.method === 'POST');
      const seen = new Set<number>();
      await fc.assert(
        fc.asyncProperty(routeAndIds(posts), fc.jsonValue({ maxDepth: 3 }), async ([route, ids], body) => {
          // WHEN a POST route gets a JSON body (none is valid: random JSON), its ids a fixture's, unknown or hostile
          const path = pathOf(route, ids);
          const answer = await local.api('POST', path, {
            rawBody: JSON.stringify(body),
            headers: { 'content-type': 'application/json', 'Idempotency-Key': randomUUID() },
          });
          seen.add(answer.status);
          // THEN a 4xx: a body that is not the route's, an id that is not one, a hold released or a restriction lifted already
          expectNo500(`POST ${path}`, answer);
          expect([`POST ${path.slice(0, 200)}`, answer.status < 400]).toEqual([`POST ${path.slice(0, 200)}`, false]);
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

    test('no input makes the API answer 500: every GET route of the route table, with random ids and query strings', async () => {
      const { local } = harness();
      const executions = local.executions().length;
      const gets = API_ROUTES.filter((route) => route.method === 'GET');
      const value = fc.oneof(
        fc.constantFrom(...HOSTILE_STRINGS),
        fc.string({ maxLength: 20 }),
        fc.integer({ min: -1, max: 10_000 }).map(String),
      );
      const name = fc.oneof(
        fc.constantFrom('kind', 'status', 'dueBefore', 'limit', 'cursor', 'days'),
        fc.string({ minLength: 1, maxLength: 10 }),
      );
      const seen = new Set<number>();
      await fc.assert(
        // (at least one parameter: a valid call to the retention views reads every shard of every purpose, which is their
        // own tests' work, test/integration/dpo-views.test.ts, and slow here)
        fc.asyncProperty(
          routeAndIds(gets),
          fc.array(fc.tuple(name, value), { minLength: 1, maxLength: 3 }),
          async ([route, ids], query) => {
            // WHEN a GET route gets ids (a fixture's, unknown or hostile) and query parameters (its own or not, any value)
            const search = query.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
            const path = `${pathOf(route, ids)}${search ? `?${search}` : ''}`;
            const answer = await local.api('GET', path);
            seen.add(answer.status);
            // THEN never a 5xx
            expectNo500(`GET ${path}`, answer);
          },
        ),
        { numRuns: 60 },
      );
      expect(seen.has(400)).toBe(true);
      expect(local.executions()).toHaveLength(executions);
    });
  });
}
