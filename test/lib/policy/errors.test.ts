/** lib/policy/errors.ts */
import { DocumentError } from '../../../lib/core/errors';
import { PolicyValidationError } from '../../../lib/policy';
import { describeErrors } from '../../helpers/errors';

describeErrors('lib/policy/errors.ts', [
  {
    type: DocumentError,
    name: 'PolicyValidationError',
    make: (cause) => new PolicyValidationError([{ file: 'policy.yaml', line: 2, path: 'version', message: 'expected 1 or 2' }], { cause }),
    message: 'policy is invalid (1 error):\npolicy.yaml:2:1: version: expected 1 or 2',
  },
  {
    type: PolicyValidationError,
    name: 'PolicyValidationError',
    make: (cause) => new PolicyValidationError([{ file: '<policy>', path: '', message: 'expected a mapping' }], { cause }),
    message: 'policy is invalid (1 error):\n<policy>: expected a mapping',
  },
]);
