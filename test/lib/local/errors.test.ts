/** lib/local/errors.ts */
import { LocalModeError } from '../../../lib/local/errors';
import { describeErrors } from '../../helpers/errors';

describeErrors('lib/local/errors.ts', [
  {
    type: LocalModeError,
    name: 'LocalModeError',
    make: (cause) => new LocalModeError('port 8080 is in use: pass --port', { cause }),
    message: 'port 8080 is in use: pass --port',
  },
]);
