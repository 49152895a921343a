/** lib/audit/errors.ts */
import { AuditChainError } from '../../../lib/audit';
import { describeErrors } from '../../helpers/errors';

describeErrors('lib/audit/errors.ts', [
  {
    type: AuditChainError,
    name: 'AuditChainError',
    make: (cause) => new AuditChainError('sequence number 7 could not be claimed', { cause }),
    message: 'sequence number 7 could not be claimed',
  },
]);
