/**
 * The Lethe stack: everything a policy needs to be kept, generated from the policy itself. See
 * docs/architecture.md for how the parts fit together.
 */
import * as path from 'node:path';
import { Aspects, CfnOutput, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { LoadedPolicy } from '../policy/load';
import { ENV } from '../core/contract';
import { AuditBucket, type ObjectLockModeName } from './audit-bucket';
import { ExportsBucket } from './exports-bucket';
import { ConnectorFunctions } from './connector-functions';
import { ErasureApi } from './erasure-api';
import { ErasureWorkflow } from './erasure-workflow';
import { grantTable } from './grants';
import { LetheKeys } from './lethe-keys';
import { ReceiptKey } from './receipt-key';
import { Operations } from './operations';
import { assertRegionAllowed, RegionPinning } from './region-pinning';
import { RetentionLedger } from './retention-ledger';
import { RuntimeFunctions } from './runtime-functions';
import { SubjectEventsBus } from './subject-events-bus';
import { SweepSchedules } from './sweep-schedules';
import { SweepWorkflow } from './sweep-workflow';
import { ReplayWorkflow } from './replay-workflow';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

export interface LetheStackProps extends StackProps {
  /** The policy, loaded with `{forDeployment: true}`. */
  readonly policy: LoadedPolicy;
  /** The policy document as parsed from the file: what the functions receive as ENV.policyJson. */
  readonly policyDocument: unknown;
  /**
   * Directory of the Lambda entry files.
   * @default the repository's lambdas/
   */
  readonly lambdasDir?: string;
  /**
   * Directory of the ASL files.
   * @default the repository's statemachines/
   */
  readonly statemachinesDir?: string;
  /**
   * Object Lock mode of the audit bucket's default retention.
   * @default 'COMPLIANCE'
   */
  readonly auditObjectLockMode?: ObjectLockModeName;
  /**
   * Default retention of audit records, in years.
   * @default 7
   */
  readonly auditRetentionYears?: number;
  /**
   * Local hour of the daily sweep of each purpose.
   * @default 2
   */
  readonly sweepHour?: number;
  /**
   * Local minute of the daily sweep.
   * @default 0
   */
  readonly sweepMinute?: number;
  /**
   * IANA time zone of the sweep schedules.
   * @default the policy's `timezone`
   */
  readonly sweepTimeZone?: string;
  /**
   * An open erasure request this many days or fewer before its deadline raises the deadline alarm.
   * @default 7
   */
  readonly deadlineWarningDays?: number;
  /**
   * Failed sweeps after which a holding the sweep cannot process is quarantined (out of the due index, alarmed).
   * @default 3
   */
  readonly quarantineAfterFailedSweeps?: number;
  /**
   * Retention of every log group (functions, state machines, API access logs).
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * E-mail address subscribed to the alarms topic.
   * @default undefined (no subscription)
   */
  readonly alarmEmail?: string;
  /**
   * Authorizer of the erasure API.
   * @default undefined (IAM / SigV4 on every method)
   */
  readonly apiAuthorizer?: apigateway.IAuthorizer;
  /**
   * WAFv2 web ACL to associate with the API stage.
   * @default undefined (none)
   */
  readonly apiWebAclArn?: string;
  /**
   * Create the account-level API Gateway CloudWatch role.
   * @default true
   */
  readonly apiCloudWatchRole?: boolean;
  /**
   * Log level of the state machines (execution data is always excluded): ERROR logs failures only (issue 16);
   * ALL logs every state transition too.
   * @default sfn.LogLevel.ERROR
   */
  readonly workflowLogLevel?: sfn.LogLevel;
}

export class LetheStack extends Stack {
  public readonly keys: LetheKeys;
  /** Signs the receipts of completed requests (issue 19, item 2; lib/runtime/receipts.ts). */
  public readonly receiptKey: ReceiptKey;
  public readonly ledger: RetentionLedger;
  public readonly audit: AuditBucket;
  /** Access exports (spec 2.4): KMS, TLS only, deleted after 30 days. */
  public readonly exports: ExportsBucket;
  public readonly connectors: ConnectorFunctions;
  public readonly functions: RuntimeFunctions;
  public readonly erasure: ErasureWorkflow;
  public readonly sweep: SweepWorkflow;
  /** Replay after a restore (issue 19, item 3): tombstones, their key, the replay workflow. */
  public readonly replay: ReplayWorkflow;
  public readonly api: ErasureApi;
  public readonly bus: SubjectEventsBus;
  public readonly schedules: SweepSchedules;
  public readonly operations: Operations;
  /** The regions every role is pinned to. */
  public readonly allowedRegions: readonly string[];

  public constructor(scope: Construct, id: string, props: LetheStackProps) {
    const { policy, hash, file } = props.policy;
    super(scope, id, {
      description:
        `Lethe: retention and erasure for ${policy.controller.name} (policy ${path.basename(file)}, sha256 ${hash.slice(0, 12)})`.slice(
          0,
          1024,
        ),
      ...props,
    });
    this.allowedRegions = policy.deployment.regions;
    assertRegionAllowed(this.region, this.allowedRegions, file);

    const lambdasDir = props.lambdasDir ?? path.join(REPO_ROOT, 'lambdas');
    const statemachinesDir = props.statemachinesDir ?? path.join(REPO_ROOT, 'statemachines');
    const purposes = Object.keys(policy.purposes);
    const deadlineWarningDays = props.deadlineWarningDays ?? 7;
    const logRetention = props.logRetention;

    this.keys = new LetheKeys(this, 'Keys');
    const dataKey = this.keys.dataKey;
    this.ledger = new RetentionLedger(this, 'Ledger', { purposes, encryptionKey: dataKey });
    this.audit = new AuditBucket(this, 'Audit', {
      encryptionKey: dataKey,
      objectLockMode: props.auditObjectLockMode,
      retentionYears: props.auditRetentionYears,
    });
    this.exports = new ExportsBucket(this, 'Exports', { encryptionKey: dataKey, serverAccessLogsBucket: this.audit.accessLogsBucket });
    this.connectors = new ConnectorFunctions(this, 'Connectors', {
      policy,
      policyDocument: props.policyDocument,
      lambdasDir,
      logKey: dataKey,
      hmacSecret: this.keys.hmacSecret,
      logRetention,
    });
    this.functions = new RuntimeFunctions(this, 'Functions', {
      policyDocument: props.policyDocument,
      lambdasDir,
      ledger: this.ledger,
      auditBucket: this.audit.bucket,
      dataKey,
      sealingKey: this.keys.sealingKey,
      hmacSecret: this.keys.hmacSecret,
      connectors: this.connectors,
      deadlineWarningDays,
      logRetention,
      quarantineAfterFailedSweeps: props.quarantineAfterFailedSweeps,
    });
    const fns = this.functions;
    // Access exports (issue 14, item 4): the workflow's per-record task writes each record's export, its finish task
    // the document and its links (lib/runtime/exports.ts); the API signs the links afresh on each GET (read only).
    for (const fn of [fns.erasureSystem, fns.erasureFinish, fns.api]) {
      fn.function.addEnvironment(ENV.exportsBucket, this.exports.bucket.bucketName);
      if (fn === fns.api) this.exports.grantLinks(fn.role);
      else this.exports.grantPublish(fn.role);
    }

    // Receipts (issue 19, item 2): the erasure workflow's finish signs each completed request's receipt and stores it in
    // the audit bucket (under receipts/, written once); the API answers it (GET /{kind}-requests/{id}/receipt), and
    // issues and stores it itself only when none is stored yet (completed before receipts were stored, or asked for
    // a moment before the finish stored it). Only these two use the key.
    this.receiptKey = new ReceiptKey(this, 'Receipts');
    for (const fn of [fns.api, fns.erasureFinish]) {
      fn.function.addEnvironment(ENV.receiptKey, this.receiptKey.key.keyArn);
      this.receiptKey.grantSign(fn.role);
      this.audit.grantReadReceipts(fn.role);
    }

    this.erasure = new ErasureWorkflow(this, 'Erasure', {
      statemachinesDir,
      planFunction: fns.erasurePlan.function,
      systemFunction: fns.erasureSystem.function,
      finishFunction: fns.erasureFinish.function,
      logKey: dataKey,
      logLevel: props.workflowLogLevel,
      logRetention,
    });
    this.sweep = new SweepWorkflow(this, 'Sweep', {
      statemachinesDir,
      readFunction: fns.sweepRead.function,
      applyFunction: fns.sweepApply.function,
      logKey: dataKey,
      logLevel: props.workflowLogLevel,
      logRetention,
    });
    // The API starts erasure executions (and nothing else in Step Functions); so does the deadline monitor, for a
    // request the API stored but could not start (lib/runtime/monitor.ts), which it reads by its id.
    for (const fn of [fns.api, fns.deadlineMonitor]) {
      fn.function.addEnvironment(ENV.erasureStateMachineArn, this.erasure.stateMachine.stateMachineArn);
      iam.Grant.addToPrincipal({
        grantee: fn.role,
        actions: ['states:StartExecution'],
        resourceArns: [this.erasure.stateMachine.stateMachineArn],
      });
    }
    grantTable(fns.deadlineMonitor.role, this.ledger.requestsTable, 'read', [], dataKey);
    // Tombstones (issue 19, item 3): written where an erasure or an expiry changes a record, applied again by replay.
    this.replay = new ReplayWorkflow(this, 'Replay', {
      statemachinesDir,
      replayFunction: fns.replay,
      writers: [fns.erasureSystem, fns.erasureFinish, fns.sweepApply, fns.ledgerStream],
      dataKey,
      logLevel: props.workflowLogLevel,
      logRetention,
    });

    this.api = new ErasureApi(this, 'Api', {
      handler: fns.api.function,
      logKey: dataKey,
      authorizer: props.apiAuthorizer,
      webAclArn: props.apiWebAclArn,
      cloudWatchRole: props.apiCloudWatchRole,
      logRetention,
    });
    this.bus = new SubjectEventsBus(this, 'SubjectEvents', { handler: fns.subjectEvents.function, encryptionKey: dataKey });
    this.schedules = new SweepSchedules(this, 'Schedules', {
      purposes,
      sweepStateMachine: this.sweep.stateMachine,
      deadlineMonitor: fns.deadlineMonitor.function,
      timeZone: props.sweepTimeZone ?? policy.timezone,
      sweepHour: props.sweepHour,
      sweepMinute: props.sweepMinute,
      encryptionKey: dataKey,
    });

    const allFunctions: Record<string, lambda.IFunction> = {};
    for (const [entry, fn] of fns.all) allFunctions[entry] = fn.function;
    for (const [system, fn] of this.connectors.functions) allFunctions[`connector ${system}`] = fn.function;
    this.operations = new Operations(this, 'Operations', {
      encryptionKey: dataKey,
      stateMachines: { Erasure: this.erasure.stateMachine, Sweep: this.sweep.stateMachine, Replay: this.replay.stateMachine },
      deadLetterQueues: { Schedules: this.schedules.dlq, SubjectEvents: this.bus.dlq, LedgerStream: fns.ledgerStreamDlq },
      unattendedFunctions: {
        SubjectEvents: fns.subjectEvents.function,
        LedgerStream: fns.ledgerStream.function,
        DeadlineMonitor: fns.deadlineMonitor.function,
      },
      functions: allFunctions,
      deadlineMonitorService: fns.deadlineMonitor.serviceName,
      deadlineWarningDays,
      expiryServices: { Sweep: fns.sweepApply.serviceName, LedgerStream: fns.ledgerStream.serviceName },
      api: this.api.api,
      alarmEmail: props.alarmEmail,
    });

    Aspects.of(this).add(new RegionPinning(this.allowedRegions));
    // CloudFormation's AWS::CloudWatch::Dashboard takes no Tags (cfn-lint E3002), although CDK would add them.
    Tags.of(this).add('lethe:policy-sha256', hash, { excludeResourceTypes: ['AWS::CloudWatch::Dashboard'] });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Erasure API base URL (SigV4)' });
    new CfnOutput(this, 'EventBusName', { value: this.bus.bus.eventBusName, description: 'Bus for holdings and subject events' });
    new CfnOutput(this, 'AuditBucketName', { value: this.audit.bucket.bucketName, description: 'Object Lock audit records' });
    new CfnOutput(this, 'AuditChainTableName', {
      value: this.ledger.auditChainTable.tableName,
      description: "The audit chain's head: lethe audit verify --chain-table, lethe console --audit-chain-table",
    });
    new CfnOutput(this, 'ExportsBucketName', {
      value: this.exports.bucket.bucketName,
      description: 'Access exports, deleted after 30 days',
    });
    new CfnOutput(this, 'ReceiptKeyArn', {
      value: this.receiptKey.key.keyArn,
      description: 'Signs receipts: lethe receipt public-key --key-id <this> exports its public key',
    });
    new CfnOutput(this, 'AlarmsTopicArn', { value: this.operations.topic.topicArn, description: 'Subscribe to receive alarms' });
    new CfnOutput(this, 'ErasureStateMachineArn', { value: this.erasure.stateMachine.stateMachineArn });
    new CfnOutput(this, 'SweepStateMachineArn', { value: this.sweep.stateMachine.stateMachineArn });
    new CfnOutput(this, 'ReplayStateMachineArn', {
      value: this.replay.stateMachine.stateMachineArn,
      description: 'lethe replay --state-machine-arn: after a restore, apply the erasures since the restore point again',
    });
  }
}
