/**
 * The emulators of the isolation property (test/reliability/isolation.property.test.ts), each started once per
 * file: DynamoDB Local (lib/local/dynamodb-local.ts: 127.0.0.1, a free port, in memory) and s3rver (127.0.0.1, a
 * free port, a temporary directory), with clients built the way local mode builds them (lib/local/start.ts):
 * path-style S3, checksums only when required, the emulators' fake credentials (never the user's ~/.aws).
 *
 * s3rver runs in a Node.js process of its own (local mode runs it in-process): it does as much work per request as
 * the test itself, and this way the two use both cores of a small machine.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type DynamoDbLocal, startDynamoDbLocal, stopChild } from '../../../lib/local/dynamodb-local';
import { findJava, type JavaInstallation } from '../../../lib/local/java';

const REGION = 'eu-north-1';
/** What s3rver accepts; DynamoDB Local accepts anything. Fake, never a real key. */
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** s3rver on 127.0.0.1, a free port; prints its port, and stops when its standard input closes. */
const S3RVER_PROCESS = `
const S3rver = require(process.argv[1]);
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: process.argv[2] });
server.run().then(
  ({ port }) => process.stdout.write('S3RVER_PORT=' + port + '\\n'),
  (error) => { process.stderr.write(String(error && error.stack || error)); process.exit(1); },
);
process.stdin.on('end', () => server.close().finally(() => process.exit(0)));
process.stdin.resume();
`;

export interface Emulators {
  /** Raw AttributeValues in and out: what the test seeds and reads back. */
  readonly dynamodb: DynamoDBClient;
  /** The document client the DynamoDB connector is given (as lib/connectors/clients.ts builds it). */
  readonly documents: DynamoDBDocumentClient;
  readonly s3: S3Client;
  stop(): Promise<void>;
}

/** Set to `1` to skip the isolation property on a machine without Java, knowingly (docs/reliability.md). */
export const SKIP_JAVA_TESTS_ENV = 'LETHE_SKIP_JAVA_TESTS';

/**
 * Java 17+ for DynamoDB Local. Without it the isolation property fails, with a message that says what to install,
 * rather than skipping in silence (a CI machine without Java would otherwise pass without testing isolation); with
 * LETHE_SKIP_JAVA_TESTS=1 it answers undefined, and the property is skipped.
 */
export function javaForIsolation(
  env: Readonly<Record<string, string | undefined>> = process.env,
  find: (options: { env: Readonly<Record<string, string | undefined>> }) => JavaInstallation = findJava,
): JavaInstallation | undefined {
  try {
    return find({ env });
  } catch (error) {
    if (env[SKIP_JAVA_TESTS_ENV] === '1') return undefined;
    throw new Error(
      `the isolation property needs Java 17 or later (DynamoDB Local): ${(error as Error).message} To skip it knowingly, set ${SKIP_JAVA_TESTS_ENV}=1.`,
      { cause: error },
    );
  }
}

export async function startEmulators(java: JavaInstallation): Promise<Emulators> {
  // s3rver keeps every object in files: in memory (/dev/shm) where there is such a file system, it costs less.
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const directory = mkdtempSync(path.join(base, 'lethe-isolation-s3-'));
  const s3rver = spawn(process.execPath, ['-e', S3RVER_PROCESS, require.resolve('s3rver'), directory], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const killOnExit = () => s3rver.kill('SIGKILL');
  process.once('exit', killOnExit);
  let dynamo: DynamoDbLocal | undefined;
  const stopAll = async () => {
    process.removeListener('exit', killOnExit);
    await Promise.allSettled([dynamo?.stop(), stopChild(s3rver)]);
    rmSync(directory, { recursive: true, force: true });
  };
  try {
    const [local, s3Port] = await Promise.all([startDynamoDbLocal({ java }), portOf(s3rver, 60_000)]);
    dynamo = local;
    const dynamodb = new DynamoDBClient({ region: REGION, endpoint: dynamo.endpoint, credentials: CREDENTIALS });
    const documents = DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });
    const s3 = new S3Client({
      region: REGION,
      endpoint: `http://127.0.0.1:${s3Port}`,
      forcePathStyle: true,
      credentials: CREDENTIALS,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    return {
      dynamodb,
      documents,
      s3,
      async stop() {
        dynamodb.destroy();
        s3.destroy();
        await stopAll();
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The port s3rver printed, once it listens. */
function portOf(child: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => done(new Error(`s3rver did not start within ${timeoutMs / 1000} s: ${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /S3RVER_PORT=(\d+)/.exec(output);
      if (match) done(undefined, Number(match[1]));
    };
    const onExit = (code: number | null) => done(new Error(`s3rver exited before it listened (exit code ${code}): ${output}`));
    const done = (error?: Error, port?: number) => {
      clearTimeout(timer);
      child.stdout?.removeListener('data', onData);
      child.stderr?.removeListener('data', onData);
      child.removeListener('exit', onExit);
      // Keep draining its output (silent, but a full pipe would block it).
      child.stdout?.resume();
      child.stderr?.resume();
      if (error) reject(error);
      else resolve(port!);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}
