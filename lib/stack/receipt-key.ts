/**
 * The receipt key (issue 19, item 2): a KMS asymmetric key, ECC_NIST_P256 for SIGN_VERIFY, that signs the receipts of
 * completed requests (lib/runtime/receipts.ts). Its private half never leaves KMS; the public key is exported with
 * `lethe receipt public-key` (GetPublicKey) and checks a receipt offline (`lethe receipt verify`, docs/receipts.md).
 *
 * Only what signs receipts may use it: `grantSign` gives kms:Sign and kms:GetPublicKey on this key alone (the API
 * function). An asymmetric key cannot rotate automatically (KMS rotates symmetric keys only): a new key is a new
 * keyId in the receipts signed after it, and the old key must be kept (never scheduled for deletion) while receipts
 * signed with it are to be checked, which is why the key is retained when the stack is deleted.
 */
import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { StackConfigError } from './errors';
import { acknowledgeNag } from './nag';

export interface ReceiptKeyProps {
  /**
   * Days KMS waits before deleting the key once deletion is scheduled (7 to 30).
   * @default 30
   */
  readonly pendingWindowDays?: number;
  /**
   * An alias for the key, e.g. `alias/lethe-receipts` (`lethe receipt public-key --key-id <alias>`).
   * @default - no alias (the stack output ReceiptKeyArn names the key)
   */
  readonly alias?: string;
}

export class ReceiptKey extends Construct {
  public readonly key: kms.Key;

  public constructor(scope: Construct, id: string, props: ReceiptKeyProps = {}) {
    super(scope, id);
    const pendingWindowDays = props.pendingWindowDays ?? 30;
    this.validatePendingWindow(pendingWindowDays);
    this.key = new kms.Key(this, 'Key', {
      description: 'Lethe: signs the receipts of completed requests (ECDSA P-256); the public key verifies them offline',
      keySpec: kms.KeySpec.ECC_NIST_P256,
      keyUsage: kms.KeyUsage.SIGN_VERIFY,
      pendingWindow: Duration.days(pendingWindowDays),
      // Like the stack's other keys: kept on delete (receipts signed with it stay verifiable against KMS), removed
      // when a first create fails, so a redeploy starts clean.
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      ...(props.alias ? { alias: props.alias } : {}),
    });
    acknowledgeNag(
      this.key,
      'AwsSolutions-KMS5',
      'An asymmetric (ECC_NIST_P256, SIGN_VERIFY) key cannot have automatic rotation in KMS; receipts name the key that signed them (keyId), so a new key is introduced by deploying one, and the old one is kept for verifying.',
    );
  }

  /** What signs receipts: kms:Sign and kms:GetPublicKey on this key only. */
  public grantSign(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['kms:Sign', 'kms:GetPublicKey'], resourceArns: [this.key.keyArn] });
  }

  /** What exports the public key (an operator's role, `lethe receipt public-key`): kms:GetPublicKey only. */
  public grantPublicKey(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['kms:GetPublicKey'], resourceArns: [this.key.keyArn] });
  }

  private validatePendingWindow(days: number): void {
    if (Token.isUnresolved(days)) return;
    if (!Number.isInteger(days) || days < 7 || days > 30) {
      throw new StackConfigError(`ReceiptKey: pendingWindowDays must be a whole number of days from 7 to 30; got ${days}`);
    }
  }
}
