/**
 * Where the sealing data key of each period is kept, so that every function that seals in that period seals with
 * the same one (lib/runtime/sealing.ts, issue 16): one item per period in the idempotency table (its TTL attribute
 * `expiration` removes it a day after the period), `{ id: "sealing-key#<period>", key: <the data key encrypted by
 * KMS, base64>, expiration }`. It holds no personal data and nothing that opens without KMS: the key is encrypted
 * under the sealing key with the period in its encryption context.
 *
 * The first writer wins: `putFirst` writes only where no key is (`attribute_not_exists(#id)`) and otherwise answers
 * the key that is there, read strongly consistent, so functions that start a period at once agree on one key.
 * Sealed values carry their encrypted data key themselves, so opening never reads this table and a removed item
 * costs only a new key.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from '../core/dynamodb-errors';

/** The sealing data key of one period, encrypted. */
export interface PeriodKeyStore {
  /** The encrypted data key stored for `period`, if any. */
  get(period: string): Promise<string | undefined>;
  /**
   * Stores `encrypted` for `period` unless a key is there already, and answers the key stored: `encrypted` when this
   * call wrote it, the first writer's otherwise.
   */
  putFirst(period: string, encrypted: string, expiresAtSeconds: number): Promise<string>;
}

/** The partition key of a period's item: it cannot meet a Powertools idempotency record's (`<function>#<hash>`). */
export const periodKeyId = (period: string): string => `sealing-key#${period}`;

export class DynamoPeriodKeys implements PeriodKeyStore {
  public constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  public async get(period: string, consistent = false): Promise<string | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { id: periodKeyId(period) }, ConsistentRead: consistent }),
    );
    const key: unknown = Item?.key;
    return typeof key === 'string' ? key : undefined;
  }

  public async putFirst(period: string, encrypted: string, expiresAtSeconds: number): Promise<string> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { id: periodKeyId(period), key: encrypted, expiration: expiresAtSeconds },
          ConditionExpression: 'attribute_not_exists(#id)',
          ExpressionAttributeNames: { '#id': 'id' },
        }),
      );
      return encrypted;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const first = await this.get(period, true);
      if (first === undefined)
        throw new Error(`the sealing key of period ${period} was refused as present but is not there`, { cause: error });
      return first;
    }
  }
}
