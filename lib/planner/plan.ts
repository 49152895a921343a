/**
 * The erasure planner (spec: "Erasure and expiry semantics"). Given a policy, one subject's holdings and
 * events, `now`, and optionally an erasure request, it decides per system what happens to the subject's
 * record. Pure: no clock reads and no I/O; the runtime carries the plan out.
 *
 * - Without a request it plans the expiry sweep: every holding expired at `now` goes, with its purpose's
 *   `onExpiry`.
 * - With a request, every holding in scope gets its purpose's `onErasureRequest`. A holding that has also
 *   expired goes with the stronger of that and its `onExpiry` (a `retain` no longer holds once the data has
 *   expired). Holdings outside the scope are not touched: they stay, and they protect their fields; the
 *   sweep deals with them when they expire.
 * - Shared data: in a system, only fields whose category no remaining holding needs are removed or
 *   anonymised; the whole record is deleted or anonymised only when no holding remains there.
 * - Erasure wins: a field both to be removed and to be anonymised is removed; a record one purpose would
 *   delete and another anonymise is deleted.
 */
import { Temporal } from '@js-temporal/polyfill';
import { InputError } from '../errors';
import type { ExpiryAction, FieldSpec, Policy, PurposeSpec, SystemSpec } from '../policy/model';
import { computeExpiry, eventsUntil, type Expiry, type SubjectEvent } from '../retention/expiry';

export interface Holding {
  readonly purpose: string;
  readonly system: string;
  readonly collectedAt: Temporal.Instant;
}

export interface ErasureRequest {
  readonly receivedAt: Temporal.Instant;
  /** Purpose ids; absent means every purpose. */
  readonly scope?: readonly string[];
}

export interface SubjectFacts {
  readonly subjectId: string;
  readonly holdings: readonly Holding[];
  readonly events: readonly SubjectEvent[];
}

export type RecordAction = 'delete' | 'anonymise' | 'keep';

export interface SystemPlan {
  readonly system: string;
  readonly record: RecordAction;
  /** Fields to remove when the record is kept or anonymised, in declaration order. */
  readonly removeFields: readonly string[];
  /** Fields to anonymise (each with its strategy) when the record is kept or anonymised. */
  readonly anonymiseFields: readonly string[];
}

export interface RetainedPurpose {
  readonly purpose: string;
  readonly reason: string;
  /** When the retained data will be erased: its expiry, or null while unknown or never. */
  readonly until: Temporal.ZonedDateTime | null;
}

/** What happens to one holding under the plan. */
export type HoldingOutcome = 'erase' | 'anonymise' | 'retain' | 'keep';

export interface HoldingDecision {
  readonly holding: Holding;
  readonly expiry: Expiry;
  readonly expired: boolean;
  readonly inScope: boolean;
  /** `erase`/`anonymise`: the holding goes; `retain`: kept under Art. 18 restriction; `keep`: untouched. */
  readonly outcome: HoldingOutcome;
}

export interface Plan {
  readonly subjectId: string;
  /** Receipt + P1M (Art. 12(3)); null without a request. */
  readonly deadline: Temporal.ZonedDateTime | null;
  /** Every system the subject has a holding in, in the policy's order. */
  readonly systems: readonly SystemPlan[];
  readonly retained: readonly RetainedPurpose[];
  readonly holdings: readonly HoldingDecision[];
}

/** Art. 12(3): one month from receipt. */
export const ANSWER_WITHIN = 'P1M';

/** The request's deadline in the policy time zone: receipt + P1M, month ends clamped. */
export function requestDeadline(policy: Policy, receivedAt: Temporal.Instant): Temporal.ZonedDateTime {
  return receivedAt.toZonedDateTimeISO(policy.timezone).add(Temporal.Duration.from(ANSWER_WITHIN));
}

export function plan(policy: Policy, subject: SubjectFacts, now: Temporal.Instant, request?: ErasureRequest): Plan {
  validateFacts(policy, subject, request);
  const events = eventsUntil(subject.events, now);
  const scope = request?.scope ? new Set(request.scope) : undefined;

  const decisions: HoldingDecision[] = subject.holdings.map((holding) => {
    const purpose = policy.purposes[holding.purpose];
    const expiry = computeExpiry(policy, holding.purpose, { collectedAt: holding.collectedAt, events });
    const expired = expiry.expiresAt !== null && Temporal.Instant.compare(expiry.expiresAt.toInstant(), now) <= 0;
    const inScope = request !== undefined && (scope === undefined || scope.has(holding.purpose));
    return { holding, expiry, expired, inScope, outcome: outcomeOf(purpose, request !== undefined, inScope, expired) };
  });

  const systems = Object.values(policy.systems)
    .map((system) => ({ system, decisions: decisions.filter((d) => d.holding.system === system.id) }))
    .filter(({ decisions: held }) => held.length > 0)
    .map(({ system, decisions: held }) => planSystem(policy, system, held));

  return {
    subjectId: subject.subjectId,
    deadline: request ? requestDeadline(policy, request.receivedAt) : null,
    systems,
    retained: retainedPurposes(policy, decisions),
    holdings: decisions,
  };
}

function outcomeOf(purpose: PurposeSpec, isRequest: boolean, inScope: boolean, expired: boolean): HoldingOutcome {
  if (!isRequest) return expired ? purpose.onExpiry : 'keep';
  if (!inScope) return 'keep';
  const onRequest = purpose.onErasureRequest;
  if (onRequest === 'retain') return expired ? purpose.onExpiry : 'retain';
  return expired ? stronger(onRequest, purpose.onExpiry) : onRequest;
}

const stronger = (a: ExpiryAction, b: ExpiryAction): ExpiryAction => (a === 'erase' || b === 'erase' ? 'erase' : 'anonymise');
const goes = (d: HoldingDecision): boolean => d.outcome === 'erase' || d.outcome === 'anonymise';

function planSystem(policy: Policy, system: SystemSpec, held: readonly HoldingDecision[]): SystemPlan {
  const going = held.filter(goes);
  const remaining = held.filter((d) => !goes(d));
  if (going.length === 0) return { system: system.id, record: 'keep', removeFields: [], anonymiseFields: [] };

  if (remaining.length === 0) {
    if (going.some((d) => d.outcome === 'erase')) return { system: system.id, record: 'delete', removeFields: [], anonymiseFields: [] };
    // The whole record is anonymised: every personal field, by its own strategy.
    const split = splitByStrategy(system.fields);
    return { system: system.id, record: 'anonymise', ...split };
  }

  const needed = new Set(remaining.flatMap((d) => policy.purposes[d.holding.purpose].categories));
  const removeFields: string[] = [];
  const toAnonymise: FieldSpec[] = [];
  for (const field of system.fields) {
    if (needed.has(field.category)) continue;
    const actions = going.filter((d) => policy.purposes[d.holding.purpose].categories.includes(field.category)).map((d) => d.outcome);
    if (actions.length === 0) continue;
    if (actions.includes('erase')) removeFields.push(field.name);
    else toAnonymise.push(field);
  }
  const split = splitByStrategy(toAnonymise);
  return {
    system: system.id,
    record: 'keep',
    // Keep declaration order across both sources of removed fields.
    removeFields: system.fields.map((f) => f.name).filter((name) => removeFields.includes(name) || split.removeFields.includes(name)),
    anonymiseFields: split.anonymiseFields,
  };
}

/** Spec: a field without `anonymise` (or with strategy `remove`) is removed when anonymised. */
function splitByStrategy(fields: readonly FieldSpec[]): { removeFields: string[]; anonymiseFields: string[] } {
  const removes = (f: FieldSpec) => f.anonymise === undefined || f.anonymise.strategy === 'remove';
  return { removeFields: fields.filter(removes).map((f) => f.name), anonymiseFields: fields.filter((f) => !removes(f)).map((f) => f.name) };
}

function retainedPurposes(policy: Policy, decisions: readonly HoldingDecision[]): RetainedPurpose[] {
  const byPurpose = new Map<string, Temporal.ZonedDateTime | null>();
  for (const d of decisions.filter((x) => x.outcome === 'retain')) {
    const until = d.expiry.expiresAt;
    if (!byPurpose.has(d.holding.purpose)) byPurpose.set(d.holding.purpose, until);
    else {
      const seen = byPurpose.get(d.holding.purpose) ?? null;
      // The data is erased when its last holding expires; unknown (null) outlasts any date.
      byPurpose.set(
        d.holding.purpose,
        seen === null || until === null ? null : Temporal.ZonedDateTime.compare(until, seen) > 0 ? until : seen,
      );
    }
  }
  return Object.keys(policy.purposes)
    .filter((id) => byPurpose.has(id))
    .map((id) => ({ purpose: id, reason: policy.purposes[id].retainReason ?? '', until: byPurpose.get(id) ?? null }));
}

function validateFacts(policy: Policy, subject: SubjectFacts, request?: ErasureRequest): void {
  const purposes = Object.keys(policy.purposes);
  subject.holdings.forEach((h, i) => {
    const purpose = policy.purposes[h.purpose];
    if (!purpose)
      throw new InputError(`unknown purpose "${h.purpose}"; the policy declares: ${purposes.join(', ')}`, {
        path: `holdings[${i}].purpose`,
      });
    if (!policy.systems[h.system]) {
      throw new InputError(`unknown system "${h.system}"; the policy declares: ${Object.keys(policy.systems).join(', ')}`, {
        path: `holdings[${i}].system`,
      });
    }
    if (!purpose.systems.includes(h.system)) {
      throw new InputError(
        `purpose "${h.purpose}" does not hold data in system "${h.system}"; its systems are: ${purpose.systems.join(', ')}`,
        {
          path: `holdings[${i}].system`,
        },
      );
    }
  });
  subject.events.forEach((e, i) => {
    if (e.purpose !== undefined && !policy.purposes[e.purpose]) {
      throw new InputError(`unknown purpose "${e.purpose}"; the policy declares: ${purposes.join(', ')}`, { path: `events[${i}].purpose` });
    }
  });
  request?.scope?.forEach((p, i) => {
    if (!policy.purposes[p])
      throw new InputError(`unknown purpose "${p}"; the policy declares: ${purposes.join(', ')}`, { path: `request.scope[${i}]` });
  });
}
