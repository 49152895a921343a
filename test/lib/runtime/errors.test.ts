/** lib/runtime/errors.ts: the names are the contract's (ERROR_NAMES), matched by the state machines' Retry and Catch. */
import { ERROR_NAMES } from '../../../lib/core/contract';
import { BodyTooLargeError, ConflictError, RequestNotFoundError, RuntimeTransientError, SealedValueError } from '../../../lib/runtime';
import { describeErrors } from '../../helpers/errors';

describeErrors('lib/runtime/errors.ts', [
  {
    type: RequestNotFoundError,
    name: ERROR_NAMES.notFound,
    make: (cause) => new RequestNotFoundError('r-1', { cause }),
    message: 'no erasure request has id "r-1"',
  },
  {
    type: RuntimeTransientError,
    name: ERROR_NAMES.runtimeTransient,
    make: (cause) => new RuntimeTransientError('DynamoDB answered ThrottlingException', { cause }),
    message: 'DynamoDB answered ThrottlingException',
  },
  {
    type: ConflictError,
    name: 'ConflictError',
    make: (cause) => new ConflictError('the request was extended already', { cause }),
    message: 'the request was extended already',
  },
  {
    type: SealedValueError,
    name: 'SealedValueError',
    make: (cause) => new SealedValueError('the sealed value does not open', { cause }),
    message: 'the sealed value does not open',
  },
  {
    type: BodyTooLargeError,
    name: 'BodyTooLargeError',
    make: (cause) => new BodyTooLargeError(300_000, 262_144, { cause }),
    message: 'the request body is 300000 bytes; at most 262144 bytes are accepted',
  },
]);

it('keeps the request id and the sizes as fields', () => {
  expect(new RequestNotFoundError('r-1')).toMatchObject({ requestId: 'r-1' });
  expect(new BodyTooLargeError(10, 5)).toMatchObject({ size: 10, limit: 5 });
});
