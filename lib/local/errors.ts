/** Local mode's errors (lib/local). */
import { LetheError } from '../core/errors';

/**
 * Local mode (`npm start`, lib/local) cannot start or run as asked: Java missing or too old, a port in use, a data
 * directory that cannot be written, an emulator that did not come up. The message says what to do.
 */
export class LocalModeError extends LetheError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LocalModeError';
  }
}
