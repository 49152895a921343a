/**
 * The erasure workflow (Standard): mark the request running and plan it, run each planned system's connector
 * (bounded concurrency, retries on transient errors, a failed system recorded without stopping the others), then
 * write the audit and set the final status. The definition is statemachines/erasure.asl.json.
 */
import * as path from 'node:path';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ASL_SUBSTITUTIONS } from '../core/contract';
import { AslStateMachine } from './asl-state-machine';

export interface ErasureWorkflowProps {
  /** Directory holding `erasure.asl.json`. */
  readonly statemachinesDir: string;
  readonly planFunction: lambda.IFunction;
  readonly systemFunction: lambda.IFunction;
  readonly finishFunction: lambda.IFunction;
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

export class ErasureWorkflow extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: logs.LogGroup;

  public constructor(scope: Construct, id: string, props: ErasureWorkflowProps) {
    super(scope, id);
    const machine = new AslStateMachine(this, 'Workflow', {
      definitionFile: path.join(props.statemachinesDir, 'erasure.asl.json'),
      stateMachineType: sfn.StateMachineType.STANDARD,
      comment: 'Lethe erasure request: plan, erase in each system, audit',
      functions: {
        [ASL_SUBSTITUTIONS['erasure-plan']]: props.planFunction,
        [ASL_SUBSTITUTIONS['erasure-system']]: props.systemFunction,
        [ASL_SUBSTITUTIONS['erasure-finish']]: props.finishFunction,
      },
      logKey: props.logKey,
      logLevel: props.logLevel,
      logRetention: props.logRetention,
    });
    this.stateMachine = machine.stateMachine;
    this.logGroup = machine.logGroup;
  }
}
