/**
 * lambdas/erasure-finish.ts: a request of each kind that completes gets its receipt, signed and stored once in the
 * audit bucket (lib/runtime/receipts.ts issueAtCompletion); a receipt whose put failed makes the finish fail (the
 * state machine retries it), and the finish run again stores it; a failed request gets none.
 */
import { SignCommand } from '@aws-sdk/client-kms';
import type { ErasureSystemOutput, RecordAction, SystemStatus } from '../../lib/core/contract';
import { makeHandler as makeFinish } from '../../lambdas/erasure-finish';
import { makeHandler as makePlan } from '../../lambdas/erasure-plan';
import { makeHandler as makeSystem } from '../../lambdas/erasure-system';
import { receiptKeyOf } from '../../lib/runtime/receipt-store';
import { type Receipt, verifyReceipt } from '../../lib/runtime/receipts';
import type { ConnectorBehaviour } from '../lib/runtime/support/aws';
import { AUDIT_BUCKET, createWorld, lambdaContext, type TestWorld } from '../lib/runtime/support/runtime';
import { apiClient, verification, withIdempotencyKey } from './helpers';

const context = lambdaContext('lethe-erasure-finish') as never;
const AT = '2024-01-10T12:00:00+01:00';

const KINDS = [
  { kind: 'erasure', body: {}, action: 'delete', outcome: 'erased' },
  { kind: 'restriction', body: { keep: true }, action: 'restrict', outcome: 'restricted' },
  { kind: 'access', body: {}, action: 'export', outcome: 'exported' },
] as const satisfies readonly { kind: string; body: object; action: RecordAction; outcome: SystemStatus }[];

/** The newsletter connector answers each subject as its record asks; `fail`: it fails the call. */
const newsletter =
  (fail = false): ConnectorBehaviour =>
  (invocation) => {
    if (fail) throw new Error('newsletter is down');
    return {
      system: invocation.system,
      subjects: invocation.subjects.map((s) => ({
        subjectRef: s.subjectRef,
        status: s.record === 'restrict' ? 'restricted' : s.record === 'export' ? 'exported' : 'erased',
        counts: { records: 1, fields: 0, objects: 0 },
        ...(s.record === 'export' ? { export: { records: [{ source: 'newsletter list', fields: { email: 'ada@example.com' } }] } } : {}),
      })),
    };
  };

let world: TestWorld;
beforeEach(() => {
  world = createWorld({ now: '2025-03-01T10:00:00Z' });
});
afterEach(() => world.restore());

const stored = (requestId: string): string | undefined => world.s3.objects.get(`${AUDIT_BUCKET}/${receiptKeyOf(requestId)}`)?.body;
const publicPem = (): string => world.kms.receiptKey.publicKey.export({ type: 'spki', format: 'pem' }) as string;

/** A request of `kind` for user1's newsletter subscription, planned and its one system run. */
async function planned(kind: string, body: object): Promise<{ requestId: string; results: ErasureSystemOutput[] }> {
  const api = apiClient(world);
  expect((await api.holding('user1', { purpose: 'marketing', system: 'newsletter', collectedAt: AT })).status).toBe(201);
  const posted = await api.call({
    method: 'POST',
    path: `/${kind}-requests`,
    body: { subjectId: 'user1', verification, ...body },
    headers: withIdempotencyKey(),
  });
  const requestId = posted.body.requestId as string;
  const plan = await makePlan(() => world.rt)({ requestId }, context);
  const results: ErasureSystemOutput[] = [];
  for (const { system } of plan.systems) {
    try {
      results.push(await makeSystem(() => world.rt)({ requestId, system }, context));
    } catch (error) {
      results.push({ system, status: 'failed', error: (error as Error).name });
    }
  }
  return { requestId, results };
}

describe.each(KINDS)('a $kind request', ({ kind, body, action, outcome }) => {
  it('GIVEN it completes WHEN the finish runs THEN its receipt is stored once, signed, naming what was done', async () => {
    world.connectors.on('newsletter', newsletter());
    const { requestId, results } = await planned(kind, body);
    expect(await makeFinish(() => world.rt)({ requestId, results }, context)).toMatchObject({ status: 'completed' });
    const receipt = JSON.parse(stored(requestId)!) as Receipt;
    expect(receipt).toMatchObject({ requestId, kind, systems: [{ system: 'newsletter', action, outcome }] });
    expect(verifyReceipt(receipt, publicPem()).valid).toBe(true);
    expect(world.kms.mock.commandCalls(SignCommand)).toHaveLength(1);
  });

  it('GIVEN the receipt put fails WHEN the finish runs THEN it fails (retried), and the finish run again stores it', async () => {
    world.connectors.on('newsletter', newsletter());
    const { requestId, results } = await planned(kind, body);
    world.s3.beforePut = (key) => {
      if (key.startsWith('receipts/')) throw Object.assign(new Error('S3 is down'), { name: 'ServiceUnavailable' });
    };
    await expect(makeFinish(() => world.rt)({ requestId, results }, context)).rejects.toThrow();
    expect(stored(requestId)).toBeUndefined();
    // the request completed nonetheless: the retry finds it completed, and stores the receipt
    world.s3.beforePut = undefined;
    expect(await makeFinish(() => world.rt)({ requestId, results }, context)).toMatchObject({ requestId, status: 'completed' });
    const receipt = JSON.parse(stored(requestId)!) as Receipt;
    expect(receipt).toMatchObject({ requestId, kind, systems: [{ action, outcome }] });
    expect(verifyReceipt(receipt, publicPem()).valid).toBe(true);
  });

  it('GIVEN its system failed WHEN the finish runs THEN the request failed and has no receipt', async () => {
    world.connectors.on('newsletter', newsletter(true));
    const { requestId, results } = await planned(kind, body);
    expect(await makeFinish(() => world.rt)({ requestId, results }, context)).toMatchObject({ status: 'failed' });
    expect(stored(requestId)).toBeUndefined();
    expect(world.kms.mock.commandCalls(SignCommand)).toHaveLength(0);
  });
});
