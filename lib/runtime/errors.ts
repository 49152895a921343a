/**
 * The runtime's errors (lib/runtime): what the API maps to 404, 409 and 413, what the state machines retry, and a
 * sealed value that does not open. The configuration error of a deployed function is the kernel's
 * (`RuntimeConfigError`, lib/core/errors.ts), since the key source raises it too.
 */
import { LetheError } from '../core/errors';

/** No erasure request has this id (contract ERROR_NAMES.notFound; the API answers 404). */
export class RequestNotFoundError extends LetheError {
  public readonly requestId: string;

  /** `kind`: the request kind asked for (an id of another kind is not found under this one's route). */
  public constructor(requestId: string, options?: { cause?: unknown; kind?: string }) {
    super(`no ${options?.kind ?? 'erasure'} request has id "${requestId}"`, options);
    this.name = 'RequestNotFoundError';
    this.requestId = requestId;
  }
}

/** The subject has no legal hold with this id (holds.ts; the API answers 404 with path holdId). */
export class HoldNotFoundError extends LetheError {
  public readonly holdId: string;

  public constructor(holdId: string, options?: { cause?: unknown }) {
    super(`the subject has no hold with id "${holdId}"`, options);
    this.name = 'HoldNotFoundError';
    this.holdId = holdId;
  }
}

/**
 * A state machine task failed because an AWS service it uses (DynamoDB, S3, KMS, Secrets Manager) was unreachable,
 * throttled or failing (contract ERROR_NAMES.runtimeTransient): the state machines retry it with backoff. The
 * message names the error and its code or HTTP status only; the original is kept as `cause`.
 */
export class RuntimeTransientError extends LetheError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RuntimeTransientError';
  }
}

/** The request is valid but conflicts with the state it would change (an extension twice; an Idempotency-Key reused). */
export class ConflictError extends LetheError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConflictError';
  }
}

/** A sealed value does not open: another item's (its encryption context differs), altered, or not a sealed value. */
export class SealedValueError extends LetheError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SealedValueError';
  }
}

/** A request body is larger than the API accepts (413). */
export class BodyTooLargeError extends LetheError {
  public readonly limit: number;
  public readonly size: number;

  public constructor(size: number, limit: number, options?: { cause?: unknown }) {
    super(`the request body is ${size} bytes; at most ${limit} bytes are accepted`, options);
    this.name = 'BodyTooLargeError';
    this.limit = limit;
    this.size = size;
  }
}
