import {
  CONNECTOR_SUBJECTS_AT_ONCE,
  fieldsRemaining,
  outcomeOf,
  SubjectConnector,
  type ConnectorContext,
  type Counts,
  type FieldChanges,
  type InvocationSubject,
} from '../../../lib/connectors/connector';
import { ConnectorPermanentError, ConnectorTransientError, isTransient, toConnectorError } from '../../../lib/connectors/errors';
import { parseInvocation } from '../../../lib/connectors/invocation';
import { ERROR_NAMES } from '../../../lib/core/contract';
import { captureOutput } from '../runtime/support/runtime';
import { awsError, FIELDS, HMAC_KEY, invocation, subject } from './fixtures';

describe('status of a subject from its action and counts', () => {
  // GIVEN the planned record action and fields, and what the connector counted THEN the status
  test.each([
    ['delete', [], { records: 1 }, 'erased'],
    ['delete', [], { objects: 3 }, 'erased'],
    ['delete', [], {}, 'nothing-found'],
    ['anonymise', [FIELDS.phone], { records: 1, fields: 2 }, 'anonymised'],
    ['anonymise', [FIELDS.phone], { records: 0, fields: 0 }, 'nothing-found'],
    ['keep', [FIELDS.phone], { records: 1, fields: 1 }, 'fields-removed'],
    ['keep', [], { records: 1, fields: 1 }, 'fields-anonymised'],
    ['keep', [FIELDS.phone], {}, 'nothing-found'],
  ] as const)('%s with removeFields %j and counts %j → %s', (record, removeFields, counts, status) => {
    expect(outcomeOf({ subjectRef: 'r', record, removeFields }, counts)).toEqual({
      subjectRef: 'r',
      status,
      counts: { records: 0, fields: 0, objects: 0, ...counts },
    });
  });
});

describe('error classification', () => {
  test('the error names are the contract’s', () => {
    expect(new ConnectorTransientError('x').name).toBe(ERROR_NAMES.transient);
    expect(new ConnectorPermanentError('x').name).toBe(ERROR_NAMES.permanent);
  });

  test.each([
    ['ThrottlingException', true, awsError('ThrottlingException', 400)],
    ['SlowDown', true, awsError('SlowDown', 503)],
    ['HTTP 429', true, awsError('Whatever', 429)],
    ['HTTP 500', true, awsError('InternalServerError', 500)],
    ['HTTP 502', true, awsError('BadGateway', 502)],
    ['TimeoutError', true, Object.assign(new Error('t'), { name: 'TimeoutError' })],
    ['ECONNRESET', true, Object.assign(new Error('t'), { code: 'ECONNRESET' })],
    [
      'fetch failed, caused by ECONNREFUSED',
      true,
      new TypeError('fetch failed', { cause: Object.assign(new Error('c'), { code: 'ECONNREFUSED' }) }),
    ],
    ['a throttled cause under a wrapper', true, new Error('wrapped', { cause: awsError('TooManyRequestsException', 429) })],
    ['AccessDeniedException', false, awsError('AccessDeniedException', 400)],
    ['AccessDenied (S3)', false, awsError('AccessDenied', 403)],
    ['ValidationException', false, awsError('ValidationException', 400)],
    ['NoSuchBucket', false, awsError('NoSuchBucket', 404)],
    ['a plain Error', false, new Error('boom')],
    ['a string', false, 'boom'],
    ['an AbortError', false, Object.assign(new Error('aborted'), { name: 'AbortError' })],
  ] as const)('%s: transient = %s', (_name, transient, error) => {
    expect(isTransient(error)).toBe(transient);
    const converted = toConnectorError(error, 'test: Op');
    expect(converted).toBeInstanceOf(transient ? ConnectorTransientError : ConnectorPermanentError);
    expect(converted.cause).toBe(error);
  });

  test('the message names the operation, the error name and status, never the original message', () => {
    const error = toConnectorError(
      Object.assign(new Error('key user1@example.com not valid'), { name: 'ValidationException', $metadata: { httpStatusCode: 400 } }),
      'dynamodb: UpdateItem',
    );
    expect(error.message).toBe('dynamodb: UpdateItem failed: ValidationException (HTTP 400)');
  });

  test('connector errors pass through unchanged', () => {
    const original = new ConnectorTransientError('busy');
    expect(toConnectorError(original, 'x')).toBe(original);
  });
});

describe('invocation validation', () => {
  test('a valid invocation parses, with typed strategies', () => {
    const parsed = parseInvocation(invocation([subject({ record: 'keep', anonymiseFields: [FIELDS.birthDate] })]));
    expect(parsed.subjects[0].anonymiseFields[0].anonymise).toEqual({ strategy: 'generalise-date', to: 'year' });
  });

  test('unknown keys are ignored (a later Lethe may add some)', () => {
    expect(() => parseInvocation({ ...invocation([subject()]), traceId: 'x' })).not.toThrow();
  });

  test.each([
    ['subjects', { ...invocation([]), subjects: 'all' }, /subjects: /],
    ['operationId', { ...invocation([]), operationId: '' }, /operationId: expected operationId, got an empty string/],
    [
      'a locator value',
      invocation([subject({ locator: { customerId: 5 as never } })]),
      /subjects\[0\]\.locator\.customerId: expected each locator value to be text/,
    ],
    [
      'a strategy option',
      invocation([subject({ anonymiseFields: [{ name: 'x', category: 'c', anonymise: { strategy: 'truncate', keep: -1 } }] })]),
      /subjects\[0\]\.anonymiseFields\[0\]\.anonymise\.keep/,
    ],
  ])('a bad %s is a permanent error naming the path', (_what, data, message) => {
    expect(() => parseInvocation(data)).toThrow(ConnectorPermanentError);
    expect(() => parseInvocation(data)).toThrow(message);
  });
});

describe('ids must be well-formed Unicode', () => {
  // A lone surrogate has no UTF-8 form: DynamoDB Local stores "x\ud800" and "x\udc00" as one key and indexes them as
  // "x?" (measured in test/reliability/isolation.property.test.ts), so such an id could reach another subject's data.
  test.each([
    ['subjectId', { subjectId: 'x\ud800' }, 'x\ud800', /subjects\[1\]\.subjectId: expected subjectId to be well-formed Unicode/],
    [
      'locator value',
      { locator: { customerId: '\udc00C-1' } },
      '\udc00C-1',
      /subjects\[1\]\.locator\.customerId: expected each locator value/,
    ],
    [
      'identifier value',
      { identifiers: { email: 'a\ud83d@x' } },
      'a\ud83d@x',
      /subjects\[1\]\.identifiers\.email: expected each identifier value/,
    ],
  ])('GIVEN a lone surrogate in the %s THEN the invocation is refused, naming the path and not the value', (_what, bad, value, message) => {
    // GIVEN a good subject and a bad one in one batch
    const data = invocation([subject({ subjectRef: 'ok' }), subject({ subjectRef: 'bad', ...bad })]);
    // WHEN it is parsed THEN it is refused as a whole, with a message naming the bad subject's path only
    expect(() => parseInvocation(data)).toThrow(ConnectorPermanentError);
    expect(() => parseInvocation(data)).toThrow(message);
    expect(() => parseInvocation(data)).not.toThrow(value);
  });

  test('paired surrogates (emoji), NFC and NFD, and any other text are ids like any other', () => {
    for (const subjectId of ['\u{1F9E8}', '\u{1F469}\u200d\u{1F4BB}', 'caf\u00e9', 'cafe\u0301', '\u7528\u6237', 'a\u0000b', ' ']) {
      expect(parseInvocation(invocation([subject({ subjectId })])).subjects[0].subjectId).toBe(subjectId);
    }
  });
});

/**
 * A connector that acts subject by subject on a toy store (subject id → record), where a subject's deletion can be
 * made to throw; one subject can be made to fail validation.
 */
class ToyConnector extends SubjectConnector<undefined> {
  public readonly type = 'custom';
  public readonly rows = new Set(['user1', 'user2', 'user3']);
  /** subjectRefs in the order they were worked on. */
  public readonly attempted: string[] = [];

  public constructor(
    private readonly throwsFor: Readonly<Record<string, unknown>> = {},
    private readonly invalid?: string,
  ) {
    super('crm', undefined);
  }

  protected override validateSubject(s: InvocationSubject, index: number): void {
    if (s.subjectRef === this.invalid) throw new ConnectorPermanentError(`subjects[${index}].locator: expected customerId`);
  }

  protected override async deleteRecord(s: InvocationSubject): Promise<Counts> {
    this.attempted.push(s.subjectRef);
    if (s.subjectRef in this.throwsFor) throw this.throwsFor[s.subjectRef];
    return { records: this.rows.delete(s.subjectId) ? 1 : 0 };
  }

  protected override async changeFields(): Promise<Counts> {
    throw new Error('not used');
  }
}

const three = () => invocation([1, 2, 3].map((n) => subject({ subjectRef: `ref-user${n}`, subjectId: `user${n}` })));
// The toy connector has no verifyRecord: its erasures are `unverified` (verification: see 'verified erasure' below).
const erased = (subjectRef: string) => ({
  subjectRef,
  status: 'erased',
  counts: { records: 1, fields: 0, objects: 0 },
  verification: 'unverified',
});

describe('a batch done in part (SubjectConnector)', () => {
  // GIVEN a batch of 3 subjects whose second one's deletion throws THEN the first and third are done and reported,
  // the second is reported in `failed`, with the error's name (never its message) and whether it is worth retrying
  test.each([
    ['throttled', awsError('ThrottlingException', 400), true],
    ['a dropped connection', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), true],
    ['a transient connector error', new ConnectorTransientError('dynamodb: DeleteItem failed: InternalServerError'), true],
    ['access denied', awsError('AccessDeniedException', 400), false],
    ['a plain error quoting the subject', new Error('user2 (user2@example.com) is locked'), false],
  ])('subject 2 fails (%s): subjects 1 and 3 are answered, subject 2 in failed (transient %s)', async (_what, error, transient) => {
    const connector = new ToyConnector({ 'ref-user2': error });
    // WHEN the batch runs
    const result = await connector.run(three());
    // THEN
    expect(result).toEqual({
      system: 'crm',
      subjects: [erased('ref-user1'), erased('ref-user3')],
      failed: [{ subjectRef: 'ref-user2', error: transient ? ERROR_NAMES.transient : ERROR_NAMES.permanent, transient }],
    });
    expect(connector.attempted).toEqual(['ref-user1', 'ref-user2', 'ref-user3']);
    expect([...connector.rows]).toEqual(['user2']);
    expect(JSON.stringify(result)).not.toMatch(/user2@example|locked|socket hang up/);
  });

  test('a failure is logged with the subjectRef and error names only', async () => {
    // GIVEN subject 2's error quotes personal data WHEN the batch runs
    const connector = new ToyConnector({ 'ref-user2': new Error('user2@example.com is locked') });
    const { result, output } = await captureOutput(() => connector.run(three()));
    // THEN the line names the system, the subjectRef and the error names, not the message
    expect(result?.failed).toHaveLength(1);
    const line = output.split('\n').find((l) => l.includes('connector failed for a subject'));
    expect(line).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({
      system: 'crm',
      subjectRef: 'ref-user2',
      error: ERROR_NAMES.permanent,
      cause: 'Error',
    });
    expect(output).not.toMatch(/user2@example\.com|locked/);
  });

  test('no failure: the result has no failed list', async () => {
    const result = await new ToyConnector().run(three());
    expect(result).toEqual({ system: 'crm', subjects: [erased('ref-user1'), erased('ref-user2'), erased('ref-user3')] });
    expect('failed' in result).toBe(false);
  });

  test.each([
    ['one subject, transient', ['ref-user1'], awsError('ThrottlingException', 400), ConnectorTransientError],
    ['one subject, permanent', ['ref-user1'], awsError('AccessDeniedException', 400), ConnectorPermanentError],
    ['three subjects, transient', ['ref-user1', 'ref-user2', 'ref-user3'], awsError('ThrottlingException', 400), ConnectorTransientError],
  ] as const)('every subject fails (%s): it throws the first one’s error, as before', async (_what, refs, error, expected) => {
    // GIVEN every subject of the invocation fails
    const connector = new ToyConnector(Object.fromEntries(refs.map((r) => [r, error])));
    const data = invocation(refs.map((r) => subject({ subjectRef: r, subjectId: r.replace('ref-', '') })));
    // WHEN it runs THEN it throws (Lambda reports the name; the state machine retries or catches it)
    const thrown = await connector.run(data).catch((e: Error) => e);
    expect(thrown).toBeInstanceOf(expected);
    expect((thrown as Error).message).toBe(`custom connector of system "crm" failed: ${error.name} (HTTP 400)`);
  });

  test('when the first subject fails and the others too, the first one’s error is thrown', async () => {
    // GIVEN subject 1 fails permanently, subjects 2 and 3 transiently
    const connector = new ToyConnector({
      'ref-user1': awsError('AccessDeniedException', 400),
      'ref-user2': awsError('ThrottlingException', 400),
      'ref-user3': awsError('ThrottlingException', 400),
    });
    // WHEN the batch runs THEN the first subject's (permanent) error is thrown, not a later (transient) one
    const thrown = await connector.run(three()).catch((e: Error) => e);
    expect(thrown).toBeInstanceOf(ConnectorPermanentError);
    expect((thrown as Error).message).toBe('custom connector of system "crm" failed: AccessDeniedException (HTTP 400)');
    expect(connector.attempted).toEqual(['ref-user1', 'ref-user2', 'ref-user3']);
  });

  test('a subject that fails validation fails alone: the others are done, it is never touched (issue 15, item 8)', async () => {
    // GIVEN subject 3 of the batch is invalid (an unsafe locator, say)
    const connector = new ToyConnector({}, 'ref-user3');
    // WHEN the batch runs
    const result = await connector.run(three());
    // THEN subjects 1 and 2 are done; subject 3 is reported in failed, permanently, and nothing was done to it
    expect(result).toEqual({
      system: 'crm',
      subjects: [erased('ref-user1'), erased('ref-user2')],
      failed: [{ subjectRef: 'ref-user3', error: ERROR_NAMES.permanent, transient: false }],
    });
    expect(connector.attempted).toEqual(['ref-user1', 'ref-user2']);
    expect([...connector.rows]).toEqual(['user3']);
  });

  test('every subject fails validation: it throws the first one’s error, before any work', async () => {
    // GIVEN a one-subject invocation whose subject is invalid
    const connector = new ToyConnector({}, 'ref-user1');
    const data = invocation([subject({ subjectRef: 'ref-user1', subjectId: 'user1' })]);
    // WHEN it runs THEN it is refused, naming the problem, and nothing was attempted
    await expect(connector.run(data)).rejects.toThrow(/subjects\[0\]\.locator: expected customerId/);
    await expect(connector.run(data)).rejects.toThrow(ConnectorPermanentError);
    expect(connector.attempted).toEqual([]);
  });
});

/** Deletes each subject after a delay that falls with its position, so that later subjects finish first. */
class SlowConnector extends SubjectConnector<undefined> {
  public readonly type = 'custom';
  public inFlight = 0;
  public mostInFlight = 0;

  public constructor(private readonly failing: ReadonlySet<string> = new Set()) {
    super('crm', undefined);
  }

  protected override async deleteRecord(s: InvocationSubject): Promise<Counts> {
    this.inFlight++;
    this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
    const position = Number(s.subjectRef.replace('ref-user', ''));
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, 40 - position)));
    this.inFlight--;
    if (this.failing.has(s.subjectRef)) throw awsError(position === 39 ? 'ThrottlingException' : 'AccessDeniedException', 400);
    return { records: 1 };
  }

  protected override async changeFields(): Promise<Counts> {
    throw new Error('not used');
  }
}

/** A type that opts in to several subjects at a time, as the DynamoDB connector does. */
class ConcurrentSlowConnector extends SlowConnector {
  protected override readonly subjectsAtOnce = CONNECTOR_SUBJECTS_AT_ONCE;
}

describe('a large invocation (a sweep page) is done several subjects at a time (issue 16)', () => {
  const forty = () => invocation(Array.from({ length: 40 }, (_, i) => subject({ subjectRef: `ref-user${i}`, subjectId: `user${i}` })));

  test('at most CONNECTOR_SUBJECTS_AT_ONCE subjects in flight, outcomes in the invocation’s order', async () => {
    // GIVEN 40 subjects, the later ones answering sooner
    const connector = new ConcurrentSlowConnector();
    // WHEN the invocation runs
    const result = await connector.run(forty());
    // THEN 16 were in flight at once, never more, and the outcomes are in the invocation's order
    expect(connector.mostInFlight).toBe(CONNECTOR_SUBJECTS_AT_ONCE);
    expect(CONNECTOR_SUBJECTS_AT_ONCE).toBe(16);
    expect(result.subjects.map((s) => s.subjectRef)).toEqual(Array.from({ length: 40 }, (_, i) => `ref-user${i}`));
  });

  test('a type that does not opt in (S3, the SDK) does one subject at a time, in order', async () => {
    // GIVEN 40 subjects and a connector type with the default (S3's tag layout lists the bucket per subject: 4f6b687)
    const connector = new SlowConnector();
    // WHEN the invocation runs THEN never two subjects at once
    const result = await connector.run(forty());
    expect(connector.mostInFlight).toBe(1);
    expect(result.subjects.map((s) => s.subjectRef)).toEqual(Array.from({ length: 40 }, (_, i) => `ref-user${i}`));
  });

  test('every subject fails: the error thrown is the first subject’s, though a later one failed sooner', async () => {
    // GIVEN subjects 0 to 39 all fail, subject 39 (transient) well before subject 0 (permanent)
    const refs = Array.from({ length: 40 }, (_, i) => `ref-user${i}`);
    const connector = new ConcurrentSlowConnector(new Set(refs));
    // WHEN it runs THEN subject 0's permanent error is thrown, not subject 39's transient one
    const thrown = await connector.run(forty()).catch((e: Error) => e);
    expect(thrown).toBeInstanceOf(ConnectorPermanentError);
  });
});

/**
 * A subject-by-subject connector over a toy store (subject id → record) whose actions can be made to lie: `lies` names
 * the subject ids whose action reports success and changes nothing. Its verifyRecord reads the store honestly.
 */
class LyingConnector extends SubjectConnector<undefined> {
  public readonly type = 'custom';
  public readonly rows = new Map<string, Record<string, unknown>>([
    ['user1', { name: 'Ada Lovelace', email: 'ada@example.com', phone: '+46701234567' }],
    ['user10', { name: 'Alan Turing', email: 'alan@example.com', phone: '+46709999999' }],
  ]);

  public constructor(
    private readonly lies: ReadonlySet<string> = new Set(),
    private readonly verifyFails?: Error,
  ) {
    super('crm', undefined, { hmacKey: async () => HMAC_KEY });
  }

  protected override async deleteRecord(s: InvocationSubject): Promise<Counts> {
    if (this.lies.has(s.subjectId)) return { records: 1 };
    return { records: this.rows.delete(s.subjectId) ? 1 : 0 };
  }

  protected override async changeFields(s: InvocationSubject, changes: FieldChanges, context: ConnectorContext): Promise<Counts> {
    const row = this.rows.get(s.subjectId);
    if (!row) return {};
    if (this.lies.has(s.subjectId)) return { records: 1, fields: changes.remove.length + changes.anonymise.length };
    let fields = 0;
    for (const f of changes.remove) if (Object.hasOwn(row, f.name) && delete row[f.name]) fields++;
    for (const f of changes.anonymise) {
      if (!Object.hasOwn(row, f.name)) continue;
      const result = await context.anonymise(f, row[f.name]);
      if (result.remove) delete row[f.name];
      else row[f.name] = result.value;
      fields++;
    }
    return { records: 1, fields };
  }

  protected override async verifyRecord(
    s: InvocationSubject,
    changes: FieldChanges,
    context: ConnectorContext,
  ): Promise<Counts | undefined> {
    if (this.verifyFails !== undefined) throw this.verifyFails;
    const row = this.rows.get(s.subjectId);
    if (!row) return {};
    if (s.record === 'delete') return { records: 1 };
    const left = await fieldsRemaining(row, changes, context);
    return left.fields === 0 && left.unknown ? undefined : { records: left.fields > 0 ? 1 : 0, fields: left.fields };
  }
}

const user = (n: number, overrides: Partial<InvocationSubject> = {}) =>
  subject({ subjectRef: `ref-user${n}`, subjectId: `user${n}`, ...overrides });

describe('verified erasure (issue 19): the connector asks its system again after the action', () => {
  test('a connector that reports success but leaves the data: the subject fails with ConnectorVerificationError', async () => {
    // GIVEN a connector whose delete of user1 reports 1 record erased and deletes nothing
    const connector = new LyingConnector(new Set(['user1']));
    // WHEN user1 is erased
    const { result, output } = await captureOutput(() => connector.run(invocation([user(1)])));
    // THEN no outcome: user1 is in failed with the verification error (permanent), never reported erased, and not thrown
    // (the name must reach the workflow across the Lambda boundary); the log names counts, never the data
    expect(result).toEqual({
      system: 'crm',
      subjects: [],
      failed: [{ subjectRef: 'ref-user1', error: 'ConnectorVerificationError', transient: false }],
    });
    expect(ERROR_NAMES.verification).toBe('ConnectorVerificationError');
    expect(connector.rows.has('user1')).toBe(true);
    expect(output).toContain('verification found data left');
    expect(output).not.toMatch(/Ada|ada@example/);
  });

  test('an honest connector: erased and verified', async () => {
    const connector = new LyingConnector();
    const result = await connector.run(invocation([user(1)]));
    expect(result.subjects).toEqual([{ ...erased('ref-user1'), verification: 'verified' }]);
  });

  test('user1 vs user10 in one batch: user10’s data never counts for user1, and user1’s own is never missed', async () => {
    // GIVEN user10 stays in the store; the connector lies about user10 only
    const honestForOne = new LyingConnector(new Set(['user10']));
    // WHEN both are erased in one invocation
    const result = await honestForOne.run(invocation([user(1), user(10)]));
    // THEN user1 is verified though user10's record is still there; user10 fails
    expect(result.subjects).toEqual([{ ...erased('ref-user1'), verification: 'verified' }]);
    expect(result.failed).toEqual([{ subjectRef: 'ref-user10', error: 'ConnectorVerificationError', transient: false }]);
    // AND the other way round: a lie about user1 is caught though user10 is gone
    const lyingForOne = new LyingConnector(new Set(['user1']));
    const again = await lyingForOne.run(invocation([user(10), user(1)]));
    expect(again.subjects).toEqual([{ ...erased('ref-user10'), verification: 'verified' }]);
    expect(again.failed).toEqual([{ subjectRef: 'ref-user1', error: 'ConnectorVerificationError', transient: false }]);
  });

  test.each([
    ['keep, a field to remove left in place → failed', { record: 'keep', removeFields: [FIELDS.phone] }, true, 'failed'],
    [
      'anonymise, the original value left in place → failed',
      { record: 'anonymise', anonymiseFields: [FIELDS.email, FIELDS.name] },
      true,
      'failed',
    ],
    ['keep, the field removed → verified', { record: 'keep', removeFields: [FIELDS.phone] }, false, 'verified'],
    [
      'anonymise, the values anonymised (each a fixed point of its strategy) → verified',
      { record: 'anonymise', anonymiseFields: [FIELDS.email, FIELDS.name] },
      false,
      'verified',
    ],
    [
      'keep, a random value (cannot be told from an original) → unverified',
      { record: 'keep', anonymiseFields: [{ name: 'name', category: 'identity', anonymise: { strategy: 'random' } }] },
      false,
      'unverified',
    ],
  ] as const)('field action: %s', async (_what, overrides, lies, expected) => {
    const connector = new LyingConnector(new Set(lies ? ['user1'] : []));
    const result = await connector.run(invocation([user(1, overrides as unknown as Partial<InvocationSubject>)]));
    if (expected === 'failed')
      expect(result.failed).toEqual([{ subjectRef: 'ref-user1', error: 'ConnectorVerificationError', transient: false }]);
    else expect(result.subjects[0].verification).toBe(expected);
  });

  test('the verification cannot be asked for a permanent reason (access denied): the subject fails with that error', async () => {
    const connector = new LyingConnector(new Set(), awsError('AccessDeniedException', 400));
    const result = await connector.run(invocation([user(1)]));
    expect(result).toEqual({
      system: 'crm',
      subjects: [],
      failed: [{ subjectRef: 'ref-user1', error: 'ConnectorPermanentError', transient: false }],
    });
  });

  test('the verification fails for a moment (throttled): the action stands, unverified, and is not run again', async () => {
    // GIVEN a connector whose action works and whose verification is throttled
    const connector = new LyingConnector(new Set(), awsError('ThrottlingException', 400));
    // WHEN it runs
    const result = await connector.run(invocation([user(1)]));
    // THEN the subject has the action's outcome, unverified, and nothing failed (a re-run would find nothing to do)
    expect(result.failed).toBeUndefined();
    expect(result.subjects).toEqual([expect.objectContaining({ subjectRef: 'ref-user1', verification: 'unverified' })]);
    expect(result.subjects[0].status).not.toBe('nothing-found');
  });

  test('a connector type without verifyRecord: unverified; restrict, export and keep without fields carry no verification', async () => {
    const toy = new ToyConnector();
    expect((await toy.run(invocation([user(1)]))).subjects[0].verification).toBe('unverified');
    const connector = new LyingConnector();
    const kept = await connector.run(invocation([user(1, { record: 'keep' })]));
    expect(kept.subjects[0]).toEqual({ subjectRef: 'ref-user1', status: 'nothing-found', counts: { records: 0, fields: 0, objects: 0 } });
  });
});
