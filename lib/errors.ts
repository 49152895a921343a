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
export class DocumentError extends LetheError {
  public readonly issues: readonly Issue[];

  public constructor(what: string, issues: readonly Issue[], options?: { cause?: unknown }) {
    const count = issues.length === 1 ? '1 error' : `${issues.length} errors`;
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
