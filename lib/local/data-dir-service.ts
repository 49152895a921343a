/**
 * The services of local mode's data directory (local-mode.ts): the directory itself with its lock (one local Lethe
 * per data directory), and the keys, secrets and API token kept in it.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { LocalModeError } from './errors';
import { lockDataDir } from './data-dir-lock';
import { loadOrCreateKeys, type LocalKmsKey, type LocalSecrets } from './keys';
import { type LocalService, started } from './local-mode';

/** Creates the data directory and proves it can be written; a LocalModeError otherwise. */
export function prepareDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true });
    const probe = path.join(dataDir, `.write-test-${process.pid}`);
    writeFileSync(probe, 'ok');
    unlinkSync(probe);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new LocalModeError(
      `the data directory ${dataDir} cannot be written (${code}): fix its permissions or choose another one (--data-dir, or dataDir)`,
      { cause: error },
    );
  }
}

/** The data directory, created and proved writable, and locked for this process (data-dir-lock.ts) until stopped. */
export class DataDirService implements LocalService {
  public readonly name = 'data directory';
  private release: (() => void) | undefined;

  public constructor(public readonly dataDir: string) {}

  public async start(): Promise<void> {
    prepareDataDir(this.dataDir);
    this.release = lockDataDir(this.dataDir);
  }

  public async stop(): Promise<void> {
    this.release?.();
    this.release = undefined;
  }
}

export interface KeysServiceOptions {
  readonly dataDir: string;
  readonly region: string;
  /** The secret names of the http systems' webhook signing secrets. */
  readonly webhookSecretNames: readonly string[];
}

/**
 * The local KMS key and the secrets (kept in the data directory across runs, keys.ts), and this run's API token,
 * written to `<dataDir>/token` (readable by the owner only).
 */
export class KeysService implements LocalService {
  public readonly name = 'keys';
  public readonly tokenFile: string;
  private keys: { readonly kms: LocalKmsKey; readonly secrets: LocalSecrets; readonly token: string } | undefined;

  public constructor(private readonly options: KeysServiceOptions) {
    this.tokenFile = path.join(options.dataDir, 'token');
  }

  public async start(): Promise<void> {
    const { kms, secrets } = loadOrCreateKeys(this.options.dataDir, this.options.region, this.options.webhookSecretNames);
    const token = randomBytes(24).toString('base64url');
    writeFileSync(this.tokenFile, `${token}\n`, { mode: 0o600 });
    this.keys = { kms, secrets, token };
  }

  public get kms(): LocalKmsKey {
    return started(this.keys, this.name).kms;
  }

  public get secrets(): LocalSecrets {
    return started(this.keys, this.name).secrets;
  }

  public get token(): string {
    return started(this.keys, this.name).token;
  }

  /** The keys stay in the data directory for the next run; nothing to stop. */
  public async stop(): Promise<void> {}
}
