/**
 * A connector type, described once: the `ConnectorDescriptor`. Each built-in type is one file under
 * lib/connectors/types/ exporting its descriptor, and one line in lib/connectors/registry.ts; everything that
 * depends on the type (the policy validator, the stack, local mode, the demo) asks the registry for it.
 *
 * A descriptor file imports only zod and types at load time: the policy validator reads its `configSchema`
 * without loading an SDK client, and the stack reads its `grants` as plain data (actions and ARN parts) that it
 * turns into IAM statements itself, so no descriptor imports aws-cdk-lib. The connector class (and the SDK it
 * uses) is loaded by `create`, when a connector is built.
 */
import { z } from 'zod';
import type { Connector } from './connector';
import type { DynamoDbConnectorOptions } from './dynamodb';
import type { HttpConnectorOptions } from './http';
import type { LambdaConnectorOptions } from './lambda';
import type { S3ConnectorOptions } from './s3';

/** Options for any built-in connector; each takes what applies to it (clients, secrets, clock). */
export type AnyConnectorOptions = DynamoDbConnectorOptions & S3ConnectorOptions & HttpConnectorOptions & LambdaConnectorOptions;

/** A required, non-empty string setting of a connector config, with an error naming it. */
export const configName = (what: string) =>
  z.string({ error: `expected ${what}` }).min(1, { error: `expected ${what}, got an empty string` });

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The placeholders of a template, e.g. `["customerId"]` for `customers/{customerId}/`. */
export function placeholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]);
}

/** Each placeholder of a template with its position: `[{ name, index, end }]`. */
export function placeholderMatches(template: string): { readonly name: string; readonly index: number; readonly end: number }[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => ({ name: m[1], index: m.index, end: m.index + m[0].length }));
}

/**
 * The parts of an ARN the stack fills in (`Stack.formatArn`): partition, and region and account unless given.
 * `suffix` is appended to the formatted ARN as it is (`/index/byEmail`, `/customers/*`).
 */
export interface ArnParts {
  readonly service: string;
  readonly resource: string;
  readonly resourceName?: string;
  /** @default the stack's region; '' for none (S3) */
  readonly region?: string;
  /** @default the stack's account; '' for none (S3) */
  readonly account?: string;
  /** `service:account:resource:name` (Lambda, Secrets Manager) rather than `resource/name`. @default false */
  readonly colonResourceName?: boolean;
  readonly suffix?: string;
}

/** An ARN as it is (`arn:aws:...`), or the parts the stack formats into one. */
export type ArnRef = string | ArnParts;

/** One statement of a connector function's role, as plain data (the stack makes it an `iam.PolicyStatement`). */
export interface GrantSpec {
  readonly sid: string;
  readonly actions: readonly string[];
  readonly resources: readonly ArnRef[];
  readonly conditions?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /**
   * A cdk-nag finding the grant knowingly raises (a wildcard the type cannot avoid), with the reason, and the
   * resources it applies to as cdk-nag names them (`Resource::arn:<AWS::Partition>:s3:::bucket/*`).
   */
  readonly acknowledge?: { readonly rule: string; readonly reason: string; readonly appliesTo: readonly string[] };
}

/**
 * The variable naming a connector function's type, for the generic entry (lambdas/connectors/connector.ts) that
 * serves any registered type; set only on functions of a type without an `entry` of its own.
 */
export const CONNECTOR_TYPE_ENV = 'LETHE_CONNECTOR_TYPE';

/** The generic connector function entry, relative to the lambdas directory. */
export const GENERIC_CONNECTOR_ENTRY = 'connectors/connector.ts';

/**
 * How a system of the type is reached:
 * - `connector-function`: Lethe deploys one function per system, with the system and its config in its
 *   environment: from `entry` (relative to the lambdas directory, `createConnectorHandler(type)`), or from the
 *   generic entry with the type in `LETHE_CONNECTOR_TYPE`;
 * - `own-function`: the controller's own function (named in the config), which Lethe only invokes; local mode
 *   stands in for it with the demo function (lib/local/demo-function.ts).
 */
export type ConnectorRuntime<C> =
  | {
      readonly kind: 'connector-function';
      /**
       * The handler file, relative to the lambdas directory, e.g. `connectors/dynamodb.ts`.
       * @default GENERIC_CONNECTOR_ENTRY, with LETHE_CONNECTOR_TYPE set to the type
       */
      readonly entry?: string;
      /**
       * Reserved concurrency of the system's function, when the type protects a rate-limited service.
       * `defaultLimit` is the stack's (ConnectorFunctionsProps.defaultHttpConcurrency).
       * @default no reserved concurrency
       */
      readonly reservedConcurrency?: (config: C, defaultLimit: number) => number;
    }
  | {
      readonly kind: 'own-function';
      /** The function's name or ARN, from the config. */
      readonly functionName: (config: C) => string;
    };

/** A demo subject (lib/local/demo.ts): fake values, the same in every system. */
export interface DemoSubject {
  readonly subjectId: string;
  /** The record key in systems whose key is not the subject id (e.g. `customerId`). */
  readonly key: string;
  readonly name: string;
  readonly email: string;
  readonly phone: string;
  readonly kind: 'active' | 'former';
}

export type DemoRecord = Record<string, unknown>;

/** A DynamoDB Local table to create: its key, sort key and one index, all string attributes. */
export interface DemoTableSpec {
  readonly table: string;
  readonly key: string;
  readonly sortKey?: string;
  readonly index?: { readonly name: string; readonly attribute: string };
}

/**
 * The local stand-ins a descriptor's demo seeds and reads (DynamoDB Local, s3rver, the webhook receiver and the
 * demo function's table), without an SDK import in the descriptor. lib/local/demo.ts implements it.
 */
export interface DemoStandIns {
  /** The subject's demo record for the system: one fake value per field of the policy. */
  record(subject: DemoSubject): DemoRecord;
  createTable(spec: DemoTableSpec): Promise<void>;
  putItem(table: string, item: DemoRecord): Promise<void>;
  getItem(table: string, key: DemoRecord): Promise<DemoRecord | undefined>;
  /** The items whose `attribute` (the partition key) is `value`. */
  queryItems(table: string, attribute: string, value: string): Promise<DemoRecord[]>;
  ensureBucket(bucket: string): Promise<void>;
  putObject(object: { bucket: string; key: string; body: DemoRecord; tags?: Record<string, string> }): Promise<void>;
  /** The records of the JSON objects under `prefix` (an array object gives each of its elements). */
  readObjects(bucket: string, prefix: string): Promise<DemoRecord[]>;
  /** The local receiver standing in for an http system's SaaS. */
  readonly receiver: {
    put(system: string, subjectId: string, record: DemoRecord): void;
    records(system: string): Readonly<Record<string, DemoRecord>>;
    urlOf(system: string): string;
  };
  /** The demo function (own-function stand-in): the key attribute of its table. */
  readonly demoFunctionKey: string;
}

/** What the demo does with a system of the type (lib/local/demo.ts, lib/demo/systems.ts). */
export interface ConnectorDemo<C> {
  /** The locator a demo subject's holding is registered with. @default {} */
  readonly locator?: (config: C, subject: DemoSubject) => Record<string, string>;
  /** Creates the stand-in and puts every demo subject's record in it; answers what stands in for the system, in words. */
  readonly seed: (ctx: DemoSystemContext<C>, subjects: readonly DemoSubject[]) => Promise<string>;
  /** Puts one subject's record into the stand-in (which exists). */
  readonly put: (ctx: DemoSystemContext<C>, subject: DemoSubject) => Promise<void>;
  /** Reads back what the stand-in holds of the subject, and where that is, in words. */
  readonly read: (ctx: DemoSystemContext<C>, subject: DemoSubject) => Promise<{ where: string; records: DemoRecord[] }>;
}

/** A system's config and id with the stand-ins, as a demo function of its descriptor sees them. */
export interface DemoSystemContext<C> {
  readonly system: string;
  readonly config: C;
  readonly standIns: DemoStandIns;
  /** The locator of the subject's holding (the descriptor's `demo.locator`). */
  locator(subject: DemoSubject): Record<string, string>;
}

/** A connector type: everything Lethe needs to know about it, in one object. */
export interface ConnectorDescriptor<T extends string = string, S extends z.ZodType = z.ZodType> {
  /** The `connector` of a system in the policy. */
  readonly type: T;
  /** A system's `config`: checked by the policy validator (a warning), the stack (an error) and the connector. */
  readonly configSchema: S;
  /** Builds the connector for a system from its valid config. Loads the connector class (and its SDK) on first use. */
  readonly create: (system: string, config: z.output<S>, options: AnyConnectorOptions) => Connector;
  readonly runtime: ConnectorRuntime<z.output<S>>;
  /**
   * Whether the connector of a system with this config verifies its erasures (contract VERIFICATIONS): asks the system
   * again after each action. `lethe validate --deploy` warns about a system that does not. @default never
   */
  readonly verifies?: (config: z.output<S>) => boolean;
  /** The statements of the system's connector function role: only what reaches its own system. @default none */
  readonly grants?: (config: z.output<S>, system: string) => readonly GrantSpec[];
  /** Local mode: the config the local connector function gets. @default the policy's */
  readonly localConfig?: (config: z.output<S>, local: { readonly webhookUrl: string }) => z.output<S>;
  /**
   * Local mode: the system's service is the local webhook receiver, which checks each request's signature with the
   * secret of this name (http). @default the system does not call the receiver
   */
  readonly webhookSecret?: (config: z.output<S>) => string;
  readonly demo: ConnectorDemo<z.output<S>>;
}

/** The entry of a connector function, and the variables it needs besides the system's. */
export function connectorFunctionEntry(descriptor: ConnectorDescriptor): { entry: string; environment: Record<string, string> } {
  const runtime = descriptor.runtime;
  if (runtime.kind !== 'connector-function') throw new Error(`connector type "${descriptor.type}" runs as its owner's function`);
  return runtime.entry
    ? { entry: runtime.entry, environment: {} }
    : { entry: GENERIC_CONNECTOR_ENTRY, environment: { [CONNECTOR_TYPE_ENV]: descriptor.type } };
}

/** Declares a descriptor with its config type inferred from its schema. */
export function defineConnectorType<const T extends string, S extends z.ZodType>(
  descriptor: ConnectorDescriptor<T, S>,
): ConnectorDescriptor<T, S> {
  return descriptor;
}
