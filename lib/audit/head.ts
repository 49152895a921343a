/**
 * The chain's head as the writer recorded it (writer.ts: item `head` of the audit-chain table, contract AUDIT_CHAIN):
 * the last record known stored. Removing the newest records leaves a shorter chain that is still consistent; only
 * the head shows it (verify.ts `expectedHead`, `reachesHead`).
 */
import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { AUDIT_CHAIN } from '../core/contract';
import { AuditChainError } from './errors';

export interface ChainHead {
  /** The last record's sequence number. */
  readonly seq: number;
  /** Its hash (the writer always sets it). */
  readonly hash?: string;
}

/**
 * Reads the head from the audit-chain table `table`, strongly consistent (a head read eventually could lag the
 * records and make a removed record look written). Undefined when there is no head yet (no record written). A head
 * item whose `seq` is not a whole number >= 1 is an AuditChainError: the table is not an audit-chain table.
 */
export async function readChainHead(dynamodb: DynamoDBClient, table: string): Promise<ChainHead | undefined> {
  const { Item } = await dynamodb.send(
    new GetItemCommand({ TableName: table, Key: { [AUDIT_CHAIN.partitionKey]: { S: AUDIT_CHAIN.headId } }, ConsistentRead: true }),
  );
  if (!Item) return undefined;
  const seq = Number(Item.seq?.N);
  if (!Number.isInteger(seq) || seq < 1) {
    throw new AuditChainError(
      `the item "${AUDIT_CHAIN.headId}" of ${table} has no seq (a whole number >= 1): is it the audit-chain table?`,
    );
  }
  const hash = Item.hash?.S;
  return hash ? { seq, hash } : { seq };
}
