/**
 * lib/runtime/receipts.ts: the receipt of a completed erasure request, built from the request as stored, signed by
 * the KMS key (aws-sdk-client-mock: test/lib/runtime/support/aws.ts signs digests with a real P-256 key), and checked
 * offline with the public key alone; an altered receipt is refused naming the field.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import type { ConnectorSubjectOutcome, ErasureSystemOutput, RecordAction, SystemStatus } from '../../../lib/core/contract';
import { RuntimeConfigError } from '../../../lib/core/errors';
import { keyIdOf, LocalReceiptSigner, verifySignature } from '../../../lib/core/receipt-signer';
import { makeHandler as makeFinish } from '../../../lambdas/erasure-finish';
import { makeHandler as makePlan } from '../../../lambdas/erasure-plan';
import { makeHandler as makeSystem } from '../../../lambdas/erasure-system';
import {
  digestsOf,
  KmsReceiptSigner,
  type Receipt,
  RECEIPT_FORMAT,
  receiptBodyOf,
  signedBytes,
  signReceipt,
  verifyReceipt,
} from '../../../lib/runtime/receipts';
import type { RequestItem } from '../../../lib/runtime/requests';
import { signDigestP256 } from '../../support/ecdsa-digest';
import { apiClient, verification, withIdempotencyKey } from '../../lambdas/helpers';
import { receiptKeyOf } from '../../../lib/runtime/receipt-store';
import type { ConnectorBehaviour } from './support/aws';
import { AUDIT_BUCKET, createWorld, lambdaContext, TABLES, type TestWorld } from './support/runtime';

const AT = '2024-01-10T12:00:00+01:00';
const context = lambdaContext('lethe-erasure') as never;

async function runWorkflow(world: TestWorld, requestId: string): Promise<void> {
  const planned = await makePlan(() => world.rt)({ requestId }, context);
  const results: ErasureSystemOutput[] = [];
  for (const { system } of planned.systems) results.push(await makeSystem(() => world.rt)({ requestId, system }, context));
  await makeFinish(() => world.rt)({ requestId, results }, context);
}

const publicPem = (world: TestWorld): string => world.kms.receiptKey.publicKey.export({ type: 'spki', format: 'pem' }) as string;

/** The audit records the fake S3 holds, by sequence number. */
function auditRecords(world: TestWorld): Map<number, Record<string, unknown>> {
  const records = new Map<number, Record<string, unknown>>();
  for (const [key, { body }] of world.s3.objects) {
    if (!key.startsWith(`${AUDIT_BUCKET}/audit/`)) continue;
    const parsed = JSON.parse(body) as Record<string, unknown> | Record<string, unknown>[];
    for (const r of Array.isArray(parsed) ? parsed : [parsed]) records.set(r.seq as number, r);
  }
  return records;
}

describe('GET /erasure-requests/{requestId}/receipt (on fakes)', () => {
  let world: TestWorld;
  let api: ReturnType<typeof apiClient>;
  beforeEach(() => {
    world = createWorld({ now: '2025-03-01T10:00:00Z' });
    api = apiClient(world);
  });
  afterEach(() => world.restore());

  const receiptOf = (requestId: string) =>
    api.call({ method: 'GET', path: `/erasure-requests/${requestId}/receipt`, pathParameters: { requestId } });

  /** user1 in crm (erased and anonymised), orders (kept for bookkeeping, waiting for invoiced) and newsletter, order O-1 an item. */
  async function completedErasure(): Promise<string> {
    for (const [purpose, system] of [
      ['customer', 'orders'],
      ['analytics', 'crm'],
      ['bookkeeping', 'orders'],
      ['marketing', 'newsletter'],
    ]) {
      expect((await api.holding('user1', { purpose, system, collectedAt: AT, locator: { customerId: 'C-1' } })).status).toBe(201);
    }
    const requestId = (await api.postRequest({ subjectId: 'user1', verification })).body.requestId as string;
    await runWorkflow(world, requestId);
    return requestId;
  }

  it('answers a signed receipt that verifies with the public key, naming each system, its audit record and what is retained', async () => {
    // GIVEN a completed erasure request
    const requestId = await completedErasure();
    // WHEN its receipt is asked for
    const answer = await receiptOf(requestId);
    // THEN it is 200, signed by the receipt key, and valid
    expect(answer.status).toBe(200);
    const receipt = answer.body as unknown as Receipt;
    expect(verifyReceipt(receipt, publicPem(world))).toEqual({ valid: true, problems: [] });
    expect(receipt).toMatchObject({
      format: RECEIPT_FORMAT,
      requestId,
      kind: 'erasure',
      policyHash: world.rt.policyHash,
      signature: { algorithm: 'ECDSA_SHA_256', keyId: keyIdOf(publicPem(world)) },
    });
    expect(receipt.systems.map((s) => s.system).sort()).toEqual(['crm', 'newsletter', 'orders']);
    // Verification (issue 19): the fakes' connectors answer no verification, so what they erased is unverified; what
    // was only restricted or kept has nothing to verify.
    for (const s of receipt.systems)
      expect(s.verification).toBe(
        ['erased', 'anonymised', 'fields-removed', 'fields-anonymised', 'nothing-found'].includes(s.outcome) &&
          s.action !== 'retain' &&
          s.action !== 'restrict'
          ? 'unverified'
          : 'not-performed',
      );
    expect(receipt.retained).toEqual([expect.objectContaining({ purpose: 'bookkeeping', until: null, waitingFor: ['invoiced'] })]);
    // AND each system's audit record is the chain's record for that system, by its seq and hash, with the receipt's subject
    const records = auditRecords(world);
    for (const s of receipt.systems) {
      const record = records.get(s.auditRecord.seq);
      expect(record).toMatchObject({ hash: s.auditRecord.hash, requestId, system: s.system, outcome: s.outcome, subject: receipt.subject });
    }
    // AND no personal data: neither the subject id nor the locator appear
    expect(JSON.stringify(receipt)).not.toMatch(/user1|C-1/);
    // AND it was signed by KMS with a digest
    expect(world.kms.mock.commandCalls(SignCommand)[0].args[0].input).toMatchObject({
      KeyId: 'alias/lethe-receipts',
      MessageType: 'DIGEST',
      SigningAlgorithm: 'ECDSA_SHA_256',
    });
  });

  it('is the same content each time it is asked for; each signature verifies', async () => {
    const requestId = await completedErasure();
    const [a, b] = [(await receiptOf(requestId)).body, (await receiptOf(requestId)).body] as unknown as Receipt[];
    const { signature: sa, ...bodyA } = a;
    const { signature: sb, ...bodyB } = b;
    expect(bodyA).toEqual(bodyB);
    expect(sa.digests).toEqual(sb.digests);
    expect(verifyReceipt(b, publicPem(world)).valid).toBe(true);
  });

  it.each([
    ['an unknown id', async () => 'no-such-request', 404],
    [
      'a request still running',
      async (a: ReturnType<typeof apiClient>) => {
        return (await a.postRequest({ subjectId: 'user2', verification })).body.requestId as string;
      },
      409,
    ],
    [
      'a restriction request (ids do not cross kinds)',
      async (a: ReturnType<typeof apiClient>) => {
        const posted = await a.call({
          method: 'POST',
          path: '/restriction-requests',
          body: { subjectId: 'user2', verification },
          headers: withIdempotencyKey(),
        });
        return posted.body.requestId as string;
      },
      404,
    ],
  ] as const)('refuses %s', async (_name, make, status) => {
    const requestId = await make(api);
    const answer = await receiptOf(requestId);
    expect(answer.status).toBe(status);
    expect(answer.body.error?.path ?? answer.body.error?.message).toBeDefined();
  });
});

/** What each kind asks of a record, and what its connector answers (an access export: one record with its email). */
const KINDS = [
  { kind: 'erasure', body: {}, record: 'delete', outcome: 'erased' },
  { kind: 'restriction', body: { until: '2025-09-01T00:00:00+02:00', keep: true }, record: 'restrict', outcome: 'restricted' },
  { kind: 'access', body: {}, record: 'export', outcome: 'exported' },
] as const satisfies readonly { kind: string; body: object; record: RecordAction; outcome: SystemStatus }[];

const OUTCOME_OF: Partial<Record<RecordAction, ConnectorSubjectOutcome['status']>> = {
  delete: 'erased',
  restrict: 'restricted',
  export: 'exported',
};

/** The newsletter connector: answers each subject as its record asks (delete, restrict, export). */
const byRecord: ConnectorBehaviour = (invocation) => ({
  system: invocation.system,
  subjects: invocation.subjects.map((s) => ({
    subjectRef: s.subjectRef,
    status: OUTCOME_OF[s.record] ?? 'erased',
    counts: { records: 1, fields: s.record === 'export' ? 1 : 0, objects: 0 },
    ...(s.record === 'export' ? { export: { records: [{ source: 'newsletter list', fields: { email: 'ada@example.com' } }] } } : {}),
  })),
});

describe.each(KINDS)('the receipt of a completed $kind request: issued at completion, kept in the audit bucket', (k) => {
  let world: TestWorld;
  let api: ReturnType<typeof apiClient>;
  beforeEach(() => {
    world = createWorld({ now: '2025-03-01T10:00:00Z' });
    world.connectors.on('newsletter', byRecord);
    api = apiClient(world);
  });
  afterEach(() => world.restore());

  const route = (requestId: string, kind: string = k.kind) =>
    api.call({ method: 'GET', path: `/${kind}-requests/${requestId}/receipt`, pathParameters: { requestId } });
  const storedText = (requestId: string): string | undefined => world.s3.objects.get(`${AUDIT_BUCKET}/${receiptKeyOf(requestId)}`)?.body;

  /** user1 subscribed to the newsletter (user10 too: a bystander), and a completed request of this kind for user1. */
  async function completed(): Promise<string> {
    for (const subjectId of ['user1', 'user10']) {
      const held = await api.holding(subjectId, { purpose: 'marketing', system: 'newsletter', collectedAt: AT });
      expect(held.status).toBe(201);
    }
    const posted = await api.call({
      method: 'POST',
      path: `/${k.kind}-requests`,
      body: { subjectId: 'user1', verification, ...k.body },
      headers: withIdempotencyKey(),
    });
    expect(posted.status).toBe(202);
    const requestId = posted.body.requestId as string;
    await runWorkflow(world, requestId);
    return requestId;
  }

  it('is signed and stored once at completion under receipts/<id>.json: the kind, what was done per system, no personal data', async () => {
    // GIVEN a request of this kind WHEN its workflow completes
    const requestId = await completed();
    // THEN the finish stored its receipt in the audit bucket, valid under the receipt key
    const text = storedText(requestId);
    expect(text).toBeDefined();
    const stored = JSON.parse(text!) as Receipt;
    expect(verifyReceipt(stored, publicPem(world))).toEqual({ valid: true, problems: [] });
    expect(stored).toMatchObject({ requestId, kind: k.kind, systems: [{ system: 'newsletter', action: k.record, outcome: k.outcome }] });
    expect(stored.restriction).toEqual(k.kind === 'restriction' ? { until: '2025-09-01T00:00:00+02:00', keep: true } : undefined);
    expect(text).not.toMatch(/user1|ada@example\.com/);
    // AND the one signature made is that receipt's
    expect(world.kms.mock.commandCalls(SignCommand)).toHaveLength(1);
  });

  it('GET answers the stored receipt, byte for byte the same each time, without signing again', async () => {
    const requestId = await completed();
    const stored = JSON.parse(storedText(requestId)!) as Receipt;
    const [a, b] = [await route(requestId), await route(requestId)];
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.body).toEqual(stored);
    expect(b.body).toEqual(stored);
    expect(world.kms.mock.commandCalls(SignCommand)).toHaveLength(1);
  });

  it('is still answered (200) once the request item is gone (TTL), and the request is not', async () => {
    const requestId = await completed();
    const stored = JSON.parse(storedText(requestId)!) as Receipt;
    // WHEN the request item expires
    expect(world.ddb.remove(TABLES.requests, { requestId })).toBeDefined();
    // THEN its receipt is still answered, and still verifies; the request itself is not found
    const answer = await route(requestId);
    expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: stored });
    expect(verifyReceipt(answer.body, publicPem(world)).valid).toBe(true);
    const view = await api.call({ method: 'GET', path: `/${k.kind}-requests/${requestId}`, pathParameters: { requestId } });
    expect(view.status).toBe(404);
  });

  it('a finish run again (a retry, a redrive) keeps the receipt stored first: no second put, no second signature', async () => {
    const requestId = await completed();
    const first = storedText(requestId);
    const puts = world.s3.puts;
    await expect(makeFinish(() => world.rt)({ requestId, results: [] }, context)).resolves.toMatchObject({ status: 'completed' });
    expect(storedText(requestId)).toBe(first);
    expect(world.kms.mock.commandCalls(SignCommand)).toHaveLength(1);
    expect(world.s3.puts).toBe(puts);
  });

  it('with one byte of the stored receipt changed, verification fails naming the entry', async () => {
    const requestId = await completed();
    const bytes = Buffer.from(storedText(requestId)!, 'utf8');
    const at = bytes.indexOf(`"outcome": "${k.outcome}"`) + '"outcome": "'.length;
    bytes[at] ^= 0x01;
    const verdict = verifyReceipt(JSON.parse(bytes.toString('utf8')), publicPem(world));
    expect(verdict).toEqual({ valid: false, problems: ['systems[0] (system newsletter): does not match what was signed'] });
  });

  it("is not found under another kind's route (ids do not cross kinds), even once the request item is gone", async () => {
    const requestId = await completed();
    world.ddb.remove(TABLES.requests, { requestId });
    for (const other of KINDS.filter((o) => o.kind !== k.kind)) expect((await route(requestId, other.kind)).status).toBe(404);
  });

  it('with none stored yet (completed before receipts were stored, or its finish not there yet), GET issues and stores it once', async () => {
    const requestId = await completed();
    world.s3.objects.delete(`${AUDIT_BUCKET}/${receiptKeyOf(requestId)}`);
    // WHEN it is asked for twice
    const [a, b] = [await route(requestId), await route(requestId)];
    // THEN the first signs it from the request and stores it; the second answers the stored one, the same bytes
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ requestId, kind: k.kind, systems: [{ action: k.record, outcome: k.outcome }] });
    expect(verifyReceipt(a.body, publicPem(world)).valid).toBe(true);
    expect(JSON.parse(storedText(requestId)!)).toEqual(a.body);
    expect(b.body).toEqual(a.body);
    expect(world.kms.mock.commandCalls(SignCommand)).toHaveLength(2);
    // AND a finish run after it keeps that one
    await makeFinish(() => world.rt)({ requestId, results: [] }, context);
    expect(JSON.parse(storedText(requestId)!)).toEqual(a.body);
    expect(world.kms.mock.commandCalls(SignCommand)).toHaveLength(2);
  });
});

describe('verifyReceipt: an altered receipt is refused, naming the field', () => {
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = keys.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const signer = new LocalReceiptSigner(keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  const request: RequestItem = {
    requestId: 'r-1',
    subjectRef: 'ref',
    verification: { method: 'e-mail link', verifiedAt: '2025-03-01T09:00:00.000Z' },
    status: 'completed',
    receivedAt: '2025-03-01T10:00:00.000Z',
    deadline: '2025-04-01T10:00:00.000Z',
    finishedAt: '2025-03-01T10:05:00.000Z',
    policyHash: 'b'.repeat(64),
    systemOrder: ['crm', 'orders#item#ab'],
    systems: {
      crm: {
        status: 'erased',
        action: 'delete',
        record: 'delete',
        removeFields: [],
        anonymiseFields: [],
        going: { marketing: { outcome: 'erase', collectedAtMs: 1 } },
        retainedPurposes: [],
        invoke: true,
        counts: { records: 1, fields: 0, objects: 0 },
        auditRecord: { seq: 7, hash: 'c'.repeat(64) },
      },
      'orders#item#ab': {
        system: 'orders',
        itemRef: 'ab',
        status: 'retained',
        action: 'retain',
        record: 'keep',
        removeFields: [],
        anonymiseFields: [],
        going: {},
        retainedPurposes: ['bookkeeping'],
        invoke: false,
        auditRecord: { seq: 8, hash: 'd'.repeat(64) },
      },
    },
    retained: [{ purpose: 'bookkeeping', itemRef: 'ab', reason: 'Bookkeeping Act', until: '2032-12-31T23:00:00+01:00' }],
    receiptBasis: { subject: 'e'.repeat(64), items: { ab: 'f'.repeat(64) } },
  };
  let receipt: Receipt;
  beforeAll(async () => {
    receipt = await signReceipt(receiptBodyOf(request, 'Europe/Stockholm'), signer);
  });
  const altered = (change: (r: Record<string, any>) => void): Record<string, any> => {
    const copy = JSON.parse(JSON.stringify(receipt)) as Record<string, any>;
    change(copy);
    return copy;
  };

  it('names item records by their audit HMAC and says verification not-performed', () => {
    expect(receipt.systems[1]).toMatchObject({ system: 'orders', item: 'f'.repeat(64), outcome: 'retained', purposes: ['bookkeeping'] });
    expect(receipt.retained[0]).toMatchObject({ item: 'f'.repeat(64) });
    expect(receipt.systems.map((s) => s.verification)).toEqual(['not-performed', 'not-performed']);
    expect(verifyReceipt(receipt, pem)).toEqual({ valid: true, problems: [] });
  });

  it.each([
    [
      'a system outcome',
      (r: Record<string, any>) => (r.systems[1].outcome = 'erased'),
      'systems[1] (system orders): does not match what was signed',
    ],
    [
      'the policy hash, one character',
      (r: Record<string, any>) => (r.policyHash = `a${r.policyHash.slice(1)}`),
      'policyHash: does not match what was signed',
    ],
    [
      'a retained until-date',
      (r: Record<string, any>) => (r.retained[0].until = null),
      'retained[0] (purpose bookkeeping): does not match what was signed',
    ],
    ['a removed field', (r: Record<string, any>) => delete r.subject, 'subject: missing (it was signed)'],
    ['an added field', (r: Record<string, any>) => (r.note = 'x'), 'note: not signed (added after signing)'],
    [
      'an audit hash',
      (r: Record<string, any>) => (r.systems[0].auditRecord.hash = '0'.repeat(64)),
      'systems[0] (system crm): does not match what was signed',
    ],
    [
      'a digest (with the field, to hide the change)',
      (r: Record<string, any>) => {
        r.policyHash = '0'.repeat(64);
        r.signature.digests.policyHash = createHash('sha256')
          .update(JSON.stringify('0'.repeat(64)))
          .digest('hex');
      },
      'signature.value: does not match signature.digests under this key (the signature or the digests were altered)',
    ],
  ])('%s', (_name, change, problem) => {
    const verdict = verifyReceipt(altered(change), pem);
    expect(verdict.valid).toBe(false);
    expect(verdict.problems).toContain(problem);
  });

  it('refuses a receipt checked with another key, naming the key', () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const verdict = verifyReceipt(receipt, other);
    expect(verdict.valid).toBe(false);
    expect(verdict.problems[0]).toMatch(/^signature\.keyId: signed by key "sha256:[0-9a-f]{64}", but the public key given is sha256:/);
  });

  it.each([
    ['not an object', 'text', 'the receipt is not a JSON object'],
    ['unsigned', { format: RECEIPT_FORMAT }, 'signature: missing (the receipt is not signed)'],
  ])('refuses a receipt %s', (_name, value, problem) => {
    expect(verifyReceipt(value, pem)).toEqual({ valid: false, problems: [problem] });
  });

  it('digests per entry of systems and retained, and whole for every other field', () => {
    const digests = digestsOf(receipt as unknown as Record<string, unknown>);
    expect(Array.isArray(digests.systems) && digests.systems.length).toBe(2);
    expect(typeof digests.policyHash).toBe('string');
    expect(verifySignature(pem, signedBytes(receipt.signature), Buffer.from(receipt.signature.value, 'base64'))).toBe(true);
  });

  it.each([
    ['running', { status: 'running' as const }, /is running; a receipt is issued once it is completed/],
    ['completed before receipts (no basis)', { receiptBasis: undefined }, /completed before Lethe kept what a receipt names/],
  ])('has no receipt for a request %s (409)', (_name, patch, message) => {
    expect(() => receiptBodyOf({ ...request, ...patch }, 'Europe/Stockholm')).toThrow(message);
  });
});

describe('KmsReceiptSigner', () => {
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const mockKms = () => mockClient(KMSClient);
  let kms: ReturnType<typeof mockKms>;
  beforeEach(() => {
    kms = mockKms();
  });
  afterEach(() => kms.restore());

  it('signs the SHA-256 digest (MessageType DIGEST, ECDSA_SHA_256) and answers the DER signature, which node:crypto verifies', async () => {
    kms.on(SignCommand).callsFake(async (input) => ({ Signature: signDigestP256(keys.privateKey, input.Message as Uint8Array) }));
    const signer = new KmsReceiptSigner(new KMSClient({ region: 'eu-north-1' }), 'arn:aws:kms:eu-north-1:111111111111:key/k');
    const message = Buffer.from('{"a":1}');
    const signature = await signer.sign(message);
    const input = kms.commandCalls(SignCommand)[0].args[0].input;
    expect(input).toMatchObject({
      KeyId: 'arn:aws:kms:eu-north-1:111111111111:key/k',
      MessageType: 'DIGEST',
      SigningAlgorithm: 'ECDSA_SHA_256',
    });
    expect(Buffer.from(input.Message!)).toEqual(createHash('sha256').update(message).digest());
    const pem = keys.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    expect(verifySignature(pem, message, signature)).toBe(true);
  });

  it('reads the public key once (GetPublicKey, DER to PEM)', async () => {
    kms.on(GetPublicKeyCommand).resolves({
      KeySpec: 'ECC_NIST_P256',
      KeyUsage: 'SIGN_VERIFY',
      PublicKey: keys.publicKey.export({ type: 'spki', format: 'der' }),
    });
    const signer = new KmsReceiptSigner(new KMSClient({ region: 'eu-north-1' }), 'k');
    const [a, b] = [await signer.publicKeyPem(), await signer.publicKeyPem()];
    expect(a).toBe(keys.publicKey.export({ type: 'spki', format: 'pem' }));
    expect(b).toBe(a);
    expect(kms.commandCalls(GetPublicKeyCommand)).toHaveLength(1);
  });

  it.each([
    ['the spec under its deprecated name only (as moto answers)', { CustomerMasterKeySpec: 'ECC_NIST_P256' as const }, true],
    ['another spec under the deprecated name', { CustomerMasterKeySpec: 'RSA_2048' as const }, false],
    ['no spec at all', {}, false],
  ])('reads the key spec from KeySpec or its deprecated name: %s', async (_case, spec, accepted) => {
    kms
      .on(GetPublicKeyCommand)
      .resolves({ ...spec, KeyUsage: 'SIGN_VERIFY', PublicKey: keys.publicKey.export({ type: 'spki', format: 'der' }) });
    const signer = new KmsReceiptSigner(new KMSClient({ region: 'eu-north-1' }), 'k');
    if (accepted) await expect(signer.publicKeyPem()).resolves.toBe(keys.publicKey.export({ type: 'spki', format: 'pem' }));
    else await expect(signer.publicKeyPem()).rejects.toThrow(RuntimeConfigError);
  });

  it('fails if the key is not an ECC_NIST_P256 signing key', async () => {
    kms.on(GetPublicKeyCommand).resolves({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY', PublicKey: new Uint8Array([1]) });
    const signer = new KmsReceiptSigner(new KMSClient({ region: 'eu-north-1' }), 'k');
    await expect(signer.publicKeyPem()).rejects.toThrow(RuntimeConfigError);
    await expect(signer.publicKeyPem()).rejects.toThrow(/not an ECC_NIST_P256 SIGN_VERIFY key \(KeySpec RSA_2048/);
  });
});
