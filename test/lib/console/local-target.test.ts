import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ConsoleError } from '../../../lib/console/errors';
import {
  endpointsFile,
  readLocalEndpoints,
  readLocalToken,
  removeLocalEndpoints,
  tokenFile,
  writeLocalEndpoints,
} from '../../../lib/console/local-target';

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'lethe-console-target-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const ENDPOINTS = {
  apiUrl: 'http://127.0.0.1:8787',
  s3Endpoint: 'http://127.0.0.1:40123',
  auditBucket: 'lethe-local-audit',
  policyFile: '/repo/examples/dh-solutions.yaml',
};

describe('the endpoints file of a running local mode', () => {
  it('is read back as written, readable by its owner only, and gone once removed', () => {
    // GIVEN local mode wrote its endpoints
    writeLocalEndpoints(dir, ENDPOINTS);
    // THEN the console reads them back, and the file is 0600 like the token
    expect(readLocalEndpoints(dir)).toEqual(ENDPOINTS);
    expect(statSync(endpointsFile(dir)).mode & 0o777).toBe(0o600);
    // WHEN local mode stops THEN the console says local mode is not running there
    removeLocalEndpoints(dir);
    expect(() => readLocalEndpoints(dir)).toThrow(ConsoleError);
    expect(() => readLocalEndpoints(dir)).toThrow(/no local mode is running with the data directory .*npm start.*--api-url/);
  });

  it("with DynamoDB Local's endpoint and the audit-chain table: read back with them", () => {
    const more = { ...ENDPOINTS, dynamodbEndpoint: 'http://127.0.0.1:40124', auditChainTable: 'lethe-local-audit-chain' };
    writeLocalEndpoints(dir, more);
    expect(readLocalEndpoints(dir)).toEqual(more);
  });

  it('written by an older local mode, without them: still read (the proof page then says the end was not checked)', () => {
    writeFileSync(endpointsFile(dir), JSON.stringify(ENDPOINTS));
    const read = readLocalEndpoints(dir);
    expect(read).toEqual(ENDPOINTS);
    expect(read.dynamodbEndpoint).toBeUndefined();
  });

  it.each([
    ['not JSON', '{', /is not JSON: restart local mode/],
    ['with a dynamodbEndpoint that is no URL', JSON.stringify({ ...ENDPOINTS, dynamodbEndpoint: 'localhost' }), /dynamodbEndpoint: /],
    ['with an empty auditChainTable', JSON.stringify({ ...ENDPOINTS, auditChainTable: '' }), /auditChainTable: /],
    ['without apiUrl', JSON.stringify({ ...ENDPOINTS, apiUrl: undefined }), /apiUrl: .*restart local mode/],
    ['with an apiUrl that is no URL', JSON.stringify({ ...ENDPOINTS, apiUrl: 'here' }), /apiUrl: /],
  ])('a file %s is a ConsoleError naming what is wrong', (_what, text, message) => {
    writeFileSync(endpointsFile(dir), text);
    expect(() => readLocalEndpoints(dir)).toThrow(message);
  });
});

describe('the local token', () => {
  it('is read from <dataDir>/token, trimmed, again on every call (a restart writes a new one)', () => {
    writeFileSync(tokenFile(dir), 'first\n');
    expect(readLocalToken(dir)).toBe('first');
    writeFileSync(tokenFile(dir), 'second\n');
    expect(readLocalToken(dir)).toBe('second');
  });

  it.each([
    ['missing', undefined],
    ['empty', '\n'],
  ])('a %s token file is a ConsoleError naming the file', (_what, text) => {
    if (text !== undefined) writeFileSync(tokenFile(dir), text);
    expect(() => readLocalToken(dir)).toThrow(`no API token in ${tokenFile(dir)}`);
  });
});
