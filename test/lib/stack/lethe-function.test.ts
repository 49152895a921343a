/**
 * LetheFunction with real bundling (the local esbuild, no Docker): the policy document is baked into the bundle,
 * which is minified with a source map, and the function's role starts with nothing but its own log group.
 */
import { readdirSync, readFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { LetheFunction } from '../../../lib/stack/lethe-function';
import { statementsOfRole, type CfnTemplate } from './synth';

jest.setTimeout(120_000);

const policyDocument = { version: 1, controller: { name: 'Exempel AB', contact: 'dpo@example.se' }, note: 'quotes " and \\ survive' };

describe('LetheFunction', () => {
  let outdir: string;
  let json: CfnTemplate;
  beforeAll(() => {
    // GIVEN a function for a fixture entry WHEN the app is synthesized with bundling on
    outdir = mkdtempSync(path.join(tmpdir(), 'lethe-fn-'));
    const app = new App({ outdir, builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'T', { env: { region: 'eu-north-1' } });
    new LetheFunction(stack, 'Echo', {
      entry: path.join(__dirname, 'fixtures', 'policy-echo.ts'),
      serviceName: 'lethe-echo',
      description: 'test',
      policyDocument,
      logKey: new kms.Key(stack, 'Key'),
    });
    json = app.synth().getStackByName('T').template as CfnTemplate;
  });

  it('bakes the policy document into the bundle, minified, with a source map', async () => {
    const [assetDir] = readdirSync(outdir).filter((f) => f.startsWith('asset.'));
    const bundle = path.join(outdir, assetDir, 'index.js');
    expect(existsSync(`${bundle}.map`)).toBe(true);
    expect(readFileSync(bundle, 'utf8')).not.toContain('process.env.LETHE_POLICY_JSON');
    // THEN the handler, run from the bundle, returns the document exactly
    const { handler } = require(bundle) as { handler: () => Promise<string> };
    expect(JSON.parse(await handler())).toEqual(policyDocument);
  });

  it('runs on Node 22, ARM64, with X-Ray and its own encrypted log group', () => {
    Template.fromJSON(json).hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      Environment: {
        Variables: { POWERTOOLS_SERVICE_NAME: 'lethe-echo', POWERTOOLS_METRICS_NAMESPACE: 'Lethe', POWERTOOLS_LOG_LEVEL: 'INFO' },
      },
    });
  });

  it('gives the role its own log group and X-Ray, nothing else', () => {
    const [roleId] = Object.entries(json.Resources).find(([, r]) => r.Type === 'AWS::IAM::Role')!;
    const actions = statementsOfRole(json, roleId).flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions.sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
  });
});
