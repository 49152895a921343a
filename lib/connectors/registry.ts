/**
 * The connector types Lethe knows, and the one place that maps a type (a system's `connector` in the policy) to
 * its descriptor (descriptor.ts). The policy validator, the stack, local mode and the demo iterate or look up
 * `connectorRegistry`; none of them names a type. Adding a built-in type is one file under types/ and one entry
 * in `BUILT_IN_CONNECTORS` (docs/connectors.md, "Adding a connector type").
 *
 * This module loads no connector class and no SDK: `create` loads them when a connector is built.
 */
import type { z } from 'zod';
import type { Connector } from './connector';
import type { AnyConnectorOptions, ConnectorDescriptor } from './descriptor';
import type * as ErrorsModule from './errors';
import type * as ParseModule from './parse';
import { dynamodb } from './types/dynamodb';
import { http } from './types/http';
import { lambda } from './types/lambda';
import { s3 } from './types/s3';

export type { AnyConnectorOptions } from './descriptor';

/** The built-in connector types, in the order the policy language lists them. */
export const BUILT_IN_CONNECTORS = [dynamodb, s3, http, lambda] as const;

type BuiltIn = (typeof BUILT_IN_CONNECTORS)[number];
/** A built-in connector type: `dynamodb | s3 | http | lambda`. */
export type BuiltInConnectorType = BuiltIn['type'];
/** The built-in types as a tuple of literals (the policy schema's `connector` enum). */
export const BUILT_IN_CONNECTOR_TYPES = BUILT_IN_CONNECTORS.map((d) => d.type) as unknown as TypesOf<typeof BUILT_IN_CONNECTORS>;
type TypesOf<L extends readonly unknown[]> = { readonly [K in keyof L]: L[K] extends { readonly type: infer T } ? T : never };
/** Each built-in type's config, as the connector reads it. */
export type ConnectorConfig = { [D in BuiltIn as D['type']]: z.output<D['configSchema']> };

/** A connector factory for a built-in type (see `ConnectorRegistry.register`). */
export type ConnectorFactory<T extends keyof ConnectorConfig> = (
  system: string,
  config: ConnectorConfig[T],
  options: AnyConnectorOptions,
) => Connector<ConnectorConfig[T]>;

// The connector errors and the config check are needed only when a connector is built: loaded then, so that the
// policy validator, which reads the schemas through this registry, loads neither the SDK's retry rules nor them.
/* eslint-disable @typescript-eslint/no-require-imports */
const errors = () => require('./errors') as typeof ErrorsModule;
const parse = () => require('./parse') as typeof ParseModule;
/* eslint-enable @typescript-eslint/no-require-imports */

export class ConnectorRegistry {
  private readonly byType = new Map<string, ConnectorDescriptor>();

  public constructor(descriptors: readonly ConnectorDescriptor[] = []) {
    for (const descriptor of descriptors) this.register(descriptor);
  }

  /**
   * Registers a connector type (each type once). `register(type, factory)` registers a built-in type's
   * descriptor with another factory (a test's connector class, say).
   */
  public register(descriptor: ConnectorDescriptor): this;
  public register<T extends keyof ConnectorConfig>(type: T, factory: ConnectorFactory<T>): this;
  public register(descriptorOrType: ConnectorDescriptor | string, factory?: ConnectorFactory<keyof ConnectorConfig>): this {
    const descriptor: ConnectorDescriptor =
      typeof descriptorOrType === 'string' ? { ...builtIn(descriptorOrType), create: factory as never } : descriptorOrType;
    if (this.byType.has(descriptor.type)) throw new Error(`connector type "${descriptor.type}" is registered twice`);
    this.byType.set(descriptor.type, descriptor);
    return this;
  }

  /** The registered types, in the order they were registered. */
  public types(): string[] {
    return [...this.byType.keys()];
  }

  /** The registered descriptors, in the order they were registered. */
  public descriptors(): ConnectorDescriptor[] {
    return [...this.byType.values()];
  }

  /** The descriptor of a type, or undefined when the type is not registered. */
  public find(type: string): ConnectorDescriptor | undefined {
    return this.byType.get(type);
  }

  /** The descriptor of a type; an unknown type is an error listing the known ones. */
  public get(type: string): ConnectorDescriptor {
    const descriptor = this.byType.get(type);
    if (!descriptor) throw new (errors().ConnectorPermanentError)(`unknown connector type "${type}"; known: ${this.types().join(', ')}`);
    return descriptor;
  }

  /**
   * The connector for a system: validates `config` against the type's schema (a permanent error naming the
   * problem), then builds the connector.
   */
  public create(type: string, system: string, config: unknown, options: AnyConnectorOptions = {}): Connector {
    const descriptor = this.get(type);
    const valid = parse().parseOrThrow(descriptor.configSchema, config, `config of system "${system}" (connector ${type})`);
    return descriptor.create(system, valid, options);
  }
}

function builtIn(type: string): ConnectorDescriptor {
  const descriptor = BUILT_IN_CONNECTORS.find((d) => d.type === type);
  if (!descriptor) throw new Error(`connector type "${type}" is not a built-in type: register its descriptor instead`);
  return descriptor;
}

/** Lethe's connector types: the built-ins. */
export const connectorRegistry = new ConnectorRegistry(BUILT_IN_CONNECTORS);
