/**
 * lib/local/console.ts: the console line local mode echoes for a function's log line. (The banner and the other
 * log lines are tested in test/lib/local/demo.test.ts.)
 */
import { auditVerifyCommand, banner, type BannerInput, formatLogLine } from '../../../lib/local/console';

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

describe("the banner's console line", () => {
  const input: BannerInput = {
    apiUrl: 'http://127.0.0.1:8787',
    token: 'token-1',
    tokenFile: '.lethe/token',
    policyFile: 'examples/dh-solutions.yaml',
    controller: 'DH Solutions AB',
    purposes: 10,
    systems: { crm: 'dynamodb connector' },
    dataDir: '.lethe',
    persist: false,
    logFile: '.lethe/functions.log',
    endpoints: {},
    startedInMs: 26_000,
    sweepEveryMs: 60_000,
  };

  it("names the DPO console's address right above the API's (issue 18)", () => {
    const lines = banner({ ...input, console: 'http://127.0.0.1:8790' });
    const at = lines.indexOf('  console     http://127.0.0.1:8790   (the DPO console: open it in a browser)');
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toBe('  API         http://127.0.0.1:8787');
  });

  it('has no console line when no console runs', () => {
    expect(banner(input).some((line) => line.startsWith('  console'))).toBe(false);
  });
});

describe("the banner's audit verify command", () => {
  it.each([
    [
      'the bucket alone',
      { bucket: 'lethe-local-audit', s3Endpoint: 'http://127.0.0.1:4569' },
      'npx lethe audit verify --bucket lethe-local-audit --endpoint-url http://127.0.0.1:4569',
    ],
    [
      'with the audit-chain table (its end checked against the head)',
      {
        bucket: 'lethe-local-audit',
        s3Endpoint: 'http://127.0.0.1:4569',
        chain: { table: 'lethe-local-audit-chain', dynamodbEndpoint: 'http://127.0.0.1:8000' },
      },
      'npx lethe audit verify --bucket lethe-local-audit --endpoint-url http://127.0.0.1:4569 --chain-table lethe-local-audit-chain --dynamodb-endpoint-url http://127.0.0.1:8000',
    ],
  ])('GIVEN %s THEN the command as a user types it', (_what, audit, command) => {
    expect(auditVerifyCommand(audit)).toBe(command);
  });
});
