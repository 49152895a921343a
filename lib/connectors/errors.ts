/**
 * The two ways a connector fails, named as the state machines expect them (`ERROR_NAMES` in the contract):
 * a transient failure is retried with backoff, a permanent one is caught and recorded as the system's error.
 *
 * Messages never carry personal data: they end up in Step Functions execution history. They name the system,
 * the operation and the error's name, never a key, a prefix, a field value or a remote error's message. The
 * original error is kept as `cause` for debugging in the process, never serialised by Lambda.
 */
import { isThrottlingError, isTransientError } from '@smithy/core/retry';
import { LetheError } from '../core/errors';
import { ERROR_NAMES } from '../core/contract';

/** Worth retrying: throttling, a 5xx, a timeout, a dropped connection. */
export class ConnectorTransientError extends LetheError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = ERROR_NAMES.transient;
  }
}

/** Not worth retrying: access denied, a bad configuration, bad input, a broken response. */
export class ConnectorPermanentError extends LetheError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = ERROR_NAMES.permanent;
  }
}

/**
 * Verification (contract VERIFICATIONS): the connector did its action, asked its system again, and found some of what
 * should be gone still there. Permanent (retrying the same action would report success again); the message names the
 * system and counts, never what was found.
 */
export class ConnectorVerificationError extends ConnectorPermanentError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = ERROR_NAMES.verification;
  }
}

export type ConnectorError = ConnectorTransientError | ConnectorPermanentError;

export function isConnectorError(error: unknown): error is ConnectorError {
  return error instanceof ConnectorTransientError || error instanceof ConnectorPermanentError;
}

/** Error names that mean "try again later" beyond the AWS SDK's own classification. */
const TRANSIENT_NAMES: readonly string[] = [
  'TimeoutError', // AbortSignal.timeout
  'InternalServerError', // DynamoDB
  'InternalError', // S3
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'ServiceException', // Lambda
  'EC2ThrottledException', // Lambda in a VPC
  'ENILimitReachedException',
  'ResourceNotReadyException',
  'ResourceConflictException', // Lambda: function being updated
];
/** Network failures of Node's fetch (undici) and sockets. */
const TRANSIENT_CODES: readonly string[] = [
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
];

interface ErrorLike {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly cause?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly $fault?: unknown;
}

/** Whether an error (an AWS SDK error, a network error, a timeout) is worth retrying. */
export function isTransient(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 5) return false;
  const e = error as ErrorLike;
  if (e instanceof ConnectorTransientError) return true;
  if (e instanceof ConnectorPermanentError) return false;
  const status = e.$metadata?.httpStatusCode;
  const sdkSays = isThrottlingError(e as never) || isTransientError(e as never);
  if (sdkSays || (typeof status === 'number' && status >= 500) || e.$fault === 'server') return true;
  if (typeof e.name === 'string' && TRANSIENT_NAMES.includes(e.name)) return true;
  if (typeof e.code === 'string' && TRANSIENT_CODES.includes(e.code)) return true;
  return isTransient(e.cause, depth + 1);
}

/**
 * Turns any error from a connector's work into a `ConnectorTransientError` or `ConnectorPermanentError`.
 * A connector error passes through unchanged. `what` says what was being done ("s3: ListObjectVersions"); the
 * message adds only the error's name and HTTP status, never its own message.
 */
export function toConnectorError(error: unknown, what: string): ConnectorError {
  if (isConnectorError(error)) return error;
  const e = (error && typeof error === 'object' ? error : {}) as ErrorLike;
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const status = e.$metadata?.httpStatusCode;
  const message = `${what} failed: ${name}${status ? ` (HTTP ${status})` : ''}`;
  return isTransient(error)
    ? new ConnectorTransientError(message, { cause: error })
    : new ConnectorPermanentError(message, { cause: error });
}
