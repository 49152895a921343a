/**
 * The audit bucket: hash-chained audit records under S3 Object Lock, so that nobody, not even the account's
 * administrators in COMPLIANCE mode, can rewrite or delete what Lethe says it did. Versioned, SSE-KMS with the
 * customer-managed key, no public access, TLS only, server access logs to a separate locked-down bucket, and a
 * lifecycle rule that moves old records to a cheaper storage class.
 *
 * It also keeps the signed receipts of completed requests (lib/runtime/receipt-store.ts), under `receipts/`: written
 * once each (the bucket policy refuses a put there without `If-None-Match: *`, so a receipt is never replaced by a
 * newer version), kept under the same Object Lock retention as the records.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { RECEIPT_PREFIX } from '../runtime/receipt-store';
import { StackConfigError } from './errors';
import { grantPrefixRead } from './grants';
import { acknowledgeNag } from './nag';

export const OBJECT_LOCK_MODES = ['COMPLIANCE', 'GOVERNANCE'] as const;
export type ObjectLockModeName = (typeof OBJECT_LOCK_MODES)[number];

export interface AuditBucketProps {
  /** Customer-managed key for SSE-KMS. */
  readonly encryptionKey: kms.IKey;
  /**
   * Object Lock mode of the default retention. COMPLIANCE: no one can delete or shorten it; GOVERNANCE: principals
   * with s3:BypassGovernanceRetention can.
   * @default 'COMPLIANCE'
   */
  readonly objectLockMode?: ObjectLockModeName;
  /**
   * Default retention of every audit record, in years (1 to 99).
   * @default 7
   */
  readonly retentionYears?: number;
  /**
   * Days after which audit records move to `transitionStorageClass`.
   * @default 90
   */
  readonly transitionAfterDays?: number;
  /**
   * The cheaper storage class for records older than `transitionAfterDays`.
   * @default s3.StorageClass.GLACIER_INSTANT_RETRIEVAL
   */
  readonly transitionStorageClass?: s3.StorageClass;
  /**
   * Days the server access logs are kept.
   * @default 365
   */
  readonly accessLogsExpirationDays?: number;
}

export class AuditBucket extends Construct {
  public readonly bucket: s3.Bucket;
  /** Receives the audit bucket's server access logs. */
  public readonly accessLogsBucket: s3.Bucket;
  public readonly objectLockMode: ObjectLockModeName;
  public readonly retentionYears: number;
  private readonly encryptionKey: kms.IKey;

  public constructor(scope: Construct, id: string, props: AuditBucketProps) {
    super(scope, id);
    this.objectLockMode = props.objectLockMode ?? 'COMPLIANCE';
    this.encryptionKey = props.encryptionKey;
    if (!OBJECT_LOCK_MODES.includes(this.objectLockMode)) {
      throw new StackConfigError(`AuditBucket: objectLockMode must be COMPLIANCE or GOVERNANCE; got "${String(this.objectLockMode)}"`);
    }
    this.retentionYears = props.retentionYears ?? 7;
    if (!Number.isInteger(this.retentionYears) || this.retentionYears < 1 || this.retentionYears > 99) {
      throw new StackConfigError(`AuditBucket: retentionYears must be an integer from 1 to 99; got ${this.retentionYears}`);
    }
    const transitionAfterDays = props.transitionAfterDays ?? 90;
    if (!Number.isInteger(transitionAfterDays) || transitionAfterDays < 1) {
      throw new StackConfigError(`AuditBucket: transitionAfterDays must be a positive integer; got ${transitionAfterDays}`);
    }
    const accessLogsExpirationDays = props.accessLogsExpirationDays ?? 365;
    if (!Number.isInteger(accessLogsExpirationDays) || accessLogsExpirationDays < 1) {
      throw new StackConfigError(`AuditBucket: accessLogsExpirationDays must be a positive integer; got ${accessLogsExpirationDays}`);
    }

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      // S3 server access logging can deliver only to a bucket with SSE-S3 default encryption.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      lifecycleRules: [
        {
          id: 'expire-access-logs',
          expiration: Duration.days(accessLogsExpirationDays),
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
    });
    acknowledgeNag(
      this.accessLogsBucket,
      'AwsSolutions-S1',
      "This bucket is the destination of the audit bucket's server access logs; logging it to itself would loop.",
    );

    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: true,
      objectLockEnabled: true,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'audit-bucket/',
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      lifecycleRules: [
        {
          id: 'move-old-audit-records-to-cheaper-storage',
          transitions: [
            {
              storageClass: props.transitionStorageClass ?? s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
              transitionAfter: Duration.days(transitionAfterDays),
            },
          ],
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
    });
    // The default retention in whole years, as it is stated (CDK's objectLockDefaultRetention renders Days, and 7 years
    // is 2556 or 2557 days, not 2555). Set as the whole L1 property, not merged into CDK's: CloudFormation refuses a
    // DefaultRetention with both Days and Years, and the first create would roll back.
    (this.bucket.node.defaultChild as s3.CfnBucket).objectLockConfiguration = {
      objectLockEnabled: 'Enabled',
      rule: { defaultRetention: { mode: this.objectLockMode, years: this.retentionYears } },
    };
    // A receipt is written once (lib/runtime/receipt-store.ts putOnce): no one may put one without If-None-Match: *,
    // which S3 refuses (412) when the key exists, so a stored receipt never gets a newer version that GET would answer.
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'ReceiptsAreWrittenOnce',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`${RECEIPT_PREFIX}*`)],
        conditions: { Null: { 's3:if-none-match': 'true' } },
      }),
    );
  }

  /**
   * What serves and issues receipts (the API, the erasure workflow's finish): s3:GetObject under `receipts/` only, and
   * kms:Decrypt on the bucket's key. Writing them is the audit writers' s3:PutObject (runtime-functions.ts).
   */
  public grantReadReceipts(grantee: iam.IGrantable): iam.Grant {
    return grantPrefixRead(
      grantee,
      this.bucket,
      this.encryptionKey,
      RECEIPT_PREFIX,
      'Receipt keys are request ids, known at run time only; the grant is s3:GetObject on the receipts/ prefix of the audit bucket only.',
    );
  }
}
