/**
 * `lethe receipt verify <receipt.json> --public-key <pem>` and `lethe receipt public-key`: signed receipts (issue 19,
 * item 2; docs/receipts.md) of erasure, restriction and access requests alike. Verifying is offline: the receipt and
 * the public key, nothing else (no AWS, no Lethe).
 *
 * Exit codes of `verify`: 0 valid; 1 invalid (or not a receipt), each problem naming the field that does not match;
 * 2 usage error (a missing argument, a file that cannot be read, a public key file that is not a P-256 PEM key).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { LetheError } from '../core/errors';
import { LOCAL_RECEIPT_KEY_FILE, LocalReceiptSigner, publicKeyOf, ReceiptKeyError } from '../core/receipt-signer';

/** Local mode's data directory unless told otherwise (lib/local/start.ts DEFAULT_DATA_DIR; the CLI does not load local mode). */
export const DEFAULT_DATA_DIR = '.lethe';

interface Io {
  readonly stdout: (text: string) => void;
}

/** A file's text; a file that cannot be read is a usage error, naming it and why. */
function readOrUsage(file: string, what: string, usage: (message: string) => never): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return usage(`${what}: cannot read ${file} (${code === 'ENOENT' ? 'no such file' : (code ?? 'unknown error')})`);
  }
}

export function addReceiptCommands(program: Command, io: Io, exitUsage: number): void {
  const receipt = program.command('receipt').description('signed receipts of completed requests (docs/receipts.md)');

  const verify = receipt.command('verify');
  const usage = (message: string): never => verify.error(`error: ${message}`, { exitCode: exitUsage, code: 'lethe.usage' });
  verify
    .description(
      'check a receipt offline with the public key: exit 0 valid, 1 invalid (naming each field that does not match what was signed), 2 usage error',
    )
    .argument('<receipt.json>', 'the receipt, as GET /{erasure,restriction,access}-requests/{requestId}/receipt answered it')
    .requiredOption('--public-key <pem>', 'the public key, a PEM file (`lethe receipt public-key` prints it)')
    .action((file: string, opts: { publicKey: string }) => {
      const pem = readOrUsage(opts.publicKey, '--public-key', usage);
      try {
        publicKeyOf(pem, opts.publicKey);
      } catch (error) {
        if (error instanceof ReceiptKeyError) usage(`--public-key: ${error.message}`);
        throw error;
      }
      const text = readOrUsage(file, '<receipt.json>', usage);
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch (error) {
        throw new LetheError(`${file}: invalid: not JSON (${(error as Error).message})`, { cause: error });
      }
      // Loaded here: the other commands do not need the runtime. `require`: the binary runs through tsx's CommonJS hook.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { verifyReceipt } = require('../runtime/receipts') as typeof import('../runtime/receipts');
      const verdict = verifyReceipt(data, pem);
      if (!verdict.valid) throw new LetheError(`${file}: invalid\n${verdict.problems.map((p) => `  ${p}`).join('\n')}`);
      const { requestId, signature } = data as { requestId?: unknown; signature: { keyId: string } };
      io.stdout(`${file}: valid (request ${String(requestId)}, signed by ${signature.keyId})\n`);
    });

  receipt
    .command('public-key')
    .description(
      "print the PEM public key that verifies receipts: local mode's (its data directory), or with --key-id the stack's KMS key (GetPublicKey)",
    )
    .option('--data-dir <dir>', "local mode's data directory", DEFAULT_DATA_DIR)
    .option('--key-id <id>', 'the KMS key: the stack output ReceiptKeyArn, its key id or an alias')
    .option('--region <region>', "the KMS key's region (default: the AWS SDK's, e.g. AWS_REGION)")
    .option('--profile <name>', "the AWS profile (default: the AWS SDK's, e.g. AWS_PROFILE)")
    .action(async (opts: { dataDir: string; keyId?: string; region?: string; profile?: string }) => {
      if (opts.keyId === undefined) {
        if (opts.region !== undefined || opts.profile !== undefined) {
          receipt.error('error: --region and --profile go with --key-id', { exitCode: exitUsage, code: 'lethe.usage' });
        }
        io.stdout(await LocalReceiptSigner.fromFile(path.join(opts.dataDir, LOCAL_RECEIPT_KEY_FILE)).publicKeyPem());
        return;
      }
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { KMSClient } = require('@aws-sdk/client-kms') as typeof import('@aws-sdk/client-kms');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { KmsReceiptSigner } = require('../runtime/receipts') as typeof import('../runtime/receipts');
      const client = new KMSClient({
        ...(opts.region === undefined ? {} : { region: opts.region }),
        ...(opts.profile === undefined ? {} : { profile: opts.profile }),
      });
      try {
        io.stdout(await new KmsReceiptSigner(client, opts.keyId).publicKeyPem());
      } catch (error) {
        const name = (error as Error).name;
        throw new LetheError(`cannot read the public key of ${opts.keyId}: ${name}: ${(error as Error).message}`, { cause: error });
      } finally {
        client.destroy();
      }
    });
}
