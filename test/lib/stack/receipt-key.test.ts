/**
 * lib/stack/receipt-key.ts: the receipt key is a KMS ECC_NIST_P256 SIGN_VERIFY key, kept on delete like the stack's
 * other keys, and only the API function and the erasure workflow's finish (which issues each completed request's
 * receipt) may sign with it; in the whole stack with cdk-nag on (a finding fails synth).
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ENV } from '../../../lib/core/contract';
import { StackConfigError } from '../../../lib/stack/errors';
import { ReceiptKey } from '../../../lib/stack/receipt-key';
import { actionsOf, functionOfService, resourcesOfType, roleOfFunction, statementsOfRole, synthLethe } from './synth';

jest.setTimeout(180_000);

const stackWith = (props: ConstructorParameters<typeof ReceiptKey>[2] = {}) => {
  const stack = new Stack(new App(), 'Test', { env: { region: 'eu-north-1', account: '111111111111' } });
  return { stack, receipts: new ReceiptKey(stack, 'Receipts', props) };
};

describe('ReceiptKey', () => {
  test('an ECC_NIST_P256 SIGN_VERIFY key, 30-day pending window, retained on delete and on replacement', () => {
    // GIVEN the construct with its defaults WHEN synthesized
    const template = Template.fromStack(stackWith().stack);
    // THEN the key is asymmetric for signing, and kept
    template.hasResource('AWS::KMS::Key', {
      Properties: Match.objectLike({
        KeySpec: 'ECC_NIST_P256',
        KeyUsage: 'SIGN_VERIFY',
        PendingWindowInDays: 30,
        EnableKeyRotation: Match.absent(),
      }),
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
    });
    template.resourceCountIs('AWS::KMS::Alias', 0);
  });

  test('with an alias and a 7-day window', () => {
    const template = Template.fromStack(stackWith({ alias: 'alias/lethe-receipts', pendingWindowDays: 7 }).stack);
    template.hasResourceProperties('AWS::KMS::Key', { PendingWindowInDays: 7 });
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/lethe-receipts' });
  });

  test('grantSign: kms:Sign and kms:GetPublicKey on this key only', () => {
    const { stack, receipts } = stackWith();
    const role = new iam.Role(stack, 'Signer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    receipts.grantSign(role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: ['kms:Sign', 'kms:GetPublicKey'],
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ReceiptsKey'), 'Arn'] },
          },
        ],
      },
    });
  });

  test('grantPublicKey: kms:GetPublicKey only', () => {
    const { stack, receipts } = stackWith();
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
    receipts.grantPublicKey(role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [Match.objectLike({ Action: 'kms:GetPublicKey' })] },
    });
  });

  test.each([6, 31, 7.5])('fails if pendingWindowDays is %s', (days) => {
    expect(() => stackWith({ pendingWindowDays: days })).toThrow(StackConfigError);
    expect(() => stackWith({ pendingWindowDays: days })).toThrow(/pendingWindowDays must be a whole number of days from 7 to 30/);
  });
});

describe('in the Lethe stack (cdk-nag on)', () => {
  const synth = synthLethe();
  const keyId = synth.stack.getLogicalId(synth.stack.receiptKey.key.node.defaultChild as never);

  const SIGNERS = ['lethe-api', 'lethe-erasure-finish'];

  test.each(SIGNERS)('one receipt key; %s knows it (LETHE_RECEIPT_KEY) and may sign with it', (service) => {
    const keys = resourcesOfType(synth.json, 'AWS::KMS::Key').filter(([, r]) => r.Properties?.KeySpec === 'ECC_NIST_P256');
    expect(keys.map(([id]) => id)).toEqual([keyId]);
    const fn = functionOfService(synth.json, service);
    expect(synth.json.Resources[fn].Properties?.Environment.Variables[ENV.receiptKey]).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    // (the role's statements are merged by the stack's policy minimisation: the key's actions, in whatever order)
    const onKey = statementsOfRole(synth.json, roleOfFunction(synth.json, fn)).filter((s) => JSON.stringify(s.Resource).includes(keyId));
    expect(onKey.flatMap(actionsOf).sort()).toEqual(['kms:GetPublicKey', 'kms:Sign']);
    expect(onKey.every((s) => s.Effect === 'Allow')).toBe(true);
  });

  test('no other function may sign with it or knows it', () => {
    const others = resourcesOfType(synth.json, 'AWS::Lambda::Function').filter(
      ([, r]) => !SIGNERS.includes(r.Properties?.Environment?.Variables?.POWERTOOLS_SERVICE_NAME),
    );
    expect(others.length).toBeGreaterThan(5);
    for (const [id, fn] of others) {
      expect(fn.Properties?.Environment?.Variables?.[ENV.receiptKey]).toBeUndefined();
      const signs = statementsOfRole(synth.json, roleOfFunction(synth.json, id)).filter(
        (s) => actionsOf(s).includes('kms:Sign') || JSON.stringify(s.Resource).includes(keyId),
      );
      expect({ id, signs }).toEqual({ id, signs: [] });
    }
  });

  test('the stack outputs the key ARN (lethe receipt public-key --key-id)', () => {
    synth.template.hasOutput('ReceiptKeyArn', { Value: { 'Fn::GetAtt': [keyId, 'Arn'] } });
  });
});
