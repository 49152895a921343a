/**
 * The expiry sweep of one purpose (Standard parent): read the due holdings from the due index page by page and
 * fan each page's batches out to a Distributed Map whose children are Express executions, so that sweeping
 * millions of holdings costs cents. The definition is statemachines/sweep.asl.json.
 */
import * as path from 'node:path';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { StackConfigError } from './errors';
import { ASL_SUBSTITUTIONS } from '../core/contract';
import { AslStateMachine } from './asl-state-machine';

export interface SweepWorkflowProps {
  /** Directory holding `sweep.asl.json`. */
  readonly statemachinesDir: string;
  readonly readFunction: lambda.IFunction;
  readonly applyFunction: lambda.IFunction;
  /** Key of the execution log group. */
  readonly logKey: kms.IKey;
  /**
   * Log level of the execution logs (execution data is always excluded).
   * @default sfn.LogLevel.ERROR
   */
  readonly logLevel?: sfn.LogLevel;
  /**
   * How long the execution logs are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

export class SweepWorkflow extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: logs.LogGroup;

  public constructor(scope: Construct, id: string, props: SweepWorkflowProps) {
    super(scope, id);
    const definitionFile = path.join(props.statemachinesDir, 'sweep.asl.json');
    const machine = new AslStateMachine(this, 'Workflow', {
      definitionFile,
      stateMachineType: sfn.StateMachineType.STANDARD,
      comment: 'Lethe expiry sweep of one purpose: due index pages, Distributed Map of Express children',
      functions: {
        [ASL_SUBSTITUTIONS['sweep-read']]: props.readFunction,
        [ASL_SUBSTITUTIONS['sweep-apply']]: props.applyFunction,
      },
      logKey: props.logKey,
      logLevel: props.logLevel,
      logRetention: props.logRetention,
    });
    if (machine.distributedMaps.length === 0) {
      throw new StackConfigError(`${this.node.path}: ${definitionFile} has no Map state in DISTRIBUTED mode; the sweep fans out with one`);
    }
    this.stateMachine = machine.stateMachine;
    this.logGroup = machine.logGroup;
  }
}
