/**
 * A state machine from a readable ASL file (statemachines/*.asl.json) via DefinitionBody.fromFile and
 * definitionSubstitutions. `fromFile` grants nothing, so this construct grants lambda:InvokeFunction on exactly
 * the substituted functions, and, when the definition holds a Distributed Map, what Step Functions needs to run
 * the child executions. Logs go to a CMK-encrypted log group with execution data EXCLUDED (no personal data in
 * logs), and X-Ray tracing is on.
 */
import { readFileSync } from 'node:fs';
import { ArnFormat, Fn, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { StackConfigError } from './errors';
import { dropRedundantRoleDependency } from './cfn-tidy';
import { acknowledgeNag } from './nag';
import { grantInvoke } from './grants';

export interface AslStateMachineProps {
  /** Path of the ASL file. */
  readonly definitionFile: string;
  /** Substitution name (as written `${Name}` in the file) → the function whose ARN replaces it. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  readonly stateMachineType: sfn.StateMachineType;
  /** Key of the log group. */
  readonly logKey: kms.IKey;
  /**
   * Log level. ALL records every state transition (without execution data), ERROR only failures (issue 16: the
   * history of every execution stays in Step Functions itself; ALL cost more than the functions' own lines).
   * @default sfn.LogLevel.ERROR
   */
  readonly logLevel?: sfn.LogLevel;
  /**
   * How long the execution logs are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /** Shown in the console, for operators. */
  readonly comment: string;
  /**
   * The state machine's name.
   * @default the stack name and this construct's path, e.g. `Lethe-Sweep-Workflow-0F45E699`
   */
  readonly stateMachineName?: string;
}

/** The `${Name}` placeholders of an ASL text, sorted, without duplicates. */
export function aslPlaceholders(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]))].sort();
}

interface AslState {
  readonly Type?: string;
  readonly ItemProcessor?: { readonly ProcessorConfig?: { readonly Mode?: string }; readonly States?: Record<string, AslState> };
  readonly Iterator?: { readonly States?: Record<string, AslState> };
  readonly Branches?: readonly { readonly States?: Record<string, AslState> }[];
}

/** Names of the Map states of a definition (at any depth) that run in DISTRIBUTED mode. */
export function distributedMapStates(definition: { readonly States?: Record<string, AslState> }): string[] {
  const found: string[] = [];
  const walk = (states: Record<string, AslState> | undefined) => {
    for (const [name, state] of Object.entries(states ?? {})) {
      if (state.Type === 'Map' && state.ItemProcessor?.ProcessorConfig?.Mode === 'DISTRIBUTED') found.push(name);
      walk(state.ItemProcessor?.States);
      walk(state.Iterator?.States);
      for (const branch of state.Branches ?? []) walk(branch.States);
    }
  };
  walk(definition.States);
  return found;
}

/**
 * How cdk-nag prints an execution ARN of the named state machine: the region and account as the stack has them,
 * concrete when known (`cdk deploy` with credentials: eu-north-1, 111111111111), pseudo parameters otherwise.
 */
export const executionFinding = (stack: Stack, name: string, suffix: string): string => {
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
  return `arn:<AWS::Partition>:states:${region}:${account}:execution:${name}${suffix}`;
};

export class AslStateMachine extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: logs.LogGroup;
  /** Names of the definition's Distributed Map states. */
  public readonly distributedMaps: readonly string[];

  public constructor(scope: Construct, id: string, props: AslStateMachineProps) {
    super(scope, id);
    let text: string;
    try {
      text = readFileSync(props.definitionFile, 'utf8');
    } catch (error) {
      throw new StackConfigError(`${this.node.path}: cannot read the state machine definition ${props.definitionFile}`, { cause: error });
    }
    let definition: { States?: Record<string, AslState> };
    try {
      definition = JSON.parse(text) as typeof definition;
    } catch (error) {
      throw new StackConfigError(`${this.node.path}: ${props.definitionFile} is not valid JSON: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const placeholders = aslPlaceholders(text);
    const missing = placeholders.filter((name) => !props.functions[name]);
    if (missing.length > 0) {
      throw new StackConfigError(
        `${this.node.path}: ${props.definitionFile} uses ${missing.map((m) => `\${${m}}`).join(', ')} but no function is given for ` +
          `${missing.length === 1 ? 'it' : 'them'}; known: ${Object.keys(props.functions).join(', ') || '(none)'}`,
      );
    }
    // Substitute only what the file uses (an unused substitution is a cfn-lint warning and a sign of drift).
    const used = placeholders.map((name) => [name, props.functions[name]] as const);
    this.distributedMaps = distributedMapStates(definition);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      // Under /aws/vendedlogs/ so that Step Functions' log delivery does not grow the account's log resource policy.
      // The name ends with the stack's id (its UUID), which no later stack shares: the group outlives a `cdk destroy`,
      // and a fixed name would make the next deploy under the same stack name fail with "already exists".
      logGroupName: Fn.join('', [
        `/aws/vendedlogs/states/${Names.uniqueResourceName(this, { maxLength: 400, separator: '-' })}-`,
        Fn.select(2, Fn.split('/', Stack.of(this).stackId)),
      ]),
      encryptionKey: props.logKey,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      // Kept when the stack is deleted, deleted when its first create fails (nothing worth keeping was logged yet).
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });

    // An explicit name: the Distributed Map grants below name this state machine's executions by it.
    const stateMachineName = props.stateMachineName ?? Names.uniqueResourceName(this, { maxLength: 80, separator: '-' });
    const level = props.logLevel ?? sfn.LogLevel.ERROR;
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName,
      comment: props.comment,
      definitionBody: sfn.DefinitionBody.fromFile(props.definitionFile),
      definitionSubstitutions: Object.fromEntries(used.map(([name, fn]) => [name, fn.functionArn])),
      stateMachineType: props.stateMachineType,
      tracingEnabled: true,
      logs: { destination: this.logGroup, level, includeExecutionData: false },
    });
    if (level !== sfn.LogLevel.ALL) {
      acknowledgeNag(
        this.stateMachine,
        'AwsSolutions-SF1',
        `Logs at ${level}, not ALL (issue 16): a Standard execution's whole history stays in Step Functions for 90 ` +
          "days (GetExecutionHistory, the console); the failures, also the sweep Map's Express children's, are logged " +
          'and alarmed. ALL writes five log events per Task of every sweep page and erasure. workflowLogLevel sets ALL.',
      );
    }
    grantInvoke(
      this.stateMachine,
      used.map(([, fn]) => fn.functionArn),
    );
    dropRedundantRoleDependency(this.stateMachine, this.stateMachine.role);

    const suppressions = [
      'Logs: CloudWatch Logs vended log delivery (logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, ' +
        'ListLogDeliveries, PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups) supports no resource-level permissions',
      'X-Ray: xray:PutTraceSegments, PutTelemetryRecords, GetSamplingRules and GetSamplingTargets support no resource-level permissions',
    ];

    if (this.distributedMaps.length > 0) {
      // A Distributed Map starts child executions of this state machine, so Step Functions requires these grants on
      // its own ARN. They live in a separate policy (not the role's default one) so that the ARN creates no cycle, and
      // name the state machine explicitly so that the grant reads as exactly "this state machine's executions".
      const stack = Stack.of(this);
      const executions = (suffix: string) =>
        stack.formatArn({
          service: 'states',
          resource: 'execution',
          resourceName: `${stateMachineName}${suffix}`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        });
      const policy = new iam.Policy(this, 'DistributedMapPolicy', {
        statements: [
          new iam.PolicyStatement({
            sid: 'StartChildExecutions',
            actions: ['states:StartExecution'],
            resources: [this.stateMachine.stateMachineArn],
          }),
          new iam.PolicyStatement({
            sid: 'ManageChildExecutions',
            actions: ['states:DescribeExecution', 'states:StopExecution'],
            resources: [executions(':*')],
          }),
          new iam.PolicyStatement({ sid: 'RedriveMapRuns', actions: ['states:RedriveExecution'], resources: [executions('/*:*')] }),
        ],
      });
      this.stateMachine.role.attachInlinePolicy(policy);
      acknowledgeNag(
        policy,
        'AwsSolutions-IAM5',
        `Distributed Map (${this.distributedMaps.join(', ')}): Step Functions describes, stops and redrives the child executions ` +
          "of THIS state machine, whose names are chosen at run time; the grant is limited to this state machine's executions.",
        [`Resource::${executionFinding(stack, stateMachineName, ':*')}`, `Resource::${executionFinding(stack, stateMachineName, '/*:*')}`],
      );
    }

    acknowledgeNag(this.stateMachine.role, 'AwsSolutions-IAM5', suppressions.join('. '), ['Resource::*']);
  }
}
