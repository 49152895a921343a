/**
 * The Lambda connector: the user's own function (written with `defineConnector`, or by hand to the same
 * contract) is invoked synchronously with the `ConnectorInvocation`, and its `ConnectorResult` is validated
 * (subjects it could not do in a batch it answers in `failed`, with an error name: validated and passed on).
 *
 * A function error is classified by its `errorType` (the thrown error's name): `ConnectorTransientError` and a
 * function timeout (`Sandbox.Timedout`, or middy's early `TimeoutError`) are transient, anything else is
 * permanent. The function's error message is not repeated (it could carry personal data); it is in the
 * function's own logs.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ERROR_NAMES, type ConnectorInvocation, type ConnectorResult } from '../core/contract';
import type { LambdaConnectorConfig } from './config';
import { createLambdaClient } from './clients';
import { Connector, type ConnectorOptions, type Invocation, type Processed } from './connector';
import { ConnectorPermanentError, ConnectorTransientError, ConnectorVerificationError, toConnectorError } from './errors';
import { parseResult } from './invocation';

export interface LambdaConnectorOptions extends ConnectorOptions {
  /** @default a client for the function's own region */
  readonly client?: LambdaClient;
}

/**
 * errorType values of a failed invocation that are worth retrying: a transient connector error, and the function
 * running out of time, which Lambda reports as `Sandbox.Timedout` but a middy handler (every Lethe function, and
 * connectors written with middy) as middy's own `TimeoutError`, thrown 5 ms before Lambda's deadline.
 */
const TRANSIENT_FUNCTION_ERRORS: readonly string[] = [ERROR_NAMES.transient, 'Sandbox.Timedout', 'TimeoutError'];

/**
 * Invokes a connector function with one invocation and returns its validated result. Usable for any function
 * that implements the contract, built-in or the user's.
 */
export async function invokeConnectorFunction(
  client: LambdaClient,
  functionName: string,
  invocation: ConnectorInvocation,
): Promise<ConnectorResult> {
  const where = `lambda: connector function "${functionName}"`;
  let response;
  try {
    response = await client.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'RequestResponse',
        Payload: Buffer.from(JSON.stringify(invocation), 'utf8'),
      }),
    );
  } catch (error) {
    throw toConnectorError(error, `${where}: Invoke`);
  }
  const text = response.Payload ? Buffer.from(response.Payload).toString('utf8') : '';
  if (response.FunctionError) {
    const errorType = errorTypeOf(text) ?? response.FunctionError;
    const message = `${where} failed: ${errorType}`;
    // A function that threw the verification error (rather than answering it in `failed`): the name is kept, so that the
    // system is recorded as failing verification (issue 19).
    if (errorType === ERROR_NAMES.verification) throw new ConnectorVerificationError(message);
    throw TRANSIENT_FUNCTION_ERRORS.includes(errorType) ? new ConnectorTransientError(message) : new ConnectorPermanentError(message);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ConnectorPermanentError(`${where} returned a payload that is not JSON`, { cause: error });
  }
  return parseResult(data, invocation, `${where}: the result`);
}

function errorTypeOf(payload: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(payload);
    const type = (parsed as { errorType?: unknown } | null)?.errorType;
    return typeof type === 'string' && type !== '' ? type : undefined;
  } catch {
    return undefined;
  }
}

export class LambdaFunctionConnector extends Connector<LambdaConnectorConfig> {
  public readonly type = 'lambda';
  private readonly client: LambdaClient;

  public constructor(system: string, config: LambdaConnectorConfig, options: LambdaConnectorOptions = {}) {
    super(system, config, options);
    this.client = options.client ?? createLambdaClient();
  }

  protected override async process(invocation: Invocation): Promise<Processed> {
    if (invocation.subjects.length === 0) return { subjects: [] };
    const result = await invokeConnectorFunction(this.client, this.config.functionName, invocation);
    // The function may answer some subjects of a batch as failed (validated by parseResult): passed on as such.
    return { subjects: result.subjects, ...(result.failed ? { failed: result.failed } : {}) };
  }
}
