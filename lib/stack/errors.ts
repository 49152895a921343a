/** The stack's errors (lib/stack): each stops synthesis with a message that says what to change. */
import { LetheError } from '../core/errors';

/** The stack's region is not one the policy allows (`deployment.regions`): synthesis stops. */
export class RegionNotAllowedError extends LetheError {
  public readonly region: string;
  public readonly allowed: readonly string[];

  public constructor(region: string, allowed: readonly string[], policyFile: string, options?: { cause?: unknown }) {
    super(
      `region "${region}" is not allowed by ${policyFile}: deployment.regions allows ${allowed.join(', ')}. ` +
        `Deploy to one of them (npx cdk synth -c region=${allowed[0]}) or change deployment.regions in the policy.`,
      options,
    );
    this.name = 'RegionNotAllowedError';
    this.region = region;
    this.allowed = allowed;
  }
}

/** The stack cannot be built as configured (a missing file, a prop out of range): synthesis stops. */
export class StackConfigError extends LetheError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StackConfigError';
  }
}
