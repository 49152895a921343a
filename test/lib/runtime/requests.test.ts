/**
 * lib/runtime/requests.ts on its own: the RequestStore's conditional writes against the in-memory DynamoDB (the
 * requests table's shape from the stack). Each write is tried on the states it meets in the workflow.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Temporal } from '@js-temporal/polyfill';
import { REQUESTS, type RequestStatus } from '../../../lib/core/contract';
import { ConflictError, RequestNotFoundError } from '../../../lib/runtime/errors';
import { type Extension, isFinal, type RequestItem, RequestStore, type SystemEntry } from '../../../lib/runtime/requests';
import { REQUESTS_TABLE } from '../../../lib/stack/table-specs';
import { FakeDynamo } from './support/fake-dynamodb';

const TABLE = 'lethe-requests';
const NOW = Temporal.Instant.from('2025-03-01T10:00:00Z');

const request = (requestId: string, status: RequestStatus = 'received'): RequestItem => ({
  requestId,
  subjectRef: 'r'.repeat(64),
  sealedSubject: 'l2.sealed.subject',
  sealedDetails: 'l2.sealed.details',
  verification: { method: 'email', verifiedAt: '2025-03-01T09:00:00.000Z' },
  status,
  receivedAt: '2025-03-01T09:00:00.000Z',
  deadline: '2025-04-01T09:00:00.000Z',
  openSince: REQUESTS.openValue,
});

const entry: SystemEntry = {
  status: 'pending',
  action: 'delete',
  record: 'delete',
  removeFields: [],
  anonymiseFields: [],
  going: { customer: { outcome: 'erase', collectedAtMs: 1 } },
  retainedPurposes: [],
  invoke: true,
};

const extension: Extension = {
  months: 2,
  reason: 'complex request',
  at: '2025-03-01T10:00:00.000Z',
  previousDeadline: '2025-04-01T09:00:00.000Z',
};

describe('RequestStore', () => {
  let ddb: FakeDynamo;
  let store: RequestStore;
  beforeEach(() => {
    ddb = new FakeDynamo();
    ddb.createTable(TABLE, { partitionKey: REQUESTS_TABLE.partitionKey.name, indexes: {} });
    store = new RequestStore(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-north-1' })), TABLE);
  });
  afterEach(() => ddb.restore());
  const stored = (id: string) => ddb.item(TABLE, { requestId: id });

  describe('create', () => {
    it('creates a request once; a second create with the same id returns the first, unchanged', async () => {
      // GIVEN a request created
      expect(await store.create(request('req-1'))).toEqual({ created: true, item: request('req-1') });
      // WHEN another with the same id is created
      const again = await store.create({ ...request('req-1'), subjectRef: 'other' });
      // THEN the first is returned and stays as it was
      expect(again).toEqual({ created: false, item: request('req-1') });
      expect(stored('req-1')).toEqual(request('req-1'));
    });
  });

  describe('get and require', () => {
    it('answers undefined for an unknown id, and require names it', async () => {
      expect(await store.get('nope')).toBeUndefined();
      const error = await store.require('nope').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RequestNotFoundError);
      expect(error).toMatchObject({ requestId: 'nope', message: 'no erasure request has id "nope"' });
    });
  });

  describe('storePlan', () => {
    const plan = { systems: { crm: entry }, systemOrder: ['crm'], retained: [], policyHash: 'a'.repeat(64) };

    it('stores the first plan and keeps it on a re-run', async () => {
      // GIVEN a request
      await store.create(request('req-1'));
      // WHEN a plan is stored, then another
      expect(await store.storePlan('req-1', plan, NOW)).toBe(true);
      expect(await store.storePlan('req-1', { ...plan, systemOrder: ['other'], policyHash: 'b'.repeat(64) }, NOW)).toBe(false);
      // THEN the first is kept, with when it was planned
      expect(stored('req-1')).toMatchObject({ systemOrder: ['crm'], policyHash: 'a'.repeat(64), plannedAt: '2025-03-01T10:00:00.000Z' });
    });

    it('stores nothing for an unknown request', async () => {
      expect(await store.storePlan('nope', plan, NOW)).toBe(false);
      expect(ddb.items(TABLE)).toEqual([]);
    });
  });

  describe('markRunning', () => {
    // Table-driven: the status before, and after.
    const cases: { before: RequestStatus; after: RequestStatus }[] = [
      { before: 'received', after: 'running' },
      { before: 'failed', after: 'running' },
      { before: 'running', after: 'running' },
      { before: 'completed', after: 'completed' },
    ];
    it.each(cases)('$before becomes $after', async ({ before, after }) => {
      await store.create(request('req-1', before));
      await store.markRunning('req-1');
      expect(stored('req-1')?.status).toBe(after);
    });

    it('does nothing, and does not throw, for an unknown request', async () => {
      await expect(store.markRunning('nope')).resolves.toBeUndefined();
      expect(ddb.items(TABLE)).toEqual([]);
    });
  });

  describe('updateSystem', () => {
    beforeEach(async () => {
      await store.create(request('req-1'));
      await store.storePlan('req-1', { systems: { crm: { ...entry, error: 'Timeout' } }, systemOrder: ['crm'] }, NOW);
    });

    it('sets the fields given and updatedAt, and removes a field given as undefined', async () => {
      // WHEN the system is patched, its error cleared
      const later = NOW.add({ minutes: 5 });
      await store.updateSystem(
        'req-1',
        'crm',
        { status: 'erased', counts: { records: 1, fields: 0, objects: 0 }, error: undefined },
        later,
      );
      // THEN the entry is the old one with the patch; other fields untouched
      expect(stored('req-1')?.systems).toEqual({
        crm: { ...entry, status: 'erased', counts: { records: 1, fields: 0, objects: 0 }, updatedAt: '2025-03-01T10:05:00.000Z' },
      });
    });

    it('refuses a system the plan does not have', async () => {
      await expect(store.updateSystem('req-1', 'billing', { status: 'erased' }, NOW)).rejects.toMatchObject({
        name: 'ConditionalCheckFailedException',
      });
    });
  });

  describe('finish', () => {
    it('completed: leaves the open index, drops the sealed subject and details, and sets the TTL', async () => {
      await store.create(request('req-1', 'running'));
      await store.finish('req-1', 'completed', NOW);
      const { openSince: _open, sealedSubject: _subject, sealedDetails: _details, ...rest } = request('req-1', 'running');
      expect(stored('req-1')).toEqual({
        ...rest,
        status: 'completed',
        finishedAt: '2025-03-01T10:00:00.000Z',
        ttl: NOW.epochMilliseconds / 1000 + REQUESTS.completedTtlSeconds,
      });
    });

    it('failed: stays open with its sealed values, so that a re-run can finish it', async () => {
      await store.create(request('req-1', 'running'));
      await store.finish('req-1', 'failed', NOW);
      expect(stored('req-1')).toEqual({ ...request('req-1', 'running'), status: 'failed', finishedAt: '2025-03-01T10:00:00.000Z' });
    });

    it('refuses an unknown request', async () => {
      await expect(store.finish('nope', 'completed', NOW)).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    });
  });

  describe('extend', () => {
    it('extends an open request once, moving its deadline', async () => {
      await store.create(request('req-1', 'running'));
      await store.extend('req-1', extension, '2025-06-01T09:00:00.000Z');
      expect(stored('req-1')).toMatchObject({ extension, deadline: '2025-06-01T09:00:00.000Z' });
    });

    // Table-driven: why an extension is refused, and the error that says so.
    const refusals: { name: string; given: RequestItem | undefined; error: unknown }[] = [
      {
        name: 'a second extension',
        given: { ...request('req-1', 'running'), extension },
        error: new ConflictError('erasure request "req-1" was already extended (by 2 month(s)); Art. 12(3) allows one extension'),
      },
      {
        name: 'a completed request',
        given: request('req-1', 'completed'),
        error: new ConflictError('erasure request "req-1" is completed; only an open request can be extended'),
      },
      { name: 'an unknown request', given: undefined, error: new RequestNotFoundError('req-1') },
    ];
    it.each(refusals)('refuses $name, leaving the deadline', async ({ given, error }) => {
      if (given) await store.create(given);
      const thrown = await store.extend('req-1', extension, '2025-06-01T09:00:00.000Z').catch((e: unknown) => e);
      expect(thrown).toEqual(error);
      expect(thrown).toBeInstanceOf((error as Error).constructor);
      expect(stored('req-1')?.deadline).toBe(given?.deadline);
    });
  });
});

describe('isFinal', () => {
  it.each([
    ['pending', false],
    ['failed', false],
    ['erased', true],
    ['nothing-found', true],
    ['kept-shared', true],
  ] as const)('%s: %s', (status, final) => {
    expect(isFinal(status)).toBe(final);
  });
});
