/**
 * One Lethe Lambda function: a lambdas/*.ts entry bundled by the local esbuild (no Docker) for Node 22 on ARM64,
 * with every dependency inside (the AWS SDK included) and a source map that stack traces use, the policy baked into the bundle, X-Ray tracing, Powertools settings, and its own role and log group. The role
 * starts empty (no AWS managed policy): it may write to its own log group and nothing else until a construct
 * grants it exactly what it needs.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { StackConfigError } from './errors';
import { dropRedundantRoleDependency } from './cfn-tidy';
import { acknowledgeNag } from './nag';
import { ENV, METRICS } from '../core/contract';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** The Lambda runtime every Lethe function runs on (see docs/architecture.md for why 22). */
export const LETHE_RUNTIME = lambda.Runtime.NODEJS_22_X;

export interface LetheFunctionProps {
  /** Absolute path of the handler file (it exports `handler`). */
  readonly entry: string;
  /** Powertools service name; also names the function's purpose in logs and metrics, e.g. `lethe-api`. */
  readonly serviceName: string;
  readonly description: string;
  /** The policy document (as parsed from the policy file), baked into the bundle as ENV.policyJson. */
  readonly policyDocument: unknown;
  /** Customer-managed key of the log group. */
  readonly logKey: kms.IKey;
  /**
   * Extra environment variables.
   * @default {}
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Memory in MB.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Timeout.
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /**
   * Reserved concurrency; undefined leaves the function on the account's unreserved pool.
   * @default undefined
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * How long the function's logs are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

export class LetheFunction extends Construct {
  public readonly function: nodejs.NodejsFunction;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  public readonly serviceName: string;

  public constructor(scope: Construct, id: string, props: LetheFunctionProps) {
    super(scope, id);
    if (!existsSync(props.entry)) {
      throw new StackConfigError(`${this.node.path}: the handler file ${props.entry} does not exist`);
    }
    const memorySize = props.memorySize ?? 512;
    if (!Number.isInteger(memorySize) || memorySize < 128 || memorySize > 10240) {
      throw new StackConfigError(`${this.node.path}: memorySize must be an integer from 128 to 10240 MB; got ${memorySize}`);
    }
    const reserved = props.reservedConcurrentExecutions;
    if (reserved !== undefined && (!Number.isInteger(reserved) || reserved < 1)) {
      throw new StackConfigError(`${this.node.path}: reservedConcurrentExecutions must be a positive integer; got ${reserved}`);
    }
    this.serviceName = props.serviceName;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      encryptionKey: props.logKey,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      // Kept when the stack is deleted, deleted when its first create fails. No fixed name: CloudFormation makes one.
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Lethe ${props.serviceName}: least privilege, granted explicitly by the stack`,
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogGroup',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: LETHE_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize,
      timeout: props.timeout ?? Duration.seconds(30),
      reservedConcurrentExecutions: reserved,
      role: this.role,
      logGroup: this.logGroup,
      tracing: lambda.Tracing.ACTIVE,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: METRICS.namespace,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        // Stack traces in logs and X-Ray name the TypeScript sources, through the bundle's source map.
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        target: 'node22',
        // The AWS SDK goes into the bundle (the version package-lock.json pins and the tests ran), not left to whatever
        // SDK the Lambda runtime ships, which changes under the function without a deploy.
        bundleAwsSDK: true,
        // ESM entry points first: jsonc-parser's CommonJS `main` is a UMD build whose dynamic require('./impl/format')
        // esbuild cannot follow, so a bundle built from `main` fails at cold start ("Cannot find module './impl/format'").
        mainFields: ['module', 'main'],
        forceDockerBundling: false,
        logLevel: nodejs.LogLevel.WARNING,
        define: { [`process.env.${ENV.policyJson}`]: JSON.stringify(JSON.stringify(props.policyDocument)) },
      },
    });

    dropRedundantRoleDependency(this.function, this.role);
    acknowledgeNag(
      this.role,
      'AwsSolutions-IAM5',
      'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions (Resource "*").',
      ['Resource::*'],
    );
    acknowledgeNag(
      this.function,
      'AwsSolutions-L1',
      'Pinned to Node.js 22 (nodejs22.x), the runtime Lethe is built and tested for; moving to a newer runtime is a ' +
        'deliberate change, not an automatic one.',
    );
  }
}
