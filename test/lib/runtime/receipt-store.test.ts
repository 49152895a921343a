/**
 * lib/runtime/receipt-store.ts: receipts in the audit bucket under receipts/<requestId>.json (aws-sdk-client-mock):
 * written once with If-None-Match: * (and the audit records' Object Lock retention when configured), a receipt stored
 * before answered instead of a second one, a missing key read as none.
 */
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { RuntimeTransientError } from '../../../lib/runtime/errors';
import { RECEIPT_PREFIX, receiptKeyOf, ReceiptStore } from '../../../lib/runtime/receipt-store';
import type { Receipt } from '../../../lib/runtime/receipts';

const BUCKET = 'lethe-audit';
const s3 = mockClient(S3Client);
afterEach(() => s3.reset());
afterAll(() => s3.restore());

const receipt = (requestId: string, value = 'sig-1') => ({ requestId, kind: 'access', signature: { value } }) as unknown as Receipt;
/** An object's body as the SDK gives it (what the store reads: transformToString). */
const body = (text: string) => ({ transformToString: async () => text }) as never;
const s3Error = (name: string, status: number) =>
  new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: name });
const store = (props: Partial<ConstructorParameters<typeof ReceiptStore>[0]> = {}) =>
  new ReceiptStore({ client: new S3Client({ region: 'eu-north-1' }), bucket: BUCKET, ...props });

describe('receiptKeyOf', () => {
  it('is receipts/<requestId>.json: the request id only, no personal data', () => {
    expect(RECEIPT_PREFIX).toBe('receipts/');
    expect(receiptKeyOf('0b5c1d2e-aaaa-bbbb-cccc-0123456789ab')).toBe('receipts/0b5c1d2e-aaaa-bbbb-cccc-0123456789ab.json');
  });
});

describe('putOnce', () => {
  it('GIVEN no receipt stored WHEN put THEN it is written under its key with If-None-Match: *, as JSON, and answered', async () => {
    s3.on(PutObjectCommand).resolves({});
    const answer = await store().putOnce(receipt('r-1'));
    expect(answer).toEqual({ stored: true, receipt: receipt('r-1') });
    const [call] = s3.commandCalls(PutObjectCommand);
    expect(call.args[0].input).toEqual({
      Bucket: BUCKET,
      Key: 'receipts/r-1.json',
      Body: `${JSON.stringify(receipt('r-1'), null, 2)}\n`,
      ContentType: 'application/json; charset=utf-8',
      IfNoneMatch: '*',
    });
  });

  it('GIVEN per-object retention configured WHEN put THEN the receipt gets it, counted from the clock', async () => {
    s3.on(PutObjectCommand).resolves({});
    const now = new Date('2025-03-01T10:00:00Z');
    await store({ objectLock: { mode: 'COMPLIANCE', retainDays: 10 }, clock: () => now }).putOnce(receipt('r-1'));
    expect(s3.commandCalls(PutObjectCommand)[0].args[0].input).toMatchObject({
      ObjectLockMode: 'COMPLIANCE',
      ObjectLockRetainUntilDate: new Date('2025-03-11T10:00:00Z'),
    });
  });

  it.each([
    ['412 PreconditionFailed (the key exists)', 'PreconditionFailed', 412],
    ['409 ConditionalRequestConflict (a racing write)', 'ConditionalRequestConflict', 409],
  ])('GIVEN a receipt stored before WHEN put answers %s THEN the stored one is answered, not this one', async (_n, name, status) => {
    s3.on(PutObjectCommand).rejects(s3Error(name, status));
    s3.on(GetObjectCommand, { Bucket: BUCKET, Key: 'receipts/r-1.json' }).resolves({ Body: body(JSON.stringify(receipt('r-1', 'first'))) });
    const answer = await store().putOnce(receipt('r-1', 'second'));
    expect(answer).toEqual({ stored: false, receipt: receipt('r-1', 'first') });
  });

  it('GIVEN a racing write not landed yet WHEN put answers 409 and the read finds nothing THEN a transient error (retried)', async () => {
    s3.on(PutObjectCommand).rejects(s3Error('ConditionalRequestConflict', 409));
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'no such key', $metadata: {} }));
    await expect(store().putOnce(receipt('r-1'))).rejects.toThrow(RuntimeTransientError);
  });

  it('GIVEN S3 refusing the put otherwise WHEN put THEN the error is thrown as it came', async () => {
    s3.on(PutObjectCommand).rejects(s3Error('AccessDenied', 403));
    await expect(store().putOnce(receipt('r-1'))).rejects.toThrow('AccessDenied');
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
  });
});

describe('get', () => {
  it('GIVEN a stored receipt WHEN read THEN it is parsed from receipts/<id>.json', async () => {
    s3.on(GetObjectCommand, { Bucket: BUCKET, Key: 'receipts/r-2.json' }).resolves({ Body: body(JSON.stringify(receipt('r-2'))) });
    expect(await store().get('r-2')).toEqual(receipt('r-2'));
  });

  it.each([
    ['NoSuchKey', new NoSuchKey({ message: 'no such key', $metadata: {} })],
    ['AccessDenied (a missing key, to a role without s3:ListBucket)', s3Error('AccessDenied', 403)],
  ])('GIVEN %s WHEN read THEN none', async (_n, error) => {
    s3.on(GetObjectCommand).rejects(error);
    expect(await store().get('r-3')).toBeUndefined();
  });

  it('GIVEN S3 unavailable WHEN read THEN the error is thrown (never taken for a missing receipt)', async () => {
    s3.on(GetObjectCommand).rejects(s3Error('ServiceUnavailable', 503));
    await expect(store().get('r-3')).rejects.toThrow('ServiceUnavailable');
  });

  it('GIVEN a stored object that is not JSON WHEN read THEN a transient error naming the key', async () => {
    s3.on(GetObjectCommand).resolves({ Body: body('{"requestId":') });
    await expect(store().get('r-4')).rejects.toThrow(/receipts\/r-4\.json\) is not JSON/);
  });
});
