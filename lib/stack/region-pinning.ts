/**
 * EU-region pinning. Two halves:
 * - `assertRegionAllowed`: synthesis stops with a clear message when the stack's region is not one the policy
 *   allows (`deployment.regions`, which the policy validator already limits to what the spec admits).
 * - `RegionPinning`: an Aspect that gives EVERY IAM role in the stack (ours, and those CDK creates for us) an
 *   inline policy denying any request to a region outside the allowed ones, global services excepted. Applied
 *   to the CloudFormation resources, so no role can be missed, however it was made.
 */
import { Annotations, CfnResource, type IAspect, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { RegionNotAllowedError, StackConfigError } from './errors';
import { GLOBAL_SERVICE_ACTIONS } from '../policy/regions';

/** Name of the inline policy the aspect adds to every role. */
export const REGION_PINNING_POLICY_NAME = 'LetheRegionPinning';

/** Throws RegionNotAllowedError unless `region` is one of `allowed`. */
export function assertRegionAllowed(region: string, allowed: readonly string[], policyFile: string): void {
  if (Token.isUnresolved(region)) {
    throw new StackConfigError(
      `the stack has no concrete region, so region pinning cannot be checked; set one (npx cdk synth -c region=${allowed[0] ?? 'eu-north-1'})`,
    );
  }
  if (!allowed.includes(region)) throw new RegionNotAllowedError(region, allowed, policyFile);
}

/** The deny statement: everything except global services, outside `allowed`. */
export function regionDenyStatement(allowed: readonly string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'DenyOutsideAllowedRegions',
    effect: iam.Effect.DENY,
    notActions: [...GLOBAL_SERVICE_ACTIONS],
    resources: ['*'],
    conditions: { StringNotEquals: { 'aws:RequestedRegion': [...allowed] } },
  });
}

export class RegionPinning implements IAspect {
  private readonly document: Record<string, unknown>;

  public constructor(public readonly allowed: readonly string[]) {
    if (allowed.length === 0) throw new StackConfigError('RegionPinning: expected at least one allowed region; got none');
    this.document = new iam.PolicyDocument({ statements: [regionDenyStatement(allowed)] }).toJSON() as Record<string, unknown>;
  }

  public visit(node: IConstruct): void {
    if (node instanceof iam.CfnRole) {
      const policies = node.policies;
      if (Token.isUnresolved(policies)) {
        Annotations.of(node).addError(`${REGION_PINNING_POLICY_NAME}: the role's inline policies are a token; cannot add the region deny`);
        return;
      }
      const list = (policies ?? []) as unknown[];
      if (list.some((p) => (p as iam.CfnRole.PolicyProperty)?.policyName === REGION_PINNING_POLICY_NAME)) return;
      node.policies = [...list, { policyName: REGION_PINNING_POLICY_NAME, policyDocument: this.document }] as iam.CfnRole.PolicyProperty[];
    } else if (node instanceof CfnResource && node.cfnResourceType === 'AWS::IAM::Role') {
      // A role declared without the L1 class (e.g. by a custom resource provider): refuse rather than leave it unpinned.
      Annotations.of(node).addError(
        `${REGION_PINNING_POLICY_NAME}: ${node.node.path} is an IAM role Lethe cannot pin (not an AWS::IAM::Role L1); remove it`,
      );
    }
  }
}
