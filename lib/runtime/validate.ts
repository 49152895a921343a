/**
 * Checking what callers send: the shape with zod (the schemas of api-schemas.ts), then what only the policy
 * knows (purposes, systems, event types). Every problem is an `InputError` with the path of the offending
 * field, which the API answers with 400.
 */
import type { z } from 'zod';
import { InputError } from '../errors';
import { COLLECTED } from '../policy/schema';
import { describe } from '../policy/schema-issues';
import { formatPath, type PathSegment } from '../policy/source';
import type { Policy } from '../policy/model';

/** Parses `data` with `schema`; the first problem becomes an `InputError` naming its path (prefixed by `base`). */
export function parseBody<T extends z.ZodType>(schema: T, data: unknown, what: string, base: readonly PathSegment[] = []): z.output<T> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = formatPath([...base, ...(issue.path as PathSegment[])]);
  const value = issue.path.reduce<unknown>(
    (node, key) => (node && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined),
    data,
  );
  const message = issue.code === 'unrecognized_keys' ? `unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')}` : issue.message;
  const got =
    value === undefined ? (issue.path.length > 0 ? '; missing' : '') : issue.code === 'unrecognized_keys' ? '' : `; got ${describe(value)}`;
  throw new InputError(`${what} is invalid: ${message}${got}`, { path: path || undefined });
}

const list = (ids: readonly string[]): string => (ids.length ? ids.join(', ') : '(none)');

export function checkPurpose(policy: Policy, purpose: string, path: string): void {
  if (!policy.purposes[purpose]) {
    throw new InputError(`unknown purpose "${purpose}"; the policy declares: ${list(Object.keys(policy.purposes))}`, { path });
  }
}

export function checkSystem(policy: Policy, system: string, path: string): void {
  if (!policy.systems[system]) {
    throw new InputError(`unknown system "${system}"; the policy declares: ${list(Object.keys(policy.systems))}`, { path });
  }
}

/** The purpose holds data in the system (both known). */
export function checkHolding(policy: Policy, purpose: string, system: string, paths = { purpose: 'purpose', system: 'system' }): void {
  checkPurpose(policy, purpose, paths.purpose);
  checkSystem(policy, system, paths.system);
  const systems = policy.purposes[purpose].systems;
  if (!systems.includes(system)) {
    throw new InputError(`purpose "${purpose}" does not hold data in system "${system}"; its systems are: ${list(systems)}`, {
      path: paths.system,
    });
  }
}

/** A reportable event type: declared by the policy (`collected` is recorded by registering a holding). */
export function checkEventType(policy: Policy, type: string, path: string): void {
  if (type === COLLECTED) {
    throw new InputError(`"${COLLECTED}" is not reported as an event: register a holding with its collectedAt instead`, { path });
  }
  if (!policy.events.includes(type)) {
    throw new InputError(`unknown event type "${type}"; the policy declares: ${list(policy.events)}`, { path });
  }
}
