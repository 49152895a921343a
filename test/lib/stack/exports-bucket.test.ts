/**
 * The exports bucket (issue 14, item 4): SSE-KMS, no public access, TLS only, exports deleted after 30 days, and the
 * grant to what writes them; in the whole stack, with cdk-nag on (a finding fails the synth).
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { ENV } from '../../../lib/core/contract';
import { StackConfigError } from '../../../lib/stack/errors';
import { EXPORTS_PREFIX, ExportsBucket } from '../../../lib/stack/exports-bucket';
import { functionWithEnv, resourcesOfType, roleOfFunction, statementsOfRole, synthLethe } from './synth';

jest.setTimeout(180_000);

const stackWith = (props: ConstructorParameters<typeof ExportsBucket>[2] = {}) => {
  const stack = new Stack(new App(), 'Test', { env: { region: 'eu-north-1', account: '111111111111' } });
  const exports = new ExportsBucket(stack, 'Exports', props);
  return { stack, exports };
};

describe('ExportsBucket', () => {
  test('KMS with its own rotated key by default, all public access blocked, not versioned, 30-day expiry', () => {
    const { stack } = stackWith();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: Match.objectLike({ 'Fn::GetAtt': Match.arrayWith([Match.stringLikeRegexp('^ExportsKey')]) }),
            },
          },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      VersioningConfiguration: Match.absent(),
      LifecycleConfiguration: {
        Rules: [Match.objectLike({ Id: 'delete-exports-after-expiry', Status: 'Enabled', ExpirationInDays: 30 })],
      },
    });
  });

  test('TLS only: the bucket policy denies every request without SSL', () => {
    const { stack } = stackWith();
    Template.fromStack(stack).hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            Principal: { AWS: '*' },
          }),
        ]),
      },
    });
  });

  test("with the stack's key: no key of its own, that key encrypts", () => {
    const stack = new Stack(new App(), 'Test', { env: { region: 'eu-north-1', account: '111111111111' } });
    const key = new kms.Key(stack, 'DataKey', { enableKeyRotation: true });
    const exports = new ExportsBucket(stack, 'Exports', { encryptionKey: key, expirationDays: 45 });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::KMS::Key', 1);
    expect(exports.encryptionKey).toBe(key);
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 45 })] },
    });
  });

  test('grantPublish: PutObject and GetObject on exports/* only, and the key to encrypt and decrypt', () => {
    const { stack, exports } = stackWith();
    const role = new iam.Role(stack, 'Writer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    exports.grantPublish(role);
    const policy = Template.fromStack(stack).findResources('AWS::IAM::Policy');
    const statements = Object.values(policy).flatMap(
      (p) => (p as { Properties: { PolicyDocument: { Statement: unknown[] } } }).Properties.PolicyDocument.Statement,
    );
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: ['s3:PutObject', 's3:GetObject'],
          Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^ExportsBucket/), 'Arn'] }, `/${EXPORTS_PREFIX}*`]] },
        }),
        expect.objectContaining({ Action: ['kms:GenerateDataKey', 'kms:Decrypt'] }),
      ]),
    );
    expect(JSON.stringify(statements)).not.toMatch(/s3:\*|s3:DeleteObject|s3:PutBucket/);
    // AND it may list keys under exports/ only (the finish task reads a request's parts)
    expect(statements).toContainEqual(
      expect.objectContaining({ Action: 's3:ListBucket', Condition: { StringLike: { 's3:prefix': [`${EXPORTS_PREFIX}*`] } } }),
    );
  });

  test('grantLinks: GetObject on exports/* and Decrypt only, no write', () => {
    const { stack, exports } = stackWith();
    const role = new iam.Role(stack, 'Signer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    exports.grantLinks(role);
    const policy = Template.fromStack(stack).findResources('AWS::IAM::Policy');
    const statements = Object.values(policy).flatMap(
      (p) => (p as { Properties: { PolicyDocument: { Statement: unknown[] } } }).Properties.PolicyDocument.Statement,
    );
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: 's3:GetObject',
          Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^ExportsBucket/), 'Arn'] }, `/${EXPORTS_PREFIX}*`]] },
        }),
        expect.objectContaining({ Action: 'kms:Decrypt' }),
      ]),
    );
    expect(JSON.stringify(statements)).not.toMatch(/s3:\*|s3:PutObject|s3:DeleteObject|s3:ListBucket|GenerateDataKey/);
  });

  test.each([0, 7, 1.5, 4000])('fails if expirationDays is %s', (days) => {
    expect(() => stackWith({ expirationDays: days })).toThrow(StackConfigError);
    expect(() => stackWith({ expirationDays: days })).toThrow(/expirationDays must be a whole number of days from 8 to 3650/);
  });
});

describe('in the Lethe stack (cdk-nag on)', () => {
  const synth = synthLethe();

  test("one exports bucket, with the stack's data key, its access logs beside the audit bucket's, 30 days", () => {
    const buckets = resourcesOfType(synth.json, 'AWS::S3::Bucket').filter(([, r]) =>
      JSON.stringify(r.Properties?.LifecycleConfiguration ?? {}).includes('delete-exports-after-expiry'),
    );
    expect(buckets).toHaveLength(1);
    const [, bucket] = buckets[0];
    expect(bucket.Properties?.LifecycleConfiguration.Rules[0].ExpirationInDays).toBe(30);
    expect(bucket.Properties?.LoggingConfiguration).toEqual({ DestinationBucketName: expect.anything(), LogFilePrefix: 'exports-bucket/' });
    expect(JSON.stringify(bucket.Properties?.BucketEncryption)).toContain(
      synth.stack.getLogicalId(synth.stack.keys.dataKey.node.defaultChild as never),
    );
  });

  test('erasure-system and erasure-finish know the bucket and may write exports; the api may read (sign links), the sweep may not reach it', () => {
    const bucketId = synth.stack.getLogicalId(synth.stack.exports.bucket.node.defaultChild as never);
    const writes = (entry: string) => {
      const fn = functionWithEnv(synth.json, 'POWERTOOLS_SERVICE_NAME', `lethe-${entry}`);
      return statementsOfRole(synth.json, roleOfFunction(synth.json, fn)).some((s) => JSON.stringify(s).includes(bucketId));
    };
    for (const entry of ['erasure-system', 'erasure-finish']) {
      const fn = functionWithEnv(synth.json, 'POWERTOOLS_SERVICE_NAME', `lethe-${entry}`);
      expect(synth.json.Resources[fn].Properties?.Environment.Variables[ENV.exportsBucket]).toEqual({ Ref: bucketId });
      expect(writes(entry)).toBe(true);
    }
    const writesObjects = (entry: string) => {
      const fn = functionWithEnv(synth.json, 'POWERTOOLS_SERVICE_NAME', `lethe-${entry}`);
      return statementsOfRole(synth.json, roleOfFunction(synth.json, fn)).some(
        (s) => JSON.stringify(s).includes(bucketId) && JSON.stringify(s).includes('s3:PutObject'),
      );
    };
    expect(writesObjects('erasure-finish')).toBe(true);
    expect(writes('api')).toBe(true);
    expect(writesObjects('api')).toBe(false);
    expect(writes('sweep-apply')).toBe(false);
  });
});
