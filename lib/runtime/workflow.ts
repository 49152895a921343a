/**
 * Starting the erasure workflow for a request: a Step Functions execution named after the request, with
 * `{requestId}` as its only input (contract ErasureExecutionInput). The name makes a re-submission idempotent:
 * Step Functions refuses a second execution with the same name, which counts as already started.
 */
import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { ErasureExecutionInput } from '../core/contract';

export interface StartOptions {
  /** Abandons the call (the API's time budget). */
  readonly abortSignal?: AbortSignal;
}

export interface ErasureWorkflow {
  /** Starts the workflow; `false` when it had been started before. */
  start(requestId: string, options?: StartOptions): Promise<boolean>;
}

export class StepFunctionsErasureWorkflow implements ErasureWorkflow {
  public constructor(
    private readonly sfn: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  public async start(requestId: string, options: StartOptions = {}): Promise<boolean> {
    const input: ErasureExecutionInput = { requestId };
    try {
      await this.sfn.send(
        new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name: requestId, input: JSON.stringify(input) }),
        options.abortSignal ? { abortSignal: options.abortSignal } : {},
      );
      return true;
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists || (error as Error).name === 'ExecutionAlreadyExists') return false;
      throw error;
    }
  }
}
