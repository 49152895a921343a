/**
 * One connector function per system that uses a built-in connector (dynamodb, s3, http), each with a role that
 * reaches only its own system: its table and named index, its bucket (and the fixed part of the prefix), or its
 * webhook secret. Systems with a `lambda` connector use the controller's own function, which Lethe only invokes.
 */
import * as path from 'node:path';
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { z } from 'zod';
import { DynamoDbConnectorConfig, HttpConnectorConfig, LambdaConnectorConfig, S3ConnectorConfig } from '../connectors/config';
import { StackConfigError } from './errors';
import type { Policy, SystemSpec } from '../policy/model';
import { CONNECTOR_TIMEOUT_SECONDS, FUNCTION_TIMEOUT_SECONDS } from '../runtime/budgets';
import { ENV } from '../core/contract';
import { acknowledgeNag } from './nag';
import { LetheFunction } from './lethe-function';

/** The S3 actions of the s3 connector (lib/connectors/s3.ts), and nothing else. */
export const S3_CONNECTOR_BUCKET_ACTIONS = ['s3:ListBucket', 's3:ListBucketVersions'] as const;
export const S3_CONNECTOR_OBJECT_ACTIONS = [
  's3:GetObject',
  's3:PutObject',
  's3:DeleteObject',
  's3:DeleteObjectVersion',
  's3:GetObjectTagging',
  // In a versioned bucket the connector reads the current version by its VersionId, which S3 authorises separately.
  's3:GetObjectVersion',
  's3:GetObjectVersionTagging',
] as const;
/** The DynamoDB actions of the dynamodb connector (lib/connectors/dynamodb.ts) on its table; its index gets dynamodb:Query only. */
export const DYNAMODB_CONNECTOR_ACTIONS = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'] as const;

export interface ConnectorFunctionsProps {
  readonly policy: Policy;
  /** The policy document as parsed, baked into each bundle. */
  readonly policyDocument: unknown;
  /** Directory holding `connectors/<type>.ts`. */
  readonly lambdasDir: string;
  /** Key of the functions' log groups. */
  readonly logKey: kms.IKey;
  /**
   * The HMAC secret (ENV.hmacSecret): the connector of a system that anonymises a field with the `hmac` strategy
   * gets its name and may read it; no other connector does.
   */
  readonly hmacSecret: secretsmanager.ISecret;
  /**
   * Log retention of the connector functions.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Timeout of a connector function. sweep-apply waits for a whole connector call (a batch of subjects) within its
   * own timeout and the 5 minutes of its Express execution, so at most CONNECTOR_TIMEOUT_SECONDS (60 s) is accepted.
   * @default Duration.seconds(60)
   */
  readonly timeout?: Duration;
  /**
   * Reserved concurrency of an http connector whose config sets no `maxConcurrency`; protects the SaaS's rate limits.
   * @default 5
   */
  readonly defaultHttpConcurrency?: number;
}

export class ConnectorFunctions extends Construct {
  /** System id → the built-in connector function that serves it. */
  public readonly functions: ReadonlyMap<string, LetheFunction>;
  /** System id → ARN of the controller's own function (`lambda` connector). */
  public readonly userFunctionArns: ReadonlyMap<string, string>;

  public constructor(scope: Construct, id: string, props: ConnectorFunctionsProps) {
    super(scope, id);
    const timeout = props.timeout ?? Duration.seconds(CONNECTOR_TIMEOUT_SECONDS);
    ConnectorFunctions.checkTimeout(timeout);
    const defaultHttpConcurrency = props.defaultHttpConcurrency ?? 5;
    if (!Number.isInteger(defaultHttpConcurrency) || defaultHttpConcurrency < 1) {
      throw new StackConfigError(`ConnectorFunctions: defaultHttpConcurrency must be a positive integer; got ${defaultHttpConcurrency}`);
    }
    const functions = new Map<string, LetheFunction>();
    const userFunctionArns = new Map<string, string>();
    const stack = Stack.of(this);

    for (const system of Object.values(props.policy.systems)) {
      if (system.connector === 'lambda') {
        const config = parseConfig(LambdaConnectorConfig, system);
        userFunctionArns.set(
          system.id,
          config.functionName.startsWith('arn:')
            ? config.functionName
            : stack.formatArn({
                service: 'lambda',
                resource: 'function',
                resourceName: config.functionName,
                arnFormat: ArnFormat.COLON_RESOURCE_NAME,
              }),
        );
        continue;
      }
      const http = system.connector === 'http' ? parseConfig(HttpConnectorConfig, system) : undefined;
      const usesHmac = system.fields.some((f) => f.anonymise?.strategy === 'hmac');
      const fn = new LetheFunction(this, `System-${system.id}`, {
        entry: path.join(props.lambdasDir, 'connectors', `${system.connector}.ts`),
        serviceName: `lethe-connector-${system.id}`,
        description: `Lethe ${system.connector} connector for system "${system.id}"`.slice(0, 256),
        policyDocument: props.policyDocument,
        logKey: props.logKey,
        logRetention: props.logRetention,
        timeout,
        reservedConcurrentExecutions: http ? (http.maxConcurrency ?? defaultHttpConcurrency) : undefined,
        environment: {
          [ENV.connectorSystem]: system.id,
          [ENV.connectorConfig]: JSON.stringify(system.config),
          ...(usesHmac ? { [ENV.hmacSecret]: props.hmacSecret.secretArn } : {}),
        },
      });
      if (usesHmac) props.hmacSecret.grantRead(fn.role);
      if (system.connector === 'dynamodb') this.grantDynamoDb(fn, system);
      else if (system.connector === 's3') this.grantS3(fn, system);
      else if (http) this.grantHttp(fn, http);
      functions.set(system.id, fn);
    }
    this.functions = functions;
    this.userFunctionArns = userFunctionArns;
  }

  /**
   * Refuses a connector timeout that sweep-apply could not wait for: it stops a batch before a connector call when
   * less than CONNECTOR_TIMEOUT_SECONDS (and its finishing reserve) is left, so a longer call could outlast it.
   */
  public static checkTimeout(timeout: Duration): void {
    const seconds = timeout.toSeconds();
    if (seconds < 1 || seconds > CONNECTOR_TIMEOUT_SECONDS) {
      throw new StackConfigError(
        `ConnectorFunctions: timeout must be at most ${CONNECTOR_TIMEOUT_SECONDS} seconds (sweep-apply waits for a connector call ` +
          `within its own ${FUNCTION_TIMEOUT_SECONDS['sweep-apply']} s); got ${seconds} seconds`,
      );
    }
  }

  /** Every function a workflow may invoke to reach a system: the built-in connectors and the controller's own. */
  public get invokableArns(): string[] {
    return [...[...this.functions.values()].map((f) => f.function.functionArn), ...this.userFunctionArns.values()];
  }

  /** JSON for ENV.connectorFunctions: system id → function name (or ARN, for a `lambda` connector). */
  public functionsJson(): string {
    const names: Record<string, string> = {};
    for (const [system, fn] of this.functions) names[system] = fn.function.functionName;
    for (const [system, arn] of this.userFunctionArns) names[system] = arn;
    return JSON.stringify(names);
  }

  private grantDynamoDb(fn: LetheFunction, system: SystemSpec): void {
    const config = parseConfig(DynamoDbConnectorConfig, system);
    const stack = Stack.of(this);
    const tableArn = stack.formatArn({ service: 'dynamodb', region: config.region, resource: 'table', resourceName: config.tableName });
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'OwnTableOnly', actions: [...DYNAMODB_CONNECTOR_ACTIONS], resources: [tableArn] }),
    );
    if (config.indexName) {
      fn.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ sid: 'OwnIndexOnly', actions: ['dynamodb:Query'], resources: [`${tableArn}/index/${config.indexName}`] }),
      );
    }
  }

  private grantS3(fn: LetheFunction, system: SystemSpec): void {
    const config = parseConfig(S3ConnectorConfig, system);
    const bucketArn = Stack.of(this).formatArn({ service: 's3', region: '', account: '', resource: config.bucket });
    // The fixed part of the per-subject prefix (before its first placeholder): the connector can reach nothing outside
    // it. With a tagKey the connector reads the whole bucket to find tagged objects, so the whole bucket it is.
    const firstPlaceholder = config.prefix?.search(/\{/) ?? -1;
    const fixedPrefix =
      config.tagKey || !config.prefix ? '' : firstPlaceholder === -1 ? config.prefix : config.prefix.slice(0, firstPlaceholder);
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ListOwnBucketOnly',
        actions: [...S3_CONNECTOR_BUCKET_ACTIONS],
        resources: [bucketArn],
        conditions: fixedPrefix ? { StringLike: { 's3:prefix': [`${fixedPrefix}*`] } } : undefined,
      }),
    );
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'OwnObjectsOnly',
        actions: [...S3_CONNECTOR_OBJECT_ACTIONS],
        resources: [`${bucketArn}/${fixedPrefix}*`],
      }),
    );
    acknowledgeNag(
      fn.role,
      'AwsSolutions-IAM5',
      `The s3 connector of system "${system.id}" erases objects whose keys are known only at run time (one prefix per ` +
        `subject); the grant is limited to bucket ${config.bucket}` +
        (fixedPrefix ? ` under "${fixedPrefix}".` : '.'),
      [`Resource::arn:<AWS::Partition>:s3:::${config.bucket}/${fixedPrefix}*`],
    );
  }

  private grantHttp(fn: LetheFunction, config: HttpConnectorConfig): void {
    const secretArn = config.secretName.startsWith('arn:')
      ? config.secretName
      : Stack.of(this).formatArn({
          service: 'secretsmanager',
          resource: 'secret',
          // Secrets Manager appends six random characters to a secret's ARN.
          resourceName: `${config.secretName}-??????`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        });
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'OwnWebhookSecretOnly', actions: ['secretsmanager:GetSecretValue'], resources: [secretArn] }),
    );
  }
}

function parseConfig<S extends z.ZodType>(schema: S, system: SystemSpec): z.output<S> {
  const parsed = schema.safeParse(system.config);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${['systems', system.id, 'config', ...i.path.map(String)].join('.')}: ${i.message}`);
  throw new StackConfigError(`system "${system.id}" has a config its ${system.connector} connector cannot deploy:\n${problems.join('\n')}`);
}
