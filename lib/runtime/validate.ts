/**
 * Checking what callers send: the shape with zod (the schemas of api-schemas.ts), then what only the policy
 * knows (purposes, systems, event types). Every problem is an `InputError` with the path of the offending
 * field, which the API answers with 400.
 */
import type { Temporal } from '@js-temporal/polyfill';
import { placeholders } from '../connectors/config';
import { prefixValueProblem, tagValueProblem } from '../connectors/s3';
import { InputError } from '../core/errors';
import { COLLECTED } from '../policy/schema';
import type { Policy } from '../policy/model';
import { checkWellFormed } from '../core/subject-ref';

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

/**
 * The purpose holds data in the system (both known), and the holding's `ref` fits the purpose (spec 2.2): a
 * `per: item` purpose keeps a clock per item, so each of its holdings needs the item's `ref` (400 naming `ref`).
 * A `per: subject` purpose may carry a `ref` too (the spec allows it on any holding): that holding is then an item
 * record of its own, with its own clock.
 */
export function checkHolding(
  policy: Policy,
  purpose: string,
  system: string,
  paths: { purpose: string; system: string; ref?: string } = { purpose: 'purpose', system: 'system' },
  ref?: string,
): void {
  checkPurpose(policy, purpose, paths.purpose);
  checkSystem(policy, system, paths.system);
  const systems = policy.purposes[purpose].systems;
  if (!systems.includes(system)) {
    throw new InputError(`purpose "${purpose}" does not hold data in system "${system}"; its systems are: ${list(systems)}`, {
      path: paths.system,
    });
  }
  if (policy.purposes[purpose].per === 'item' && ref === undefined) {
    throw new InputError(
      `purpose "${purpose}" keeps a clock per item (per: item): each holding needs ref, the item's id (an order number, a ticket id)`,
      { path: paths.ref ?? 'ref' },
    );
  }
  if (ref !== undefined) checkIdText(ref, paths.ref ?? 'ref');
}

/**
 * An item holding's locator must locate that item only (spec 2.2): a connector that fell back to the subject id
 * would act on the subject's main record instead. So, for the built-in connectors that find data by what the
 * locator names:
 * - DynamoDB: the locator names the item's full key: the table's key (`{orderId: "O-1"}`), and its sort key too when
 *   the table has one (`{customerId: "C-1", orderId: "O-1"}`; the partition key alone would take every item of it);
 * - S3: the prefix has a placeholder other than subjectId (else it is the subject's prefix) and the locator fills
 *   every such placeholder; a tagged system's tag value comes from the locator.
 * Webhooks and Lambda functions receive the item's `ref` with the locator and act on it themselves.
 */
export function checkItemLocatable(
  policy: Policy,
  system: string,
  locator: Readonly<Record<string, string>> | undefined,
  path = 'locator',
): void {
  const spec = policy.systems[system];
  if (spec?.connector === 'dynamodb') {
    const { keyAttribute, sortKeyAttribute } = spec.config as { keyAttribute?: string; sortKeyAttribute?: string };
    for (const name of [keyAttribute, sortKeyAttribute]) {
      if (name !== undefined && locator?.[name] === undefined) {
        const key =
          sortKeyAttribute === undefined
            ? `${name}, the item's key`
            : `${name}: the item's full key is ${keyAttribute} and ${sortKeyAttribute}`;
        throw new InputError(`an item holding in system "${system}" needs locator.${key} in the table`, { path: `${path}.${name}` });
      }
    }
  } else if (spec?.connector === 's3') {
    const { prefix, tagKey } = spec.config as { prefix?: unknown; tagKey?: unknown };
    if (typeof prefix === 'string') {
      const names = placeholders(prefix);
      const missing = names.find((name) => name !== 'subjectId' && locator?.[name] === undefined);
      if (missing !== undefined || !names.some((name) => name !== 'subjectId')) {
        throw new InputError(
          `system "${system}" finds objects under "${prefix}": an item holding's locator must fill its placeholders, ` +
            "at least one of them other than subjectId, so that it names the item's objects only",
          { path: missing === undefined ? 'ref' : `${path}.${missing}` },
        );
      }
    }
    if (typeof tagKey === 'string' && locator?.[tagKey] === undefined) {
      throw new InputError(`system "${system}" finds objects by the tag "${tagKey}": an item holding needs locator.${tagKey}`, {
        path: `${path}.${tagKey}`,
      });
    }
  }
}

/**
 * A main-record holding (no `ref`) in a DynamoDB system whose table has a sort key and also holds items (a `per: item`
 * purpose uses the system) must name its own sort key value in the locator (`{customerId: "C-1", orderId: "profile"}`):
 * without it the main record is every item of the partition, and erasing it would take the items too, which are records
 * of their own (spec 2.2: an order kept for the bookkeeping law would go with the customer's profile).
 */
export function checkMainRecordLocatable(
  policy: Policy,
  system: string,
  locator: Readonly<Record<string, string>> | undefined,
  path = 'locator',
): void {
  const spec = policy.systems[system];
  if (spec?.connector !== 'dynamodb') return;
  const { sortKeyAttribute } = spec.config as { sortKeyAttribute?: string };
  if (sortKeyAttribute === undefined || locator?.[sortKeyAttribute] !== undefined) return;
  const itemPurpose = Object.entries(policy.purposes).find(([, p]) => p.per === 'item' && p.systems.includes(system))?.[0];
  if (itemPurpose === undefined) return;
  throw new InputError(
    `system "${system}" keeps items (purpose "${itemPurpose}" is per: item) in the partitions of its table, keyed also by ${sortKeyAttribute}: ` +
      `a holding of the subject's main record needs locator.${sortKeyAttribute}, its own sort key value, so that erasing it leaves the items alone`,
    { path: `${path}.${sortKeyAttribute}` },
  );
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

/** C0 and C1 control characters, DEL included (NUL, line feed, carriage return, escape, ...). */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/;

/**
 * An id as Lethe accepts it: well-formed Unicode (a lone surrogate would be HMACed as U+FFFD, the id of another
 * subject) without control characters (NUL, line breaks: no system stores or logs them as they are). The message
 * names the rule, never the value.
 */
export function checkIdText(text: string, path: string): string {
  checkWellFormed(text, path);
  if (CONTROL.test(text)) throw new InputError('expected text without control characters (such as NUL or a line break)', { path });
  return text;
}

/**
 * A subject id: an id (`checkIdText`) that can also be a URL path segment. `.` and `..` cannot: a URL resolves
 * them away (`/subjects/../holdings` is `/holdings`), so such a subject could never be named in a path.
 */
export function checkSubjectIdText(subjectId: string, path = 'subjectId'): string {
  checkIdText(subjectId, path);
  if (subjectId === '.' || subjectId === '..') {
    throw new InputError(`expected a subject id other than "${subjectId}": URLs resolve "." and ".." away, so no path could name it`, {
      path,
    });
  }
  return subjectId;
}

/**
 * Registration refuses a holding that a system could never locate safely, so that every later erasure or
 * expiry there does not fail on it: for an S3 system, each value that fills its prefix template
 * (`customers/{subjectId}/`, from the locator or the subject id) must be one the connector accepts (no `/`, no
 * `..`, ...), and the tag value a tagged system looks up must be one S3 can store. The path names the field the
 * value came from (`subjectId` or `locator.<name>`).
 */
export function checkLocatable(
  policy: Policy,
  system: string,
  subjectId: string,
  locator: Readonly<Record<string, string>> | undefined,
  paths = { subjectId: 'subjectId', locator: 'locator' },
): void {
  const spec = policy.systems[system];
  if (spec?.connector !== 's3') return;
  const valueOf = (name: string): { value?: string; path: string } =>
    locator?.[name] !== undefined
      ? { value: locator[name], path: `${paths.locator}.${name}` }
      : name === 'subjectId'
        ? { value: subjectId, path: paths.subjectId }
        : { path: `${paths.locator}.${name}` };
  const { prefix, tagKey } = spec.config as { prefix?: unknown; tagKey?: unknown };
  if (typeof prefix === 'string') {
    for (const name of placeholders(prefix)) {
      const { value, path } = valueOf(name);
      if (value === undefined) {
        throw new InputError(`system "${system}" finds the subject's objects under "${prefix}": the locator needs a value for ${name}`, {
          path,
        });
      }
      const problem = prefixValueProblem(value);
      if (problem)
        throw new InputError(`system "${system}" finds the subject's objects under "${prefix}", and this value ${problem}`, { path });
    }
  }
  if (typeof tagKey === 'string') {
    const { value, path } = valueOf(tagKey);
    const problem = tagValueProblem(value ?? subjectId);
    if (problem) {
      throw new InputError(`system "${system}" finds the subject's objects by the tag "${tagKey}", and this value ${problem}`, {
        path: value === undefined ? paths.subjectId : path,
      });
    }
  }
}

/**
 * How far ahead of the server's clock a reported instant may be: a client's clock runs a little fast, but data
 * collected, or an event that happened, in the future is a mistake (a holding collected in 2036 would stretch
 * retention by a decade).
 */
export const MAX_CLOCK_SKEW_MINUTES = 5;

/** Refuses an instant later than `now` plus MAX_CLOCK_SKEW_MINUTES (400 naming the field). */
export function checkNotFuture(instant: Temporal.Instant, now: Temporal.Instant, path: string): Temporal.Instant {
  const latest = now.add({ minutes: MAX_CLOCK_SKEW_MINUTES });
  if (instant.epochNanoseconds > latest.epochNanoseconds) {
    throw new InputError(
      `${instant.toString()} is later than the server's clock (${now.toString({ smallestUnit: 'second' })}) plus ${MAX_CLOCK_SKEW_MINUTES} minutes: an instant from the future cannot be recorded`,
      { path },
    );
  }
  return instant;
}
