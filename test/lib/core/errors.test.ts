/** lib/core/errors.ts: the base and the errors every layer shares. */
import {
  DocumentError,
  FileError,
  formatIssue,
  InputError,
  type Issue,
  issueCount,
  LetheError,
  RuntimeConfigError,
} from '../../../lib/core/errors';
import { describeErrors } from '../../helpers/errors';

const issues: Issue[] = [
  { file: 'policy.yaml', line: 3, column: 5, path: 'purposes.orders', message: 'expected a retention' },
  { file: 'policy.yaml', path: '', message: 'more problems', omitted: 2 },
];

describeErrors('lib/core/errors.ts', [
  { type: LetheError, name: 'LetheError', make: (cause) => new LetheError('went wrong', { cause }), message: 'went wrong' },
  {
    type: DocumentError,
    name: 'DocumentError',
    make: (cause) => new DocumentError('holdings file', issues, { cause }),
    message: 'holdings file is invalid (3 errors):\npolicy.yaml:3:5: purposes.orders: expected a retention\npolicy.yaml: more problems',
  },
  {
    type: InputError,
    name: 'InputError',
    make: (cause) => new InputError('expected an ISO instant', { path: 'now', cause }),
    message: 'now: expected an ISO instant',
  },
  { type: FileError, name: 'FileError', make: (cause) => new FileError('cannot read x.yaml', { cause }), message: 'cannot read x.yaml' },
  {
    type: RuntimeConfigError,
    name: 'RuntimeConfigError',
    make: (cause) => new RuntimeConfigError('the HMAC secret is empty', { cause }),
    message: 'the HMAC secret is empty',
  },
]);

describe('issues', () => {
  it('formats an issue as file:line:column: path: message, and counts the ones a cap left out', () => {
    // GIVEN one located issue and one line standing for two omitted ones
    // WHEN they are formatted and counted, THEN editors can jump to the first and the count includes the omitted
    expect(formatIssue(issues[0])).toBe('policy.yaml:3:5: purposes.orders: expected a retention');
    expect(issueCount(issues)).toBe(3);
  });

  it('keeps the path of the offending value on an InputError', () => {
    expect(new InputError('bad', { path: 'a.b' })).toMatchObject({ path: 'a.b', message: 'a.b: bad' });
  });
});
