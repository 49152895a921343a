/**
 * Keeping an erasure request open in local mode, to try extending its deadline (issue 20, item 3): a held http
 * system's webhook answers 503 until released, the request stays open (it ends `failed`, its deadline running),
 * `POST /erasure-requests/{id}/extend` answers 200, and after `POST <receiver>/systems/<id>/release` the request
 * is redriven and completes. Held and released with the curl-able endpoints docs/local-mode.md shows.
 *
 * Needs Java 17+ (DynamoDB Local), as local mode does.
 */
import {
  hold as registerHolding,
  isoDaysFromNow,
  type RequestView,
  requestErasure,
  seed,
  useHarness,
  statusBySystem,
  testUser,
} from './support/harness';

jest.setTimeout(120_000);

const harness = useHarness();

/** `curl -s -X POST <receiver>/systems/<system>/<action>`, as the docs show it. */
async function receiverControl(action: 'hold' | 'release', system: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${harness().local.receiver.url}/systems/${system}/${action}`, { method: 'POST' });
  return { status: response.status, body: await response.json() };
}

test('a held system keeps the request open: extend answers 200; after release the request completes', async () => {
  const { local } = harness();
  // GIVEN Greta on the newsletter (the mailer, an http system), and the mailer held
  const greta = testUser('it-greta', 'Greta Holm');
  await seed(local, greta, ['mailer']);
  await registerHolding(local, greta, 'newsletter', 'mailer', isoDaysFromNow(-30));
  expect(await receiverControl('hold', 'mailer')).toEqual({ status: 200, body: { system: 'mailer', held: true } });

  // WHEN she asks for erasure
  const requestId = await requestErasure(local, greta);
  const open = (await local.waitForRequest(requestId)) as unknown as RequestView;

  // THEN the request is open (failed, not completed): the mailer was answered 503 and did nothing
  expect(open.status).toBe('failed');
  expect(statusBySystem(open)).toEqual({ mailer: 'failed' });
  const calls = local.receiver.received('mailer').filter((c) => c.idempotencyKey === `${requestId}:mailer`);
  expect(calls.length).toBeGreaterThan(1);
  expect(new Set(calls.map((c) => c.status))).toEqual(new Set([503]));
  expect(local.receiver.records('mailer')[greta.id]).toBeDefined();

  // WHEN its deadline is extended by two months
  const extended = await local.api('POST', `/erasure-requests/${requestId}/extend`, {
    body: { months: 2, reason: 'The request is complex: a system needs more time.' },
  });
  // THEN 200, and the new deadline is later than the old one
  expect(extended.status).toBe(200);
  const answer = extended.body as { requestId: string; deadline: string; extension: { months: number } };
  expect(answer).toEqual({
    requestId,
    deadline: expect.any(String),
    extension: { months: 2, reason: 'The request is complex: a system needs more time.' },
  });
  expect(Date.parse(answer.deadline)).toBeGreaterThan(Date.parse(open.deadline));

  // WHEN the mailer is released
  expect(await receiverControl('release', 'mailer')).toEqual({ status: 200, body: { system: 'mailer', held: false } });
  const done = (await local.waitForRequest(requestId)) as unknown as RequestView;

  // THEN the request was redriven and completed; Greta's record is gone; the extension is kept
  expect(done.status).toBe('completed');
  expect(statusBySystem(done)).toEqual({ mailer: 'erased' });
  expect(local.receiver.records('mailer')[greta.id]).toBeUndefined();
  expect(done.deadline).toBe(answer.deadline);
});

test('a system that is not an http system of the policy cannot be held', async () => {
  expect(await receiverControl('hold', 'no-such-system')).toEqual({ status: 404, body: { error: 'no http system "no-such-system"' } });
});

test('without a hold, a request completes in seconds and extend answers 409 (why the hold exists)', async () => {
  const { local } = harness();
  // GIVEN Olle on the newsletter, nothing held
  const olle = testUser('it-olle', 'Olle Berg');
  await seed(local, olle, ['mailer']);
  await registerHolding(local, olle, 'newsletter', 'mailer', isoDaysFromNow(-30));
  const requestId = await requestErasure(local, olle);
  expect(((await local.waitForRequest(requestId)) as unknown as RequestView).status).toBe('completed');
  // WHEN its deadline is extended THEN 409: only an open request can be extended
  const extended = await local.api('POST', `/erasure-requests/${requestId}/extend`, { body: { months: 1, reason: 'too late' } });
  expect(extended.status).toBe(409);
});
