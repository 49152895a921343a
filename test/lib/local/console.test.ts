/**
 * lib/local/console.ts: the console line local mode echoes for a function's log line. (The banner and the other
 * log lines are tested in test/lib/local/demo.test.ts.)
 */
import { formatLogLine } from '../../../lib/local/console';

describe('formatLogLine', () => {
  it.each([
    [
      'a field the body got wrong',
      { status: 400, code: 'invalid-input', path: 'purpose' },
      '(status=400, code=invalid-input, path=purpose)',
    ],
    [
      'a missing header',
      { status: 400, code: 'invalid-input', path: 'headers.Idempotency-Key' },
      '(status=400, code=invalid-input, path=headers.Idempotency-Key)',
    ],
    ['a refusal with no field', { status: 409, code: 'conflict' }, '(status=409, code=conflict)'],
  ])('a refused request says why (%s): its code and the field, never a value (issue 20, item 8)', (_what, fields, shown) => {
    // GIVEN the API's log line for a refused request (lib/runtime/http.ts logs code and path, never the message)
    const line = JSON.stringify({ level: 'INFO', message: 'request refused', service: 'lethe-api', ...fields });
    // WHEN local mode echoes it
    const echoed = formatLogLine('lethe-local-api', line);
    // THEN the console line names the code and the field
    expect(echoed).toBe(`  [api] INFO request refused ${shown}`);
  });
});
