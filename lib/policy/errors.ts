/** The policy package's errors (lib/policy). */
import { DocumentError, type Issue } from '../core/errors';

/** The policy file is invalid. */
export class PolicyValidationError extends DocumentError {
  public constructor(issues: readonly Issue[], options?: { cause?: unknown }) {
    super('policy', issues, options);
    this.name = 'PolicyValidationError';
  }
}
