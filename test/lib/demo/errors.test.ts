/** lib/demo/errors.ts */
import { DemoError } from '../../../lib/demo/errors';
import { describeErrors } from '../../helpers/errors';

describeErrors('lib/demo/errors.ts', [
  {
    type: DemoError,
    name: 'DemoError',
    make: (cause) => new DemoError('step 3: expected 2 holdings, found 1', { cause }),
    message: 'step 3: expected 2 holdings, found 1',
  },
]);
