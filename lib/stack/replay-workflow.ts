/**
 * Replay after a restore (issue 19, item 3): the tombstones table, the KMS key of their own family that wraps their
 * per-period data keys (lib/runtime/tombstones.ts), and the replay state machine (statemachines/replay.asl.json) that
 * applies a system's tombstones since a restore point again (lib/runtime/replay.ts; `lethe replay` starts it).
 *
 * The erasure and sweep functions that write tombstones (erasure-system and erasure-finish, sweep-apply, ledger-stream)
 * get the table and the key to write them (GetItem, PutItem, Query; GenerateDataKey and Decrypt under the encryption
 * context `lethe:use` = `tombstone` only); the replay function gets them to read them and delete the keys past their
 * window. The table keeps point-in-time recovery for `tableRecoveryDays`: a key item restored from it is refused anyway
 * once its `expiration` is past (the reader checks it), so a short window keeps a destroyed key out of reach sooner.
 */
import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ASL_SUBSTITUTIONS, ENV } from '../core/contract';
import { AslStateMachine } from './asl-state-machine';
import { StackConfigError } from './errors';
import { grantTable } from './grants';
import type { LetheFunction } from './lethe-function';
import { TOMBSTONES_TABLE } from './table-specs';

export interface ReplayWorkflowProps {
  /** Directory holding `replay.asl.json`. */
  readonly statemachinesDir: string;
  /** The replay function (lambdas/replay.ts). */
  readonly replayFunction: LetheFunction;
  /** The functions that write tombstones: erasure-system, erasure-finish, sweep-apply, ledger-stream. */
  readonly writers: readonly LetheFunction[];
  /** Key of the execution log group and of the table's encryption at rest. */
  readonly dataKey: kms.IKey;
  /**
   * Point-in-time recovery window of the tombstones table, in days (1 to 35).
   * @default 1
   */
  readonly tableRecoveryDays?: number;
  /**
   * Days before the tombstone key is deleted after the stack's removal (7 to 30).
   * @default 7
   */
  readonly keyPendingWindowDays?: number;
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

/** The KMS encryption context every use of the tombstone key must name (lib/runtime/tombstones.ts tombstoneKeyContext). */
const TOMBSTONE_CONTEXT = { 'kms:EncryptionContext:lethe:use': 'tombstone' } as const;

export class ReplayWorkflow extends Construct {
  public readonly table: dynamodb.Table;
  public readonly key: kms.Key;
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: logs.LogGroup;

  public constructor(scope: Construct, id: string, props: ReplayWorkflowProps) {
    super(scope, id);
    const recoveryDays = props.tableRecoveryDays ?? 1;
    if (!Number.isInteger(recoveryDays) || recoveryDays < 1 || recoveryDays > 35) {
      throw new StackConfigError(`ReplayWorkflow: tableRecoveryDays must be an integer from 1 to 35; got ${recoveryDays}`);
    }
    const pendingDays = props.keyPendingWindowDays ?? 7;
    if (!Number.isInteger(pendingDays) || pendingDays < 7 || pendingDays > 30) {
      throw new StackConfigError(`ReplayWorkflow: keyPendingWindowDays must be an integer from 7 to 30; got ${pendingDays}`);
    }
    this.key = new kms.Key(this, 'TombstoneKey', {
      description: "Lethe: wraps the tombstones' per-period data keys (replay after a restore); a key family of its own",
      enableKeyRotation: true,
      pendingWindow: Duration.days(pendingDays),
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    const attribute = (key: { name: string; type: 'S' | 'N' }): dynamodb.Attribute => ({
      name: key.name,
      type: key.type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER,
    });
    this.table = new dynamodb.Table(this, 'Tombstones', {
      partitionKey: attribute(TOMBSTONES_TABLE.partitionKey),
      sortKey: TOMBSTONES_TABLE.sortKey ? attribute(TOMBSTONES_TABLE.sortKey) : undefined,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.dataKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: recoveryDays },
      deletionProtection: true,
      // As every table of the stack (tableFromSpec): deletion protection is on, so a rollback could not delete it anyway.
      removalPolicy: RemovalPolicy.RETAIN,
      timeToLiveAttribute: TOMBSTONES_TABLE.ttlAttribute,
    });

    const useKey = (fn: LetheFunction) => {
      iam.Grant.addToPrincipal({
        grantee: fn.role,
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resourceArns: [this.key.keyArn],
        conditions: { StringEquals: TOMBSTONE_CONTEXT },
      });
      fn.function.addEnvironment(ENV.tombstonesTable, this.table.tableName);
      fn.function.addEnvironment(ENV.tombstoneKey, this.key.keyArn);
    };
    for (const fn of props.writers) {
      useKey(fn);
      grantTable(fn.role, this.table, 'read-write', [], props.dataKey);
    }
    useKey(props.replayFunction);
    grantTable(props.replayFunction.role, this.table, 'read-write', [], props.dataKey);

    const machine = new AslStateMachine(this, 'Workflow', {
      definitionFile: path.join(props.statemachinesDir, 'replay.asl.json'),
      stateMachineType: sfn.StateMachineType.STANDARD,
      comment: "Lethe replay after a restore: a system's erasures and expiries since the restore point, applied again",
      functions: { [ASL_SUBSTITUTIONS.replay]: props.replayFunction.function },
      logKey: props.dataKey,
      logLevel: props.logLevel,
      logRetention: props.logRetention,
    });
    this.stateMachine = machine.stateMachine;
    this.logGroup = machine.logGroup;
  }
}
