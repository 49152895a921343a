/**
 * lib/local/s3rver.ts: s3rver lists more than 1 000 keys on a Node whose OpenSSL has no single DES (its
 * continuation tokens are DES-encrypted), and the DES it gets is DES.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as crypto from 'node:crypto';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CreateBucketCommand, paginateListObjectsV2, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { loadS3rver, type S3rverInstance } from '../../../lib/local/s3rver';

jest.setTimeout(120_000);

test('single DES is DES: the FIPS 81 known answer, and a round trip', () => {
  // GIVEN s3rver loaded (which makes `des` available when this Node lacks it)
  loadS3rver();
  // WHEN the textbook block (key 133457799BBCDFF1, plaintext 0123456789ABCDEF) is encrypted with des-cbc, zero IV
  const key = Buffer.from('133457799BBCDFF1', 'hex');
  const cipher = crypto.createCipheriv('des', key, Buffer.alloc(8));
  cipher.setAutoPadding(false);
  const block = Buffer.concat([cipher.update(Buffer.from('0123456789ABCDEF', 'hex')), cipher.final()]);
  // THEN the result is DES's known answer
  expect(block.toString('hex')).toBe('85e813540f0ab405');
  // ...and what is encrypted decrypts
  const iv = crypto.randomBytes(8);
  const token = crypto.createCipheriv('des', key, iv);
  const sealed = Buffer.concat([token.update('eu-north-1/bucket/users/a/b.json', 'utf8'), token.final()]);
  const opened = crypto.createDecipheriv('des', key, iv);
  expect(Buffer.concat([opened.update(sealed), opened.final()]).toString('utf8')).toBe('eu-north-1/bucket/users/a/b.json');
  // Other algorithms are untouched
  expect(() => crypto.createCipheriv('aes-256-gcm', Buffer.alloc(32), Buffer.alloc(12))).not.toThrow();
  expect(() => crypto.createCipheriv('des', Buffer.alloc(7), Buffer.alloc(8))).toThrow();
});

test('a bucket of 1 001 objects lists completely, over two pages', async () => {
  // GIVEN s3rver with 1 001 objects in a bucket
  const dir = mkdtempSync(path.join(tmpdir(), 'lethe-s3rver-'));
  const S3rver = loadS3rver();
  const server: S3rverInstance = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir });
  const { port } = await server.run();
  try {
    const s3 = new S3Client({
      region: 'eu-north-1',
      endpoint: `http://127.0.0.1:${port}`,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    await s3.send(new CreateBucketCommand({ Bucket: 'many-keys' }));
    const keys = Array.from({ length: 1001 }, (_, i) => `audit/${String(i + 1).padStart(12, '0')}.json`);
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map((Key) => s3.send(new PutObjectCommand({ Bucket: 'many-keys', Key, Body: '{}' }))));
    }

    // WHEN the bucket is listed page by page (the second page needs s3rver's continuation token)
    const listed: string[] = [];
    let pages = 0;
    for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: 'many-keys' })) {
      pages++;
      listed.push(...(page.Contents ?? []).map((o) => o.Key!));
    }

    // THEN every key is listed once, in order, over two pages
    expect(pages).toBe(2);
    expect(listed).toEqual(keys);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
