/**
 * The app as a user meets it: which policy and region it synthesizes for, the region-pinning refusal, clear
 * errors for bad input (also through bin/app.ts, as `npx cdk synth` runs it), and stacks for other policies
 * and props.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { RegionNotAllowedError, StackConfigError } from '../../../lib/stack/errors';
import { loadPolicyFile } from '../../../lib/policy/load';
import { buildLetheApp, chooseRegion, DEFAULT_POLICY } from '../../../lib/stack/app';
import { REGION_PINNING_POLICY_NAME } from '../../../lib/stack/region-pinning';
import { basePolicyDoc, yamlOf } from '../../helpers/policy';
import {
  actionsOf,
  flatten,
  functionOfService,
  functionWithEnv,
  grantsOfFunction,
  resourcesOf,
  resourcesOfType,
  ROOT,
  synthLethe,
  testApp,
} from './synth';
import { tempDir } from '../../support/temp-dir';

jest.setTimeout(120_000);

const dir = tempDir('lethe-app-');
const policyFile = (name: string, doc: unknown): string => {
  const file = path.join(dir, name);
  writeFileSync(file, yamlOf(doc));
  return file;
};

/** A deployable policy: every system has a config its connector can deploy. */
const deployable = (overrides: Record<string, unknown> = {}) =>
  basePolicyDoc({
    systems: {
      crm: {
        connector: 'dynamodb',
        location: 'eu-north-1',
        config: { tableName: 'shop-customers', keyAttribute: 'customerId', indexName: 'by-email', indexAttribute: 'email' },
        fields: { name: { category: 'identity' }, email: { category: 'contact' } },
      },
      files: {
        connector: 's3',
        location: 'eu-north-1',
        config: { bucket: 'shop-files', tagKey: 'subject' },
        fields: { scans: { category: 'identity' } },
      },
      archive: {
        connector: 's3',
        location: 'eu-north-1',
        config: { bucket: 'shop-archive', prefix: 'customers/{customerId}/', tagKey: 'subject' },
        fields: { letters: { category: 'identity' } },
      },
      saas: {
        connector: 'http',
        location: 'SE',
        config: { url: 'https://saas.example/erase', secretName: 'shop/saas', maxConcurrency: 2 },
        fields: { email: { category: 'contact' } },
      },
    },
    purposes: {
      service: {
        legalBasis: 'contract',
        categories: ['identity', 'contact'],
        systems: ['crm', 'files', 'archive', 'saas'],
        retention: { keep: 'P1Y' },
      },
    },
    ...overrides,
  });

describe('choosing the region', () => {
  const policy = loadPolicyFile(path.join(ROOT, DEFAULT_POLICY), { forDeployment: true });
  it.each([
    // [requested (-c region), CDK_DEFAULT_REGION, chosen]
    [undefined, undefined, 'eu-north-1'],
    // the CLI reports us-east-1 when no profile sets a region: not a request, so the policy's region is used
    [undefined, 'us-east-1', 'eu-north-1'],
    [undefined, 'eu-north-1', 'eu-north-1'],
    // an explicit request is taken as it is (and refused by the stack if the policy does not allow it)
    ['us-east-1', 'eu-north-1', 'us-east-1'],
  ])('requested %s with CLI default %s → %s', (requested, cliDefault, chosen) => {
    expect(chooseRegion(policy, requested, cliDefault)).toBe(chosen);
  });
});

describe('region pinning at synthesis', () => {
  it('refuses us-east-1, naming the region and the allowed ones', () => {
    // GIVEN the dh-solutions policy (deployment.regions: [eu-north-1]) WHEN synthesized for us-east-1
    const app = testApp({ region: 'us-east-1' });
    let error: unknown;
    try {
      buildLetheApp(app, { cwd: ROOT });
    } catch (e) {
      error = e;
    }
    // THEN synthesis stops with the pinning error
    expect(error).toBeInstanceOf(RegionNotAllowedError);
    expect((error as Error).message).toBe(
      'region "us-east-1" is not allowed by examples/dh-solutions.yaml: deployment.regions allows eu-north-1. ' +
        'Deploy to one of them (npx cdk synth -c region=eu-north-1) or change deployment.regions in the policy.',
    );
  });

  it('pins every role to all the policy’s regions, and refuses one the policy does not list', () => {
    // GIVEN a policy that allows two EU regions and the adequacy regions
    const file = policyFile(
      'two-regions.yaml',
      deployable({ deployment: { regions: ['eu-west-1', 'eu-central-1'], allowAdequacyRegions: true } }),
    );
    const { json } = synthLethe({ policyFile: file, region: 'eu-central-1' });
    for (const [, role] of resourcesOfType(json, 'AWS::IAM::Role')) {
      const pin = role.Properties!.Policies.find((p: { PolicyName: string }) => p.PolicyName === REGION_PINNING_POLICY_NAME);
      expect(pin.PolicyDocument.Statement[0].Condition).toEqual({
        StringNotEquals: { 'aws:RequestedRegion': ['eu-west-1', 'eu-central-1'] },
      });
    }
    // eu-west-2 is an adequacy region the spec admits, but this policy's deployment.regions does not list it
    expect(() => buildLetheApp(testApp(), { cwd: ROOT, policyFile: file, region: 'eu-west-2' })).toThrow(
      /region "eu-west-2" is not allowed by .*two-regions\.yaml: deployment\.regions allows eu-west-1, eu-central-1/,
    );
  });
});

describe('bin/app.ts, as `npx cdk synth` runs it', () => {
  const runApp = (context: Record<string, unknown>, outdir = mkdtempSync(path.join(dir, 'out-'))) =>
    spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(ROOT, 'bin', 'app.ts')], {
      cwd: ROOT,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        CDK_CONTEXT_JSON: JSON.stringify(context),
        CDK_OUTDIR: outdir,
      },
    });

  it('prints the pinning error for us-east-1 and exits 1, without a stack trace', () => {
    const result = runApp({ policy: 'examples/dh-solutions.yaml', region: 'us-east-1' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /^lethe: region "us-east-1" is not allowed by examples\/dh-solutions\.yaml: deployment\.regions allows eu-north-1/,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it.each([
    ['a region the policy refuses', { policy: 'examples/dh-solutions.yaml', region: 'us-east-1' }],
    ['an invalid policy', { policy: 'test/lib/stack/fixtures/no-such-policy.yaml' }],
  ])('leaves no template behind after %s, not even an earlier one', (_, context) => {
    // GIVEN an output directory holding a template from an earlier synthesis
    const outdir = mkdtempSync(path.join(dir, 'out-'));
    writeFileSync(path.join(outdir, 'Lethe.template.json'), '{"Resources":{}}');
    writeFileSync(path.join(outdir, 'manifest.json'), '{}');
    // WHEN the app refuses to synthesize
    const result = runApp(context, outdir);
    // THEN it exits 1 and no template is left that a pipeline could deploy (an empty stack would delete everything)
    expect(result.status).toBe(1);
    expect(readdirSync(outdir).filter((f) => f.endsWith('.template.json') || f === 'manifest.json')).toEqual([]);
  });

  it('prints every error of an invalid policy with its position, and exits 1', () => {
    const file = path.join(dir, 'invalid.yaml');
    writeFileSync(file, yamlOf(basePolicyDoc({ timezone: 'Europe/Stockhlm' })));
    const result = runApp({ policy: file });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('lethe: policy is invalid');
    expect(result.stderr).toMatch(/invalid\.yaml:\d+:\d+: timezone: unknown IANA time zone "Europe\/Stockhlm"/);
    // the example systems have no connector config: deployment needs one
    expect(result.stderr).toMatch(/systems\.crm/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('another policy: lambda connectors, indexes, tag-based s3, maxConcurrency', () => {
  it('invokes a controller’s own lambda connector by ARN and creates no function for it (digmi-group)', () => {
    const { json } = synthLethe({ policyFile: 'examples/digmi-group.yaml', nag: false });
    expect(() => functionWithEnv(json, 'LETHE_SYSTEM', 'published-channels')).toThrow(/found 0/);
    const invoke = grantsOfFunction(json, functionOfService(json, 'lethe-erasure-system')).filter((st) =>
      actionsOf(st).includes('lambda:InvokeFunction'),
    );
    const targets = invoke.flatMap(resourcesOf).map(flatten);
    expect(targets).toContain('arn:{AWS::Partition}:lambda:eu-north-1:{AWS::AccountId}:function:digmi-published-content-eraser');
    // the orders connector may query its named index and no other; it anonymises email with `hmac`, so it reads the HMAC secret
    const orders = grantsOfFunction(json, functionWithEnv(json, 'LETHE_SYSTEM', 'orders'))
      .flatMap(resourcesOf)
      .map(flatten);
    expect(orders.sort()).toEqual([
      expect.stringMatching(/:table\/digmi-orders$/),
      expect.stringMatching(/:table\/digmi-orders\/index\/by-email$/),
      expect.stringMatching(/^\{KeysHmacSecret[0-9A-F]+\}$/),
    ]);
    expect(json.Resources[functionWithEnv(json, 'LETHE_SYSTEM', 'orders')].Properties!.Environment.Variables).toHaveProperty(
      'LETHE_HMAC_SECRET',
    );
    expect(json.Resources[functionWithEnv(json, 'LETHE_SYSTEM', 'accounting')].Properties!.Environment.Variables).not.toHaveProperty(
      'LETHE_HMAC_SECRET',
    );
  });

  it('lets a tag-based s3 connector reach its whole bucket (and only it), and honours maxConcurrency', () => {
    const { json } = synthLethe({ policyFile: policyFile('shop.yaml', deployable()), nag: true });
    const files = grantsOfFunction(json, functionWithEnv(json, 'LETHE_SYSTEM', 'files'));
    expect(files.flatMap(resourcesOf).map(flatten).sort()).toEqual([
      'arn:{AWS::Partition}:s3:::shop-files',
      'arn:{AWS::Partition}:s3:::shop-files/*',
    ]);
    expect(files.find((st) => actionsOf(st).includes('s3:ListBucket'))!.Condition).toBeUndefined();
    // a prefix AND a tagKey: finding the tagged objects reads the whole bucket, so no prefix condition either
    const archive = grantsOfFunction(json, functionWithEnv(json, 'LETHE_SYSTEM', 'archive'));
    expect(archive.flatMap(resourcesOf).map(flatten).sort()).toEqual([
      'arn:{AWS::Partition}:s3:::shop-archive',
      'arn:{AWS::Partition}:s3:::shop-archive/*',
    ]);
    expect(json.Resources[functionWithEnv(json, 'LETHE_SYSTEM', 'saas')].Properties!.ReservedConcurrentExecutions).toBe(2);
  });
});

describe('props', () => {
  it('applies audit, schedule, deadline and alarm props', () => {
    const { template, json } = synthLethe({
      policyFile: policyFile('props.yaml', deployable()),
      stackProps: {
        auditObjectLockMode: 'GOVERNANCE',
        auditRetentionYears: 10,
        sweepHour: 3,
        sweepMinute: 30,
        sweepTimeZone: 'UTC',
        deadlineWarningDays: 3,
        alarmEmail: 'ops@example.se',
      },
    });
    // the whole object (Match.objectEquals): a stray Days beside Years is refused by CloudFormation
    template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockConfiguration: Match.objectEquals({
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Years: 10 } },
      }),
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 3 * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
    });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.se' });
    expect(
      json.Resources[functionOfService(json, 'lethe-deadline-monitor')].Properties!.Environment.Variables.LETHE_DEADLINE_WARNING_DAYS,
    ).toBe('3');
  });

  it('takes the audit Object Lock and the alarm e-mail from context, as `-c key=value` passes them', () => {
    // GIVEN context values as the CDK CLI passes them (strings) WHEN synthesized
    const { template } = synthLethe({
      policyFile: policyFile('context.yaml', deployable()),
      nag: false,
      context: { auditObjectLockMode: 'GOVERNANCE', auditRetentionYears: '1', alarmEmail: 'dpo@example.se' },
    });
    // THEN they reach the stack
    // the whole object (Match.objectEquals): a stray Days beside Years is refused by CloudFormation
    template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockConfiguration: Match.objectEquals({
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Years: 1 } },
      }),
    });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'dpo@example.se' });
    expect(() => buildLetheApp(testApp({ auditRetentionYears: 'seven' }), { cwd: ROOT, region: 'eu-north-1', nag: false })).toThrow(
      'context auditRetentionYears must be a number; got "seven"',
    );
  });

  it.each([
    // [context value as -c passes it, the account-level API Gateway setting and its role created?]
    [undefined, true],
    ['true', true],
    ['false', false],
    [false, false],
  ])('takes apiCloudWatchRole=%p from context: account setting created %p', (value, created) => {
    // GIVEN an account that already manages API Gateway's CloudWatch role (or not) WHEN synthesized
    const { json } = synthLethe({
      policyFile: policyFile('cloudwatch-role.yaml', deployable()),
      nag: true,
      context: value === undefined ? {} : { apiCloudWatchRole: value },
    });
    // THEN the stack sets the account-level role only when asked to
    expect(resourcesOfType(json, 'AWS::ApiGateway::Account')).toHaveLength(created ? 1 : 0);
  });

  it('refuses an apiCloudWatchRole context that is not true or false', () => {
    expect(() => buildLetheApp(testApp({ apiCloudWatchRole: 'no' }), { cwd: ROOT, region: 'eu-north-1', nag: false })).toThrow(
      new StackConfigError('context apiCloudWatchRole must be true or false; got "no"'),
    );
  });

  it.each([
    [{ auditRetentionYears: 0 }, 'AuditBucket: retentionYears must be an integer from 1 to 99; got 0'],
    [{ auditObjectLockMode: 'LEGAL' as never }, 'AuditBucket: objectLockMode must be COMPLIANCE or GOVERNANCE; got "LEGAL"'],
    [{ sweepHour: 24 }, 'SweepSchedules: sweepHour must be 0 to 23; got 24'],
    [{ sweepTimeZone: 'Europe/Stockhlm' }, 'SweepSchedules: unknown IANA time zone "Europe/Stockhlm"'],
    [{ deadlineWarningDays: 0 }, 'RuntimeFunctions: deadlineWarningDays must be an integer from 1 to 90; got 0'],
    [{ alarmEmail: 'not-an-address' }, 'Operations: alarmEmail must be an e-mail address; got "not-an-address"'],
    [{ lambdasDir: '/nonexistent' }, /the handler file \/nonexistent\/connectors\/dynamodb\.ts does not exist/],
  ])('refuses %p with a message naming the value', (stackProps, message) => {
    const build = () => buildLetheApp(testApp(), { cwd: ROOT, region: 'eu-north-1', nag: false, stackProps });
    expect(build).toThrow(StackConfigError);
    expect(build).toThrow(message);
  });
});
