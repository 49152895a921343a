/**
 * An SQS dead-letter queue: encrypted with the customer-managed key, TLS only, messages kept 14 days. What lands
 * here is a failure that needs a person; the Operations construct alarms on its depth.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeNag } from './nag';

export interface DeadLetterQueueProps {
  readonly encryptionKey: kms.IKey;
  /** What fails into this queue, for operators (e.g. "sweep and deadline-monitor schedules"). */
  readonly purpose: string;
  /**
   * How long a failed message is kept.
   * @default Duration.days(14)
   */
  readonly retentionPeriod?: Duration;
}

export class DeadLetterQueue extends Construct {
  public readonly queue: sqs.Queue;
  public readonly purpose: string;

  public constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id);
    this.purpose = props.purpose;
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      dataKeyReuse: Duration.hours(1),
      enforceSSL: true,
      retentionPeriod: props.retentionPeriod ?? Duration.days(14),
      // Dead letters outlive the stack; a failed first create has none, so its queue is deleted.
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    acknowledgeNag(
      this.queue,
      'AwsSolutions-SQS3',
      `This queue is itself a dead-letter queue (${props.purpose}); its depth is alarmed on.`,
    );
  }
}
