/**
 * `lethe audit verify --bucket lethe-local-audit --endpoint-url <s3rver>` works against local mode as documented:
 * no region and no credentials set by hand (issue 20, item 1). The binary runs with every AWS_* variable unset
 * and a HOME without ~/.aws, against s3rver on 127.0.0.1 as local mode starts it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { auditObjectKey, chainRecord, GENESIS_HASH, serialiseRecord } from '../../lib/audit';
import { EXIT } from '../../lib/cli/main';
import { auditVerifyCommand, banner, holdLines } from '../../lib/local/console';
import { loadS3rver, type S3rverInstance } from '../../lib/local/s3rver';
import { tempDir } from '../support/temp-dir';
import { sweepEntry } from '../support/audit-entries';

jest.setTimeout(120_000);

const ROOT = join(__dirname, '..', '..');
const BUCKET = 'lethe-local-audit';

let server: S3rverInstance;
let endpoint: string;
let s3: S3Client;
const records: ReturnType<typeof chainRecord>[] = [];

beforeAll(async () => {
  const S3rver = loadS3rver();
  server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: tempDir('lethe-s3-verify-') });
  const { port } = await server.run();
  endpoint = `http://127.0.0.1:${port}`;
  // The test's own client, with s3rver's keys; the binary gets none.
  s3 = new S3Client({
    region: 'eu-north-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= 3; seq++) {
    const record = chainRecord(sweepEntry(seq), seq, prev);
    records.push(record);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: auditObjectKey(seq), Body: serialiseRecord(record) }));
    prev = record.hash;
  }
});

afterAll(async () => {
  s3?.destroy();
  await server?.close();
});

/**
 * The binary as a newcomer runs it: no AWS_* variable, no ~/.aws. Asynchronously: s3rver runs in this process, and
 * a synchronous spawn would stop it from answering.
 */
function verify(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
  const home = tempDir('lethe-home-');
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'lethe.js'), 'audit', 'verify', ...args], {
    cwd: ROOT,
    env: { ...env, HOME: home, USERPROFILE: home },
    timeout: 60_000,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

describe('lethe audit verify against s3rver on 127.0.0.1, with no region or credentials set', () => {
  it.each([
    ['127.0.0.1', (port: string) => `http://127.0.0.1:${port}`],
    ['localhost', (port: string) => `http://localhost:${port}`],
  ])('an intact chain exits 0 and says intact (endpoint on %s)', async (_, url) => {
    // GIVEN three chained records in the local audit bucket
    // WHEN the documented command runs
    const r = await verify('--bucket', BUCKET, '--endpoint-url', url(new URL(endpoint).port));
    // THEN exit 0, and the report
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: EXIT.ok, stderr: '' });
    expect(r.stdout).toBe(`s3://${BUCKET}/audit/: ok, 3 records, chain intact (last 000000000003.json)\n`);
  });

  it('a broken chain exits 1 and names the break', async () => {
    // GIVEN record 2 edited after it was written (its outcome changed, its hash kept)
    const edited = { ...records[1], outcome: 'nothing-found' as const };
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: auditObjectKey(2), Body: serialiseRecord(edited) }));
    // WHEN verified
    const r = await verify('--bucket', BUCKET, '--endpoint-url', endpoint);
    // THEN exit 1 (a verdict, not an internal error), the first break named
    expect(r.status).toBe(EXIT.badInput);
    expect(r.stderr).toMatch(/^lethe: s3:\/\/lethe-local-audit\/audit\/: chain broken \(/);
    expect(r.stderr).toMatch(/records 1 to 1 are intact/);
    expect(r.stderr).not.toMatch(/internal error/);
  });
});

describe("local mode's banner", () => {
  it('prints the audit bucket and the exact command, with the S3 port, and that command verifies the chain', async () => {
    // GIVEN the banner of local mode with s3rver on this port
    const lines = banner({
      apiUrl: 'http://127.0.0.1:8787',
      token: 'tok',
      tokenFile: '.lethe/token',
      policyFile: 'examples/dh-solutions.yaml',
      controller: 'DH',
      purposes: 1,
      systems: {},
      dataDir: '.lethe',
      persist: false,
      logFile: '.lethe/logs/functions.log',
      endpoints: {},
      startedInMs: 1000,
      sweepEveryMs: false,
      audit: { bucket: BUCKET, s3Endpoint: endpoint },
    });
    // THEN it names the bucket and prints the command with the real port
    const command = `npx lethe audit verify --bucket ${BUCKET} --endpoint-url ${endpoint}`;
    expect(lines).toContain(command);
    expect(lines.join('\n')).toMatch(new RegExp(`bucket ${BUCKET}`));
    expect(auditVerifyCommand({ bucket: BUCKET, s3Endpoint: endpoint })).toBe(command);
    // ...and the command, run as printed (bar `npx lethe`), answers for the chain (intact, or broken by the test above)
    const r = await verify(...command.split(' ').slice(4));
    expect(r.stderr).not.toMatch(/internal error|Region|credential/i);
    expect([EXIT.ok, EXIT.badInput]).toContain(r.status);
    expect(r.stdout + r.stderr).toMatch(/s3:\/\/lethe-local-audit\/audit\/: (ok|chain broken)/);
  });
});

describe("local mode's banner with a held system", () => {
  it('prints the extend line with the token and the release line with the receiver', () => {
    const lines = holdLines({
      apiUrl: 'http://127.0.0.1:8787',
      token: 'tok',
      hold: { receiverUrl: 'http://127.0.0.1:5000', systems: ['newsletter'] },
    });
    expect(lines).toContain(
      `curl -s -H 'Authorization: Bearer tok' -H 'Content-Type: application/json' -X POST http://127.0.0.1:8787/erasure-requests/REQUEST_ID/extend -d '{"months":2,"reason":"The request is complex: a system needs more time."}'`,
    );
    expect(lines).toContain('curl -s -X POST http://127.0.0.1:5000/systems/newsletter/release');
    expect(lines[0]).toMatch(/^# Held: newsletter /);
  });
});

describe('lethe audit verify --help', () => {
  it('says what a loopback endpoint defaults to, and names no port', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'lethe.js'), 'audit', 'verify', '--help'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/127\.0\.0\.1/);
    expect(r.stdout).toMatch(/S3RVER/);
    expect(r.stdout).not.toMatch(/:\d{2,5}\b/);
  });
});
