/**
 * lib/cli/receipt.ts: `lethe receipt verify` exits 0 for a valid receipt, 1 for an altered one naming the field, 2 for
 * a usage error; `lethe receipt public-key` prints local mode's key from the data directory, or the KMS key's
 * (GetPublicKey, aws-sdk-client-mock).
 */
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { GetPublicKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { runAsync } from '../../../lib/cli/main';
import { LOCAL_RECEIPT_KEY_FILE, loadOrCreateLocalReceiptKey } from '../../../lib/core/receipt-signer';
import { type Receipt, RECEIPT_FORMAT, signReceipt } from '../../../lib/runtime/receipts';
import { tempDir } from '../../support/temp-dir';

const dir = tempDir('lethe-receipt-cli-');
const signer = loadOrCreateLocalReceiptKey(path.join(dir, LOCAL_RECEIPT_KEY_FILE));
let receipt: Receipt;
const pemFile = path.join(dir, 'public.pem');

beforeAll(async () => {
  writeFileSync(pemFile, await signer.publicKeyPem());
  receipt = await signReceipt(
    {
      format: RECEIPT_FORMAT,
      requestId: 'r-1',
      kind: 'erasure',
      subject: 'a'.repeat(64),
      policyHash: 'b'.repeat(64),
      receivedAt: '2025-03-01T11:00:00+01:00',
      deadline: '2025-04-01T11:00:00+02:00',
      completedAt: '2025-03-01T11:05:00+01:00',
      systems: [
        {
          system: 'crm',
          action: 'delete',
          outcome: 'erased',
          purposes: ['marketing'],
          counts: { records: 1, fields: 0, objects: 0 },
          verification: 'not-performed',
          auditRecord: { seq: 3, hash: 'c'.repeat(64) },
        },
      ],
      retained: [],
    },
    signer,
  );
});

async function lethe(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runAsync(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

const write = (name: string, value: unknown): string => {
  const file = path.join(dir, name);
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  return file;
};

describe('lethe receipt verify', () => {
  it('exits 0 for a valid receipt, naming the request and the key', async () => {
    const file = write('valid.json', receipt);
    const { code, stdout } = await lethe('receipt', 'verify', file, '--public-key', pemFile);
    expect(code).toBe(0);
    expect(stdout).toBe(`${file}: valid (request r-1, signed by ${receipt.signature.keyId})\n`);
  });

  it.each([
    ['an outcome changed', (r: any) => (r.systems[0].outcome = 'retained'), 'systems[0] (system crm): does not match what was signed'],
    ['one character of the subject changed', (r: any) => (r.subject = `b${r.subject.slice(1)}`), 'subject: does not match what was signed'],
  ])('exits 1 for a receipt with %s, naming the field', async (_name, change, problem) => {
    const copy = JSON.parse(JSON.stringify(receipt));
    change(copy);
    const file = write('altered.json', copy);
    const { code, stderr } = await lethe('receipt', 'verify', file, '--public-key', pemFile);
    expect(code).toBe(1);
    expect(stderr).toBe(`lethe: ${file}: invalid\n  ${problem}\n`);
  });

  // The receipts of the other kinds (issue 19, item 2): the same verify, a one-byte change refused.
  describe.each([
    ['restriction', 'restrict', 'restricted', { restriction: { until: '2025-09-01T00:00:00+02:00', keep: true } }],
    ['access', 'export', 'exported', {}],
  ] as const)('a %s request’s receipt', (kind, action, outcome, extra) => {
    let signed: Receipt;
    beforeAll(async () => {
      const { signature: _erasures, ...body } = receipt;
      signed = await signReceipt(
        {
          ...body,
          requestId: `r-${kind}`,
          kind,
          ...extra,
          systems: [{ ...receipt.systems[0], system: 'newsletter', action, outcome }],
        },
        signer,
      );
    });

    it('exits 0 as it was signed', async () => {
      const { code, stdout } = await lethe('receipt', 'verify', write(`${kind}.json`, signed), '--public-key', pemFile);
      expect({ code, stdout }).toEqual({ code: 0, stdout: expect.stringContaining(`valid (request r-${kind}, signed by`) });
    });

    it('exits 1 with one byte of the file changed (a letter of the action), naming the entry', async () => {
      const text = JSON.stringify(signed, null, 2);
      const at = text.indexOf(`"action": "${action}"`) + '"action": "'.length;
      const bytes = Buffer.from(text, 'utf8');
      bytes[at] ^= 0x01; // r -> s, e -> d: still a letter, still JSON
      const file = write(`${kind}-altered.json`, bytes.toString('utf8'));
      expect(bytes.toString('utf8')).not.toBe(text);
      const { code, stderr } = await lethe('receipt', 'verify', file, '--public-key', pemFile);
      expect(code).toBe(1);
      expect(stderr).toBe(`lethe: ${file}: invalid
  systems[0] (system newsletter): does not match what was signed
`);
    });
  });

  it('exits 1 for a file that is not JSON', async () => {
    const file = write('broken.json', '{"requestId":');
    const { code, stderr } = await lethe('receipt', 'verify', file, '--public-key', pemFile);
    expect(code).toBe(1);
    expect(stderr).toMatch(/invalid: not JSON/);
  });

  it('exits 1 for a receipt checked with another key, naming the key', async () => {
    const other = write('other.pem', generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }));
    const { code, stderr } = await lethe('receipt', 'verify', write('valid.json', receipt), '--public-key', other);
    expect(code).toBe(1);
    expect(stderr).toMatch(/signature\.keyId: signed by key "sha256:[0-9a-f]{64}", but the public key given is sha256:/);
  });

  it.each([
    ['no --public-key', () => ['receipt', 'verify', write('valid.json', receipt)], /required option '--public-key <pem>'/],
    [
      'a public key file that does not exist',
      () => ['receipt', 'verify', write('valid.json', receipt), '--public-key', '/nonexistent.pem'],
      /--public-key: cannot read \/nonexistent\.pem \(no such file\)/,
    ],
    [
      'a public key file that is no key',
      () => ['receipt', 'verify', write('valid.json', receipt), '--public-key', write('no.pem', 'hello')],
      /--public-key: .* is not a PEM public key/,
    ],
    [
      'a receipt file that does not exist',
      () => ['receipt', 'verify', '/nonexistent.json', '--public-key', pemFile],
      /cannot read \/nonexistent\.json/,
    ],
  ])('exits 2 for %s', async (_name, args, message) => {
    const { code, stderr } = await lethe(...args());
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });
});

describe('lethe receipt public-key', () => {
  it("prints local mode's public key from the data directory, which verifies the receipts it signed", async () => {
    const { code, stdout } = await lethe('receipt', 'public-key', '--data-dir', dir);
    expect(code).toBe(0);
    expect(stdout).toBe(await signer.publicKeyPem());
  });

  it('exits 1 naming the file when the data directory has no key', async () => {
    const empty = tempDir('lethe-receipt-empty-');
    const { code, stderr } = await lethe('receipt', 'public-key', '--data-dir', empty);
    expect(code).toBe(1);
    expect(stderr).toContain(`no receipt key at ${path.join(empty, LOCAL_RECEIPT_KEY_FILE)}`);
  });

  it("with --key-id: GetPublicKey of the stack's key, in the region given", async () => {
    const kms = mockClient(KMSClient);
    try {
      const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      kms.on(GetPublicKeyCommand).resolves({
        KeySpec: 'ECC_NIST_P256',
        KeyUsage: 'SIGN_VERIFY',
        PublicKey: keys.publicKey.export({ type: 'spki', format: 'der' }),
      });
      const arn = 'arn:aws:kms:eu-north-1:111111111111:key/1234';
      const { code, stdout } = await lethe('receipt', 'public-key', '--key-id', arn, '--region', 'eu-north-1');
      expect(code).toBe(0);
      expect(stdout).toBe(keys.publicKey.export({ type: 'spki', format: 'pem' }));
      expect(kms.commandCalls(GetPublicKeyCommand)[0].args[0].input).toEqual({ KeyId: arn });
      expect(await kms.call(0).thisValue.config.region()).toBe('eu-north-1');
    } finally {
      kms.restore();
    }
  });

  it('exits 2 for --region without --key-id', async () => {
    const { code, stderr } = await lethe('receipt', 'public-key', '--data-dir', dir, '--region', 'eu-north-1');
    expect(code).toBe(2);
    expect(stderr).toMatch(/--region and --profile go with --key-id/);
  });
});
