/**
 * One connector function per system whose connector type runs as a `connector-function` (dynamodb, s3, http),
 * each with a role that reaches only its own system: the statements its type's descriptor grants (its table and
 * named index, its bucket and the fixed part of the prefix, or its webhook secret). Systems whose type runs as an
 * `own-function` (lambda) use the controller's own function, which Lethe only invokes. The types come from the
 * connector registry (lib/connectors/registry.ts); nothing here names one.
 */
import * as path from 'node:path';
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { connectorFunctionEntry, type ArnRef, type ConnectorDescriptor, type GrantSpec } from '../connectors/descriptor';
import { connectorRegistry, type ConnectorRegistry } from '../connectors/registry';
import { StackConfigError } from './errors';
import type { Policy, SystemSpec } from '../policy/model';
import { CONNECTOR_TIMEOUT_SECONDS, FUNCTION_TIMEOUT_SECONDS } from '../runtime/budgets';
import { ENV } from '../core/contract';
import { acknowledgeNag } from './nag';
import { LetheFunction } from './lethe-function';

export { DYNAMODB_CONNECTOR_ACTIONS } from '../connectors/types/dynamodb';
export { S3_CONNECTOR_BUCKET_ACTIONS, S3_CONNECTOR_OBJECT_ACTIONS } from '../connectors/types/s3';

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
  /**
   * The connector types the policy's systems may use.
   * @default connectorRegistry (the built-in types)
   */
  readonly connectors?: ConnectorRegistry;
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

    const registry = props.connectors ?? connectorRegistry;

    for (const system of Object.values(props.policy.systems)) {
      const descriptor = registry.get(system.connector);
      const config = parseConfig(descriptor, system);
      const runtime = descriptor.runtime;
      if (runtime.kind === 'own-function') {
        const functionName = runtime.functionName(config);
        userFunctionArns.set(
          system.id,
          functionName.startsWith('arn:')
            ? functionName
            : stack.formatArn({
                service: 'lambda',
                resource: 'function',
                resourceName: functionName,
                arnFormat: ArnFormat.COLON_RESOURCE_NAME,
              }),
        );
        continue;
      }
      const usesHmac = system.fields.some((f) => f.anonymise?.strategy === 'hmac');
      const { entry, environment } = connectorFunctionEntry(descriptor);
      const fn = new LetheFunction(this, `System-${system.id}`, {
        entry: path.join(props.lambdasDir, entry),
        serviceName: `lethe-connector-${system.id}`,
        description: `Lethe ${system.connector} connector for system "${system.id}"`.slice(0, 256),
        policyDocument: props.policyDocument,
        logKey: props.logKey,
        logRetention: props.logRetention,
        timeout,
        reservedConcurrentExecutions: runtime.reservedConcurrency?.(config, defaultHttpConcurrency),
        environment: {
          ...environment,
          [ENV.connectorSystem]: system.id,
          [ENV.connectorConfig]: JSON.stringify(system.config),
          ...(usesHmac ? { [ENV.hmacSecret]: props.hmacSecret.secretArn } : {}),
        },
      });
      if (usesHmac) props.hmacSecret.grantRead(fn.role);
      for (const grant of descriptor.grants?.(config, system.id) ?? []) this.grant(fn, grant);
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

  /** One statement of a descriptor's grants on the function's role (and the cdk-nag finding it knowingly raises). */
  private grant(fn: LetheFunction, grant: GrantSpec): void {
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: grant.sid,
        actions: [...grant.actions],
        resources: grant.resources.map((resource) => this.arnOf(resource)),
        conditions: grant.conditions as Record<string, unknown> | undefined,
      }),
    );
    if (grant.acknowledge) acknowledgeNag(fn.role, grant.acknowledge.rule, grant.acknowledge.reason, [...grant.acknowledge.appliesTo]);
  }

  private arnOf(resource: ArnRef): string {
    if (typeof resource === 'string') return resource;
    const { suffix, colonResourceName, ...components } = resource;
    const arn = Stack.of(this).formatArn({
      ...components,
      ...(colonResourceName ? { arnFormat: ArnFormat.COLON_RESOURCE_NAME } : {}),
    });
    return suffix ? `${arn}${suffix}` : arn;
  }
}

function parseConfig(descriptor: ConnectorDescriptor, system: SystemSpec): unknown {
  const parsed = descriptor.configSchema.safeParse(system.config);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${['systems', system.id, 'config', ...i.path.map(String)].join('.')}: ${i.message}`);
  throw new StackConfigError(`system "${system.id}" has a config its ${system.connector} connector cannot deploy:\n${problems.join('\n')}`);
}
