/**
 * lib/runtime/erasure-requests.ts on its own: the erasure API's domain on a runtime of fakes (support/runtime.ts),
 * without the HTTP handler around it. Receiving (the id from the Idempotency-Key, sealed values only, the
 * other-subject conflict), starting within a budget, the view, and the one extension.
 */
import { InputError } from '../../../lib/core/errors';
import { ConflictError } from '../../../lib/runtime/errors';
import {
  checkIdempotencyKey,
  checkRequestId,
  extendErasureRequest,
  IDEMPOTENCY_KEY_PATH,
  receiveErasureRequest,
  requestIdForKey,
  startErasureRequest,
  startWithin,
  viewErasureRequest,
  type StartOutcome,
} from '../../../lib/runtime/erasure-requests';
import type { ErasureRequestBody } from '../../../lib/runtime/api-schemas';
import type { Runtime } from '../../../lib/runtime/runtime';
import type { StartOptions } from '../../../lib/runtime/workflow';
import { createWorld, TABLES, type TestWorld } from './support/runtime';

const body = (subjectId = 'user-1', more: Partial<ErasureRequestBody> = {}): ErasureRequestBody => ({
  subjectId,
  identifiers: { email: 'a@example.se' },
  verification: { method: 'email', verifiedAt: '2025-03-01T09:00:00Z' },
  ...more,
});

/** What `fn` throws (undefined when it returns). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('checkIdempotencyKey', () => {
  // Table-driven: a header value and the message of its refusal, or the key it gives.
  const cases: { name: string; key: string | null | undefined; refused?: RegExp; gives?: string }[] = [
    { name: 'no header', key: undefined, refused: /^headers.Idempotency-Key: send an Idempotency-Key header/ },
    { name: 'a null header', key: null, refused: /^headers.Idempotency-Key: send an Idempotency-Key header/ },
    { name: 'an empty key', key: '', refused: /: expected an Idempotency-Key of 1 to 256 characters, got 0$/ },
    { name: 'a key of 257 characters', key: 'k'.repeat(257), refused: /: expected an Idempotency-Key of 1 to 256 characters, got 257$/ },
    { name: 'a key with a line break', key: 'a\nb', refused: /control characters/ },
    { name: 'a UUID', key: '0b3c6a4e-1f7e-4a55-9a0e-6b1f1f3b2c11', gives: '0b3c6a4e-1f7e-4a55-9a0e-6b1f1f3b2c11' },
    { name: 'a key of 256 characters', key: 'k'.repeat(256), gives: 'k'.repeat(256) },
  ];
  it.each(cases)('$name', ({ key, refused, gives }) => {
    if (refused) {
      const error = thrown(() => checkIdempotencyKey(key));
      expect(error).toBeInstanceOf(InputError);
      expect(error).toMatchObject({ path: IDEMPOTENCY_KEY_PATH, message: expect.stringMatching(refused) });
    } else {
      expect(checkIdempotencyKey(key)).toBe(gives);
    }
  });
});

describe('checkRequestId', () => {
  it.each([
    ['a UUID', '0b3c6a4e-1f7e-4a55-9a0e-6b1f1f3b2c11'],
    ['80 characters', 'a'.repeat(80)],
  ])('accepts %s', (_what, id) => {
    expect(checkRequestId(id)).toBe(id);
  });

  it.each([
    ['81 characters', 'a'.repeat(81)],
    ['a slash', 'a/b'],
    ['an empty id', ''],
    ['a number', 42],
  ])('refuses %s, naming requestId', (_what, id) => {
    const error = thrown(() => checkRequestId(id));
    expect(error).toBeInstanceOf(InputError);
    expect(error).toMatchObject({
      path: 'requestId',
      message: 'requestId: expected a request id (letters, digits and -, at most 80 characters)',
    });
  });
});

describe('requestIdForKey', () => {
  it('is UUID-shaped, the same for the same key, and another for another key', () => {
    const id = requestIdForKey('key-1');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(requestIdForKey('key-1')).toBe(id);
    expect(requestIdForKey('key-10')).not.toBe(id);
  });
});

describe('receiving, viewing and extending a request', () => {
  let world: TestWorld;
  beforeEach(() => {
    world = createWorld({ now: '2025-03-01T10:00:00Z' });
  });
  afterEach(() => world.restore());
  const requests = () => world.ddb.items(TABLES.requests);

  it('stores the request received, sealed, with its deadline one month away in the policy time zone', async () => {
    // WHEN a request is received
    const answer = await receiveErasureRequest(world.rt, body(), 'key-1');
    // THEN the answer names the id derived from the key and the deadline in the policy's zone
    expect(answer).toEqual({ requestId: requestIdForKey('key-1'), status: 'received', deadline: '2025-04-01T11:00:00+02:00' });
    // AND the item holds no raw subject id or identifier, only sealed values and the subject's reference
    const [item] = requests();
    expect(JSON.stringify(item)).not.toMatch(/user-1|a@example\.se/);
    expect(item).toMatchObject({ status: 'received', deadline: '2025-04-01T09:00:00.000Z', openSince: 'open' });
    expect(item.subjectRef).toBe(await world.rt.refs.ref('user-1'));
  });

  it('answers a retry with the same key with the same request, and keeps one item', async () => {
    const first = await receiveErasureRequest(world.rt, body(), 'key-1');
    world.clock.now = world.clock.now.add({ hours: 1 });
    expect(await receiveErasureRequest(world.rt, body(), 'key-1')).toEqual(first);
    expect(requests()).toHaveLength(1);
  });

  it('refuses the same key for another subject, and keeps the first request', async () => {
    await receiveErasureRequest(world.rt, body('user-1'), 'key-1');
    await expect(receiveErasureRequest(world.rt, body('user-2'), 'key-1')).rejects.toThrow(
      new ConflictError('this Idempotency-Key was used for an erasure request about another subject; use a new key for a new request'),
    );
    expect(requests()).toHaveLength(1);
    expect(requests()[0].subjectRef).toBe(await world.rt.refs.ref('user-1'));
  });

  // Table-driven: bad input, and the path its error names; nothing is stored.
  const refusals: { name: string; body: ErasureRequestBody; key: string | undefined; path: string }[] = [
    { name: 'no Idempotency-Key', body: body(), key: undefined, path: IDEMPOTENCY_KEY_PATH },
    {
      name: 'a purpose the policy does not have in scope',
      body: body('user-1', { scope: ['customer', 'nope'] }),
      key: 'k',
      path: 'scope[1]',
    },
    {
      name: 'a verification time that is not one',
      body: body('user-1', { verification: { method: 'email', verifiedAt: 'yesterday' } }),
      key: 'k',
      path: 'verification.verifiedAt',
    },
  ];
  it.each(refusals)('refuses $name, naming $path, storing nothing', async ({ body: b, key, path }) => {
    const error = await receiveErasureRequest(world.rt, b, key).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect(error).toMatchObject({ path });
    expect(requests()).toEqual([]);
  });

  it('keeps each purpose of the scope once', async () => {
    await receiveErasureRequest(world.rt, body('user-1', { scope: ['customer', 'marketing', 'customer'] }), 'key-1');
    expect(requests()[0].scope).toEqual(['customer', 'marketing']);
  });

  it('shows an open request with its subject id, and a completed one without', async () => {
    // GIVEN a request received
    const { requestId } = await receiveErasureRequest(world.rt, body(), 'key-1');
    // THEN its view has the subject id, no systems yet
    expect(await viewErasureRequest(world.rt, requestId)).toEqual({
      requestId,
      subjectId: 'user-1',
      status: 'received',
      receivedAt: '2025-03-01T11:00:00+01:00',
      deadline: '2025-04-01T11:00:00+02:00',
      systems: [],
      retained: [],
    });
    // WHEN it completes
    await world.rt.requests.finish(requestId, 'completed', world.clock.now);
    // THEN its view has no subject id
    const view = await viewErasureRequest(world.rt, requestId);
    expect(view).not.toHaveProperty('subjectId');
    expect(view.status).toBe('completed');
  });

  it.each([
    ['verified', { status: 'erased', verification: 'verified' }, { status: 'erased', verification: 'verified' }],
    ['unverified', { status: 'anonymised', verification: 'unverified' }, { status: 'anonymised', verification: 'unverified' }],
    ['nothing to verify (a restrict)', { status: 'restricted' }, { status: 'restricted' }],
    [
      'found data left',
      { status: 'failed', error: 'ConnectorVerificationError' },
      { status: 'failed', error: 'ConnectorVerificationError' },
    ],
  ] as const)('shows per system whether its action was verified: %s (issue 19)', async (_case, patch, shown) => {
    // GIVEN a request whose plan has one system, and the connector's outcome recorded
    const { requestId } = await receiveErasureRequest(world.rt, body(), 'key-v');
    const entry = {
      status: 'pending',
      action: 'delete',
      record: 'delete',
      removeFields: [],
      anonymiseFields: [],
      going: {},
      retainedPurposes: [],
      invoke: true,
    } as const;
    await world.rt.requests.storePlan(requestId, { systems: { crm: entry }, systemOrder: ['crm'], retained: [] }, world.clock.now);
    await world.rt.requests.updateSystem(requestId, 'crm', patch, world.clock.now);
    // WHEN it is viewed
    const view = await viewErasureRequest(world.rt, requestId);
    // THEN the system shows the outcome and its verification as recorded, and nothing else
    expect(view.systems).toEqual([{ system: 'crm', ...shown }]);
  });

  it('extends a request once, from its original deadline, in the policy calendar', async () => {
    // GIVEN a request received on 1 March
    const { requestId } = await receiveErasureRequest(world.rt, body(), 'key-1');
    // WHEN it is extended by two months
    const answer = await extendErasureRequest(world.rt, requestId, { months: 2, reason: 'many systems' });
    // THEN the deadline is two months after the original one
    expect(answer).toEqual({ requestId, deadline: '2025-06-01T11:00:00+02:00', extension: { months: 2, reason: 'many systems' } });
    // AND a second extension is refused
    await expect(extendErasureRequest(world.rt, requestId, { months: 1, reason: 'again' })).rejects.toThrow(
      new ConflictError(`erasure request "${requestId}" was already extended (by 2 month(s)); Art. 12(3) allows one extension`),
    );
  });

  it('refuses to extend a completed request', async () => {
    const { requestId } = await receiveErasureRequest(world.rt, body(), 'key-1');
    await world.rt.requests.finish(requestId, 'completed', world.clock.now);
    await expect(extendErasureRequest(world.rt, requestId, { months: 1, reason: 'late' })).rejects.toThrow(
      new ConflictError(`erasure request "${requestId}" is completed; only an open request can be extended`),
    );
  });

  it('starts only a request that is still received', async () => {
    const { requestId } = await receiveErasureRequest(world.rt, body(), 'key-1');
    await world.rt.requests.markRunning(requestId);
    const { answer, start } = await startErasureRequest(world.rt, requestId, 1_000);
    expect(start).toBe('not-received');
    expect(answer.status).toBe('running');
  });
});

describe('startWithin', () => {
  /** A runtime whose workflow starts as `start` says, recording the abort signal it was given. */
  const runtimeWith = (start: (signal: AbortSignal | undefined) => Promise<boolean>) => {
    const calls: (AbortSignal | undefined)[] = [];
    const rt = {
      workflow: {
        start: (_id: string, options?: StartOptions) => {
          calls.push(options?.abortSignal);
          return start(options?.abortSignal);
        },
      },
    } as unknown as Runtime;
    return { rt, calls };
  };
  const never = (signal: AbortSignal | undefined) =>
    new Promise<boolean>((_resolve, reject) => signal?.addEventListener('abort', () => reject(new Error('aborted'))));

  // Table-driven: how the start goes, the budget, and the outcome.
  const cases: { name: string; start: (signal: AbortSignal | undefined) => Promise<boolean>; budgetMs: number; outcome: StartOutcome }[] = [
    { name: 'a start', start: async () => true, budgetMs: 1_000, outcome: 'started' },
    { name: 'a start made before', start: async () => false, budgetMs: 1_000, outcome: 'started-before' },
    { name: 'a failed start', start: async () => Promise.reject(new Error('ServiceUnavailable')), budgetMs: 1_000, outcome: 'deferred' },
    { name: 'a start slower than the budget', start: never, budgetMs: 20, outcome: 'deferred' },
  ];
  it.each(cases)('$name: $outcome', async ({ start, budgetMs, outcome }) => {
    const { rt, calls } = runtimeWith(start);
    expect(await startWithin(rt, 'req-1', budgetMs)).toBe(outcome);
    expect(calls).toHaveLength(1);
  });

  it('aborts the start that ran out of time', async () => {
    const { rt, calls } = runtimeWith(never);
    await startWithin(rt, 'req-1', 20);
    expect(calls[0]?.aborted).toBe(true);
  });

  it('does not try with no budget left', async () => {
    const { rt, calls } = runtimeWith(async () => true);
    expect(await startWithin(rt, 'req-1', 0)).toBe('deferred');
    expect(calls).toEqual([]);
  });
});
