/** The audit trail's errors (lib/audit). A chain that does not verify is a report (verify.ts), not an error. */
import { LetheError } from '../core/errors';

/** The audit chain could not be written (a sequence number could not be claimed), or read back. */
export class AuditChainError extends LetheError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuditChainError';
  }
}
