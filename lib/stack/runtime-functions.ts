/**
 * Lethe's own functions (lambdas/*.ts, one per entry file), each granted only the tables, keys, bucket and
 * connectors its job needs, and the wiring of the ledger streams to `ledger-stream`.
 *
 * | function         | ledger | events | requests | idempotency | audit | sealing key | HMAC | connectors |
 * |------------------|--------|--------|----------|-------------|-------|-------------|------|------------|
 * | api              | rw     | rw     | rw       | rw          | write | enc/dec     | read |            |
 * | subject-events   | rw     | rw     |          |             |       | enc/dec     | read |            |
 * | erasure-plan     | r      | r      | rw       |             |       |             |      |            |
 * | erasure-system   | rw     |        | rw       |             |       | dec         | read | invoke     |
 * | erasure-finish   | rw     |        | rw       |             | write | dec         | read |            |
 * | sweep-read       | due ix |        |          |             |       |             |      |            |
 * | sweep-apply      | rw     | r      |          |             | write | dec         | read | invoke     |
 * | ledger-stream    | rw     | r      |          |             | write | dec         | read | invoke     |
 * | deadline-monitor |        |        | open ix  |             |       |             |      |            |
 *
 * (Read from what lib/runtime does for each entry; "audit write" is s3:PutObject on the audit bucket plus the
 * audit-chain table.)
 * (api also starts erasure executions; the stack grants that once the state machine exists.)
 */
import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { StackConfigError } from './errors';
import { FUNCTION_TIMEOUT_SECONDS, QUARANTINE_AFTER_FAILED_SWEEPS } from '../runtime/budgets';
import { REQUEST_LIST_INDEX } from '../runtime/request-list';
import { ENV, LEDGER, REQUESTS } from '../core/contract';
import { acknowledgeNag, arnFinding } from './nag';
import type { ConnectorFunctions } from './connector-functions';
import { DeadLetterQueue } from './dead-letter-queue';
import { grantIndexQuery, grantInvoke, grantKey, grantTable } from './grants';
import { LetheFunction } from './lethe-function';
import type { RetentionLedger } from './retention-ledger';

/** The entry files under lambdas/, by the name used for construct ids and service names. */
export const RUNTIME_ENTRIES = [
  'api',
  'subject-events',
  'erasure-plan',
  'erasure-system',
  'erasure-finish',
  'sweep-read',
  'sweep-apply',
  'ledger-stream',
  'deadline-monitor',
  'replay',
] as const;
export type RuntimeEntry = (typeof RUNTIME_ENTRIES)[number];

export interface RuntimeFunctionsProps {
  /** The policy document as parsed, baked into each bundle. */
  readonly policyDocument: unknown;
  /** Directory holding the entry files (`<entry>.ts`). */
  readonly lambdasDir: string;
  readonly ledger: RetentionLedger;
  readonly auditBucket: s3.IBucket;
  /** Key of tables, bucket, logs and queues. */
  readonly dataKey: kms.IKey;
  readonly sealingKey: kms.IKey;
  readonly hmacSecret: secretsmanager.ISecret;
  readonly connectors: ConnectorFunctions;
  /**
   * Days before its deadline from which an open erasure request counts as near (deadline-monitor).
   * @default 7
   */
  readonly deadlineWarningDays?: number;
  /**
   * Log retention of the functions.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Failed sweeps after which sweep-apply quarantines a holding (ENV.quarantineAfterFailedSweeps).
   * @default 3
   */
  readonly quarantineAfterFailedSweeps?: number;
}

export class RuntimeFunctions extends Construct {
  public readonly api: LetheFunction;
  public readonly subjectEvents: LetheFunction;
  public readonly erasurePlan: LetheFunction;
  public readonly erasureSystem: LetheFunction;
  public readonly erasureFinish: LetheFunction;
  public readonly sweepRead: LetheFunction;
  public readonly sweepApply: LetheFunction;
  public readonly ledgerStream: LetheFunction;
  public readonly deadlineMonitor: LetheFunction;
  /** Replay after a restore (issue 19, item 3); its tombstones table and key: lib/stack/replay-workflow.ts. */
  public readonly replay: LetheFunction;
  /** Stream batches `ledger-stream` could not process. */
  public readonly ledgerStreamDlq: DeadLetterQueue;

  public constructor(scope: Construct, id: string, props: RuntimeFunctionsProps) {
    super(scope, id);
    const deadlineWarningDays = props.deadlineWarningDays ?? 7;
    if (!Number.isInteger(deadlineWarningDays) || deadlineWarningDays < 1 || deadlineWarningDays > 90) {
      throw new StackConfigError(`RuntimeFunctions: deadlineWarningDays must be an integer from 1 to 90; got ${deadlineWarningDays}`);
    }
    const quarantineAfter = props.quarantineAfterFailedSweeps ?? QUARANTINE_AFTER_FAILED_SWEEPS;
    if (!Number.isInteger(quarantineAfter) || quarantineAfter < 1 || quarantineAfter > 365) {
      throw new StackConfigError(`RuntimeFunctions: quarantineAfterFailedSweeps must be an integer from 1 to 365; got ${quarantineAfter}`);
    }
    const { ledger, dataKey, sealingKey } = props;
    const environment: Record<string, string> = {
      [ENV.ledgerTables]: ledger.ledgerTablesJson(),
      [ENV.eventsTable]: ledger.eventsTable.tableName,
      [ENV.requestsTable]: ledger.requestsTable.tableName,
      [ENV.idempotencyTable]: ledger.idempotencyTable.tableName,
      [ENV.auditChainTable]: ledger.auditChainTable.tableName,
      [ENV.auditBucket]: props.auditBucket.bucketName,
      [ENV.hmacSecret]: props.hmacSecret.secretArn,
      [ENV.sealingKey]: sealingKey.keyArn,
      [ENV.connectorFunctions]: props.connectors.functionsJson(),
    };
    const make = (entry: RuntimeEntry, description: string, options: { memorySize?: number; env?: Record<string, string> } = {}) =>
      new LetheFunction(this, toPascal(entry), {
        entry: path.join(props.lambdasDir, `${entry}.ts`),
        serviceName: `lethe-${entry}`,
        description,
        policyDocument: props.policyDocument,
        logKey: dataKey,
        logRetention: props.logRetention,
        // Each fits where it runs: lib/runtime/budgets.ts.
        timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS[entry]),
        memorySize: options.memorySize,
        environment: { ...environment, ...options.env },
      });

    this.api = make('api', 'Lethe erasure API: erasure requests, holdings and subject events');
    this.subjectEvents = make('subject-events', 'Lethe: holdings and subject events from the custom event bus');
    this.erasurePlan = make('erasure-plan', 'Lethe erasure workflow: mark the request running and plan it');
    this.erasureSystem = make('erasure-system', "Lethe erasure workflow: run one system's connector");
    this.erasureFinish = make('erasure-finish', 'Lethe erasure workflow: write the audit records and the final status');
    this.sweepRead = make('sweep-read', 'Lethe sweep: read a page of due holdings from the due index');
    this.sweepApply = make('sweep-apply', 'Lethe sweep: apply expiry to a batch of subjects', {
      memorySize: 1024,
      env: { [ENV.quarantineAfterFailedSweeps]: String(quarantineAfter) },
    });
    this.ledgerStream = make('ledger-stream', 'Lethe: erase a still-active holding that DynamoDB TTL removed');
    this.deadlineMonitor = make('deadline-monitor', 'Lethe: metric of open erasure requests near their deadline', {
      env: { [ENV.deadlineWarningDays]: String(deadlineWarningDays) },
    });

    const ledgerTables = ledger.ledgerTableList;
    const ledgerAccess = (fn: LetheFunction, access: 'read' | 'read-write') => {
      for (const table of ledgerTables) grantTable(fn.role, table, access, [], dataKey);
    };
    const hmac = (fn: LetheFunction) => props.hmacSecret.grantRead(fn.role);
    const seal = (fn: LetheFunction, actions: readonly string[]) => grantKey(fn.role, sealingKey, actions);
    // Sealing is envelope encryption (lib/runtime/sealing.ts): data keys from GenerateDataKey, opened with Decrypt.
    const SEAL = ['kms:GenerateDataKey', 'kms:Decrypt', 'kms:DescribeKey'];
    const UNSEAL = ['kms:Decrypt', 'kms:DescribeKey'];
    const auditWriters: LetheFunction[] = [];
    const auditWrite = (fn: LetheFunction) => {
      fn.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ sid: 'WriteAuditRecords', actions: ['s3:PutObject'], resources: [props.auditBucket.arnForObjects('*')] }),
      );
      grantKey(fn.role, dataKey, ['kms:GenerateDataKey', 'kms:Decrypt']);
      grantTable(fn.role, ledger.auditChainTable, 'read-write', [], dataKey);
      auditWriters.push(fn);
    };

    // api: erasure requests, holdings and subject events; Powertools idempotency for POST /erasure-requests
    ledgerAccess(this.api, 'read-write');
    grantTable(this.api.role, ledger.eventsTable, 'read-write', [], dataKey);
    // GET /subjects/{subjectId} lists the subject's requests through the by-subject index (keys only); GET /requests
    // lists every request through the by-status index (request-list.ts)
    grantTable(this.api.role, ledger.requestsTable, 'read-write', [REQUESTS.subjectIndex, REQUEST_LIST_INDEX.name], dataKey);
    // GET /retention/calendar and /retention/holdings count holdings from each purpose's due and parked indexes
    // (retention-stats.ts)
    for (const table of ledgerTables) {
      grantIndexQuery(this.api.role, table, LEDGER.dueIndex, dataKey);
      grantIndexQuery(this.api.role, table, LEDGER.parkedIndex, dataKey);
    }
    grantTable(this.api.role, ledger.idempotencyTable, 'read-write', [], dataKey);
    seal(this.api, SEAL);
    hmac(this.api);
    // Placing and releasing a legal hold is audited (lib/runtime/holds.ts).
    auditWrite(this.api);
    // POST /restriction-requests/{requestId}/lift asks each restricted record's connector to unrestrict (restrictions.ts).
    grantInvoke(this.api.role, props.connectors.invokableArns);

    // subject-events: the same holdings and events, from the bus
    ledgerAccess(this.subjectEvents, 'read-write');
    grantTable(this.subjectEvents.role, ledger.eventsTable, 'read-write', [], dataKey);
    seal(this.subjectEvents, SEAL);
    // The hour's shared sealing data key (lib/runtime/period-keys.ts): only its items of the idempotency table.
    this.subjectEvents.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'SealingKeyOfThePeriod',
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        resources: [ledger.idempotencyTable.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['sealing-key#*'] } },
      }),
    );
    grantKey(this.subjectEvents.role, dataKey, ['kms:GenerateDataKey', 'kms:Decrypt']);
    hmac(this.subjectEvents);

    // erasure workflow
    ledgerAccess(this.erasurePlan, 'read');
    grantTable(this.erasurePlan.role, ledger.eventsTable, 'read', [], dataKey);
    grantTable(this.erasurePlan.role, ledger.requestsTable, 'read-write', [], dataKey);

    ledgerAccess(this.erasureSystem, 'read-write');
    grantTable(this.erasureSystem.role, ledger.requestsTable, 'read-write', [], dataKey);
    seal(this.erasureSystem, UNSEAL);
    hmac(this.erasureSystem);
    grantInvoke(this.erasureSystem.role, props.connectors.invokableArns);

    // erasure-finish writes every system's audit record (the subject's audit HMAC: unseal, HMAC) and finishes
    // the holdings of a system whose task stopped before it did.
    ledgerAccess(this.erasureFinish, 'read-write');
    grantTable(this.erasureFinish.role, ledger.requestsTable, 'read-write', [], dataKey);
    // ... and records the built-in request-handled event once the request completes (spec 2.4), rescheduling holdings
    grantTable(this.erasureFinish.role, ledger.eventsTable, 'read-write', [], dataKey);
    seal(this.erasureFinish, UNSEAL);
    hmac(this.erasureFinish);
    auditWrite(this.erasureFinish);

    // sweep
    for (const table of ledgerTables) grantIndexQuery(this.sweepRead.role, table, LEDGER.dueIndex, dataKey);

    ledgerAccess(this.sweepApply, 'read-write');
    // read-write: a restriction whose `until` came is lifted by the sweep (lib/runtime/restrictions.ts): its item in the
    // events table is released and its request records the lift
    grantTable(this.sweepApply.role, ledger.eventsTable, 'read-write', [], dataKey);
    grantTable(this.sweepApply.role, ledger.requestsTable, 'read-write', [], dataKey);
    seal(this.sweepApply, UNSEAL);
    hmac(this.sweepApply);
    grantInvoke(this.sweepApply.role, props.connectors.invokableArns);
    auditWrite(this.sweepApply);

    // ledger-stream: a TTL removal of a still-active holding is erased like a sweep would, and put back as done
    ledgerAccess(this.ledgerStream, 'read-write');
    // read-write: when a finished holding is removed, its subject's events get their ttl (EventStore.retireIfIdle)
    grantTable(this.ledgerStream.role, ledger.eventsTable, 'read-write', [], dataKey);
    seal(this.ledgerStream, UNSEAL);
    hmac(this.ledgerStream);
    grantInvoke(this.ledgerStream.role, props.connectors.invokableArns);
    // ... and lifts a restriction whose `until` came, as the sweep does (lib/runtime/restrictions.ts)
    grantTable(this.ledgerStream.role, ledger.requestsTable, 'read-write', [], dataKey);
    auditWrite(this.ledgerStream);

    // replay (issue 19, item 3): a tombstone's subject is opened with the tombstone key (replay-workflow.ts grants it),
    // sent to its system's connector, and audited with the subject's audit HMAC
    this.replay = make('replay', "Lethe: after a restore, apply a system's tombstones since the restore point again");
    hmac(this.replay);
    grantInvoke(this.replay.role, props.connectors.invokableArns);
    auditWrite(this.replay);

    this.ledgerStreamDlq = new DeadLetterQueue(this, 'LedgerStreamDlq', {
      encryptionKey: dataKey,
      purpose: 'ledger stream batches that ledger-stream failed to process',
    });
    // Lambda sends a failed batch's description (shard and sequence numbers, no records) with the function's role.
    this.ledgerStream.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'SendFailedBatchesToDlq',
        actions: ['sqs:SendMessage'],
        resources: [this.ledgerStreamDlq.queue.queueArn],
      }),
    );
    grantKey(this.ledgerStream.role, dataKey, ['kms:GenerateDataKey', 'kms:Decrypt']);
    const onFailure: lambda.IEventSourceDlq = { bind: () => ({ destination: this.ledgerStreamDlq.queue.queueArn }) };
    this.ledgerStream.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadLedgerStreams',
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
        resources: ledgerTables.map((t) => t.tableStreamArn!),
      }),
    );
    this.ledgerStream.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'ListLedgerStreams', actions: ['dynamodb:ListStreams'], resources: ['*'] }),
    );
    acknowledgeNag(
      this.ledgerStream.role,
      'AwsSolutions-IAM5',
      'dynamodb:ListStreams supports no resource-level permissions (Resource "*"); Lambda\'s event source mapping needs it. ' +
        "Reading records (GetRecords, GetShardIterator, DescribeStream) is limited to the ledger tables' streams.",
      ['Resource::*'],
    );
    for (const [purpose, table] of ledger.ledgerTables) {
      new lambda.EventSourceMapping(this.ledgerStream, `Stream-${purpose}`, {
        target: this.ledgerStream.function,
        eventSourceArn: table.tableStreamArn,
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(5),
        bisectBatchOnError: true,
        retryAttempts: 10,
        reportBatchItemFailures: true,
        onFailure,
        // Only removals by DynamoDB TTL (the service itself), not deletions by Lethe or anyone else.
        filters: [
          /* eslint-disable @typescript-eslint/no-unsafe-assignment -- aws-cdk-lib types FilterRule.isEqual as any */
          lambda.FilterCriteria.filter({
            eventName: lambda.FilterRule.isEqual('REMOVE'),
            userIdentity: {
              type: lambda.FilterRule.isEqual('Service'),
              principalId: lambda.FilterRule.isEqual('dynamodb.amazonaws.com'),
            },
          }),
          /* eslint-enable @typescript-eslint/no-unsafe-assignment */
        ],
      });
    }

    for (const fn of auditWriters) {
      acknowledgeNag(
        fn.role,
        'AwsSolutions-IAM5',
        'Audit record keys are generated at run time (one object per record); the grant is s3:PutObject only, on the audit bucket only.',
        [arnFinding(props.auditBucket, '/*')],
      );
    }

    // deadline-monitor: only the sparse index of open requests
    grantIndexQuery(this.deadlineMonitor.role, ledger.requestsTable, REQUESTS.openIndex, dataKey);
  }

  /** Every function, by entry name. */
  public get all(): ReadonlyMap<RuntimeEntry, LetheFunction> {
    return new Map<RuntimeEntry, LetheFunction>([
      ['api', this.api],
      ['subject-events', this.subjectEvents],
      ['erasure-plan', this.erasurePlan],
      ['erasure-system', this.erasureSystem],
      ['erasure-finish', this.erasureFinish],
      ['sweep-read', this.sweepRead],
      ['sweep-apply', this.sweepApply],
      ['ledger-stream', this.ledgerStream],
      ['deadline-monitor', this.deadlineMonitor],
      ['replay', this.replay],
    ]);
  }
}

const toPascal = (kebab: string): string =>
  kebab
    .split('-')
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');
