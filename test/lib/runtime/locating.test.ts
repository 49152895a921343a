/**
 * Expiry finds data located by an identifier (issue 15, item 13). A DynamoDB system that finds subjects through an
 * index needs the identifier (or its table's key) later, when the sweep comes: registration refuses a holding
 * without either (400 naming the field), stores it sealed with the locator, and the sweep passes it to the
 * connector. A connector that finds nothing where a holding said there was data is an alarm, not a success: the
 * holding stays active, out of the due index, flagged `nothingFound`, and the report counts it.
 */
import { Temporal } from '@js-temporal/polyfill';
import { recordsOf } from '../../../lib/audit/record';
import { ConnectorTransientError } from '../../../lib/connectors/errors';
import { METRICS } from '../../../lib/core/contract';
import { applyExpiry } from '../../../lib/runtime/expiry';
import { handleLedgerRecord } from '../../../lib/runtime/ledger-stream';
import { metrics } from '../../../lib/core/observability';
import { basePolicyDoc, policyFromDoc } from '../../helpers/policy';
import { apiClient } from '../../lambdas/helpers';
import { answerAll } from './support/aws';
import { AUDIT_BUCKET, createWorld, ledgerTable, type TestWorld, ttlRemoval } from './support/runtime';

const policy = policyFromDoc(
  basePolicyDoc({
    systems: {
      crm: {
        connector: 'dynamodb',
        location: 'eu-north-1',
        config: { tableName: 'crm', keyAttribute: 'customerId', indexName: 'by-email', indexAttribute: 'email' },
        fields: { name: { category: 'identity' }, email: { category: 'contact' } },
      },
      files: {
        connector: 'dynamodb',
        location: 'eu-north-1',
        config: { tableName: 'files', keyAttribute: 'subjectId' },
        fields: { name: { category: 'identity' } },
      },
    },
    purposes: {
      service: { legalBasis: 'contract', categories: ['identity', 'contact'], systems: ['crm', 'files'], retention: { keep: 'P1Y' } },
    },
  }),
);

let world: TestWorld;
let api: ReturnType<typeof apiClient>;
beforeEach(() => {
  world = createWorld({ policy, now: '2025-03-01T10:00:00Z' });
  api = apiClient(world);
});
afterEach(() => world.restore());

const COLLECTED = '2025-01-10T12:00:00+01:00';
const AFTER_EXPIRY = Temporal.Instant.from('2026-02-01T00:00:00Z');
const sweep = async (subjectId: string) =>
  applyExpiry(world.rt, [{ subjectRef: await world.rt.refs.ref(subjectId) }], AFTER_EXPIRY, { kind: 'sweep', sweepId: 's-1' });

describe('registration captures what the system needs to find the data later', () => {
  it.each([
    ['neither the identifier nor the key', {}],
    ['a locator that names neither', { locator: { shoeSize: '42' } }],
  ])('refuses a holding in an index-located system with %s: 400 naming identifiers.email', async (_name, extra) => {
    const answer = await api.holding('user1', { purpose: 'service', system: 'crm', collectedAt: COLLECTED, ...extra });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'invalid-input', path: 'identifiers.email' });
    expect(answer.body.error?.message).toMatch(/index "by-email".*identifiers\.email.*locator\.customerId/);
    expect(world.ddb.items(ledgerTable('service'))).toEqual([]);
  });

  it.each([
    ['the identifier', { identifiers: { email: 'u1@example.se' } }],
    ['the table key in the locator', { locator: { customerId: 'C-1' } }],
    ['the identifier in the locator', { locator: { email: 'u1@example.se' } }],
  ])('accepts a holding in an index-located system with %s', async (_name, extra) => {
    const answer = await api.holding('user1', { purpose: 'service', system: 'crm', collectedAt: COLLECTED, ...extra });
    expect(answer.status).toBe(201);
  });

  it('asks nothing more of a system keyed by the subject id', async () => {
    expect((await api.holding('user1', { purpose: 'service', system: 'files', collectedAt: COLLECTED })).status).toBe(201);
  });
});

describe('the TTL path (ledger stream)', () => {
  it('puts back a holding whose data the connector did not find: active, flagged, no TTL; counted in the metric', async () => {
    // GIVEN a holding that DynamoDB TTL removed while active, and a connector that finds nothing
    await api.holding('user1', { purpose: 'service', system: 'crm', collectedAt: COLLECTED, identifiers: { email: 'u1@example.se' } });
    const [item] = world.ddb.items(ledgerTable('service'));
    world.clock.now = AFTER_EXPIRY.add({ hours: 24 * 10 });
    world.ddb.remove(ledgerTable('service'), item);
    world.connectors.on('crm', answerAll('nothing-found', { records: 0, fields: 0, objects: 0 }));
    // WHEN the stream sees the removal
    const outcome = await handleLedgerRecord(world.rt, ttlRemoval('service', item));
    // THEN the holding is back, active and flagged, out of the sweep, and the metric counts it
    expect(outcome).toBe('nothing-found');
    const [back] = world.ddb.items(ledgerTable('service'));
    expect(back).toMatchObject({ status: 'active', sealed: item.sealed, nothingFound: { by: 'ttl:evt-1' } });
    expect([back.dueAt, back.dueShard, back.ttl]).toEqual([undefined, undefined, undefined]);
    expect(JSON.stringify(metrics.serializeMetrics())).toContain(METRICS.holdingsNothingFound);
    metrics.clearMetrics();
  });
});

describe('the sweep', () => {
  it('passes the identifiers registered with the holding to the connector', async () => {
    // GIVEN a holding registered with the e-mail the system's index is keyed by
    const identifiers = { email: 'u1@example.se' };
    expect((await api.holding('user1', { purpose: 'service', system: 'crm', collectedAt: COLLECTED, identifiers })).status).toBe(201);
    // WHEN it expires
    const report = await sweep('user1');
    // THEN the connector got the identifier, and the holding is done
    expect(world.connectors.forSystem('crm').map((i) => i.subjects.map((s) => s.identifiers))).toEqual([[identifiers]]);
    expect(report).toMatchObject({ holdingsDone: 1, holdingsNothingFound: 0 });
  });

  it('does not close a holding whose data the connector did not find: it stays active, out of the sweep, flagged and counted', async () => {
    // GIVEN a holding, and a connector that finds nothing
    await api.holding('user1', { purpose: 'service', system: 'crm', collectedAt: COLLECTED, identifiers: { email: 'u1@example.se' } });
    world.connectors.on('crm', answerAll('nothing-found', { records: 0, fields: 0, objects: 0 }));
    // WHEN the sweep applies expiry
    const report = await sweep('user1');
    // THEN the report counts it (the sweep-apply handler publishes it as HoldingsNothingFound, alarmed)
    expect(report).toMatchObject({ holdingsDone: 0, holdingsNothingFound: 1 });
    // AND the holding is active, flagged, without due keys or TTL, its sealed locator kept
    const [item] = world.ddb.items(ledgerTable('service'));
    expect(item).toMatchObject({ status: 'active', nothingFound: { by: 'sweep:s-1', atMs: AFTER_EXPIRY.epochMilliseconds } });
    expect([item.dueAt, item.dueShard, item.ttl, item.outcome]).toEqual([undefined, undefined, undefined, undefined]);
    expect(typeof item.sealed).toBe('string');
    // AND the audit says what the connector found
    const records = [...world.s3.bodies(AUDIT_BUCKET, 'audit/').values()].flatMap((b) => recordsOf(b));
    expect(records.map((r) => r.outcome)).toEqual(['nothing-found']);
    // AND a new event does not put it back in the sweep
    await api.event('user1', { type: 'last-login', at: '2025-03-01T09:00:00+01:00' });
    expect(world.ddb.items(ledgerTable('service'))[0].dueAt).toBeUndefined();
  });

  it('finishes a holding as nothing-found when an earlier call, whose outcome was lost, may have removed the data', async () => {
    // GIVEN a holding whose first connector call fails as a whole (after changing the data, say), and whose second
    // call finds nothing left
    await api.holding('user1', { purpose: 'service', system: 'crm', collectedAt: COLLECTED, identifiers: { email: 'u1@example.se' } });
    let calls = 0;
    world.connectors.on('crm', (invocation) => {
      calls++;
      if (calls === 1) throw new ConnectorTransientError('the answer was lost');
      return answerAll('nothing-found', { records: 0, fields: 0, objects: 0 })(invocation);
    });
    // WHEN the sweep runs twice
    expect(await sweep('user1')).toMatchObject({ holdingsDone: 0, holdingsFailed: 1 });
    expect(world.ddb.items(ledgerTable('service'))[0]).toMatchObject({ status: 'active', attempts: 1 });
    const second = await sweep('user1');
    // THEN the second finishes it as nothing-found, without the flag or the alarm
    expect(second).toMatchObject({ holdingsDone: 1, holdingsNothingFound: 0 });
    const [item] = world.ddb.items(ledgerTable('service'));
    expect(item).toMatchObject({ status: 'done', outcome: 'nothing-found' });
    expect(item.nothingFound).toBeUndefined();
  });
});
