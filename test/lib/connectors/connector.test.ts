import { outcomeOf } from '../../../lib/connectors/connector';
import { ConnectorPermanentError, ConnectorTransientError, isTransient, toConnectorError } from '../../../lib/connectors/errors';
import { parseInvocation } from '../../../lib/connectors/invocation';
import { ERROR_NAMES } from '../../../lib/runtime/contract';
import { awsError, FIELDS, invocation, subject } from './fixtures';

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
