/**
 * Local mode in a child process, as a user runs it (`npm start` is `tsx bin/local.ts`), so that a test can kill it
 * the hard way. The child is the leader of its own process group: SIGKILL to the group takes DynamoDB Local's
 * Java process with it (and the launcher exits anyway when its standard input closes). Its endpoints come from
 * the banner it prints; its token from the data directory.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Api, Clients } from './subjects';

const REPO = path.resolve(__dirname, '..', '..', '..');
const TSX = path.join(REPO, 'node_modules', '.bin', 'tsx');
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface ChildLocal {
  readonly pid: number;
  readonly apiUrl: string;
  readonly endpoints: { readonly dynamodb: string; readonly s3: string };
  readonly clients: Clients;
  readonly api: Api;
  /** What it printed so far. */
  output(): string;
  /** SIGKILL to its whole process group; resolves once the child is gone. */
  kill(): Promise<void>;
  /** SIGINT (Ctrl-C), as a user stops it; resolves with its exit code. */
  stop(): Promise<number | null>;
}

export async function startChildLocal(options: {
  readonly policyFile: string;
  readonly dataDir: string;
  readonly args: readonly string[];
  readonly startTimeoutMs?: number;
}): Promise<ChildLocal> {
  const child: ChildProcess = spawn(
    TSX,
    ['bin/local.ts', '--policy', options.policyFile, '--port', '0', '--data-dir', options.dataDir, '--persist', '--quiet', ...options.args],
    {
      cwd: REPO,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    },
  );
  let printed = '';
  child.stdout!.on('data', (chunk: Buffer) => (printed += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (printed += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const pid = child.pid!;

  try {
    return await connect(child, pid, options, () => printed, exited);
  } catch (error) {
    // Never leave a half-started local mode behind.
    killGroup(pid);
    await exited;
    throw error;
  }
}

async function connect(
  child: ChildProcess,
  pid: number,
  options: { readonly dataDir: string; readonly startTimeoutMs?: number },
  output: () => string,
  exited: Promise<number | null>,
): Promise<ChildLocal> {
  let printed = output();
  const started = Date.now();
  const timeoutMs = options.startTimeoutMs ?? 180_000;
  // The banner comes in pieces: wait for its last endpoint line.
  while (!/^\s+receiver\s+http:/m.test(printed)) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`local mode exited before it was ready:\n${printed}`);
    if (Date.now() - started > timeoutMs) throw new Error(`local mode was not ready within ${timeoutMs} ms:\n${printed}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    printed = output();
  }
  const endpoint = (label: string) => {
    const match = new RegExp(`^\\s+${label}\\s+(http://127\\.0\\.0\\.1:\\d+)`, 'm').exec(printed);
    if (!match) throw new Error(`the banner names no ${label} endpoint:\n${printed}`);
    return match[1];
  };
  const apiUrl = endpoint('API');
  const endpoints = { dynamodb: endpoint('DynamoDB'), s3: endpoint('S3') };
  const token = readFileSync(path.join(options.dataDir, 'token'), 'utf8').trim();
  const dynamodb = new DynamoDBClient({ region: 'eu-north-1', endpoint: endpoints.dynamodb, credentials: CREDENTIALS });
  const s3 = new S3Client({
    region: 'eu-north-1',
    endpoint: endpoints.s3,
    forcePathStyle: true,
    credentials: CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const documents = DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });

  return {
    pid,
    apiUrl,
    endpoints,
    clients: { dynamodb, documents, s3 },
    async api(method, apiPath, body, headers = {}) {
      const response = await fetch(`${apiUrl}${apiPath}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON
      }
      return { status: response.status, body: parsed };
    },
    output,
    async kill() {
      killGroup(pid);
      await exited;
      dynamodb.destroy();
      s3.destroy();
    },
    async stop() {
      child.kill('SIGINT');
      const code = await exited;
      dynamodb.destroy();
      s3.destroy();
      return code;
    },
  };
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Processes (pid and command line) whose command line names `text`: what is left of a local mode on a data directory. */
export function processesNaming(text: string): { pid: number; args: string }[] {
  const listing = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return listing
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null && m[2].includes(text) && Number(m[1]) !== process.pid)
    .filter((m) => !m[2].startsWith('ps '))
    .map((m) => ({ pid: Number(m[1]), args: m[2] }));
}
