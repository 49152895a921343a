/** `lethe demo`'s errors (lib/demo). */
import { LetheError } from '../core/errors';

/** `lethe demo` saw Lethe do something other than what the policy says it should (the step and the difference). */
export class DemoError extends LetheError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DemoError';
  }
}
