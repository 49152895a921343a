/**
 * cdk-nag's AwsSolutions pack: zero unacknowledged findings, every acknowledgement with a written reason, and
 * proof that the check is live (a planted violation fails synthesis).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import { buildLetheApp, synthesizeOrDiscard } from '../../../lib/stack/app';
import { ROOT, synthLethe, testApp } from './synth';

jest.setTimeout(120_000);

interface Report {
  pluginReports: {
    pluginName: string;
    conclusion: string;
    violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[];
  }[];
}
const reportIn = (outdir: string): Report => JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as Report;

function acknowledgements(root: IConstruct): { path: string; id: string; reason: string }[] {
  const found: { path: string; id: string; reason: string }[] = [];
  const visit = (c: IConstruct) => {
    for (const entry of c.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) found.push({ path: c.node.path, id, reason });
    }
    c.node.children.forEach(visit);
  };
  visit(root);
  return found;
}

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in the stack', () => {
    // GIVEN the default app WHEN synthesized with the AwsSolutions pack THEN synthesis succeeds and reports nothing
    const { outdir } = synthLethe({ policyFile: 'examples/dh-solutions.yaml' });
    const violations = reportIn(outdir).pluginReports.flatMap((r) => r.violations);
    expect(violations).toEqual([]);
  });

  it.each(['examples/dh-solutions.yaml', 'examples/digmi-group.yaml'])(
    'finds nothing unacknowledged in %s with a concrete account, as `cdk deploy` with credentials synthesizes',
    (policyFile) => {
      // GIVEN a known account and region (CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION of a profile)
      // WHEN synthesized with the AwsSolutions pack THEN synthesis succeeds and reports nothing: every acknowledgement
      // that names an ARN names it as cdk-nag prints it for this account, not only for an account-agnostic stack
      const { outdir, json } = synthLethe({ policyFile, account: '111111111111', region: 'eu-north-1' });
      expect(reportIn(outdir).pluginReports.flatMap((r) => r.violations)).toEqual([]);
      expect(JSON.stringify(json)).toContain(':111111111111:');
    },
  );

  it('acknowledges findings narrowly, each with a written reason, and records them in the template', () => {
    const { stack, json } = synthLethe({ policyFile: 'examples/digmi-group.yaml' });
    const acks = acknowledgements(stack);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.reason.length).toBeGreaterThanOrEqual(40);
      // never a whole rule on the whole stack
      expect(ack.path).not.toBe(stack.node.path);
    }
    // wildcard-permission acknowledgements name the exact finding, never all of AwsSolutions-IAM5
    for (const ack of acks.filter((a) => a.id.includes('IAM5'))) expect(ack.id).toMatch(/AwsSolutions-IAM5\[(Resource|Action)::.+\]$/);
    const inTemplate = Object.values(json.Resources).flatMap(
      (r) =>
        (r as { Metadata?: { cdk_nag?: { rules_to_suppress: { id: string; reason: string }[] } } }).Metadata?.cdk_nag?.rules_to_suppress ??
        [],
    );
    expect(inTemplate.length).toBeGreaterThan(0);
    for (const rule of inTemplate) expect(rule.reason).toEqual(expect.stringMatching(/\w.{39,}/));
  });

  it('is live: a planted non-compliant bucket and wildcard role fail synthesis', () => {
    // GIVEN the stack plus a bucket without TLS enforcement or access logs, and a role allowed s3:* on *
    const app = testApp();
    const stack = buildLetheApp(app, { cwd: ROOT, region: 'eu-north-1' });
    new s3.Bucket(stack, 'PlantedBucket');
    new iam.Role(stack, 'PlantedRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }).addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:*'], resources: ['*'] }),
    );
    // WHEN synthesized THEN synthesis fails, and the report names exactly the planted constructs
    expect(() => app.synth()).toThrow(/AwsSolutions-S10/);
    const violations = reportIn(app.outdir).pluginReports.flatMap((r) => r.violations);
    const paths = new Set(violations.flatMap((v) => v.violatingConstructs.map((c) => c.constructPath.split('/')[1])));
    expect(paths).toEqual(new Set(['PlantedBucket', 'PlantedRole']));
    expect(violations.map((v) => v.ruleName)).toEqual(
      expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10', 'AwsSolutions-IAM5[Action::s3:*]']),
    );
  });

  it('leaves no template behind when a finding fails synthesis (bin/app.ts synthesizes this way)', () => {
    // GIVEN an output directory with an earlier template, and the stack plus a planted non-compliant bucket
    const app = testApp();
    writeFileSync(path.join(app.outdir, 'Lethe.template.json'), '{"Resources":{}}');
    const build = () => new s3.Bucket(buildLetheApp(app, { cwd: ROOT, region: 'eu-north-1' }), 'PlantedBucket');
    // WHEN synthesized THEN synthesis fails on the finding, the report stays for the reader, and no template is left
    expect(() => synthesizeOrDiscard(app, build)).toThrow(/AwsSolutions-S10/);
    const left = readdirSync(app.outdir);
    expect(left).toContain('validation-report.json');
    expect(left.filter((f) => f.endsWith('.template.json') || f === 'manifest.json')).toEqual([]);
  });
});
