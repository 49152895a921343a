/**
 * Acknowledging cdk-nag findings (cdk-nag 3 reads CDK's own `Validations.acknowledge`). Every acknowledgement
 * carries a written reason and names the exact finding (`AwsSolutions-IAM5[Resource::*]`) when the rule reports
 * several, so that it cannot hide a different finding of the same rule.
 */
import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledge `rule` on `scope` (and its children) for `reason`; with `findings`, only those findings of the rule.
 */
export function acknowledgeNag(scope: IConstruct, rule: string, reason: string, findings: readonly string[] = []): void {
  if (reason.trim().length < 20) throw new Error(`acknowledging ${rule} on ${scope.node.path} needs a real reason; got "${reason}"`);
  if (findings.length === 0) {
    Validations.of(scope).acknowledge({ id: rule, reason });
    return;
  }
  for (const finding of findings) Validations.of(scope).acknowledge({ id: `${rule}[${finding}]`, reason });
}

/** The IAM5 finding id of a resource ARN built from `resource`'s `Arn` attribute, e.g. `Resource::<AuditBucket1234.Arn>/*`. */
export function arnFinding(resource: IConstruct, suffix: string): string {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- an L2's defaultChild or an L1 itself
  const cfn = (resource.node.defaultChild ?? resource) as CfnElement;
  return `Resource::<${Stack.of(resource).getLogicalId(cfn)}.Arn>${suffix}`;
}
