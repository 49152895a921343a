/**
 * Validating data a connector is given (an invocation, a system's config) against a zod schema, with an error that
 * names the path and what was expected, never the value. Apart from invocation.ts so that the registry can check a
 * config without loading the contract's schemas (which import the policy schema, which imports the registry).
 */
import type { z } from 'zod';
import { formatPath, type PathSegment } from '../policy/source';
import { ConnectorPermanentError } from './errors';

/** Validates data against a schema; a problem is a `ConnectorPermanentError` naming the path, never the value. */
export function parseOrThrow<T extends z.ZodType>(schema: T, data: unknown, what: string): z.output<T> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 5).map((issue) => {
    const path = formatPath(issue.path as PathSegment[]);
    const message = issue.code === 'unrecognized_keys' ? `unknown key(s) ${issue.keys.join(', ')}` : issue.message;
    return path ? `${path}: ${message}` : message;
  });
  const more = result.error.issues.length > 5 ? `; and ${result.error.issues.length - 5} more` : '';
  throw new ConnectorPermanentError(`${what} is invalid: ${problems.join('; ')}${more}`);
}
