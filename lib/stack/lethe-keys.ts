/**
 * Keys and secrets: a customer-managed KMS key for data at rest (tables, buckets, logs, queues, topic), a second
 * one that only seals subject ids and locators, and the generated HMAC key behind `subjectRef`.
 */
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { StackConfigError } from './errors';
import { acknowledgeNag } from './nag';

export interface LetheKeysProps {
  /**
   * Days KMS waits before deleting a key scheduled for deletion (7 to 30).
   * @default 30
   */
  readonly pendingWindowDays?: number;
  /**
   * Length of the generated HMAC key, in characters.
   * @default 64
   */
  readonly hmacKeyLength?: number;
}

export class LetheKeys extends Construct {
  /** Encrypts data at rest: tables, audit bucket, log groups, queues, topic, the HMAC secret. */
  public readonly dataKey: kms.Key;
  /** Seals subject ids, locators and identifiers (ENV.sealingKey); used by the functions only. */
  public readonly sealingKey: kms.Key;
  /** The HMAC key of `subjectRef` and the `hmac` anonymisation strategy (ENV.hmacSecret). */
  public readonly hmacSecret: secretsmanager.Secret;

  public constructor(scope: Construct, id: string, props: LetheKeysProps = {}) {
    super(scope, id);
    const pendingWindowDays = props.pendingWindowDays ?? 30;
    if (!Number.isInteger(pendingWindowDays) || pendingWindowDays < 7 || pendingWindowDays > 30) {
      throw new StackConfigError(`LetheKeys: pendingWindowDays must be an integer from 7 to 30; got ${pendingWindowDays}`);
    }
    const hmacKeyLength = props.hmacKeyLength ?? 64;
    if (!Number.isInteger(hmacKeyLength) || hmacKeyLength < 32 || hmacKeyLength > 4096) {
      throw new StackConfigError(`LetheKeys: hmacKeyLength must be an integer from 32 to 4096; got ${hmacKeyLength}`);
    }
    const stack = Stack.of(this);

    this.dataKey = new kms.Key(this, 'DataKey', {
      description: 'Lethe: data at rest (ledger, requests, audit bucket, logs, queues, alarms topic)',
      enableKeyRotation: true,
      pendingWindow: Duration.days(pendingWindowDays),
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    // CloudWatch Logs encrypts Lethe's log groups (functions, state machines, API access logs) with this key.
    this.dataKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchLogsForThisAccountsLogGroups',
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
              service: 'logs',
              resource: 'log-group',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    // CloudWatch alarms publish to the encrypted alarms topic (the key policy AWS documents for this case).
    this.dataKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublishToEncryptedTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    // EventBridge delivers events it could not deliver to the encrypted dead-letter queues, for this account only.
    this.dataKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowEventBridgeToUseEncryptedDeadLetterQueues',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );

    this.sealingKey = new kms.Key(this, 'SealingKey', {
      description: 'Lethe: seals subject ids, locators and identifiers in the ledger and requests',
      enableKeyRotation: true,
      pendingWindow: Duration.days(pendingWindowDays),
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });

    this.hmacSecret = new secretsmanager.Secret(this, 'HmacSecret', {
      description: 'Lethe: HMAC key for subjectRef and the hmac anonymisation strategy (never rotate automatically)',
      encryptionKey: this.dataKey,
      generateSecretString: { passwordLength: hmacKeyLength, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    acknowledgeNag(
      this.hmacSecret,
      'AwsSolutions-SMG4',
      'The HMAC key derives every subjectRef, the ledger partition key: rotating it would orphan every holding. ' +
        'Rotation is a planned re-keying migration, not an automatic schedule.',
    );
  }
}
