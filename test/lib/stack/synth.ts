/**
 * Synthesizing the Lethe app in tests: the same `buildLetheApp` as `npx cdk synth`, with bundling skipped
 * (esbuild is exercised once, in lethe-function.test.ts) and CDK's built-in template validation off (cfn-lint
 * runs over the real synth in .ci/run), so that a synth takes seconds. cdk-nag stays on: a finding fails synth.
 */
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { applyFeatureFlags, type BuildOptions, buildLetheApp } from '../../../lib/stack/app';
import type { LetheStack } from '../../../lib/stack/lethe-stack';
import { tempDir } from '../../support/temp-dir';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const EXAMPLES = path.join(ROOT, 'examples');

export interface Synthesized {
  readonly app: App;
  readonly stack: LetheStack;
  readonly template: Template;
  readonly json: CfnTemplate;
  readonly outdir: string;
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, any>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly DependsOn?: string[];
}
export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
}

/** A fresh app as bin/app.ts makes it, with test context. */
export function testApp(context: Record<string, unknown> = {}): App {
  const outdir = tempDir('lethe-cdk-');
  return applyFeatureFlags(
    new App({ outdir, builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [], ...context } }),
  );
}

/** Builds and synthesizes the app (cdk-nag included unless `nag: false`). */
export function synthLethe(options: BuildOptions & { readonly context?: Record<string, unknown> } = {}): Synthesized {
  const app = testApp(options.context);
  const stack = buildLetheApp(app, { cwd: ROOT, region: 'eu-north-1', ...options });
  const assembly = app.synth();
  const json = assembly.getStackByName(stack.stackName).template as CfnTemplate;
  return { app, stack, template: Template.fromJSON(json), json, outdir: assembly.directory };
}

// ---------------------------------------------------------------------------------------------------------
// Finding resources by what they are (environment, service name), never by hashed logical ids.
// ---------------------------------------------------------------------------------------------------------

export function resourcesOfType(json: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(json.Resources).filter(([, r]) => r.Type === type);
}

/** The logical id of the function whose environment has `name` = `value`. */
export function functionWithEnv(json: CfnTemplate, name: string, value: string): string {
  const found = resourcesOfType(json, 'AWS::Lambda::Function').filter(([, r]) => r.Properties?.Environment?.Variables?.[name] === value);
  if (found.length !== 1) throw new Error(`expected one function with ${name}=${value}; found ${found.length}`);
  return found[0][0];
}

/** The logical id of the Lethe function with POWERTOOLS_SERVICE_NAME `service` (e.g. `lethe-api`). */
export const functionOfService = (json: CfnTemplate, service: string): string => functionWithEnv(json, 'POWERTOOLS_SERVICE_NAME', service);

export function roleOfFunction(json: CfnTemplate, functionId: string): string {
  const role = json.Resources[functionId].Properties?.Role;
  if (!role?.['Fn::GetAtt']) throw new Error(`function ${functionId} has no role reference`);
  return role['Fn::GetAtt'][0] as string;
}

export interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, unknown>;
}

/** Every statement that applies to a role: its inline policies and every AWS::IAM::Policy attached to it. */
export function statementsOfRole(json: CfnTemplate, roleId: string): Statement[] {
  const inline = (json.Resources[roleId].Properties?.Policies ?? []).flatMap(
    (p: { PolicyDocument: { Statement: Statement[] } }) => p.PolicyDocument.Statement,
  );
  const attached = resourcesOfType(json, 'AWS::IAM::Policy')
    .filter(([, r]) => (r.Properties?.Roles ?? []).some((ref: { Ref?: string }) => ref.Ref === roleId))
    .flatMap(([, r]) => r.Properties!.PolicyDocument.Statement as Statement[]);
  return [...inline, ...attached];
}

export const actionsOf = (s: Statement): string[] => (s.Action === undefined ? [] : Array.isArray(s.Action) ? s.Action : [s.Action]);
export const resourcesOf = (s: Statement): unknown[] => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

/** The Allow statements of a function's role, minus the ones every function has (own logs, X-Ray). */
export function grantsOfFunction(json: CfnTemplate, functionId: string): Statement[] {
  return statementsOfRole(json, roleOfFunction(json, functionId)).filter(
    (s) =>
      s.Effect === 'Allow' &&
      !actionsOf(s).every((a) => a.startsWith('xray:') || a === 'logs:CreateLogStream' || a === 'logs:PutLogEvents'),
  );
}

/** Logical ids that a value references with Ref or Fn::GetAtt. */
export function referencedIds(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => referencedIds(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'Ref' && typeof v === 'string') out.add(v);
      else if (k === 'Fn::GetAtt' && Array.isArray(v)) out.add(v[0] as string);
      else referencedIds(v, out);
    }
  }
  return out;
}

/** A CloudFormation value flattened to text (Fn::Join parts concatenated, Refs as `{Ref}`) for matching. */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(flatten).join(',');
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(flatten).join(sep);
    }
    if ('Ref' in o) return `{${String(o.Ref)}}`;
    if ('Fn::GetAtt' in o) return `{${(o['Fn::GetAtt'] as string[]).join('.')}}`;
    return JSON.stringify(o);
  }
  return String(value);
}
