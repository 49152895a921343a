/**
 * What every Task of the state machines (statemachines/*.asl.json) retries, and how long it may take, defined once.
 *
 * The ASL files stay readable JSON with an explicit Retry on each Task (Step Functions and local mode read them as
 * they are); test/lib/stack/asl-retry.test.ts asserts that each Task's Retry and TimeoutSeconds are exactly the ones
 * given here for what the Task calls. Change a Retry here and in the files together.
 *
 * The rule: errors a later attempt may not meet (Lambda's service errors and throttling, a task's own transient AWS
 * error, a connector's transient error) are retried with exponential backoff, full jitter and a cap; permanent
 * errors (a connector's permanent error, an unknown request, anything else) are never retried: a Catch records
 * them or they end the execution. The Retry differs between Tasks only where it must:
 * - a function that calls connectors also retries their transient error;
 * - inside an Express child execution (the sweep's batches) every attempt must fit in its 5 minutes, so one retry;
 * - the sweep's continuation is a Step Functions call, not a Lambda one, and retries Step Functions' errors.
 */
import { ERROR_NAMES } from '../core/contract';
import { FUNCTION_TIMEOUT_SECONDS } from '../runtime/budgets';

export interface AslRetrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds: number;
  readonly BackoffRate: number;
  readonly MaxAttempts: number;
  readonly MaxDelaySeconds: number;
  readonly JitterStrategy: 'FULL';
}

/** Errors of the Lambda service around an invocation (not the function's own), which a later attempt may not meet. */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.TooManyRequestsException',
] as const;

/** 2 s, 4 s, 8 s, ... at most 60 s between attempts, each pause drawn at random below that (full jitter); six retries. */
const BACKOFF = { IntervalSeconds: 2, BackoffRate: 2, MaxAttempts: 6, MaxDelaySeconds: 60, JitterStrategy: 'FULL' } as const;

/** The Retry blocks of the state machines, by kind. */
export const ASL_RETRY = {
  /** A Lethe function that calls no connector: Lambda's errors and its own transient AWS errors. */
  function: [{ ErrorEquals: [ERROR_NAMES.runtimeTransient, ...LAMBDA_SERVICE_ERRORS], ...BACKOFF }],
  /** A Lethe function that calls connectors: their transient error too. */
  connector: [{ ErrorEquals: [ERROR_NAMES.transient, ERROR_NAMES.runtimeTransient, ...LAMBDA_SERVICE_ERRORS], ...BACKOFF }],
  /**
   * The same inside an Express child execution, whose 5 minutes hold every attempt: one retry, after at most 2 s
   * (lib/runtime/budgets.ts; test/lib/stack/time-budgets.test.ts checks the sum).
   */
  expressConnector: [
    {
      ErrorEquals: [ERROR_NAMES.transient, ERROR_NAMES.runtimeTransient, ...LAMBDA_SERVICE_ERRORS],
      ...BACKOFF,
      MaxAttempts: 1,
      MaxDelaySeconds: 2,
    },
  ],
  /**
   * The sweep starting its own continuation (states:startExecution). An execution of that name that already exists
   * is a start that happened before a retry: the Task catches it, never retries it.
   */
  startExecution: [
    {
      ErrorEquals: [
        'StepFunctions.ExecutionLimitExceededException',
        'StepFunctions.SdkClientException',
        'StepFunctions.AWSStepFunctionsException',
      ],
      ...BACKOFF,
    },
  ],
} as const satisfies Record<string, readonly AslRetrier[]>;

export type AslRetryKind = keyof typeof ASL_RETRY;

/** The Retry of a Task that calls each Lethe function (sweep-apply runs only in the sweep's Express children). */
export const FUNCTION_TASK_RETRY = {
  'erasure-plan': 'function',
  'erasure-system': 'connector',
  'erasure-finish': 'function',
  'sweep-read': 'function',
  'sweep-apply': 'expressConnector',
  replay: 'connector',
} as const satisfies Partial<Record<keyof typeof FUNCTION_TIMEOUT_SECONDS, AslRetryKind>>;

/** The Resource of the sweep's continuation Task. */
export const START_EXECUTION_RESOURCE = 'arn:aws:states:::states:startExecution';

/**
 * A Lambda Task's TimeoutSeconds beyond its function's timeout: what a cold start may add (Lambda gives a
 * function's init up to 10 s before the invocation's own timeout runs). The function's timeout ends a slow call;
 * the Task's ends a call that never returns, instead of leaving the execution waiting.
 */
export const TASK_TIMEOUT_MARGIN_SECONDS = 10;

/** The TimeoutSeconds of a Task that calls the Lethe function `entry`. */
export function taskTimeoutSeconds(entry: keyof typeof FUNCTION_TASK_RETRY): number {
  return FUNCTION_TIMEOUT_SECONDS[entry] + TASK_TIMEOUT_MARGIN_SECONDS;
}
