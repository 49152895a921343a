/**
 * lib/stack/grants.ts, grantPrefixRead: the one way a role reads objects under a prefix of a bucket (the receipts of the
 * audit bucket, the exports of the exports bucket): s3:GetObject under that prefix and kms:Decrypt on the key, nothing
 * else. (The other grants are checked through the whole stack: test/lib/stack/lethe-stack.test.ts.)
 */
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { grantPrefixRead } from '../../../lib/stack/grants';
import { testApp } from './synth';

describe('grantPrefixRead', () => {
  test('GIVEN a role, a bucket and its key WHEN granted a prefix THEN the role may get objects under it and decrypt, nothing else', () => {
    // GIVEN
    const stack = new Stack(testApp(), 'Test', { env: { region: 'eu-north-1', account: '111111111111' } });
    const key = new kms.Key(stack, 'Key');
    const bucket = new s3.Bucket(stack, 'Bucket', { encryptionKey: key });
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    // WHEN
    grantPrefixRead(role, bucket, key, 'receipts/', 'Receipt keys are request ids, known at run time only.');
    // THEN exactly two statements: the prefix's objects, and the key's Decrypt
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Reader') }],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 's3:GetObject',
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^Bucket'), 'Arn'] }, '/receipts/*']] },
          },
          { Effect: 'Allow', Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] } },
        ],
        Version: '2012-10-17',
      },
    });
  });

  test('GIVEN a reason too short to be one WHEN granted THEN it is refused, naming the rule', () => {
    const stack = new Stack(testApp(), 'Test', { env: { region: 'eu-north-1', account: '111111111111' } });
    const key = new kms.Key(stack, 'Key');
    const bucket = new s3.Bucket(stack, 'Bucket', { encryptionKey: key });
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    expect(() => grantPrefixRead(role, bucket, key, 'exports/', 'because')).toThrow(/AwsSolutions-IAM5.*needs a real reason/);
  });
});
