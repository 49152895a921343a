/**
 * Which local functions exist and with what environment: the same functions and variables the stack gives
 * (lib/stack/runtime-functions.ts, connector-functions.ts, lethe-function.ts), with local names, the policy
 * read from its file (LETHE_POLICY_FILE) instead of baked into a bundle, and the SDK pointed at the local
 * endpoints through the standard AWS_ENDPOINT_URL_* variables. Pure: builds specs, starts nothing.
 */
import * as path from 'node:path';
import { connectorFunctionEntry } from '../connectors/descriptor';
import { connectorRegistry, type ConnectorRegistry } from '../connectors/registry';
import type { Policy, SystemSpec } from '../policy/model';
import { CONNECTOR_TIMEOUT_SECONDS, FUNCTION_TIMEOUT_SECONDS } from '../runtime/budgets';
import { ENV, METRICS } from '../core/contract';
import { LOCAL_RECEIPT_KEY_FILE } from '../core/receipt-signer';
import { HMAC_SECRET_NAME, LOCAL_ACCOUNT } from './keys';
import type { LocalFunctionSpec } from './functions';
import { LOCAL_PREFIX, type LocalNames } from './resources';
import { DEMO_TABLE_ENV } from './demo-function';
import { demoFunctionName } from './demo';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
const LAMBDAS = path.join(REPO_ROOT, 'lambdas');

/**
 * lambdas/<entry>.ts, with the timeout and memory the stack gives each (RUNTIME_ENTRIES of runtime-functions.ts;
 * the timeouts are lib/runtime/budgets.ts's, which the stack reads too): a local invocation that runs longer
 * fails with Sandbox.Timedout, as on AWS.
 */
export const LOCAL_RUNTIME_ENTRIES = [
  { entry: 'api', timeoutMs: FUNCTION_TIMEOUT_SECONDS.api * 1000, memoryMb: 512 },
  { entry: 'subject-events', timeoutMs: FUNCTION_TIMEOUT_SECONDS['subject-events'] * 1000, memoryMb: 512 },
  { entry: 'erasure-plan', timeoutMs: FUNCTION_TIMEOUT_SECONDS['erasure-plan'] * 1000, memoryMb: 512 },
  { entry: 'erasure-system', timeoutMs: FUNCTION_TIMEOUT_SECONDS['erasure-system'] * 1000, memoryMb: 512 },
  { entry: 'erasure-finish', timeoutMs: FUNCTION_TIMEOUT_SECONDS['erasure-finish'] * 1000, memoryMb: 512 },
  { entry: 'sweep-read', timeoutMs: FUNCTION_TIMEOUT_SECONDS['sweep-read'] * 1000, memoryMb: 512 },
  { entry: 'sweep-apply', timeoutMs: FUNCTION_TIMEOUT_SECONDS['sweep-apply'] * 1000, memoryMb: 1024 },
  { entry: 'ledger-stream', timeoutMs: FUNCTION_TIMEOUT_SECONDS['ledger-stream'] * 1000, memoryMb: 512 },
  { entry: 'deadline-monitor', timeoutMs: FUNCTION_TIMEOUT_SECONDS['deadline-monitor'] * 1000, memoryMb: 512 },
  { entry: 'replay', timeoutMs: FUNCTION_TIMEOUT_SECONDS.replay * 1000, memoryMb: 512 },
] as const;
export type LocalRuntimeEntry = (typeof LOCAL_RUNTIME_ENTRIES)[number]['entry'];

/** A connector function's timeout (ConnectorFunctions' default). */
const CONNECTOR_TIMEOUT_MS = CONNECTOR_TIMEOUT_SECONDS * 1000;

/** The stack's deadline-monitor default (LETHE_DEADLINE_WARNING_DAYS). */
export const DEADLINE_WARNING_DAYS = 7;

export interface LocalEndpoints {
  readonly dynamodb: string;
  readonly s3: string;
  /** Lambda, KMS, Secrets Manager and Step Functions (aws-endpoint.ts). */
  readonly aws: string;
}

export interface FunctionSpecInput {
  readonly policy: Policy;
  readonly policyFile: string;
  readonly region: string;
  readonly names: LocalNames;
  readonly endpoints: LocalEndpoints;
  readonly sealingKeyArn: string;
  readonly dataDir: string;
  /** The local webhook URL of an http system (the receiver). */
  readonly webhookUrl: (system: string) => string;
  /** @default process.env */
  readonly hostEnv?: Readonly<Record<string, string | undefined>>;
  /**
   * The connector types the policy's systems may use.
   * @default connectorRegistry (the built-in types)
   */
  readonly connectors?: ConnectorRegistry;
}

export const runtimeFunctionName = (entry: LocalRuntimeEntry) => `${LOCAL_PREFIX}-${entry}`;
export const connectorFunctionName = (system: string) => `${LOCAL_PREFIX}-connector-${system}`;

/** The variables of the Lambda environment and the SDK, the same for every function. */
export function awsEnvironment(input: FunctionSpecInput, functionName: string, memoryMb: number): Record<string, string> {
  const host = input.hostEnv ?? process.env;
  const noAwsConfig = path.join(input.dataDir, 'no-aws-config');
  return {
    // What tsx needs to find its cache; nothing else of the host's environment.
    ...(host.PATH ? { PATH: host.PATH } : {}),
    ...(host.TMPDIR ? { TMPDIR: host.TMPDIR } : {}),
    AWS_REGION: input.region,
    AWS_DEFAULT_REGION: input.region,
    // Fake credentials (s3rver accepts only these); the user's ~/.aws files are never read.
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_CONFIG_FILE: noAwsConfig,
    AWS_SHARED_CREDENTIALS_FILE: noAwsConfig,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_DYNAMODB: input.endpoints.dynamodb,
    AWS_ENDPOINT_URL_DYNAMODB_STREAMS: input.endpoints.dynamodb,
    AWS_ENDPOINT_URL_S3: input.endpoints.s3,
    AWS_ENDPOINT_URL_LAMBDA: input.endpoints.aws,
    AWS_ENDPOINT_URL_KMS: input.endpoints.aws,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: input.endpoints.aws,
    AWS_ENDPOINT_URL_SFN: input.endpoints.aws,
    // Lambda runs Node 22; local mode may run on Node 20.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
    POWERTOOLS_TRACE_ENABLED: 'false',
  };
}

/** LetheFunction's own variables, with the policy file in place of the baked document. */
function letheFunctionEnvironment(input: FunctionSpecInput, serviceName: string): Record<string, string> {
  return {
    POWERTOOLS_SERVICE_NAME: serviceName,
    POWERTOOLS_METRICS_NAMESPACE: METRICS.namespace,
    POWERTOOLS_LOG_LEVEL: 'INFO',
    [ENV.policyFile]: input.policyFile,
  };
}

/** Whether a system has a field anonymised with the `hmac` strategy (its connector needs the HMAC secret). */
export function usesHmac(system: SystemSpec): boolean {
  return system.fields.some((f) => f.anonymise?.strategy === 'hmac');
}

/**
 * ENV.connectorFunctions: system id → local connector function, or the own function's name of a system whose type
 * runs as an `own-function` (lambda).
 */
export function connectorFunctions(policy: Policy, connectors: ConnectorRegistry = connectorRegistry): Record<string, string> {
  return Object.fromEntries(
    Object.values(policy.systems).map((s) => {
      const runtime = connectors.get(s.connector).runtime;
      return [s.id, runtime.kind === 'own-function' ? runtime.functionName(s.config) : connectorFunctionName(s.id)];
    }),
  );
}

/**
 * The connector config a connector function gets: the policy's, as its type's `localConfig` changes it for local
 * mode (an http system's URL on the local receiver).
 */
export function localConnectorConfig(
  system: SystemSpec,
  webhookUrl: (system: string) => string,
  connectors: ConnectorRegistry = connectorRegistry,
): Record<string, unknown> {
  const { localConfig } = connectors.get(system.connector);
  return localConfig ? { ...(localConfig(system.config, { webhookUrl: webhookUrl(system.id) }) as object) } : { ...system.config };
}

export function localFunctionSpecs(input: FunctionSpecInput): LocalFunctionSpec[] {
  const { names } = input;
  const connectors = input.connectors ?? connectorRegistry;
  const arn = (name: string) => `arn:aws:lambda:${input.region}:${LOCAL_ACCOUNT}:function:${name}`;
  const runtimeEnv: Record<string, string> = {
    [ENV.ledgerTables]: JSON.stringify(names.ledgerTables),
    [ENV.eventsTable]: names.eventsTable,
    [ENV.requestsTable]: names.requestsTable,
    [ENV.idempotencyTable]: names.idempotencyTable,
    [ENV.auditChainTable]: names.auditChainTable,
    [ENV.auditBucket]: names.auditBucket,
    [ENV.exportsBucket]: names.exportsBucket,
    [ENV.hmacSecret]: HMAC_SECRET_NAME,
    [ENV.sealingKey]: input.sealingKeyArn,
    [ENV.connectorFunctions]: JSON.stringify(connectorFunctions(input.policy, connectors)),
    // Tombstones (issue 19, item 3): written by the erasure and sweep paths, applied again by replay. Locally the one
    // KMS key wraps their data keys too, under their own encryption context (lethe:use tombstone).
    [ENV.tombstonesTable]: names.tombstonesTable,
    [ENV.tombstoneKey]: input.sealingKeyArn,
  };
  const specs: LocalFunctionSpec[] = [];
  for (const { entry, timeoutMs, memoryMb } of LOCAL_RUNTIME_ENTRIES) {
    const name = runtimeFunctionName(entry);
    specs.push({
      name,
      arn: arn(name),
      entry: path.join(LAMBDAS, `${entry}.ts`),
      timeoutMs,
      memoryMb,
      env: {
        ...awsEnvironment(input, name, memoryMb),
        ...letheFunctionEnvironment(input, `lethe-${entry}`),
        ...runtimeEnv,
        // The API starts erasure executions; so does the deadline monitor, for one the API could not start.
        ...(entry === 'api' || entry === 'deadline-monitor' ? { [ENV.erasureStateMachineArn]: names.erasureStateMachineArn } : {}),
        ...(entry === 'deadline-monitor' ? { [ENV.deadlineWarningDays]: String(DEADLINE_WARNING_DAYS) } : {}),
        // The erasure workflow's finish signs each completed request's receipt (the API one that has none stored yet) with local mode's key in the data directory (lib/local/keys.ts), as they would with KMS.
        ...(entry === 'api' || entry === 'erasure-finish'
          ? { [ENV.receiptKeyFile]: path.join(input.dataDir, LOCAL_RECEIPT_KEY_FILE) }
          : {}),
      },
    });
  }
  const demoFunctions = new Set<string>();
  for (const system of Object.values(input.policy.systems)) {
    const descriptor = connectors.get(system.connector);
    if (descriptor.runtime.kind === 'own-function') {
      // The controller's own function: the demo function stands in for it, over a table of its name.
      const name = demoFunctionName(system);
      if (demoFunctions.has(name)) continue;
      demoFunctions.add(name);
      specs.push({
        name,
        arn: arn(name),
        entry: path.join(__dirname, 'demo-function.ts'),
        timeoutMs: CONNECTOR_TIMEOUT_MS,
        memoryMb: 512,
        env: {
          ...awsEnvironment(input, name, 512),
          POWERTOOLS_SERVICE_NAME: `demo-${system.id}`,
          [ENV.hmacSecret]: HMAC_SECRET_NAME,
          [DEMO_TABLE_ENV]: name,
        },
      });
      continue;
    }
    const name = connectorFunctionName(system.id);
    const { entry, environment } = connectorFunctionEntry(descriptor);
    specs.push({
      name,
      arn: arn(name),
      entry: path.join(LAMBDAS, entry),
      timeoutMs: CONNECTOR_TIMEOUT_MS,
      memoryMb: 512,
      env: {
        ...awsEnvironment(input, name, 512),
        ...letheFunctionEnvironment(input, `lethe-connector-${system.id}`),
        ...environment,
        [ENV.connectorSystem]: system.id,
        [ENV.connectorConfig]: JSON.stringify(localConnectorConfig(system, input.webhookUrl, connectors)),
        ...(usesHmac(system) ? { [ENV.hmacSecret]: HMAC_SECRET_NAME } : {}),
      },
    });
  }
  return specs;
}
