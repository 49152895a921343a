/**
 * One table-driven check for a package's errors.ts (issue 17, item 3): each error is a `LetheError` and an instance
 * of its own class, carries a stable `name` (what Step Functions' ErrorEquals and the CLI match), keeps its `cause`
 * without quoting it, and says what it said before the errors moved to their packages.
 */
import { LetheError } from '../../lib/core/errors';

export interface ErrorCase {
  /** The class, for `instanceof`. */
  readonly type: abstract new (...args: never[]) => Error;
  /** The `name` it must carry. */
  readonly name: string;
  /** Builds one, with `cause` as its cause. */
  readonly make: (cause: unknown) => Error;
  /** Its message, exactly. */
  readonly message: string;
}

export function describeErrors(file: string, cases: readonly ErrorCase[]): void {
  describe(file, () => {
    it.each(cases.map((c) => [c.name, c] as const))('%s: a LetheError with its name, its message and its cause', (_, c) => {
      // GIVEN a cause whose message must not leak into the error's own
      const cause = new Error('the cause, which may quote input');
      // WHEN the error is made
      const error = c.make(cause);
      // THEN it is one of Lethe's errors, of its own class, named, and keeps the cause as it was
      expect(error).toBeInstanceOf(LetheError);
      expect(error).toBeInstanceOf(c.type);
      expect(error.name).toBe(c.name);
      expect(error.message).toBe(c.message);
      expect(error.cause).toBe(cause);
      expect(error.message).not.toContain('the cause');
    });
  });
}
