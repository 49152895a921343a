import { LetheError } from '../core/errors';

/** A strategy was applied with options it cannot work with (no HMAC key, a negative length). A bug or a setup error. */
export class AnonymisationError extends LetheError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AnonymisationError';
  }
}
