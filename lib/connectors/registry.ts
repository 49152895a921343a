/**
 * `connectorRegistry`: the one place that maps a connector type (a system's `connector` in the policy) to its
 * implementation. Everything that runs a connector goes through `connectorRegistry.create`, which also
 * validates the system's config against the type's schema (config.ts).
 */
import type { ConnectorType } from '../policy/model';
import { CONNECTOR_CONFIGS, type ConnectorConfig } from './config';
import type { Connector } from './connector';
import { DynamoDbConnector, type DynamoDbConnectorOptions } from './dynamodb';
import { ConnectorPermanentError } from './errors';
import { HttpConnector, type HttpConnectorOptions } from './http';
import { parseOrThrow } from './invocation';
import { LambdaFunctionConnector, type LambdaConnectorOptions } from './lambda';
import { S3Connector, type S3ConnectorOptions } from './s3';

/** Options for any built-in connector; each takes what applies to it (clients, secrets, clock). */
export type AnyConnectorOptions = DynamoDbConnectorOptions & S3ConnectorOptions & HttpConnectorOptions & LambdaConnectorOptions;

export type ConnectorFactory<T extends keyof ConnectorConfig> = (
  system: string,
  config: ConnectorConfig[T],
  options: AnyConnectorOptions,
) => Connector<ConnectorConfig[T]>;

export class ConnectorRegistry {
  private readonly factories = new Map<string, ConnectorFactory<keyof ConnectorConfig>>();

  /** Registers the implementation of a connector type (each type once). */
  public register<T extends keyof ConnectorConfig>(type: T, factory: ConnectorFactory<T>): this {
    if (this.factories.has(type)) throw new Error(`connector type "${type}" is registered twice`);
    this.factories.set(type, factory as unknown as ConnectorFactory<keyof ConnectorConfig>);
    return this;
  }

  /** The registered types. */
  public types(): string[] {
    return [...this.factories.keys()];
  }

  /**
   * The connector for a system: validates `config` against the type's schema (a permanent error naming the
   * problem), then builds the connector.
   */
  public create(type: ConnectorType | string, system: string, config: unknown, options: AnyConnectorOptions = {}): Connector {
    const factory = this.factories.get(type);
    if (!factory || !(type in CONNECTOR_CONFIGS)) {
      throw new ConnectorPermanentError(`unknown connector type "${type}"; known: ${this.types().join(', ')}`);
    }
    const schema = CONNECTOR_CONFIGS[type as keyof ConnectorConfig];
    const valid = parseOrThrow(schema, config, `config of system "${system}" (connector ${type})`);
    return factory(system, valid as never, options) as Connector;
  }
}

export const connectorRegistry = new ConnectorRegistry()
  .register('dynamodb', (system, config, options) => new DynamoDbConnector(system, config, options))
  .register('s3', (system, config, options) => new S3Connector(system, config, options))
  .register('http', (system, config, options) => new HttpConnector(system, config, options))
  .register('lambda', (system, config, options) => new LambdaFunctionConnector(system, config, options));
