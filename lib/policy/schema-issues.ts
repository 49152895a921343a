/**
 * Turns zod's issues into messages a policy author can act on. The one piece of cleverness: for a union
 * (an anchor, a condition, a retention form) zod reports every branch's failure; we report the branch the
 * author evidently meant, the one the value fits best, so `{add: P1Y, to: 5}` says what is wrong with `to`
 * rather than listing four alternatives.
 */
import type { z } from 'zod';
import type { PathSegment } from './source';

export interface RawIssue {
  readonly path: readonly PathSegment[];
  readonly message: string;
  /** True when the location is the key itself (an unknown key), not its value. */
  readonly atKey?: boolean;
  /** A problem that does not make the policy invalid (reported, exit code unchanged). */
  readonly warning?: boolean;
}

type ZodIssue = z.core.$ZodIssue;

export function schemaIssues(issues: readonly ZodIssue[], data: unknown): RawIssue[] {
  const out: RawIssue[] = [];
  for (const issue of issues) collect(issue, [], data, out);
  return out;
}

function collect(issue: ZodIssue, base: readonly PathSegment[], root: unknown, out: RawIssue[]): void {
  const path = [...base, ...(issue.path as PathSegment[])];
  const value = valueAt(root, path);
  switch (issue.code) {
    case 'invalid_union': {
      const branch = bestBranch(issue.errors as ZodIssue[][]);
      if (branch === undefined || sharesNoKey(branch, value)) {
        out.push({ path, message: `${issue.message}; got ${describe(value)}` });
      } else {
        for (const inner of branch) collect(inner, path, root, out);
      }
      return;
    }
    case 'unrecognized_keys':
      for (const key of issue.keys) out.push({ path: [...path, key], atKey: true, message: `unknown key "${key}"; ${issue.message}` });
      return;
    case 'invalid_type':
      out.push({ path, message: value === undefined ? `missing: ${lower(issue.message)}` : `${issue.message}; got ${describe(value)}` });
      return;
    case 'invalid_key':
      for (const inner of issue.issues) collect(inner, path, root, out);
      return;
    case 'invalid_element':
      for (const inner of issue.issues) collect(inner, [...path, issue.key as PathSegment], root, out);
      return;
    default:
      if (value === undefined) out.push({ path, message: `missing: ${lower(issue.message)}` });
      else
        out.push({
          path,
          message: typeof value === 'object' && value !== null ? issue.message : `${issue.message}; got ${describe(value)}`,
        });
  }
}

/**
 * The branch the author meant: one that accepted the value's type, with the fewest unknown keys, then the
 * fewest missing keys, then the fewest problems. Undefined when every branch rejected the value's type.
 */
function bestBranch(branches: readonly ZodIssue[][]): ZodIssue[] | undefined {
  let best: ZodIssue[] | undefined;
  let bestScore = Infinity;
  for (const branch of branches) {
    const score = mismatchScore(branch);
    if (score < bestScore) {
      best = branch;
      bestScore = score;
    }
  }
  return best;
}

/** How badly a value misses a branch; Infinity when the branch does not accept the value's type at all. */
function mismatchScore(issues: readonly ZodIssue[]): number {
  let score = 0;
  for (const issue of issues) {
    const atRoot = issue.path.length === 0;
    if (atRoot && issue.code === 'invalid_type') return Infinity;
    if (atRoot && issue.code === 'invalid_union') {
      // A union inside the branch (forms 1-3 inside `Retention`): as good as its best branch.
      const inner = Math.min(...(issue.errors as ZodIssue[][]).map(mismatchScore));
      if (inner === Infinity) return Infinity;
      score += inner;
    } else if (atRoot && issue.code === 'unrecognized_keys') {
      score += 100 * issue.keys.length;
    } else if (issue.path.length === 1 && issue.code === 'invalid_type' && (issue as { input?: unknown }).input === undefined) {
      score += 10;
    } else {
      score += 1;
    }
  }
  return score;
}

/** The value has keys and the branch knows none of them: the author meant no branch in particular. */
function sharesNoKey(branch: readonly ZodIssue[], value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  const unknown = new Set(branch.flatMap((i) => (i.path.length === 0 && i.code === 'unrecognized_keys' ? i.keys : [])));
  return keys.length > 0 && keys.every((k) => unknown.has(k));
}

function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let node = root;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

/** A short, safe rendering of what the author wrote. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') {
    const keys = Object.keys(value);
    return keys.length === 0
      ? 'an empty object'
      : `an object with ${keys.length === 1 ? 'key' : 'keys'} ${keys.map((k) => JSON.stringify(k)).join(', ')}`;
  }
  const json = JSON.stringify(value);
  return json.length > 60 ? `${json.slice(0, 57)}..."` : json;
}

function lower(message: string): string {
  return message.charAt(0).toLowerCase() + message.slice(1);
}
