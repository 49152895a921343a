/**
 * Verified erasure through local mode (issue 19, item 1): the webhook receiver (the http systems' SaaS) is made to answer
 * erasures as done while keeping the data; the connector's verify call finds the record still there, the system fails
 * with ConnectorVerificationError and the request is not completed. Healed, the next erasure is verified.
 *
 * Needs Java 17+ (DynamoDB Local), as local mode does.
 */
import {
  hold as registerHolding,
  isoDaysFromNow,
  type RequestView,
  requestErasure,
  seed,
  statusBySystem,
  testUser,
  useHarness,
} from './support/harness';

jest.setTimeout(120_000);

const harness = useHarness();

test('a SaaS that reports the erasure done but keeps the data: the request fails with ConnectorVerificationError', async () => {
  const { local } = harness();
  // GIVEN Vera on the newsletter (the mailer, an http system), and a mailer that answers erasures as done and keeps them
  const vera = testUser('it-vera', 'Vera Lind');
  await seed(local, vera, ['mailer']);
  await registerHolding(local, vera, 'newsletter', 'mailer', isoDaysFromNow(-30));
  local.receiver.leaveData('mailer');
  try {
    // WHEN she asks for erasure
    const requestId = await requestErasure(local, vera);
    const view = (await local.waitForRequest(requestId)) as unknown as RequestView;
    // THEN the mailer answered erased, the verify call found her record, and the request failed: never completed
    expect(view.status).toBe('failed');
    expect(statusBySystem(view)).toEqual({ mailer: 'failed' });
    expect(view.systems.find((s) => s.system === 'mailer')?.error).toBe('ConnectorVerificationError');
    expect(local.receiver.records('mailer')[vera.id]).toBeDefined();
    const verifyCalls = local.receiver.received('mailer').filter((c) => c.idempotencyKey === `${requestId}:mailer:verify`);
    expect(verifyCalls.length).toBeGreaterThan(0);
  } finally {
    local.receiver.heal('mailer');
  }

  // WHEN the SaaS is healed and Vera's colleague asks for erasure THEN it completes, verified by the same call
  const olle = testUser('it-olle', 'Olle Berg');
  await seed(local, olle, ['mailer']);
  await registerHolding(local, olle, 'newsletter', 'mailer', isoDaysFromNow(-30));
  const requestId = await requestErasure(local, olle);
  const done = (await local.waitForRequest(requestId)) as unknown as RequestView;
  expect(done.status).toBe('completed');
  expect(statusBySystem(done)).toEqual({ mailer: 'erased' });
  expect(local.receiver.records('mailer')[olle.id]).toBeUndefined();
  // Vera's record, in the same store, is still there: the verification of Olle's never counted it
  expect(local.receiver.records('mailer')[vera.id]).toBeDefined();
  expect(local.receiver.received('mailer').some((c) => c.idempotencyKey === `${requestId}:mailer:verify` && c.status === 200)).toBe(true);
});
