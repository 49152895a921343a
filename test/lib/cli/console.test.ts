import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import { addConsoleCommand } from '../../../lib/cli/console';
import { runAsync } from '../../../lib/cli/main';
import { tokenFile, writeLocalEndpoints } from '../../../lib/console/local-target';

const POLICY = path.join(__dirname, '..', '..', '..', 'examples', 'dh-solutions.yaml');

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) }, out, err };
}

describe('lethe console: usage errors exit 2, each naming what is wrong', () => {
  it.each([
    [['console', '--port', 'x'], /--port <port>' argument 'x' is invalid\. expected a whole number from 0 to 65535/],
    [['console', '--port', '70000'], /expected a whole number from 0 to 65535, got "70000"/],
    [['console', '--api-url', 'https://a.execute-api.eu-north-1.amazonaws.com/prod'], /--api-url needs --policy <file>/],
    [['console', '--api-url', 'https://a.example', '--policy', POLICY, '--data-dir', '.lethe'], /give either --api-url or --data-dir/],
    [['console', '--profile', 'dpo'], /--profile and --region go with --api-url/],
    [['console', '--region', 'eu-north-1'], /--profile and --region go with --api-url/],
    [['console', '--no-such-option'], /unknown option '--no-such-option'/],
  ])('%j', async (argv, message) => {
    const { io, err } = capture();
    expect(await runAsync(argv, io)).toBe(2);
    expect(err.join('')).toMatch(message);
  });
});

describe('lethe console: what cannot work exits 1 with the reason', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'lethe-cli-console-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('no local mode in the data directory: says how to start it', async () => {
    const { io, err } = capture();
    expect(await runAsync(['console', '--data-dir', dir, '--port', '0'], io)).toBe(1);
    expect(err.join('')).toMatch(/no local mode is running with the data directory .*start it with npm start/);
  });

  it('--audit-chain-table for a local mode whose endpoints file names no DynamoDB endpoint: says to restart it', async () => {
    writeLocalEndpoints(dir, { apiUrl: 'http://127.0.0.1:1', s3Endpoint: 'http://127.0.0.1:1', auditBucket: 'a', policyFile: POLICY });
    const { io, err } = capture();
    expect(await runAsync(['console', '--data-dir', dir, '--port', '0', '--audit-chain-table', 't'], io)).toBe(1);
    expect(err.join('')).toMatch(/--audit-chain-table: .*endpoints\.json names no DynamoDB endpoint .*restart local mode/);
  });

  it('a deployed API without a region in its URL: asks for --region', async () => {
    const { io, err } = capture();
    expect(await runAsync(['console', '--api-url', 'https://api.example.se/prod', '--policy', POLICY, '--port', '0'], io)).toBe(1);
    expect(err.join('')).toMatch(/no region for https:\/\/api\.example\.se\/prod.*give --region/);
  });
});

describe('lethe console with local mode', () => {
  let dir: string;
  let api: Server;
  const received: { url: string; headers: IncomingHttpHeaders }[] = [];
  beforeAll(async () => {
    api = createServer((req, res) => {
      received.push({ url: req.url!, headers: req.headers });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"requests":[]}');
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => api.close(() => resolve())));
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'lethe-cli-console-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the API and token in the data directory, serves until stopped, then says Stopped.', async () => {
    // GIVEN local mode's files in a data directory
    writeLocalEndpoints(dir, {
      apiUrl: `http://127.0.0.1:${(api.address() as { port: number }).port}`,
      s3Endpoint: 'http://127.0.0.1:1',
      auditBucket: 'lethe-local-audit',
      policyFile: POLICY,
    });
    writeFileSync(tokenFile(dir), 'local-token\n');
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    let listening!: (url: string) => void;
    const url = new Promise<string>((resolve) => (listening = resolve));
    const { io, out } = capture();
    const program = new Command('lethe').exitOverride();
    addConsoleCommand(program, io, 2, { waitForStop: () => stopped, onListening: (u) => listening(u) });

    // WHEN the console runs
    const running = program.parseAsync(['console', '--data-dir', dir, '--port', '0'], { from: 'user' });
    const base = await url;
    const requests = await fetch(`${base}/api/requests?status=open`);
    const policy = (await (await fetch(`${base}/console-api/policy`)).json()) as { controller: string };
    stop();
    await running;

    // THEN the browser's call reached local mode's API with its token, and the policy is local mode's
    expect(requests.status).toBe(200);
    expect(received.map((r) => [r.url, r.headers.authorization])).toEqual([['/requests?status=open', 'Bearer local-token']]);
    expect(policy.controller).toBe('DH Solutions AB');
    const text = out.join('');
    expect(text).toMatch(/^Lethe console: http:\/\/127\.0\.0\.1:\d+ {3}\(open it in a browser; 127\.0\.0\.1 only\)\n/);
    expect(text).toContain('  GET /api/requests 200 ');
    expect(text).not.toContain('status=open');
    expect(text.endsWith('Stopped.\n')).toBe(true);
  });

  it.each([
    ['local mode that wrote its audit-chain table', [], true, ', head in lethe-local-audit-chain on http://127.0.0.1:2'],
    ['local mode, --audit-chain-table naming another', ['--audit-chain-table', 'other'], true, ', head in other on http://127.0.0.1:2'],
    ['an older local mode (no table in its file)', [], false, ', no audit-chain table'],
    [
      'a deployed stack with --audit-chain-table',
      [
        '--api-url',
        'https://a1.execute-api.eu-north-1.amazonaws.com/prod',
        '--policy',
        POLICY,
        '--audit-bucket',
        'b',
        '--audit-chain-table',
        'T',
      ],
      false,
      ', audit s3://b, head in T',
    ],
  ])('%s: the start message says where the head is read', async (_what, args, withTable, said) => {
    writeLocalEndpoints(dir, {
      apiUrl: `http://127.0.0.1:${(api.address() as { port: number }).port}`,
      s3Endpoint: 'http://127.0.0.1:1',
      auditBucket: 'lethe-local-audit',
      policyFile: POLICY,
      ...(withTable ? { dynamodbEndpoint: 'http://127.0.0.1:2', auditChainTable: 'lethe-local-audit-chain' } : {}),
    });
    writeFileSync(tokenFile(dir), 'local-token\n');
    let listening!: (url: string) => void;
    const url = new Promise<string>((resolve) => (listening = resolve));
    const { io, out } = capture();
    const program = new Command('lethe').exitOverride();
    addConsoleCommand(program, io, 2, { waitForStop: () => url.then(() => undefined), onListening: (u) => listening(u) });
    const local = args.includes('--api-url') ? [] : ['--data-dir', dir];
    await program.parseAsync(['console', ...local, '--port', '0', ...args], { from: 'user' });
    const apiLine = out.join('').split('\n')[1];
    expect(apiLine.startsWith('  API ')).toBe(true);
    expect(apiLine.endsWith(said)).toBe(true);
  });
});
