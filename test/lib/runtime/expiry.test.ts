/**
 * applyExpiry with a batch the connector does in part (ConnectorResult.failed): the outcomes of the subjects it did
 * are recorded, audited and finished at once; the failed subjects stay active and due, unaudited, and the next
 * sweep sends only them. (The sweep's other behaviour is covered through its handlers in test/lambdas/sweep.test.ts.)
 */
import { Temporal } from '@js-temporal/polyfill';
import { defineConnector } from '../../../lib/connectors/sdk';
import { parseResult } from '../../../lib/connectors/invocation';
import type { ConnectorInvocation, ConnectorResult } from '../../../lib/core/contract';
import { applyExpiry } from '../../../lib/runtime/expiry';
import { recordsOf } from '../../../lib/audit';
import { dueShardOf } from '../../../lib/runtime/ledger';
import { apiClient } from '../../lambdas/helpers';
import { answerAll, type ConnectorBehaviour } from './support/aws';
import { AUDIT_BUCKET, captureOutput, createWorld, ledgerTable, type TestWorld } from './support/runtime';

let world: TestWorld;
let api: ReturnType<typeof apiClient>;

beforeEach(() => {
  world = createWorld({ now: '2025-01-01T10:00:00Z' });
  api = apiClient(world);
});
afterEach(() => world.restore());

const NOW = Temporal.Instant.from('2026-03-01T00:00:00Z');
const IDS = ['user1', 'user2', 'user3'] as const;
const sweep = (sweepId: string, refs: readonly string[]) =>
  applyExpiry(
    world.rt,
    refs.map((subjectRef) => ({ subjectRef })),
    NOW,
    { kind: 'sweep', sweepId },
  );

/** A fake connector that does every subject but one, which it answers in `failed`. */
const allBut =
  (failedRef: () => string, transient: boolean): ConnectorBehaviour =>
  (invocation) => {
    const ref = failedRef();
    return {
      system: invocation.system,
      subjects: invocation.subjects
        .filter((s) => s.subjectRef !== ref)
        .map((s) => ({ subjectRef: s.subjectRef, status: 'anonymised' as const, counts: { records: 1, fields: 3, objects: 0 } })),
      failed: [{ subjectRef: ref, error: transient ? 'ThrottlingException' : 'AccessDeniedException', transient }],
    };
  };

/**
 * A connector written with defineConnector, on a toy store, whose deletion of `user2` is throttled the first time:
 * what the faults sweep found (test/reliability/faults-connectors.test.ts). Its answer is validated as Lethe
 * validates a connector function's (parseResult).
 */
function throttledOnce(): { behaviour: ConnectorBehaviour; rows: Set<string> } {
  const rows = new Set<string>(IDS);
  let throttled = false;
  const act = async (subject: { subjectId: string }) => {
    if (subject.subjectId === 'user2' && !throttled) {
      throttled = true;
      throw Object.assign(new Error('Rate exceeded for user2'), {
        name: 'ThrottlingException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
      });
    }
    return { records: rows.delete(subject.subjectId) ? 1 : 0, fields: 3 };
  };
  const handler = defineConnector({ deleteRecord: act, anonymiseRecord: act, removeFields: act, anonymiseFields: act });
  const behaviour = async (invocation: ConnectorInvocation): Promise<ConnectorResult> =>
    parseResult(await handler(structuredClone(invocation)), invocation);
  return { behaviour, rows };
}

const auditRecords = () => [...world.s3.bodies(AUDIT_BUCKET, 'audit/').values()].flatMap((b) => recordsOf(b));

describe('a batch the connector does in part', () => {
  test.each([
    ['a fake connector answers user2 in failed (transient)', 'fake', true],
    ['a fake connector answers user2 in failed (permanent)', 'fake', false],
    ['a defineConnector connector is throttled on user2', 'sdk', true],
  ] as const)('GIVEN %s WHEN the batch is applied twice THEN nothing is lost and nothing is sent twice', async (_what, kind, transient) => {
    // GIVEN 3 subjects whose analytics data in crm (P1Y) expired
    for (const id of IDS) await api.holding(id, { purpose: 'analytics', system: 'crm', collectedAt: '2024-06-01T00:00:00Z' });
    const refs = await Promise.all(IDS.map((id) => world.rt.refs.ref(id)));
    const [ref1, ref2, ref3] = refs;
    const sdk = throttledOnce();
    world.connectors.on('crm', kind === 'sdk' ? sdk.behaviour : allBut(() => ref2, transient));

    // WHEN the sweep applies the batch
    const { result: first, output } = await captureOutput(() => sweep('sweep-1', refs));

    // THEN one connector call for the three; user1 and user3 are done, user2 failed
    expect(world.connectors.invocations).toHaveLength(1);
    expect(first).toMatchObject({ subjects: 3, holdingsDone: 2, holdingsFailed: 1 });
    const items = () => new Map(world.ddb.items(ledgerTable('analytics')).map((i) => [i.subjectRef as string, i]));
    const status = 'anonymised';
    expect(items().get(ref1)).toMatchObject({ status: 'done', outcome: status, finishedBy: 'sweep:sweep-1' });
    expect(items().get(ref3)).toMatchObject({ status: 'done', outcome: status, finishedBy: 'sweep:sweep-1' });
    // AND user2 is still active and due, with no outcome recorded
    expect(items().get(ref2)).toMatchObject({ status: 'active', dueShard: dueShardOf(ref2) });
    expect(items().get(ref2)?.applied).toBeUndefined();
    // AND the audit has the outcomes of user1 and user3, and nothing for user2
    const subjectOf = async (id: string) => world.rt.refs.auditSubject(id);
    expect(auditRecords().map((r) => [r.subject, r.outcome])).toEqual([
      [await subjectOf('user1'), status],
      [await subjectOf('user3'), status],
    ]);
    // AND the batch's records are one audit object (a segment), not one each
    expect([...world.s3.bodies(AUDIT_BUCKET, 'audit/').keys()]).toEqual(['audit/000000000001-000000000002.json']);
    // AND the failure is logged by subjectRef and error name, never a subject id or the error's message
    expect(output).toContain('connector failed for a subject: its holdings stay due');
    expect(output).toContain(ref2);
    expect(output).not.toMatch(/user[123]\b|Rate exceeded/);

    // WHEN the next sweep applies the same batch, the connector now succeeding
    world.connectors.on('crm', kind === 'sdk' ? sdk.behaviour : answerAll('anonymised', { records: 1, fields: 3, objects: 0 }));
    const second = await sweep('sweep-2', refs);

    // THEN only user2 was sent, and it is done; the audit has one record per subject, each with its own outcome
    expect(world.connectors.invocations).toHaveLength(2);
    expect(world.connectors.invocations[1].subjects.map((s) => s.subjectRef)).toEqual([ref2]);
    expect(second).toMatchObject({ subjects: 3, holdingsDone: 1, holdingsFailed: 0 });
    expect(items().get(ref2)).toMatchObject({ status: 'done', outcome: 'anonymised', finishedBy: 'sweep:sweep-2' });
    expect(items().get(ref1)).toMatchObject({ finishedBy: 'sweep:sweep-1' });
    expect(auditRecords().map((r) => r.subject)).toEqual([await subjectOf('user1'), await subjectOf('user3'), await subjectOf('user2')]);
    expect(auditRecords().every((r) => r.outcome === 'anonymised')).toBe(true);
    if (kind === 'sdk') expect(sdk.rows.size).toBe(0);
  });

  test('GIVEN the connector answers every subject in failed WHEN the batch is applied THEN every holding stays due, none audited', async () => {
    for (const id of IDS) await api.holding(id, { purpose: 'analytics', system: 'crm', collectedAt: '2024-06-01T00:00:00Z' });
    const refs = await Promise.all(IDS.map((id) => world.rt.refs.ref(id)));
    world.connectors.on('crm', (invocation) => ({
      system: invocation.system,
      subjects: [],
      failed: invocation.subjects.map((s) => ({ subjectRef: s.subjectRef, error: 'ConnectorTransientError', transient: true })),
    }));
    expect(await sweep('sweep-1', refs)).toMatchObject({ subjects: 3, holdingsDone: 0, holdingsFailed: 3 });
    expect(world.ddb.items(ledgerTable('analytics')).every((i) => i.status === 'active' && i.applied === undefined)).toBe(true);
    expect(auditRecords()).toEqual([]);
  });
});
