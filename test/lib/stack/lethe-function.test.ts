/**
 * LetheFunction with real bundling (the local esbuild, no Docker): the policy document is baked into the bundle,
 * which is minified with a source map, and the function's role starts with nothing but its own log group.
 */
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { LetheFunction } from '../../../lib/stack/lethe-function';
import { statementsOfRole, type CfnTemplate } from './synth';
import { tempDir } from '../../support/temp-dir';

jest.setTimeout(120_000);

const policyDocument = { version: 1, controller: { name: 'Exempel AB', contact: 'dpo@example.se' }, note: 'quotes " and \\ survive' };

describe('LetheFunction', () => {
  let outdir: string;
  let json: CfnTemplate;
  beforeAll(() => {
    // GIVEN a function for a fixture entry WHEN the app is synthesized with bundling on
    outdir = tempDir('lethe-fn-');
    const app = new App({ outdir, builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'T', { env: { region: 'eu-north-1' } });
    const logKey = new kms.Key(stack, 'Key');
    new LetheFunction(stack, 'Echo', {
      entry: path.join(__dirname, 'fixtures', 'policy-echo.ts'),
      serviceName: 'lethe-echo',
      description: 'test',
      policyDocument,
      logKey,
    });
    new LetheFunction(stack, 'Sdk', {
      entry: path.join(__dirname, 'fixtures', 'sdk-client.ts'),
      serviceName: 'lethe-sdk',
      description: 'test',
      policyDocument,
      logKey,
    });
    json = app.synth().getStackByName('T').template as CfnTemplate;
  });

  /** The bundle of the function with POWERTOOLS_SERVICE_NAME `service`, from the asset its template resource names. */
  const bundleOf = (service: string): string => {
    const [, fn] = Object.entries(json.Resources).find(
      ([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties?.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === service,
    )!;
    // the asset's S3 key is its hash, and the staged asset is the directory asset.<hash>
    const key = fn.Properties!.Code.S3Key as string;
    return path.join(outdir, `asset.${key.replace(/\.zip$/, '')}`, 'index.js');
  };

  it('carries the AWS SDK and every other dependency in the bundle, so it runs where no node_modules is', async () => {
    // GIVEN the bundle of a handler that uses an SDK client and p-limit, copied where no node_modules can be found
    const lone = path.join(tempDir('lethe-lone-'), 'index.js');
    copyFileSync(bundleOf('lethe-sdk'), lone);
    const required = [...readFileSync(lone, 'utf8').matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
    // nothing outside Node itself, but the CRT signer, which the SDK requires inside a try and only for SigV4a (unused)
    expect(required.filter((name) => !name.startsWith('node:') && !builtinModules.includes(name))).toEqual(
      required.filter((name) => name === '@aws-sdk/signature-v4-crt'),
    );
    // WHEN it runs THEN the SDK it was tested with is inside, not the one the Lambda runtime happens to ship
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loads the bundle just built
    const { handler } = require(lone) as { handler: () => Promise<string> };
    await expect(handler()).resolves.toBe('function');
  });

  it('maps stack traces to the sources (NODE_OPTIONS=--enable-source-maps beside the source map)', () => {
    for (const service of ['lethe-echo', 'lethe-sdk']) {
      Template.fromJSON(json).hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: { POWERTOOLS_SERVICE_NAME: service, NODE_OPTIONS: '--enable-source-maps' } },
      });
      expect(existsSync(`${bundleOf(service)}.map`)).toBe(true);
    }
  });

  it('bakes the policy document into the bundle, minified, with a source map', async () => {
    const bundle = bundleOf('lethe-echo');
    expect(existsSync(`${bundle}.map`)).toBe(true);
    expect(readFileSync(bundle, 'utf8')).not.toContain('process.env.LETHE_POLICY_JSON');
    // THEN the handler, run from the bundle, returns the document exactly
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loads the bundle just built
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
    // (the first role is the Echo function's; the Sdk function's role is made the same way)
    const actions = statementsOfRole(json, roleId).flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions.sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
  });
});
