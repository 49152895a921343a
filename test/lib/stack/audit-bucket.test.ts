/**
 * lib/stack/audit-bucket.ts, the receipts' part (issue 19, item 2): the bucket policy refuses a put under receipts/
 * without If-None-Match (a stored receipt never gets a newer version), and grantReadReceipts gives s3:GetObject under
 * receipts/ only, with kms:Decrypt on the bucket's key. (The bucket's Object Lock, encryption and lifecycle are
 * checked in the whole stack: test/lib/stack/lethe-stack.test.ts, "audit bucket".)
 */
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AuditBucket } from '../../../lib/stack/audit-bucket';
import { testApp } from './synth';

const build = () => {
  const stack = new Stack(testApp(), 'Test', { env: { region: 'eu-north-1', account: '111111111111' } });
  const key = new kms.Key(stack, 'DataKey');
  const audit = new AuditBucket(stack, 'Audit', { encryptionKey: key });
  return { stack, key, audit };
};

const bucketArnObjects = (suffix: string) => ({
  'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^AuditBucket'), 'Arn'] }, suffix]],
});

describe('AuditBucket: receipts', () => {
  test('GIVEN the bucket WHEN synthesized THEN its policy denies any put under receipts/ that lacks If-None-Match', () => {
    const { stack } = build();
    Template.fromStack(stack).hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'ReceiptsAreWrittenOnce',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 's3:PutObject',
            Resource: bucketArnObjects('/receipts/*'),
            Condition: { Null: { 's3:if-none-match': 'true' } },
          },
        ]),
      },
    });
  });

  test('GIVEN a role WHEN grantReadReceipts THEN s3:GetObject under receipts/ only, and kms:Decrypt on the key', () => {
    const { stack, audit } = build();
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    audit.grantReadReceipts(role);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          { Effect: 'Allow', Action: 's3:GetObject', Resource: bucketArnObjects('/receipts/*') },
          { Effect: 'Allow', Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] } },
        ],
      },
    });
    // nothing to list the bucket, nothing to write or delete
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => (p as { Properties: { PolicyDocument: { Statement: { Action: string | string[] }[] } } }).Properties.PolicyDocument.Statement,
    );
    expect(statements.flatMap((s) => [s.Action].flat()).sort()).toEqual(['kms:Decrypt', 's3:GetObject']);
  });
});
