/**
 * Small corrections to what CDK renders, so that the template passes cfn-lint without ignoring any check.
 */
import { CfnResource, Lazy, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * CDK makes a function (or state machine) depend on its role AND the role's policy, so that it never runs before
 * its permissions exist. The role half is already implied by the `Fn::GetAtt` of the role's ARN, and cfn-lint
 * warns about it (W3005). This keeps every other dependency and drops only that one.
 */
export function dropRedundantRoleDependency(resource: IConstruct, role: IConstruct): void {
  const cfn = resource.node.defaultChild as CfnResource;
  const roleCfn = role.node.defaultChild as CfnResource;
  cfn.addOverride(
    'DependsOn',
    Lazy.list(
      {
        produce: () =>
          cfn
            .obtainDependencies()
            .filter((d): d is CfnResource => d instanceof CfnResource && d !== roleCfn)
            .map((d) => Stack.of(d).getLogicalId(d))
            .sort(),
      },
      { omitEmpty: true },
    ),
  );
}
