/**
 * In-memory stand-ins for the AWS services the runtime calls, installed with aws-sdk-client-mock: KMS (real
 * AES-GCM with the encryption context as associated data, so a wrong context fails like KMS does), Secrets
 * Manager, S3 (objects in a map), Step Functions (execution names), and connectors.
 */
import { createCipheriv, createDecipheriv, generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  DecryptCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GetPublicKeyCommand,
  InvalidCiphertextException,
  KMSClient,
  SignCommand,
} from '@aws-sdk/client-kms';
import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import type { ConnectorClient } from '../../../../lib/runtime/connector-client';
import { signDigestP256 } from '../../../support/ecdsa-digest';
import type { ConnectorInvocation, ConnectorResult } from '../../../../lib/core/contract';

export const TEST_SECRET = 'test-hmac-secret-of-the-deployment';

export class FakeKms {
  private readonly key = randomBytes(32);
  /** The receipt key (ECC_NIST_P256, SIGN_VERIFY): Sign of a DIGEST answers a DER signature, as KMS does. */
  public readonly receiptKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  public signs = 0;
  public readonly mock = mockClient(KMSClient);
  public encrypts = 0;
  public decrypts = 0;
  public dataKeys = 0;
  /** The next call (Encrypt, GenerateDataKey or Decrypt) fails with this error. */
  public failNext?: Error;

  private maybeFail(): void {
    const error = this.failNext;
    this.failNext = undefined;
    if (error) throw error;
  }

  public constructor() {
    const encrypt = (plaintext: Buffer, context: Record<string, string> | undefined): Buffer => {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', this.key, iv);
      cipher.setAAD(Buffer.from(JSON.stringify(sorted(context ?? {}))));
      const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]);
    };
    this.mock.on(EncryptCommand).callsFake(async (input) => {
      this.maybeFail();
      this.encrypts++;
      return { CiphertextBlob: encrypt(Buffer.from(input.Plaintext as Uint8Array), input.EncryptionContext), KeyId: input.KeyId };
    });
    this.mock.on(GenerateDataKeyCommand).callsFake(async (input) => {
      this.maybeFail();
      this.dataKeys++;
      const plaintext = randomBytes(32);
      return { Plaintext: plaintext, CiphertextBlob: encrypt(plaintext, input.EncryptionContext), KeyId: input.KeyId };
    });
    this.mock.on(SignCommand).callsFake(async (input) => {
      this.maybeFail();
      this.signs++;
      if (input.MessageType !== 'DIGEST' || input.SigningAlgorithm !== 'ECDSA_SHA_256')
        throw new Error('the fake signs ECDSA_SHA_256 digests only');
      // A DIGEST is signed as it is, not hashed again (node:crypto would hash it: test/support/ecdsa-digest.ts).
      const signature = signDigestP256(this.receiptKey.privateKey, Buffer.from(input.Message as Uint8Array));
      return { Signature: signature, KeyId: input.KeyId, SigningAlgorithm: 'ECDSA_SHA_256' };
    });
    this.mock.on(GetPublicKeyCommand).callsFake(async (input) => ({
      KeyId: input.KeyId,
      KeySpec: 'ECC_NIST_P256',
      KeyUsage: 'SIGN_VERIFY',
      SigningAlgorithms: ['ECDSA_SHA_256'],
      PublicKey: this.receiptKey.publicKey.export({ type: 'spki', format: 'der' }),
    }));
    this.mock.on(DecryptCommand).callsFake(async (input) => {
      this.maybeFail();
      this.decrypts++;
      const blob = Buffer.from(input.CiphertextBlob as Uint8Array);
      try {
        const decipher = createDecipheriv('aes-256-gcm', this.key, blob.subarray(0, 12));
        decipher.setAuthTag(blob.subarray(12, 28));
        decipher.setAAD(Buffer.from(JSON.stringify(sorted(input.EncryptionContext ?? {}))));
        return { Plaintext: Buffer.concat([decipher.update(blob.subarray(28)), decipher.final()]), KeyId: input.KeyId };
      } catch {
        throw new InvalidCiphertextException({ message: 'invalid ciphertext', $metadata: {} });
      }
    });
  }
}

const sorted = (o: Record<string, string>): [string, string][] => Object.entries(o).sort(([a], [b]) => a.localeCompare(b));

export function fakeSecrets(secret = TEST_SECRET) {
  const mock = mockClient(SecretsManagerClient);
  mock.on(GetSecretValueCommand).resolves({ SecretString: secret });
  return mock;
}

export class FakeS3 {
  public readonly objects = new Map<string, { body: string; lock?: { mode?: string; until?: Date } }>();
  public readonly mock = mockClient(S3Client);
  public puts = 0;
  /** Called before each put: throw from it to simulate a failure. */
  public beforePut?: (key: string) => void;

  public constructor() {
    this.mock.on(PutObjectCommand).callsFake(async (input) => {
      this.beforePut?.(String(input.Key));
      // A conditional write (If-None-Match: *) of a key that exists is refused, as S3 does (412).
      if (input.IfNoneMatch === '*' && this.objects.has(`${input.Bucket}/${input.Key}`)) {
        throw Object.assign(new S3ServiceException({ name: 'PreconditionFailed', $fault: 'client', $metadata: { httpStatusCode: 412 } }), {
          message: 'At least one of the pre-conditions you specified did not hold',
        });
      }
      this.puts++;
      this.objects.set(`${input.Bucket}/${input.Key}`, {
        body: String(input.Body),
        ...(input.ObjectLockMode ? { lock: { mode: input.ObjectLockMode, until: input.ObjectLockRetainUntilDate as Date } } : {}),
      });
      return {};
    });
    this.mock.on(GetObjectCommand).callsFake(async (input) => {
      const object = this.objects.get(`${input.Bucket}/${input.Key}`);
      if (!object) throw new NoSuchKey({ message: 'no such key', $metadata: {} });
      return { Body: { transformToString: async () => object.body } as never };
    });
    this.mock.on(ListObjectsV2Command).callsFake(async (input) => {
      const prefix = `${input.Bucket}/${input.Prefix ?? ''}`;
      const keys = [...this.objects.keys()]
        .filter((k) => k.startsWith(prefix))
        .map((k) => k.slice(String(input.Bucket).length + 1))
        .sort();
      const after = input.ContinuationToken ? keys.filter((k) => k > String(input.ContinuationToken)) : keys;
      const max = input.MaxKeys ?? 2;
      const page = after.slice(0, max);
      const more = after.length > max;
      return {
        Contents: page.map((Key) => ({ Key })),
        IsTruncated: more,
        ...(more ? { NextContinuationToken: page[page.length - 1] } : {}),
      };
    });
  }

  /** The bodies under a bucket's prefix, by key. */
  public bodies(bucket: string, prefix = ''): Map<string, string> {
    const out = new Map<string, string>();
    for (const [k, v] of this.objects) if (k.startsWith(`${bucket}/${prefix}`)) out.set(k.slice(bucket.length + 1), v.body);
    return out;
  }
}

export class FakeSfn {
  public readonly mock = mockClient(SFNClient);
  public readonly executions: { name: string; input: unknown; stateMachineArn: string }[] = [];
  /** The next StartExecution fails with this error. */
  public failNext?: Error;

  public constructor() {
    this.mock.on(StartExecutionCommand).callsFake(async (input) => {
      const error = this.failNext;
      this.failNext = undefined;
      if (error) throw error;
      if (this.executions.some((e) => e.name === input.name)) {
        throw new ExecutionAlreadyExists({ message: `Execution Already Exists: '${input.name}'`, $metadata: {} });
      }
      this.executions.push({
        name: String(input.name),
        input: JSON.parse(String(input.input)),
        stateMachineArn: String(input.stateMachineArn),
      });
      return { executionArn: `arn:aws:states:eu-north-1:123456789012:execution:erasure:${input.name}`, startDate: new Date() };
    });
  }
}

export type ConnectorBehaviour = (invocation: ConnectorInvocation) => ConnectorResult | Promise<ConnectorResult>;

/** What a well-behaved connector answers: `status` for every subject, with counts. */
export const answerAll =
  (status: ConnectorResult['subjects'][number]['status'] = 'erased', counts = { records: 1, fields: 0, objects: 0 }): ConnectorBehaviour =>
  (invocation) => ({ system: invocation.system, subjects: invocation.subjects.map((s) => ({ subjectRef: s.subjectRef, status, counts })) });

/** Connectors as a `ConnectorClient`: records every invocation; each system answers with its behaviour. */
export class FakeConnectors implements ConnectorClient {
  public readonly invocations: ConnectorInvocation[] = [];
  public readonly behaviours = new Map<string, ConnectorBehaviour>();

  public constructor(private readonly fallback: ConnectorBehaviour = answerAll()) {}

  public on(system: string, behaviour: ConnectorBehaviour): this {
    this.behaviours.set(system, behaviour);
    return this;
  }

  public async invoke(invocation: ConnectorInvocation): Promise<ConnectorResult> {
    this.invocations.push(structuredClone(invocation));
    return (this.behaviours.get(invocation.system) ?? this.fallback)(invocation);
  }

  public forSystem(system: string): ConnectorInvocation[] {
    return this.invocations.filter((i) => i.system === system);
  }
}
