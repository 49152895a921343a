/**
 * What a failed first create, or a `cdk destroy`, leaves behind, and whether the next deploy under the same stack
 * name can succeed: retained resources keep no physical name that the next create would need again, and each kind
 * of resource has the removal policy that fits it.
 */
import { type CfnResource, type CfnTemplate, referencedIds, synthLethe } from './synth';

jest.setTimeout(120_000);

let json: CfnTemplate;
beforeAll(() => {
  // GIVEN a policy with dynamodb, s3, http and lambda systems WHEN synthesized as `npx cdk synth` does
  ({ json } = synthLethe({ policyFile: 'examples/digmi-group.yaml' }));
});

const RETAINED = ['Retain', 'RetainExceptOnCreate'];
const retained = (): [string, CfnResource][] => Object.entries(json.Resources).filter(([, r]) => RETAINED.includes(r.DeletionPolicy ?? ''));

describe('a redeploy after a failed create or a destroy', () => {
  it('finds no retained resource holding a fixed physical name', () => {
    // THEN every name property of a retained resource is absent (CloudFormation generates one) or derived from the
    // stack's own id, which a new stack never shares: a literal name would be "already exists" on the next create
    const fixed: string[] = [];
    for (const [id, resource] of retained()) {
      for (const [key, value] of Object.entries(resource.Properties ?? {})) {
        if (!key.endsWith('Name') || key === 'KeyName') continue;
        if (typeof value === 'string' || !referencedIds(value).has('AWS::StackId')) fixed.push(`${id}.${key} = ${JSON.stringify(value)}`);
      }
    }
    expect(fixed).toEqual([]);
  });

  it('names the state machines’ log groups under /aws/vendedlogs/ with the stack id', () => {
    const groups = Object.entries(json.Resources).filter(([, r]) => r.Type === 'AWS::Logs::LogGroup' && r.Properties?.LogGroupName);
    expect(groups).toHaveLength(3);
    for (const [, group] of groups) {
      const [, parts] = group.Properties!.LogGroupName['Fn::Join'] as [string, unknown[]];
      expect(parts[0]).toMatch(/^\/aws\/vendedlogs\/states\/Lethe-(Erasure|Sweep|Replay)-Workflow-[0-9A-F]{8}-$/);
      expect(parts[1]).toEqual({ 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] });
    }
  });

  it.each([
    // [type, DeletionPolicy, why]
    ['AWS::Logs::LogGroup', 'RetainExceptOnCreate', 'logs outlive the stack, but a failed first create has none worth keeping'],
    ['AWS::SQS::Queue', 'RetainExceptOnCreate', 'dead letters outlive the stack'],
    ['AWS::KMS::Key', 'RetainExceptOnCreate', 'retained data stays readable'],
    ['AWS::SecretsManager::Secret', 'RetainExceptOnCreate', 'the HMAC key behind every subjectRef of the retained ledger'],
    ['AWS::S3::Bucket', 'RetainExceptOnCreate', 'audit records (Object Lock) outlive the stack; an empty one is deleted'],
    ['AWS::DynamoDB::Table', 'Retain', 'deletion protection is on, so a rollback could not delete the table anyway'],
    ['AWS::IAM::Role', 'Retain', 'only the account-level API Gateway logging role: other APIs of the account use it'],
    ['AWS::ApiGateway::Account', 'Retain', 'the account-level API Gateway setting'],
  ])('gives every retained %s DeletionPolicy %s (%s)', (type, policy) => {
    const ofType = retained().filter(([, r]) => r.Type === type);
    expect(ofType.length).toBeGreaterThan(0);
    for (const [, resource] of ofType) expect([resource.DeletionPolicy, resource.UpdateReplacePolicy]).toEqual([policy, 'Retain']);
  });

  it('retains no other kind of resource', () => {
    const kinds = new Set(retained().map(([, r]) => r.Type));
    expect([...kinds].sort()).toEqual(
      [
        'AWS::ApiGateway::Account',
        'AWS::DynamoDB::Table',
        'AWS::IAM::Role',
        'AWS::KMS::Key',
        'AWS::Logs::LogGroup',
        'AWS::S3::Bucket',
        'AWS::SQS::Queue',
        'AWS::SecretsManager::Secret',
      ].sort(),
    );
  });
});
