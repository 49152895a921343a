/**
 * Loading a policy: parse (YAML or JSON), validate against the schema and the cross-reference rules, and
 * build the engine's model. Every problem is reported at once, each with file:line:column, up to `maxIssues`
 * of them in document order, then one line saying how many more were found.
 */
import { createHash } from 'node:crypto';
import { InputError, type Issue } from '../core/errors';
import { PolicyValidationError } from './errors';
import { type Policy, toPolicy } from './model';
import { PolicyDocument } from './schema';
import { type RawIssue, schemaIssues } from './schema-issues';
import { connectorConfigIssues, semanticChecks, verificationWarnings } from './semantic-checks';
import { capIssues, formatPath, MAX_REPORTED_ISSUES, parseSource, readSourceFile, type SourceDocument } from './source';

export interface LoadedPolicy {
  readonly policy: Policy;
  /** SHA-256 of the policy's canonical JSON: identifies the policy version in audit records. */
  readonly hash: string;
  readonly file: string;
  /**
   * Problems that do not make the policy invalid: connector configs Lethe's connectors cannot deploy, and what
   * version 1 files are warned about (spec 2.1, 2.5).
   */
  readonly warnings: readonly Issue[];
}

export interface LoadOptions {
  /**
   * Treat connector config problems as errors, as deployment does; warn about systems that cannot verify their
   * erasures (issue 19). @default false
   */
  readonly forDeployment?: boolean;
  /**
   * Most problems a `PolicyValidationError` lists, the first in document order; one more line says how many more
   * were found. A positive integer, or `Infinity` to list them all.
   * @default MAX_REPORTED_ISSUES (100)
   */
  readonly maxIssues?: number;
}

/** Reads and validates a policy file. Throws `FileError` or `PolicyValidationError`. */
export function loadPolicyFile(file: string, options: LoadOptions = {}): LoadedPolicy {
  return validateSource(readSourceFile(file, 'policy'), options);
}

/** Validates policy text; `file` decides the format (.json is JSON, anything else YAML) and names errors. */
export function loadPolicyText(text: string, file = 'policy.yaml', options: LoadOptions = {}): LoadedPolicy {
  return validateSource(parseSource(text, file, 'policy'), options);
}

/** Validates an already-parsed policy object (e.g. from an API), reporting paths without positions. */
export function loadPolicyData(data: unknown, file = '<policy>', options: LoadOptions = {}): LoadedPolicy {
  return validateSource({ file, data, locate: () => undefined }, options);
}

function validateSource(source: SourceDocument, options: LoadOptions): LoadedPolicy {
  const maxIssues = options.maxIssues ?? MAX_REPORTED_ISSUES;
  if (!(maxIssues === Infinity || (Number.isInteger(maxIssues) && maxIssues > 0))) {
    throw new InputError(`maxIssues must be a positive integer or Infinity, got ${String(maxIssues)}`);
  }
  try {
    return validateParsed(source, options, maxIssues);
  } catch (error) {
    if (error instanceof RangeError) {
      throw new PolicyValidationError([{ file: source.file, path: '', message: 'the policy is nested too deeply' }], { cause: error });
    }
    throw error;
  }
}

function validateParsed(source: SourceDocument, options: LoadOptions, maxIssues: number): LoadedPolicy {
  const parsed = PolicyDocument.safeParse(source.data, { reportInput: true });
  const config = connectorConfigIssues(source.data);
  const semantic = semanticChecks(source.data);
  // A document that is not an object at all gets one message (semanticChecks'), not the schema's too.
  const isObject = source.data !== null && typeof source.data === 'object' && !Array.isArray(source.data);
  const raw: RawIssue[] = [
    ...(parsed.success || !isObject ? [] : schemaIssues(parsed.error.issues, source.data)),
    ...semantic.filter((i) => !i.warning),
    ...(options.forDeployment ? config : []),
  ];
  if (raw.length > 0 || !parsed.success) throw new PolicyValidationError(toIssues(raw, source, maxIssues));
  // Deploying: the systems whose erasures cannot be verified (issue 19) are listed too.
  const unverified = options.forDeployment ? verificationWarnings(source.data) : [];
  const warnings = toIssues(
    [...semantic.filter((i) => i.warning), ...(options.forDeployment ? [] : config), ...unverified],
    source,
    Infinity,
  );
  return { policy: toPolicy(parsed.data), hash: hashOf(parsed.data), file: source.file, warnings };
}

/** Deduplicated, located, in document order, and capped at `max` (see `capIssues`). */
function toIssues(raw: readonly RawIssue[], source: SourceDocument, max: number): Issue[] {
  const seen = new Set<string>();
  const issues: Issue[] = [];
  for (const r of raw) {
    const path = formatPath(r.path);
    const key = `${path}\u0000${r.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const position = source.locate(r.path, { key: r.atKey });
    issues.push({ file: source.file, line: position?.line, column: position?.column, path, message: r.message });
  }
  issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  return capIssues(issues, source.file, max);
}

/** Canonical JSON (keys sorted) so that formatting and key order do not change the hash. */
function hashOf(data: unknown): string {
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(
        Object.keys(value)
          .sort()
          .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
      );
    }
    return value;
  };
  return createHash('sha256')
    .update(JSON.stringify(canonical(data)))
    .digest('hex');
}
