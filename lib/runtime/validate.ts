/**
 * Checking what callers send: the shape with zod (the schemas of api-schemas.ts), then what only the policy
 * knows (purposes, systems, event types). Every problem is an `InputError` with the path of the offending
 * field, which the API answers with 400.
 */
import { InputError } from '../errors';
import { COLLECTED } from '../policy/schema';
import type { Policy } from '../policy/model';

/** Request bodies are parsed like every other input (lib/inputs.ts). */
export { parseWith as parseBody } from '../inputs';

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
