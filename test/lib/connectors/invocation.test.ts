/**
 * The connector result as Lethe validates what a connector answers (parseResult, checkOutcomes): every subject asked
 * about answered exactly once, an outcome in `subjects` or a failure in `failed`, and a failure's error is a name,
 * never a message.
 */
import { ConnectorPermanentError } from '../../../lib/connectors/errors';
import { checkOutcomes, ConnectorResultSchema, parseResult } from '../../../lib/connectors/invocation';
import { invocation, subject } from './fixtures';

const asked = invocation([subject(), subject({ subjectRef: 'ref-user10', subjectId: 'user10' })]);
const done = (subjectRef: string) => ({ subjectRef, status: 'erased', counts: { records: 1, fields: 0, objects: 0 } });
const failure = (subjectRef: string, error: unknown = 'ConnectorTransientError', transient: unknown = true) => ({
  subjectRef,
  error,
  transient,
});

describe('a result with failed subjects', () => {
  test.each([
    ['one done, one failed (transient)', [done('ref-user1')], [failure('ref-user10')]],
    ['one done, one failed (permanent)', [done('ref-user10')], [failure('ref-user1', 'ConnectorPermanentError', false)]],
    ['every subject failed', [], [failure('ref-user1'), failure('ref-user10', 'ThrottlingException')]],
    ['an error name with dots, digits, _ and -', [done('ref-user1')], [failure('ref-user10', 'Sandbox.Timedout_2-b')]],
  ])('GIVEN %s WHEN it is parsed THEN it is valid, failures included', (_what, subjects, failed) => {
    expect(parseResult({ system: 'crm', subjects, failed }, asked)).toEqual({ system: 'crm', subjects, failed });
  });

  test('failed is optional', () => {
    const result = parseResult({ system: 'crm', subjects: [done('ref-user1'), done('ref-user10')] }, asked);
    expect(result.failed).toBeUndefined();
  });

  test.each([
    [
      'a subject answered in both lists',
      [done('ref-user1'), done('ref-user10')],
      [failure('ref-user10')],
      /answers twice for subject ref-user10/,
    ],
    ['a subject failed twice', [done('ref-user1')], [failure('ref-user10'), failure('ref-user10')], /answers twice for subject ref-user10/],
    ['a subject missing from both lists', [done('ref-user1')], [], /no outcome for subject\(s\) ref-user10/],
    [
      'an unknown subject in failed',
      [done('ref-user1'), done('ref-user10')],
      [failure('ref-user2')],
      /it answers for a subject that was not asked about/,
    ],
  ])('GIVEN %s THEN the result is refused (permanent)', (_what, subjects, failed, message) => {
    const parse = () => parseResult({ system: 'crm', subjects, failed }, asked);
    expect(parse).toThrow(ConnectorPermanentError);
    expect(parse).toThrow(message);
  });

  test.each([
    ['a message with spaces and personal data', 'user1@example.com not found'],
    ['an e-mail address', 'user1@example.com'],
    ['a message without spaces', 'customer:C-4711'],
    ['an empty text', ''],
    ['a name longer than 128', `E${'x'.repeat(128)}`],
    ['a name that does not start with a letter', '_Error'],
    ['a number', 42],
  ])('GIVEN a failure whose error is %s THEN the result is refused, naming the path and not the value', (_what, error) => {
    const parse = () => parseResult({ system: 'crm', subjects: [done('ref-user1')], failed: [failure('ref-user10', error)] }, asked);
    expect(parse).toThrow(ConnectorPermanentError);
    expect(parse).toThrow(/failed\[0\]\.error: expected error: /);
    if (typeof error === 'string' && error !== '') expect(parse).not.toThrow(error);
  });

  test.each([
    ['transient missing', { subjectRef: 'ref-user10', error: 'Error' }, /failed\[0\]\.transient: expected transient: true or false/],
    ['transient as text', failure('ref-user10', 'Error', 'yes'), /failed\[0\]\.transient/],
    ['no subjectRef', { error: 'Error', transient: true }, /failed\[0\]\.subjectRef/],
    ['failed not a list', 'ref-user10', /failed: /],
  ])('GIVEN a malformed failure (%s) THEN the result is refused', (_what, bad, message) => {
    const data = { system: 'crm', subjects: [done('ref-user1')], failed: Array.isArray(bad) || typeof bad === 'string' ? bad : [bad] };
    expect(() => parseResult(data, asked)).toThrow(message);
  });

  test('the schema alone accepts a well-formed failure and keeps nothing else of it', () => {
    const parsed = ConnectorResultSchema.parse({
      system: 'crm',
      subjects: [],
      failed: [{ ...failure('ref-user1'), message: 'user1@example.com not found' }],
    });
    expect(parsed.failed).toEqual([failure('ref-user1')]);
  });
});

describe('checkOutcomes', () => {
  const subjects = [{ subjectRef: 'a' }, { subjectRef: 'b' }, { subjectRef: 'c' }];
  test.each([
    ['all as outcomes', ['a', 'b', 'c'], [], undefined],
    ['split between outcomes and failures', ['a', 'c'], ['b'], undefined],
    ['all as failures', [], ['a', 'b', 'c'], undefined],
    ['one in both', ['a', 'b', 'c'], ['b'], /answers twice for subject b/],
    ['one in neither', ['a'], ['b'], /no outcome for subject\(s\) c/],
    ['an extra failure', ['a', 'b', 'c'], ['d'], /not asked about/],
  ])('%s', (_what, outcomes, failed, error) => {
    const check = () =>
      checkOutcomes(
        outcomes.map((subjectRef) => ({ subjectRef })),
        subjects,
        'test result',
        failed.map((subjectRef) => ({ subjectRef })),
      );
    if (error) expect(check).toThrow(error);
    else expect(check).not.toThrow();
  });
});
