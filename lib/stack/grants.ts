/**
 * Least-privilege grants written out explicitly: exact actions (no `*`), exact resources (a table and its named
 * indexes, not `index/*`), so every role reads as what it may do and cdk-nag has nothing to wave through.
 */
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledgeNag, arnFinding } from './nag';

export const TABLE_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'] as const;
export const TABLE_WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'] as const;

export type TableAccess = 'read' | 'write' | 'read-write';

/** Read and/or write items of `table`; `indexes` are the index names the grantee may query (no others). */
export function grantTable(
  grantee: iam.IGrantable,
  table: dynamodb.ITable,
  access: TableAccess,
  indexes: readonly string[] = [],
  key?: kms.IKey,
): void {
  const actions = [...(access === 'write' ? [] : TABLE_READ_ACTIONS), ...(access === 'read' ? [] : TABLE_WRITE_ACTIONS)];
  iam.Grant.addToPrincipal({ grantee, actions, resourceArns: [table.tableArn] });
  if (indexes.length > 0) {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:Query'],
      resourceArns: indexes.map((index) => `${table.tableArn}/index/${index}`),
    });
  }
  if (key) grantKey(grantee, key, access === 'read' ? ['kms:Decrypt', 'kms:DescribeKey'] : undefined);
}

/** Query one index only (the table's items are not readable through this grant). */
export function grantIndexQuery(grantee: iam.IGrantable, table: dynamodb.ITable, index: string, key?: kms.IKey): void {
  iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:Query'], resourceArns: [`${table.tableArn}/index/${index}`] });
  if (key) grantKey(grantee, key, ['kms:Decrypt', 'kms:DescribeKey']);
}

/** The KMS actions a function may need on a key: no wildcards, no administration. */
export const KEY_USE_ACTIONS = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'] as const;

/** Use a KMS key (by default all of KEY_USE_ACTIONS; never administer it). */
export function grantKey(grantee: iam.IGrantable, key: kms.IKey, actions: readonly string[] = KEY_USE_ACTIONS): void {
  iam.Grant.addToPrincipal({ grantee, actions: [...actions], resourceArns: [key.keyArn] });
}

/** lambda:InvokeFunction on exactly these function ARNs (unqualified), not on `arn:*` versions and aliases. */
export function grantInvoke(grantee: iam.IGrantable, functionArns: readonly string[]): void {
  if (functionArns.length === 0) return;
  iam.Grant.addToPrincipal({ grantee, actions: ['lambda:InvokeFunction'], resourceArns: [...functionArns] });
}

/**
 * s3:GetObject under one prefix of a bucket, and kms:Decrypt on its key; it writes nothing. The objects under the
 * prefix are named at run time only, so the prefix's wildcard is acknowledged to cdk-nag (AwsSolutions-IAM5) with
 * `reason`, for that ARN alone.
 */
export function grantPrefixRead(grantee: iam.IGrantable, bucket: s3.IBucket, key: kms.IKey, prefix: string, reason: string): iam.Grant {
  const grant = iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: [bucket.arnForObjects(`${prefix}*`)] });
  grantKey(grantee, key, ['kms:Decrypt']);
  const principal = grantee.grantPrincipal;
  if (principal instanceof iam.Role) acknowledgeNag(principal, 'AwsSolutions-IAM5', reason, [arnFinding(bucket, `/${prefix}*`)]);
  return grant;
}
