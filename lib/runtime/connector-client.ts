/**
 * How the runtime calls a connector: one `ConnectorInvocation` to the Lambda function that serves the system
 * (a built-in connector's function from LETHE_CONNECTOR_FUNCTIONS, or the user's own function for a `lambda`
 * system), one validated `ConnectorResult` back.
 *
 * The invocation itself, and how its failures become `ConnectorTransientError` (retried) or
 * `ConnectorPermanentError`, is `invokeConnectorFunction` of the connectors: one implementation for the
 * built-in connectors' functions and the users' own.
 */
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { ConnectorPermanentError } from '../connectors/errors';
import { invokeConnectorFunction } from '../connectors/lambda';
import { connectorRegistry } from '../connectors/registry';
import type { Policy } from '../policy/model';
import type { ConnectorInvocation, ConnectorResult } from '../core/contract';

export interface ConnectorClient {
  invoke(invocation: ConnectorInvocation): Promise<ConnectorResult>;
}

export class LambdaConnectorClient implements ConnectorClient {
  public constructor(
    private readonly lambda: LambdaClient,
    private readonly policy: Policy,
    /** System id → function name of its built-in connector (LETHE_CONNECTOR_FUNCTIONS). */
    private readonly functions: Readonly<Record<string, string>>,
  ) {}

  /** The function that serves a system. */
  public functionFor(system: string): string {
    const spec = this.policy.systems[system];
    if (!spec) throw new ConnectorPermanentError(`system "${system}" is not in the policy`);
    // A type that runs as its owner's function (lambda): the function its config names.
    const runtime = connectorRegistry.find(spec.connector)?.runtime;
    if (runtime?.kind === 'own-function') {
      const name: unknown = runtime.functionName(spec.config);
      if (typeof name !== 'string' || name.length === 0) {
        throw new ConnectorPermanentError(`system "${system}" uses a ${spec.connector} connector without config.functionName`);
      }
      return name;
    }
    const name = this.functions[system];
    if (!name) throw new ConnectorPermanentError(`no connector function is configured for system "${system}" (LETHE_CONNECTOR_FUNCTIONS)`);
    return name;
  }

  public async invoke(invocation: ConnectorInvocation): Promise<ConnectorResult> {
    return invokeConnectorFunction(this.lambda, this.functionFor(invocation.system), invocation);
  }
}
