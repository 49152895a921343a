/**
 * eraseInSystem when the connector answers the request's subject in `failed` (ConnectorResult) instead of throwing, as
 * a user's function or a SaaS may: it ends exactly as a thrown error of that name would. (The workflow as a whole is
 * covered through its handlers in test/lambdas/erasure.test.ts.)
 */
import { ConnectorPermanentError, ConnectorTransientError } from '../../../lib/connectors/errors';
import { eraseInSystem, finishErasure, planErasure } from '../../../lib/runtime/erasure';
import { apiClient, verification } from '../../lambdas/helpers';
import { answerAll } from './support/aws';
import { AUDIT_BUCKET, captureOutput, createWorld, ledgerTable, type TestWorld } from './support/runtime';

let world: TestWorld;
let api: ReturnType<typeof apiClient>;

beforeEach(() => {
  world = createWorld({ now: '2025-03-01T10:00:00Z' });
  api = apiClient(world);
});
afterEach(() => world.restore());

/** user1 subscribed to the newsletter; an erasure request for user1, planned. */
async function plannedRequest(): Promise<string> {
  await api.holding('user1', { purpose: 'marketing', system: 'newsletter', collectedAt: '2024-01-10T12:00:00+01:00' });
  const answer = await api.postRequest({ subjectId: 'user1', identifiers: { email: 'user1@example.se' }, verification });
  expect(answer.status).toBe(202);
  const requestId = answer.body.requestId as string;
  expect((await planErasure(world.rt, requestId)).systems).toEqual([{ system: 'newsletter' }]);
  return requestId;
}

const systemsOf = async (requestId: string) => (await api.getRequest(requestId)).body.systems;
const audits = () => world.s3.bodies(AUDIT_BUCKET, 'audit/').size;

describe('the subject answered in failed', () => {
  test.each([
    [
      'transient',
      'ThrottlingException',
      true,
      ConnectorTransientError,
      // retried by the state machine: the system stays pending
      { system: 'newsletter', status: 'pending' },
    ],
    [
      'permanent',
      'AccessDeniedException',
      false,
      ConnectorPermanentError,
      // caught by the state machine: the system is recorded as failed, with the error's name
      { system: 'newsletter', status: 'failed', error: 'AccessDeniedException' },
    ],
  ] as const)(
    'GIVEN a %s failure WHEN the system runs THEN it throws as a thrown %s would',
    async (_what, error, transient, expected, view) => {
      const requestId = await plannedRequest();
      world.connectors.on('newsletter', (invocation) => ({
        system: invocation.system,
        subjects: [],
        failed: [{ subjectRef: invocation.subjects[0].subjectRef, error, transient }],
      }));
      // WHEN
      const { error: thrown, output } = await captureOutput(() => eraseInSystem(world.rt, requestId, 'newsletter'));
      // THEN the error the state machine retries or catches, naming the system and the error, nothing else
      expect(thrown).toBeInstanceOf(expected);
      expect((thrown as Error).message).toBe(`system "newsletter" failed: ${error}`);
      expect(await systemsOf(requestId)).toEqual([view]);
      // AND the holding is still active, nothing audited yet, and the log names the error, not the subject
      expect(world.ddb.items(ledgerTable('marketing'))[0]).toMatchObject({ status: 'active' });
      expect(audits()).toBe(0);
      expect(output).toContain(error);
      expect(output).not.toMatch(/user1/);
    },
  );

  test('GIVEN a transient failure WHEN the retry succeeds THEN the system is erased, once', async () => {
    const requestId = await plannedRequest();
    let calls = 0;
    world.connectors.on('newsletter', (invocation) => {
      calls++;
      if (calls > 1) return answerAll()(invocation);
      return {
        system: invocation.system,
        subjects: [],
        failed: [{ subjectRef: invocation.subjects[0].subjectRef, error: 'ThrottlingException', transient: true }],
      };
    });
    await expect(eraseInSystem(world.rt, requestId, 'newsletter')).rejects.toBeInstanceOf(ConnectorTransientError);
    expect(await eraseInSystem(world.rt, requestId, 'newsletter')).toMatchObject({ status: 'erased' });
    expect(await eraseInSystem(world.rt, requestId, 'newsletter')).toMatchObject({ status: 'erased' });
    expect(calls).toBe(2);
    expect(world.ddb.items(ledgerTable('marketing'))[0]).toMatchObject({ status: 'done', outcome: 'erased' });
    // AND the finish task writes the system's audit record, once however often it runs
    expect(audits()).toBe(0);
    const results = [{ system: 'newsletter', status: 'erased' as const }];
    await finishErasure(world.rt, { requestId, results });
    await finishErasure(world.rt, { requestId, results });
    expect(audits()).toBe(1);
  });
});
