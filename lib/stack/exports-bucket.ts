/**
 * The exports bucket (issue 14, item 4): access exports (spec 2.4, Art. 15), one JSON document and one HTML page per
 * access request (lib/runtime/exports.ts), handed to the subject as presigned GET URLs valid 7 days and deleted by
 * lifecycle after 30 days. SSE-KMS with the stack's customer-managed key (or a key of its own), no public access,
 * TLS only, server access logs when a logs bucket is given, in the stack's region (a bucket is regional; the stack's
 * region is one of the policy's, `assertRegionAllowed`). Not versioned: a deleted export must be gone, with no
 * noncurrent version left behind.
 */
import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { StackConfigError } from './errors';
import { grantKey, grantPrefixRead } from './grants';
import { acknowledgeNag, arnFinding } from './nag';

/** Where exports are written under the bucket: `exports/<requestId>/…` (lib/runtime/exports.ts). */
export const EXPORTS_PREFIX = 'exports/';

export interface ExportsBucketProps {
  /**
   * Customer-managed key for SSE-KMS.
   * @default - a new key of this bucket's own, with yearly rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Days after which an export is deleted (S3 lifecycle expiration). The subject's links are valid 7 days.
   * @default 30
   */
  readonly expirationDays?: number;
  /**
   * Receives the bucket's server access logs (under `exports-bucket/`).
   * @default - no access logs (the cdk-nag finding AwsSolutions-S1 is acknowledged with that reason)
   */
  readonly serverAccessLogsBucket?: s3.IBucket;
}

export class ExportsBucket extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly encryptionKey: kms.IKey;
  public readonly expirationDays: number;

  public constructor(scope: Construct, id: string, props: ExportsBucketProps = {}) {
    super(scope, id);
    this.expirationDays = props.expirationDays ?? 30;
    this.validateExpirationDays(this.expirationDays);
    this.encryptionKey =
      props.encryptionKey ??
      new kms.Key(this, 'Key', {
        description: 'Lethe: access exports (SSE-KMS of the exports bucket)',
        enableKeyRotation: true,
        // Like the stack's other keys: kept on delete (exports still within their 30 days stay readable), removed
        // when a first create fails, so a redeploy starts clean.
        removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      });
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.encryptionKey,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: false,
      ...(props.serverAccessLogsBucket
        ? { serverAccessLogsBucket: props.serverAccessLogsBucket, serverAccessLogsPrefix: 'exports-bucket/' }
        : {}),
      // Like the audit bucket: kept on delete (its lifecycle still removes each export 30 days after it was written),
      // removed when a first create fails (it is empty then), so a redeploy after a failed create is not blocked.
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      lifecycleRules: [
        {
          id: 'delete-exports-after-expiry',
          expiration: Duration.days(this.expirationDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
    if (!props.serverAccessLogsBucket) {
      acknowledgeNag(
        this.bucket,
        'AwsSolutions-S1',
        'Server access logs are optional for the exports bucket: every export written is in the audit trail (request id, subject HMAC, object hash).',
      );
    }
  }

  /**
   * What writes exports and presigns their links: s3:PutObject and s3:GetObject (a presigned GET is authorised as
   * its signer) on `exports/*` only, s3:ListBucket for keys under `exports/` only (the finish task lists a request's
   * parts: ExportStore.readParts), and the key's GenerateDataKey and Decrypt.
   */
  public grantPublish(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:PutObject', 's3:GetObject'],
      resourceArns: [this.bucket.arnForObjects(`${EXPORTS_PREFIX}*`)],
    });
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${EXPORTS_PREFIX}*`] } },
      }),
    );
    grantKey(grantee, this.encryptionKey, ['kms:GenerateDataKey', 'kms:Decrypt']);
    const principal = grantee.grantPrincipal;
    if (principal instanceof iam.Role) {
      acknowledgeNag(
        principal,
        'AwsSolutions-IAM5',
        'Export object keys are generated at run time (one per access request); the grant is s3:PutObject and s3:GetObject on the exports/ prefix of the exports bucket only.',
        [arnFinding(this.bucket, `/${EXPORTS_PREFIX}*`)],
      );
    }
    return grant;
  }

  /**
   * What hands out the links (the API: GET /access-requests/{id} presigns afresh): s3:GetObject on `exports/*` only
   * (a presigned GET is authorised as its signer) and the key's Decrypt; it writes nothing.
   */
  public grantLinks(grantee: iam.IGrantable): iam.Grant {
    return grantPrefixRead(
      grantee,
      this.bucket,
      this.encryptionKey,
      EXPORTS_PREFIX,
      'Export object keys are generated at run time (one per access request); the grant is s3:GetObject on the exports/ prefix of the exports bucket only, to sign the links.',
    );
  }

  private validateExpirationDays(days: number): void {
    if (Token.isUnresolved(days)) return;
    if (!Number.isInteger(days) || days < 8 || days > 3650) {
      throw new StackConfigError(
        `ExportsBucket: expirationDays must be a whole number of days from 8 to 3650 (the links are valid 7 days); got ${days}`,
      );
    }
  }
}
