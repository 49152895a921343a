import { LetheError } from '../../../lib/core/errors';
import { ConsoleError, ConsoleRequestError } from '../../../lib/console/errors';

describe('console errors', () => {
  it.each<[string, LetheError]>([
    ['ConsoleError', new ConsoleError('port 8790 on 127.0.0.1 is in use', { cause: new Error('EADDRINUSE') })],
    ['ConsoleRequestError', new ConsoleRequestError(400, 'invalid-input', 'lang: expected one of en, sv', { cause: 'x' })],
  ])('%s is a LetheError with its name and cause', (name, error) => {
    // GIVEN an error of the console WHEN inspected THEN the CLI prints it as a LetheError, with its name and cause kept
    expect(error).toBeInstanceOf(LetheError);
    expect(error.name).toBe(name);
    expect(error.cause).toBeDefined();
  });

  it('a request error carries the status and code the server answers with', () => {
    const error = new ConsoleRequestError(405, 'method-not-allowed', 'DELETE is not allowed here');
    expect([error.status, error.code, error.message]).toEqual([405, 'method-not-allowed', 'DELETE is not allowed here']);
  });
});
