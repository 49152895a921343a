/**
 * DynamoDB's refusal of a conditional write, however it reaches the caller: the SDK's exception class, or an
 * error of that name (another copy of the SDK, a test double, a proxy's answer). Callers treat it as "someone
 * else got there first", never as a failure.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';

export function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as { name?: unknown } | null | undefined)?.name === 'ConditionalCheckFailedException'
  );
}
