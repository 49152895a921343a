/**
 * s3rver, local mode's S3 emulator, loaded with one fix: listings of more than 1 000 keys.
 *
 * s3rver (3.7, the last release) encrypts the ListObjectsV2 continuation token with single DES (`des`, CBC).
 * OpenSSL 3, which Node.js 17 and later use, has DES only in its legacy provider, off by default: every listing
 * that needs a continuation token (more than 1 000 keys, e.g. the audit bucket after 1 000 records) fails with
 * InternalError (ERR_OSSL_EVP_UNSUPPORTED), and so do local mode's `auditRecords()` and `verifyAudit()`.
 *
 * The fix: when this Node cannot run `des`/`des-cbc`, a call for it with an 8-byte key is served by two-key
 * triple DES (`des-ede-cbc`) with the key taken twice. Encrypt-decrypt-encrypt with one key is DES itself (the
 * known-answer test in test/lib/local/s3rver.test.ts shows it), so the tokens are exactly those s3rver means to
 * make. Only a call that would otherwise throw is changed; on a Node with DES, nothing is patched.
 */
import * as crypto from 'node:crypto';

export interface S3rverInstance {
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
}

export type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;

/** s3rver's constructor, with single DES available to it (see above). */
export function loadS3rver(): S3rverConstructor {
  installSingleDes();
  // s3rver ships no types.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('s3rver') as S3rverConstructor;
}

const SINGLE_DES = new Set(['des', 'des-cbc']);
let installed = false;

/** Whether this Node's OpenSSL runs single DES (the legacy provider is loaded). */
export function nodeHasSingleDes(): boolean {
  try {
    crypto.createCipheriv('des-cbc', Buffer.alloc(8), Buffer.alloc(8));
    return true;
  } catch {
    return false;
  }
}

/** Serves `des`/`des-cbc` with an 8-byte key by `des-ede-cbc` with the key twice, when this Node lacks DES. */
export function installSingleDes(): void {
  if (installed || nodeHasSingleDes()) return;
  installed = true;
  // The module object s3rver's `require('crypto')` gets: its functions are looked up at call time.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const shared = require('node:crypto') as typeof crypto & Record<string, unknown>;
  const createCipheriv = shared.createCipheriv;
  const createDecipheriv = shared.createDecipheriv;
  const asEde = (algorithm: string, key: crypto.CipherKey): [string, Buffer] | undefined => {
    if (!SINGLE_DES.has(algorithm.toLowerCase()) || !Buffer.isBuffer(key) || key.length !== 8) return undefined;
    return ['des-ede-cbc', Buffer.concat([key, key])];
  };
  shared.createCipheriv = function createCipherivWithDes(algorithm: string, key: crypto.CipherKey, ...rest: unknown[]) {
    const ede = asEde(algorithm, key);
    return (createCipheriv as (...args: unknown[]) => crypto.Cipher)(...(ede ?? [algorithm, key]), ...rest);
  } as typeof crypto.createCipheriv;
  shared.createDecipheriv = function createDecipherivWithDes(algorithm: string, key: crypto.CipherKey, ...rest: unknown[]) {
    const ede = asEde(algorithm, key);
    return (createDecipheriv as (...args: unknown[]) => crypto.Decipher)(...(ede ?? [algorithm, key]), ...rest);
  } as typeof crypto.createDecipheriv;
}
