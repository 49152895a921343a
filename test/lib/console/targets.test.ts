import { deployedTarget, localTarget } from '../../../lib/console/targets';

const credentials = () => Promise.resolve({ accessKeyId: 'AKID', secretAccessKey: 'secret' });

describe('what the console talks to', () => {
  it('local mode: its API and its audit bucket in s3rver', () => {
    const target = localTarget({
      apiUrl: 'http://127.0.0.1:8787',
      token: () => 't',
      s3Endpoint: 'http://127.0.0.1:4569',
      auditBucket: 'lethe-local-audit',
    });
    expect(target.api.description).toBe('http://127.0.0.1:8787/');
    expect(target.audit!().description).toBe('s3://lethe-local-audit/audit/');
    expect(target.description).toBe("local mode's API http://127.0.0.1:8787, audit s3://lethe-local-audit on http://127.0.0.1:4569");
  });

  it.each([
    [
      { apiUrl: 'https://a1.execute-api.eu-north-1.amazonaws.com/prod' },
      'https://a1.execute-api.eu-north-1.amazonaws.com/prod in eu-north-1 (SigV4), no audit bucket (--audit-bucket)',
      false,
    ],
    [
      { apiUrl: 'https://api.example.se/prod', region: 'eu-central-1', profile: 'dpo', auditBucket: 'lethe-audit-1' },
      'https://api.example.se/prod in eu-central-1 (SigV4, profile dpo), audit s3://lethe-audit-1',
      true,
    ],
  ])('a deployed stack %j: %s', (options, description, audit) => {
    const target = deployedTarget({ ...options, credentials });
    expect(target.description).toBe(description);
    expect(target.audit !== undefined).toBe(audit);
    if (audit) expect(target.audit!().description).toBe('s3://lethe-audit-1/audit/');
  });

  it('a deployed stack without a region anywhere: a ConsoleError asking for --region', () => {
    expect(() => deployedTarget({ apiUrl: 'https://api.example.se/prod', credentials })).toThrow(/give --region/);
  });
});
