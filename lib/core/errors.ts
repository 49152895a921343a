/**
 * Lethe's error base and the errors every layer shares. Every error that reaches a user is a `LetheError`: the CLI
 * prints its message (never a stack trace) and the API maps it to a 4xx. Anything else is a bug.
 *
 * Each package keeps its own errors next to its code, all extending `LetheError` with `name` set and `cause` kept:
 * lib/policy/errors.ts, lib/stack/errors.ts, lib/runtime/errors.ts, lib/audit/errors.ts, lib/connectors/errors.ts,
 * lib/anonymise/errors.ts, lib/local/errors.ts, lib/demo/errors.ts. Here: the base, the document and input errors
 * the policy, the CLI and the runtime all raise, and the configuration error of a deployed function.
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

/** The base of every error Lethe means a user to read. */
export class LetheError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LetheError';
  }
}

/** How many problems a list of issues stands for: the listed ones, and those a cap left out. */
export function issueCount(issues: readonly Issue[]): number {
  return issues.reduce((n, issue) => n + (issue.omitted ?? 1), 0);
}

/** A document is invalid; `issues` lists every problem found, not only the first. */
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

/**
 * A Lethe function (a runtime function or a connector function) is deployed without what it needs: an environment
 * variable, a table for a purpose, an HMAC secret. In the kernel because the key source (subject-ref.ts) throws it.
 */
export class RuntimeConfigError extends LetheError {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RuntimeConfigError';
  }
}
