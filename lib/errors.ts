/**
 * Lethe's error hierarchy. Every error that reaches a user is a `LetheError`: the CLI prints its message
 * (never a stack trace) and the API maps it to a 4xx. Anything else is a bug.
 */

/** One problem found in a document, located precisely enough for an editor to jump to it. */
export interface Issue {
  /** The file (or `<input>`) the problem is in. */
  readonly file: string;
  /** 1-based line, when the location is known. */
  readonly line?: number;
  /** 1-based column, when the location is known. */
  readonly column?: number;
  /** Path in the document, e.g. `purposes.marketing.retention.keep`; empty for the root. */
  readonly path: string;
  /** What was wrong and what was expected. */
  readonly message: string;
  /** Set on the line that stands for problems found but not listed (policy/source.ts capIssues): how many. */
  readonly omitted?: number;
}

/** Formats an issue as `file:line:column: path: message`, the form editors and CI annotate. */
export function formatIssue(issue: Issue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}:${issue.column ?? 1}`;
  return issue.path ? `${where}: ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

export class LetheError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LetheError';
  }
}

/** A document is invalid; `issues` lists every problem found, not only the first. */
/** How many problems a list of issues stands for: the listed ones, and those a cap left out. */
export function issueCount(issues: readonly Issue[]): number {
  return issues.reduce((n, issue) => n + (issue.omitted ?? 1), 0);
}

export class DocumentError extends LetheError {
  public readonly issues: readonly Issue[];

  public constructor(what: string, issues: readonly Issue[], options?: { cause?: unknown }) {
    const n = issueCount(issues);
    const count = n === 1 ? '1 error' : `${n} errors`;
    super(`${what} is invalid (${count}):\n${issues.map(formatIssue).join('\n')}`, options);
    this.name = 'DocumentError';
    this.issues = issues;
  }
}

/** The policy file is invalid. */
export class PolicyValidationError extends DocumentError {
  public constructor(issues: readonly Issue[], options?: { cause?: unknown }) {
    super('policy', issues, options);
    this.name = 'PolicyValidationError';
  }
}

/** Input other than the policy (a holding, a subject, a timestamp, an id) is wrong. */
export class InputError extends LetheError {
  /** Path of the offending value in its document, when there is one. */
  public readonly path?: string;

  public constructor(message: string, options?: { path?: string; cause?: unknown }) {
    super(options?.path ? `${options.path}: ${message}` : message, options);
    this.name = 'InputError';
    this.path = options?.path;
  }
}

/** A file could not be read or parsed at all. */
export class FileError extends LetheError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FileError';
  }
}

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

/** No erasure request has this id (contract ERROR_NAMES.notFound; the API answers 404). */
export class RequestNotFoundError extends LetheError {
  public readonly requestId: string;

  public constructor(requestId: string, options?: { cause?: unknown }) {
    super(`no erasure request has id "${requestId}"`, options);
    this.name = 'RequestNotFoundError';
    this.requestId = requestId;
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

/** A Lethe function is deployed without what it needs (an environment variable, a table for a purpose). */
export class RuntimeConfigError extends LetheError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RuntimeConfigError';
  }
}

/** The audit chain could not be written (a sequence number could not be claimed), or read back. */
export class AuditChainError extends LetheError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuditChainError';
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

  public constructor(size: number, limit: number) {
    super(`the request body is ${size} bytes; at most ${limit} bytes are accepted`);
    this.name = 'BodyTooLargeError';
    this.limit = limit;
    this.size = size;
  }
}

/**
 * Local mode (`npm start`, lib/local) cannot start or run as asked: Java missing or too old, a port in use, a data
 * directory that cannot be written, an emulator that did not come up. The message says what to do.
 */
export class LocalModeError extends LetheError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LocalModeError';
  }
}

/** `lethe demo` saw Lethe do something other than what the policy says it should (the step and the difference). */
export class DemoError extends LetheError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DemoError';
  }
}
