/**
 * Finding Java for DynamoDB Local: `$JAVA_HOME/bin/java` when JAVA_HOME is set, otherwise `java` on the PATH;
 * version 17 or later (what DynamoDB Local 3 needs). `javac` beside it, when there is one (a JDK rather than
 * a JRE), lets local mode keep DynamoDB Local on 127.0.0.1 (see dynamodb-local.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { LocalModeError } from './errors';

/** The oldest Java that runs DynamoDB Local 3.x. */
export const MIN_JAVA_VERSION = 17;

export const JAVA_INSTALL_HINT =
  'Install a JDK 17 or later, e.g. `sudo apt install openjdk-17-jdk-headless` (Debian/Ubuntu), ' +
  '`brew install openjdk@17` (macOS) or Eclipse Temurin 17 from https://adoptium.net, ' +
  'then put its bin directory on PATH (or set JAVA_HOME) and run `npm start` again.';

export interface JavaInstallation {
  /** The java command. */
  readonly java: string;
  /** The javac command beside it, when the installation is a JDK. */
  readonly javac?: string;
  /** Feature version: 17, 21, ... */
  readonly major: number;
  /** The version text as `java -version` printed it. */
  readonly version: string;
}

/**
 * The major version in `java -version` output: `openjdk version "17.0.15"` → 17, `java version "1.8.0_292"` → 8.
 * Undefined when the text has no version.
 */
export function parseJavaVersion(output: string): { major: number; version: string } | undefined {
  const match = /version "([^"]+)"/.exec(output) ?? /(?:openjdk|java) (\d+(?:\.\d+)*)/i.exec(output);
  if (!match) return undefined;
  const version = match[1];
  const parts = version.split(/[.+_-]/).map((p) => Number.parseInt(p, 10));
  const major = parts[0] === 1 && parts.length > 1 ? parts[1] : parts[0];
  return Number.isInteger(major) ? { major, version } : undefined;
}

export interface FindJavaOptions {
  /** @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Finds Java ≥ 17 or throws a `LocalModeError` that names what to install. */
export function findJava(options: FindJavaOptions = {}): JavaInstallation {
  const env = options.env ?? process.env;
  const home = env.JAVA_HOME;
  const exe = process.platform === 'win32' ? '.exe' : '';
  const java = home ? path.join(home, 'bin', `java${exe}`) : 'java';
  const where = home ? `${java} (from JAVA_HOME)` : '`java` on the PATH';

  const run = spawnSync(java, ['-version'], { encoding: 'utf8', env: { ...env }, timeout: 30_000 });
  if (run.error) {
    const code = (run.error as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' ? `Java was not found (${where})` : `${where} could not be run (${code ?? run.error.message})`;
    throw new LocalModeError(
      `${what}. Local mode runs DynamoDB Local, which needs Java ${MIN_JAVA_VERSION} or later. ${JAVA_INSTALL_HINT}`,
      {
        cause: run.error,
      },
    );
  }
  const output = `${run.stderr ?? ''}\n${run.stdout ?? ''}`;
  const parsed = parseJavaVersion(output);
  if (!parsed) {
    throw new LocalModeError(
      `${where} did not report its version (\`java -version\` printed: ${output.trim().split('\n')[0] ?? ''}). ${JAVA_INSTALL_HINT}`,
    );
  }
  if (parsed.major < MIN_JAVA_VERSION) {
    throw new LocalModeError(
      `${where} is Java ${parsed.version}; DynamoDB Local needs Java ${MIN_JAVA_VERSION} or later. ${JAVA_INSTALL_HINT}`,
    );
  }
  return { java, javac: findJavac(java, env), major: parsed.major, version: parsed.version };
}

/** `javac` next to `java` (a JDK), or on the PATH when `java` is. */
function findJavac(java: string, env: Readonly<Record<string, string | undefined>>): string | undefined {
  const exe = process.platform === 'win32' ? '.exe' : '';
  const candidate = java === 'java' ? `javac${exe}` : path.join(path.dirname(java), `javac${exe}`);
  if (candidate !== `javac${exe}` && !existsSync(candidate)) return undefined;
  const run = spawnSync(candidate, ['-version'], { encoding: 'utf8', env: { ...env }, timeout: 30_000 });
  return run.error || run.status !== 0 ? undefined : candidate;
}
