/**
 * Loading a policy: parse (YAML or JSON), validate against the schema and the cross-reference rules, and
 * build the engine's model. Every problem is reported at once, each with file:line:column.
 */
import { createHash } from 'node:crypto';
import { type Issue, PolicyValidationError } from '../errors';
import { type Policy, toPolicy } from './model';
import { PolicyDocument } from './schema';
import { type RawIssue, schemaIssues } from './schema-issues';
import { connectorConfigIssues, semanticChecks } from './semantic-checks';
import { formatPath, parseSource, readSourceFile, type SourceDocument } from './source';

export interface LoadedPolicy {
  readonly policy: Policy;
  /** SHA-256 of the policy's canonical JSON: identifies the policy version in audit records. */
  readonly hash: string;
  readonly file: string;
  /** Problems that do not make the policy invalid: connector configs Lethe's connectors cannot deploy. */
  readonly warnings: readonly Issue[];
}

export interface LoadOptions {
  /** Treat connector config problems as errors, as deployment does. @default false */
  readonly forDeployment?: boolean;
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
  try {
    return validateParsed(source, options);
  } catch (error) {
    if (error instanceof RangeError) {
      throw new PolicyValidationError([{ file: source.file, path: '', message: 'the policy is nested too deeply' }], { cause: error });
    }
    throw error;
  }
}

function validateParsed(source: SourceDocument, options: LoadOptions): LoadedPolicy {
  const parsed = PolicyDocument.safeParse(source.data, { reportInput: true });
  const config = connectorConfigIssues(source.data);
  const raw: RawIssue[] = [
    ...(parsed.success ? [] : schemaIssues(parsed.error.issues, source.data)),
    ...semanticChecks(source.data),
    ...(options.forDeployment ? config : []),
  ];
  if (raw.length > 0 || !parsed.success) throw new PolicyValidationError(toIssues(raw, source));
  const warnings = options.forDeployment ? [] : toIssues(config, source);
  return { policy: toPolicy(parsed.data), hash: hashOf(parsed.data), file: source.file, warnings };
}

function toIssues(raw: readonly RawIssue[], source: SourceDocument): Issue[] {
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
  return issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
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
