/**
 * Building the CDK app from a policy file: the one code path for `npx cdk synth` (bin/app.ts), the tests and the
 * diagram generator, so that what is tested is what deploys.
 *
 * Context (cdk.json or `-c key=value`):
 * - `policy`: the policy file. Default: examples/dh-solutions.yaml.
 * - `region`: the region to deploy to; it must be one the policy allows, or synthesis stops.
 * - `stackName`: the stack's name. Default: Lethe.
 * - `alarmEmail`: an e-mail address subscribed to the alarms topic.
 * - `auditObjectLockMode` (COMPLIANCE or GOVERNANCE) and `auditRetentionYears`: the audit bucket's Object Lock.
 * - `apiCloudWatchRole` (true or false): whether the stack sets API Gateway's account-level CloudWatch Logs role
 *   (false when the account already manages it). Default: true.
 * Without `region`, the CDK CLI's default region (CDK_DEFAULT_REGION, from your AWS profile) is used when the
 * policy allows it, and otherwise the first of the policy's `deployment.regions`. (The CLI reports us-east-1
 * when no profile sets a region, which is why that default is not taken as a request.)
 */
import { readdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { StackConfigError } from './errors';
import { type LoadedPolicy, loadPolicyFile } from '../policy/load';
import { readSourceFile } from '../policy/source';
import { LetheStack, type LetheStackProps } from './lethe-stack';

export const DEFAULT_POLICY = 'examples/dh-solutions.yaml';
export const DEFAULT_STACK_NAME = 'Lethe';

/**
 * Feature flags Lethe relies on, set on the app before any construct exists (cdk.json need not repeat them).
 */
export const FEATURE_FLAGS: Readonly<Record<string, unknown>> = {
  // Server access logs are authorised by a bucket policy, not an ACL (the buckets have ACLs disabled).
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
  // Merge IAM statements so that roles stay small and readable.
  '@aws-cdk/aws-iam:minimizePolicies': true,
};

export interface PolicyForDeployment {
  readonly loaded: LoadedPolicy;
  /** The document as parsed from the file, baked into the functions. */
  readonly document: unknown;
}

/** Loads and validates a policy file as deployment does. Throws `FileError` or `PolicyValidationError`. */
export function readPolicyForDeployment(file: string): PolicyForDeployment {
  const loaded = loadPolicyFile(file, { forDeployment: true });
  return { loaded, document: readSourceFile(file, 'policy').data };
}

/** The region the stack goes to: see the module comment. */
export function chooseRegion(policy: LoadedPolicy, requested: string | undefined, cliDefault: string | undefined): string {
  if (requested) return requested;
  const allowed = policy.policy.deployment.regions;
  if (cliDefault && allowed.includes(cliDefault)) return cliDefault;
  return allowed[0];
}

export interface BuildOptions {
  /**
   * Policy file, relative to `cwd`.
   * @default the app's `policy` context, else DEFAULT_POLICY
   */
  readonly policyFile?: string;
  /**
   * Region to deploy to.
   * @default the app's `region` context, else see `chooseRegion`
   */
  readonly region?: string;
  /**
   * Account.
   * @default process.env.CDK_DEFAULT_ACCOUNT (undefined offline: the stack stays account-agnostic)
   */
  readonly account?: string;
  /**
   * Directory that relative policy paths start from.
   * @default process.cwd()
   */
  readonly cwd?: string;
  /**
   * Run cdk-nag's AwsSolutions checks at synthesis.
   * @default true
   */
  readonly nag?: boolean;
  /** Further stack props (tests use them to point at other directories). */
  readonly stackProps?: Partial<Omit<LetheStackProps, 'policy' | 'policyDocument'>>;
}

/** Adds the Lethe stack for a policy file to `app` (with cdk-nag). Throws LetheError subclasses for bad input. */
export function buildLetheApp(app: App, options: BuildOptions = {}): LetheStack {
  const context = (key: string): string | undefined => {
    const value: unknown = app.node.tryGetContext(key);
    return typeof value === 'string' && value.length > 0 ? value : undefined;
  };
  const numberContext = (key: string): number | undefined => {
    const value: unknown = app.node.tryGetContext(key);
    if (value === undefined || value === '') return undefined;
    const n = Number(value);
    if (!Number.isFinite(n))
      throw new StackConfigError(`context ${key} must be a number; got "${typeof value === 'string' ? value : JSON.stringify(value)}"`);
    return n;
  };
  const booleanContext = (key: string): boolean | undefined => {
    const value: unknown = app.node.tryGetContext(key);
    if (value === undefined || value === '') return undefined;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    throw new StackConfigError(`context ${key} must be true or false; got "${typeof value === 'string' ? value : JSON.stringify(value)}"`);
  };
  const policyFile = options.policyFile ?? context('policy') ?? DEFAULT_POLICY;
  const absolute = path.resolve(options.cwd ?? process.cwd(), policyFile);
  const { loaded, document } = readPolicyForDeployment(absolute);
  const policy = { ...loaded, file: policyFile };
  const region = chooseRegion(policy, options.region ?? context('region'), process.env.CDK_DEFAULT_REGION);

  const stack = new LetheStack(app, context('stackName') ?? DEFAULT_STACK_NAME, {
    env: { account: options.account ?? process.env.CDK_DEFAULT_ACCOUNT, region },
    policy,
    policyDocument: document,
    alarmEmail: context('alarmEmail'),
    auditObjectLockMode: context('auditObjectLockMode') as LetheStackProps['auditObjectLockMode'],
    auditRetentionYears: numberContext('auditRetentionYears'),
    apiCloudWatchRole: booleanContext('apiCloudWatchRole'),
    ...options.stackProps,
  });
  // Acknowledged findings are also written into the template (Metadata.cdk_nag), so a reviewer reads every reason there.
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true }));
  return stack;
}

/** Sets FEATURE_FLAGS on a fresh app (before any construct is added). */
export function applyFeatureFlags(app: App): App {
  for (const [key, value] of Object.entries(FEATURE_FLAGS)) app.node.setContext(key, value);
  return app;
}

/**
 * Builds the app (`build`) and synthesizes it. When either fails (bad input, a region the policy refuses, a cdk-nag
 * finding), every stack template and the manifest are removed from the output directory before the error is
 * rethrown, the earlier synthesis's included: a pipeline that deploys from `cdk.out` must find nothing to deploy,
 * never a partial template (an empty stack would delete everything not retained) or a stale one. The validation
 * report stays. The app must be made with `autoSynth: false`, or CDK synthesizes what was built when the process exits.
 */
export function synthesizeOrDiscard(app: App, build: () => unknown): void {
  try {
    build();
    app.synth();
  } catch (error) {
    discardTemplates(app.outdir);
    throw error;
  }
}

/** Removes the stack templates (`*.template.json`) and the cloud assembly manifest from `outdir`. */
export function discardTemplates(outdir: string): void {
  let files: string[];
  try {
    files = readdirSync(outdir);
  } catch {
    return; // nothing was written
  }
  for (const file of files) {
    if (file.endsWith('.template.json') || file === 'manifest.json') rmSync(path.join(outdir, file), { force: true });
  }
}
