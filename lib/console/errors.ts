/** The DPO console's errors (lib/console). */
import { LetheError } from '../core/errors';

/**
 * The console cannot start or reach what it needs as asked: a port in use, no local mode in the data directory, an
 * API URL that is not one, no region for a deployed API. The message says what to do.
 */
export class ConsoleError extends LetheError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConsoleError';
  }
}

/**
 * A request to the console server that it refuses or cannot answer: answered with `status` (a 4xx, or 502 when the
 * API or the audit bucket cannot be reached) and `{ error: { code, message } }`. The message names what was wrong and
 * never quotes a value from the request (a subject id may be in its path).
 */
export class ConsoleRequestError extends LetheError {
  public constructor(
    public readonly status: number,
    public readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ConsoleRequestError';
  }
}
