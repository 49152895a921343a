/**
 * The retention ledger: one DynamoDB table per purpose, plus the tables beside it (subject events, erasure
 * requests, idempotency records, the audit chain). Every table: customer-managed KMS key, point-in-time
 * recovery, deletion protection, RETAIN, on-demand capacity; a plain regional table (never a global table), so
 * nothing is replicated out of the stack's region.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { StackConfigError } from './errors';
import { IDENTIFIER_PATTERN } from '../policy/schema';
import {
  AUDIT_CHAIN_TABLE,
  EVENTS_TABLE,
  IDEMPOTENCY_TABLE,
  LEDGER_TABLE,
  REQUESTS_TABLE,
  type KeySpec,
  type TableSpec,
} from './table-specs';

export interface RetentionLedgerProps {
  /** The policy's purpose ids: one ledger table each. */
  readonly purposes: readonly string[];
  /** Customer-managed key for every table. */
  readonly encryptionKey: kms.IKey;
  /**
   * What happens to the tables when the stack is deleted. Deletion protection is on regardless.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

export class RetentionLedger extends Construct {
  /** Purpose id → its ledger table. */
  public readonly ledgerTables: ReadonlyMap<string, dynamodb.Table>;
  public readonly eventsTable: dynamodb.Table;
  public readonly requestsTable: dynamodb.Table;
  public readonly idempotencyTable: dynamodb.Table;
  public readonly auditChainTable: dynamodb.Table;

  public constructor(scope: Construct, id: string, props: RetentionLedgerProps) {
    super(scope, id);
    if (props.purposes.length === 0) throw new StackConfigError('RetentionLedger: expected at least one purpose; got none');
    for (const purpose of props.purposes) {
      if (!IDENTIFIER_PATTERN.test(purpose)) {
        throw new StackConfigError(`RetentionLedger: purpose ids must match ${IDENTIFIER_PATTERN.source}; got "${purpose}"`);
      }
    }
    const make = (tableId: string, spec: TableSpec) =>
      // RETAIN, not RETAIN_ON_UPDATE_OR_DELETE: with deletion protection on, a failed first create's rollback could not
      // delete the table anyway. No fixed table names: a redeploy after a destroy creates new tables beside the kept ones.
      tableFromSpec(this, tableId, spec, props.encryptionKey, props.removalPolicy ?? RemovalPolicy.RETAIN);

    const ledgerTables = new Map<string, dynamodb.Table>();
    for (const purpose of props.purposes) ledgerTables.set(purpose, make(`Purpose-${purpose}`, LEDGER_TABLE));
    this.ledgerTables = ledgerTables;
    this.eventsTable = make('SubjectEvents', EVENTS_TABLE);
    this.requestsTable = make('ErasureRequests', REQUESTS_TABLE);
    this.idempotencyTable = make('Idempotency', IDEMPOTENCY_TABLE);
    this.auditChainTable = make('AuditChain', AUDIT_CHAIN_TABLE);
  }

  /** The ledger tables, in purpose order. */
  public get ledgerTableList(): dynamodb.Table[] {
    return [...this.ledgerTables.values()];
  }

  /** JSON for ENV.ledgerTables: purpose id → table name. */
  public ledgerTablesJson(): string {
    return JSON.stringify(Object.fromEntries([...this.ledgerTables].map(([purpose, table]) => [purpose, table.tableName])));
  }
}

const attribute = (key: KeySpec): dynamodb.Attribute => ({
  name: key.name,
  type: key.type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER,
});

function tableFromSpec(scope: Construct, id: string, spec: TableSpec, key: kms.IKey, removalPolicy: RemovalPolicy): dynamodb.Table {
  const table = new dynamodb.Table(scope, id, {
    partitionKey: attribute(spec.partitionKey),
    sortKey: spec.sortKey ? attribute(spec.sortKey) : undefined,
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
    encryptionKey: key,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    deletionProtection: true,
    removalPolicy,
    timeToLiveAttribute: spec.ttlAttribute,
    stream: spec.stream ? dynamodb.StreamViewType.NEW_AND_OLD_IMAGES : undefined,
  });
  for (const index of spec.indexes) {
    const projection = index.projection;
    table.addGlobalSecondaryIndex({
      indexName: index.name,
      partitionKey: attribute(index.partitionKey),
      sortKey: index.sortKey ? attribute(index.sortKey) : undefined,
      projectionType:
        projection.type === 'ALL'
          ? dynamodb.ProjectionType.ALL
          : projection.type === 'KEYS_ONLY'
            ? dynamodb.ProjectionType.KEYS_ONLY
            : dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: projection.type === 'INCLUDE' ? [...projection.nonKeyAttributes] : undefined,
    });
  }
  return table;
}
