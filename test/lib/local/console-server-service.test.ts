import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { endpointsFile, readLocalEndpoints } from '../../../lib/console/local-target';
import { ConsoleServerService } from '../../../lib/local/console-server-service';
import { KeysService } from '../../../lib/local/data-dir-service';
import { loadPolicyFile } from '../../../lib/policy/load';

const POLICY_FILE = path.join(__dirname, '..', '..', '..', 'examples', 'dh-solutions.yaml');
const policy = loadPolicyFile(POLICY_FILE);

let dataDir: string;
let api: Server;
let apiUrl: string;
const authorizations: (string | undefined)[] = [];

beforeAll(async () => {
  api = createServer((req, res) => {
    authorizations.push(req.headers.authorization);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"requests":[]}');
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(api.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((resolve) => api.close(() => resolve())));
beforeEach(() => (dataDir = mkdtempSync(path.join(tmpdir(), 'lethe-console-service-'))));
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

async function service(port: number | false, log: (line: string) => void = () => undefined) {
  const keys = new KeysService({ dataDir, region: 'eu-north-1', webhookSecretNames: [] });
  await keys.start();
  const s = new ConsoleServerService({
    port,
    dataDir,
    policyFile: POLICY_FILE,
    policy,
    keys,
    apiUrl: () => apiUrl,
    s3Endpoint: () => 'http://127.0.0.1:4569',
    auditBucket: 'lethe-local-audit',
    dynamodbEndpoint: () => 'http://127.0.0.1:8000',
    auditChainTable: 'lethe-local-audit-chain',
    log,
  });
  return { s, keys };
}

describe("local mode's console server", () => {
  it("serves the console with this local mode's token, writes the endpoints file, and removes it at stop", async () => {
    // GIVEN the service of a local mode WHEN it starts
    const lines: string[] = [];
    const { s, keys } = await service(0, (line) => lines.push(line));
    await s.start();
    try {
      // THEN lethe console can find this local mode, and the console reaches its API with its token
      expect(readLocalEndpoints(dataDir)).toEqual({
        apiUrl,
        s3Endpoint: 'http://127.0.0.1:4569',
        auditBucket: 'lethe-local-audit',
        policyFile: POLICY_FILE,
        dynamodbEndpoint: 'http://127.0.0.1:8000',
        auditChainTable: 'lethe-local-audit-chain',
      });
      expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${s.url!}/api/requests`)).status).toBe(200);
      expect(authorizations.at(-1)).toBe(`Bearer ${keys.token}`);
      expect(lines).toEqual([expect.stringMatching(/^ {2}\[console\] GET \/api\/requests 200 \d+ ms$/)]);
    } finally {
      // WHEN it stops THEN the file is gone and the port closed
      await s.stop();
    }
    expect(existsSync(endpointsFile(dataDir))).toBe(false);
  });

  it('with no console port: no server, but the endpoints file all the same (for lethe console)', async () => {
    const { s } = await service(false);
    await s.start();
    expect(s.url).toBeUndefined();
    expect(existsSync(endpointsFile(dataDir))).toBe(true);
    await s.stop();
    expect(existsSync(endpointsFile(dataDir))).toBe(false);
  });
});
