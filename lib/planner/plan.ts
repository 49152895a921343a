/**
 * The planner (spec: "Erasure and expiry semantics", and version 2's 2.2 to 2.4). Given a policy, one subject's
 * holdings, events and legal holds, `now`, and optionally a request, it decides per record what happens. Pure:
 * no clock reads and no I/O; the runtime carries the plan out.
 *
 * - Without a request it plans the expiry sweep: every holding expired at `now` goes, with its purpose's
 *   `onExpiry`.
 * - An erasure request (Art. 17): every holding in scope gets its purpose's `onErasureRequest`. A holding that
 *   has also expired goes with the stronger of that and its `onExpiry` (a `retain` no longer holds once the data
 *   has expired). Holdings outside the scope are not touched: they stay, and they protect their fields; the
 *   sweep deals with them when they expire.
 * - A restriction request (Art. 18): every holding in scope is restricted; nothing is deleted or changed.
 * - An access request (Art. 15): per record, which fields and categories are held for which purposes;
 *   nothing is changed.
 * - A legal hold (2.3) covering a holding keeps it through expiry and erasure: it is retained with the hold's
 *   reason, and its record restricted. Once released, the holding expires at the later of its own expiry and
 *   the release.
 * - Records (2.2): holdings without `ref` share the subject's main record in a system; holdings with the same
 *   `ref` share that item's record. The shared-data rule and "erasure wins" apply within one record: only
 *   fields whose category no remaining holding of the record needs are removed or anonymised; the whole record
 *   is deleted or anonymised only when no holding of it remains.
 */
import { Temporal } from '@js-temporal/polyfill';
import { InputError } from '../core/errors';
import type { ExpiryAction, FieldSpec, Policy, PurposeSpec, SystemSpec } from '../policy/model';
import { computeExpiry, type EarlyEventWarning, eventsUntil, type Expiry, type SubjectEvent } from '../retention/expiry';

export interface Holding {
  readonly purpose: string;
  readonly system: string;
  readonly collectedAt: Temporal.Instant;
  /** The item the holding holds (spec 2.2); required for `per: item` purposes. */
  readonly ref?: string;
}

/** Which holdings a hold or a request covers: every key given must match (AND); no key, every holding. */
export interface Scope {
  readonly purposes?: readonly string[];
  readonly systems?: readonly string[];
  readonly refs?: readonly string[];
}

/** A legal hold (spec 2.3): a runtime fact, placed and released through the API. */
export interface Hold {
  readonly holdId: string;
  readonly reason: string;
  readonly placedAt: Temporal.Instant;
  readonly releasedAt?: Temporal.Instant;
  readonly scope?: Scope;
}

export const REQUEST_TYPES = ['erasure', 'restriction', 'access'] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];

/** A data subject's request (spec 2.4). */
export interface SubjectRequest {
  /** @default 'erasure' */
  readonly type?: RequestType;
  readonly receivedAt: Temporal.Instant;
  /** Purpose ids (version 1's form), or a scope; absent means every holding. */
  readonly scope?: readonly string[] | Scope;
  /** Restriction only: when the restriction is to be lifted. */
  readonly until?: Temporal.Instant;
  /** Restriction only (Art. 18(1)(b),(c)): the data is also held, like a hold, until the restriction is lifted. */
  readonly keep?: boolean;
}

export interface SubjectFacts {
  readonly subjectId: string;
  readonly holdings: readonly Holding[];
  readonly events: readonly SubjectEvent[];
  readonly holds?: readonly Hold[];
}

export type RecordAction = 'delete' | 'anonymise' | 'keep';

/** What happens to one record: the subject's main record in a system, or one item's record (with `ref`). */
export interface SystemPlan {
  readonly system: string;
  /** The item whose record this is; absent for the subject's main record. */
  readonly ref?: string;
  readonly record: RecordAction;
  /** Fields to remove when the record is kept or anonymised, in declaration order. */
  readonly removeFields: readonly string[];
  /** Fields to anonymise (each with its strategy) when the record is kept or anonymised. */
  readonly anonymiseFields: readonly string[];
  /** Whether the record gets the connector action `restrict` (spec 2.4). */
  readonly restrict: boolean;
}

export interface RetainedPurpose {
  readonly purpose: string;
  /** Told to the data subject: the hold's reason where a hold retains the data, else the purpose's retainReason. */
  readonly reason: string;
  /** When the retained data will be erased: its expiry, or null while unknown, never, or held. */
  readonly until: Temporal.ZonedDateTime | null;
  /** The item, where the retained holding is one. */
  readonly ref?: string;
  /** The hold that retains it. */
  readonly hold?: string;
  /** Where `until` is null because the clock has not started: the events that would start it. */
  readonly waitingFor?: readonly string[];
  /** Where `until` is null because the purpose keeps the data indefinitely. */
  readonly indefinite?: true;
  /** Where a hold retains data whose own expiry is known: that expiry (the data goes at the later of it and the release). */
  readonly expiresAt?: Temporal.ZonedDateTime;
}

/** What happens to one holding under the plan. */
export type HoldingOutcome = 'erase' | 'anonymise' | 'retain' | 'keep';

export interface HoldingDecision {
  readonly holding: Holding;
  /** The holding's expiry under its retention rule, a released hold's extension included. */
  readonly expiry: Expiry;
  readonly expired: boolean;
  readonly inScope: boolean;
  /** `erase`/`anonymise`: the holding goes; `retain`: kept under Art. 18 restriction; `keep`: untouched. */
  readonly outcome: HoldingOutcome;
  /** The hold that covers the holding at `now`. */
  readonly hold?: Hold;
  /** Whether the holding's record is to be restricted because of this holding. */
  readonly restricted: boolean;
}

export interface AccessEntry {
  readonly system: string;
  readonly ref?: string;
  readonly purposes: readonly string[];
  readonly categories: readonly string[];
  readonly fields: readonly string[];
}

export interface Plan {
  readonly subjectId: string;
  readonly requestType: RequestType | null;
  /** Receipt + P1M (Art. 12(3)); null without a request. */
  readonly deadline: Temporal.ZonedDateTime | null;
  /** One entry per record the subject has a holding in: systems in the policy's order, the main record first. */
  readonly systems: readonly SystemPlan[];
  readonly retained: readonly RetainedPurpose[];
  readonly holdings: readonly HoldingDecision[];
  /** For an access request: what is held, per record. */
  readonly access?: readonly AccessEntry[];
  /** Version 1 files: results that rely on events before collection (spec 2.1). */
  readonly warnings: readonly EarlyEventWarning[];
}

/** Art. 12(3): one month from receipt. */
export const ANSWER_WITHIN = 'P1M';

/** The request's deadline in the policy time zone: receipt + P1M, month ends clamped. */
export function requestDeadline(policy: Policy, receivedAt: Temporal.Instant): Temporal.ZonedDateTime {
  return receivedAt.toZonedDateTimeISO(policy.timezone).add(Temporal.Duration.from(ANSWER_WITHIN));
}

/** Version 1's purpose list or a scope object, as a scope; undefined means everything. */
function normaliseScope(scope: readonly string[] | Scope | undefined): Scope | undefined {
  if (scope === undefined) return undefined;
  return isPurposeList(scope) ? { purposes: scope } : scope;
}

const isPurposeList = (scope: readonly string[] | Scope): scope is readonly string[] => Array.isArray(scope);

/** Whether a scope covers a holding: every key given must match. */
export function scopeCovers(scope: Scope | undefined, holding: Holding): boolean {
  if (scope === undefined) return true;
  if (scope.purposes && !scope.purposes.includes(holding.purpose)) return false;
  if (scope.systems && !scope.systems.includes(holding.system)) return false;
  if (scope.refs && (holding.ref === undefined || !scope.refs.includes(holding.ref))) return false;
  return true;
}

const before = (a: Temporal.Instant, b: Temporal.Instant): boolean => Temporal.Instant.compare(a, b) < 0;
const atOrBefore = (a: Temporal.Instant, b: Temporal.Instant): boolean => Temporal.Instant.compare(a, b) <= 0;

/** A hold covers a holding at `now` from `placedAt` until `releasedAt` (spec 2.3). The runtime schedules with it too. */
export function coveringHold(holds: readonly Hold[], holding: Holding, now: Temporal.Instant): Hold | undefined {
  return holds.find(
    (h) => scopeCovers(h.scope, holding) && atOrBefore(h.placedAt, now) && (h.releasedAt === undefined || before(now, h.releasedAt)),
  );
}

/** Spec 2.3: once released, the holding's expiry is the later of its expiresAt and the latest release. */
export function afterReleases(policy: Policy, expiry: Expiry, holds: readonly Hold[], holding: Holding, now: Temporal.Instant): Expiry {
  if (expiry.expiresAt === null) return expiry;
  const released = holds
    .filter(
      (h) => scopeCovers(h.scope, holding) && h.releasedAt !== undefined && atOrBefore(h.placedAt, now) && atOrBefore(h.releasedAt, now),
    )
    .map((h) => h.releasedAt!)
    .filter((r) => before(expiry.expiresAt!.toInstant(), r));
  if (released.length === 0) return expiry;
  const latest = released.reduce((a, b) => (before(a, b) ? b : a));
  const expiresAt = latest.toZonedDateTimeISO(policy.timezone);
  return {
    ...expiry,
    expiresAt,
    explanation: `${expiry.explanation}, held until the hold's release on ${expiresAt.toPlainDate().toString()}`,
  };
}

export function plan(policy: Policy, subject: SubjectFacts, now: Temporal.Instant, request?: SubjectRequest): Plan {
  validateFacts(policy, subject, request);
  const events = eventsUntil(subject.events, now);
  const type: RequestType | null = request ? (request.type ?? 'erasure') : null;
  const scope = normaliseScope(request?.scope);
  // A restriction with `keep` holds the data like a hold until it is lifted (spec 2.4).
  const holds: Hold[] = [...(subject.holds ?? [])];
  if (type === 'restriction' && request?.keep) {
    holds.push({
      holdId: 'restriction-request',
      reason: 'restricted at the data subject’s request (Art. 18)',
      placedAt: request.receivedAt,
      ...(request.until ? { releasedAt: request.until } : {}),
      ...(scope ? { scope } : {}),
    });
  }

  const decisions: HoldingDecision[] = subject.holdings.map((holding) => {
    const purpose = policy.purposes[holding.purpose];
    const own = computeExpiry(policy, holding.purpose, {
      collectedAt: holding.collectedAt,
      events,
      ...(holding.ref ? { ref: holding.ref } : {}),
    });
    const expiry = afterReleases(policy, own, holds, holding, now);
    const expired = expiry.expiresAt !== null && atOrBefore(expiry.expiresAt.toInstant(), now);
    const inScope = type !== null && scopeCovers(scope, holding);
    const hold = coveringHold(holds, holding, now);
    return decide(purpose, { holding, expiry, expired, inScope, ...(hold ? { hold } : {}) }, type);
  });

  const systems = records(policy, decisions).map(({ system, ref, decisions: held }) => planRecord(policy, system, ref, held));

  return {
    subjectId: subject.subjectId,
    requestType: type,
    deadline: request ? requestDeadline(policy, request.receivedAt) : null,
    systems,
    retained: retainedPurposes(policy, decisions),
    holdings: decisions,
    ...(type === 'access' ? { access: accessEntries(policy, decisions) } : {}),
    warnings: uniqueWarnings(decisions),
  };
}

type Facts = Pick<HoldingDecision, 'holding' | 'expiry' | 'expired' | 'inScope' | 'hold'>;

function decide(purpose: PurposeSpec, facts: Facts, type: RequestType | null): HoldingDecision {
  const { expired, inScope, hold } = facts;
  const decided = (outcome: HoldingOutcome, restricted: boolean): HoldingDecision => ({ ...facts, outcome, restricted });
  switch (type) {
    case null:
      // The sweep: a hold keeps a covered holding and restricts its record (spec 2.3).
      if (hold) return decided('retain', true);
      return decided(expired ? purpose.onExpiry : 'keep', false);
    case 'access':
      return decided('keep', false);
    case 'restriction':
      return decided('keep', inScope);
    case 'erasure': {
      if (!inScope) return decided('keep', false);
      if (hold) return decided('retain', true);
      const onRequest = purpose.onErasureRequest;
      if (onRequest === 'retain') return expired ? decided(purpose.onExpiry, false) : decided('retain', true);
      return decided(expired ? stronger(onRequest, purpose.onExpiry) : onRequest, false);
    }
  }
}

const stronger = (a: ExpiryAction, b: ExpiryAction): ExpiryAction => (a === 'erase' || b === 'erase' ? 'erase' : 'anonymise');
const goes = (d: HoldingDecision): boolean => d.outcome === 'erase' || d.outcome === 'anonymise';

interface RecordHoldings {
  readonly system: SystemSpec;
  readonly ref?: string;
  readonly decisions: readonly HoldingDecision[];
}

/** The subject's records: per system in the policy's order, the main record first, then items by ref. */
function records(policy: Policy, decisions: readonly HoldingDecision[]): RecordHoldings[] {
  const out: RecordHoldings[] = [];
  for (const system of Object.values(policy.systems)) {
    const inSystem = decisions.filter((d) => d.holding.system === system.id);
    if (inSystem.length === 0) continue;
    const main = inSystem.filter((d) => d.holding.ref === undefined);
    if (main.length > 0) out.push({ system, decisions: main });
    const refs = [...new Set(inSystem.flatMap((d) => (d.holding.ref === undefined ? [] : [d.holding.ref])))].sort();
    for (const ref of refs) out.push({ system, ref, decisions: inSystem.filter((d) => d.holding.ref === ref) });
  }
  return out;
}

function planRecord(policy: Policy, system: SystemSpec, ref: string | undefined, held: readonly HoldingDecision[]): SystemPlan {
  const base = { system: system.id, ...(ref === undefined ? {} : { ref }), restrict: held.some((d) => d.restricted) };
  const going = held.filter(goes);
  const remaining = held.filter((d) => !goes(d));
  if (going.length === 0) return { ...base, record: 'keep', removeFields: [], anonymiseFields: [] };

  if (remaining.length === 0) {
    if (going.some((d) => d.outcome === 'erase')) return { ...base, record: 'delete', removeFields: [], anonymiseFields: [] };
    // The whole record is anonymised: every personal field, by its own strategy.
    return { ...base, record: 'anonymise', ...splitByStrategy(system.fields) };
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
    ...base,
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

/**
 * One entry per purpose, item and hold that retains data, in the policy's order of purposes. Several holdings
 * of one entry (a purpose in two systems) are erased when the last of them expires; an unknown date (null)
 * outlasts any date.
 */
function retainedPurposes(policy: Policy, decisions: readonly HoldingDecision[]): RetainedPurpose[] {
  const groups = new Map<string, HoldingDecision[]>();
  for (const d of decisions.filter((x) => x.outcome === 'retain')) {
    const key = JSON.stringify([d.holding.purpose, d.holding.ref ?? null, d.hold?.holdId ?? null]);
    groups.set(key, [...(groups.get(key) ?? []), d]);
  }
  const order = Object.keys(policy.purposes);
  return [...groups.values()]
    .sort((a, b) => order.indexOf(a[0].holding.purpose) - order.indexOf(b[0].holding.purpose))
    .map((group) => retainedEntry(policy, group));
}

function retainedEntry(policy: Policy, group: readonly HoldingDecision[]): RetainedPurpose {
  const [first] = group;
  const purpose = policy.purposes[first.holding.purpose];
  const ids = { purpose: purpose.id, ...(first.holding.ref === undefined ? {} : { ref: first.holding.ref }) };
  const dates = group.map((d) => d.expiry.expiresAt);
  const latest = dates.includes(null)
    ? null
    : (dates as Temporal.ZonedDateTime[]).reduce((a, b) => (Temporal.ZonedDateTime.compare(b, a) > 0 ? b : a));
  const unknown = group.filter((d) => d.expiry.expiresAt === null);
  const waitingFor = [...new Set(unknown.flatMap((d) => d.expiry.waitingFor ?? []))].sort();
  const why =
    latest !== null
      ? {}
      : waitingFor.length > 0
        ? { waitingFor }
        : unknown.some((d) => d.expiry.indefinite)
          ? { indefinite: true as const }
          : {};
  if (first.hold) {
    return { ...ids, reason: first.hold.reason, until: null, hold: first.hold.holdId, ...(latest ? { expiresAt: latest } : why) };
  }
  return { ...ids, reason: purpose.retainReason ?? '', until: latest, ...why };
}

/** Spec 2.4, access: per record, the purposes held in it, their categories and the fields of those categories. */
function accessEntries(policy: Policy, decisions: readonly HoldingDecision[]): AccessEntry[] {
  return records(
    policy,
    decisions.filter((d) => d.inScope),
  ).map(({ system, ref, decisions: held }) => {
    const purposes = Object.keys(policy.purposes).filter((p) => held.some((d) => d.holding.purpose === p));
    const wanted = new Set(purposes.flatMap((p) => policy.purposes[p].categories));
    const fields = system.fields.filter((f) => wanted.has(f.category));
    // Where the system declares its fields, the categories held are those of its fields; else the purposes'.
    const heldCategories = system.fields.length > 0 ? new Set(fields.map((f) => f.category)) : wanted;
    const categories = Object.keys(policy.categories).filter((c) => heldCategories.has(c));
    return { system: system.id, ...(ref === undefined ? {} : { ref }), purposes, categories, fields: fields.map((f) => f.name) };
  });
}

function uniqueWarnings(decisions: readonly HoldingDecision[]): EarlyEventWarning[] {
  const seen = new Set<string>();
  return decisions.flatMap((d) => {
    const w = d.expiry.warning;
    if (!w || seen.has(w.message)) return [];
    seen.add(w.message);
    return [w];
  });
}

function validateFacts(policy: Policy, subject: SubjectFacts, request?: SubjectRequest): void {
  const purposes = Object.keys(policy.purposes);
  const unknownPurpose = (p: string, path: string) =>
    new InputError(`unknown purpose "${p}"; the policy declares: ${purposes.join(', ')}`, { path });
  const unknownSystem = (s: string, path: string) =>
    new InputError(`unknown system "${s}"; the policy declares: ${Object.keys(policy.systems).join(', ')}`, { path });
  subject.holdings.forEach((h, i) => {
    const purpose = policy.purposes[h.purpose];
    if (!purpose) throw unknownPurpose(h.purpose, `holdings[${i}].purpose`);
    if (!policy.systems[h.system]) throw unknownSystem(h.system, `holdings[${i}].system`);
    if (!purpose.systems.includes(h.system)) {
      throw new InputError(
        `purpose "${h.purpose}" does not hold data in system "${h.system}"; its systems are: ${purpose.systems.join(', ')}`,
        {
          path: `holdings[${i}].system`,
        },
      );
    }
    if (purpose.per === 'item' && h.ref === undefined) {
      throw new InputError(`purpose "${h.purpose}" keeps a clock per item (per: item): the holding needs \`ref\`, the item's id`, {
        path: `holdings[${i}].ref`,
      });
    }
  });
  subject.events.forEach((e, i) => {
    if (e.purpose !== undefined && !policy.purposes[e.purpose]) throw unknownPurpose(e.purpose, `events[${i}].purpose`);
  });
  const checkScope = (scope: Scope | undefined, path: string) => {
    scope?.purposes?.forEach((p, i) => {
      if (!policy.purposes[p]) throw unknownPurpose(p, `${path}.purposes[${i}]`);
    });
    scope?.systems?.forEach((s, i) => {
      if (!policy.systems[s]) throw unknownSystem(s, `${path}.systems[${i}]`);
    });
  };
  (subject.holds ?? []).forEach((h, i) => {
    if (h.releasedAt !== undefined && before(h.releasedAt, h.placedAt)) {
      throw new InputError('a hold cannot be released before it is placed', { path: `holds[${i}].releasedAt` });
    }
    checkScope(h.scope, `holds[${i}].scope`);
  });
  if (!request) return;
  if (request.scope !== undefined && isPurposeList(request.scope)) {
    request.scope.forEach((p, i) => {
      if (!policy.purposes[p]) throw unknownPurpose(p, `request.scope[${i}]`);
    });
  } else checkScope(request.scope, 'request.scope');
  const type = request.type ?? 'erasure';
  if (request.until !== undefined && !before(request.receivedAt, request.until)) {
    throw new InputError('a restriction must be lifted after the request was received (request.receivedAt)', { path: 'request.until' });
  }
  if (type !== 'restriction' && (request.until !== undefined || request.keep !== undefined)) {
    throw new InputError(`\`${request.until !== undefined ? 'until' : 'keep'}\` belongs to a restriction request, not to ${type}`, {
      path: `request.${request.until !== undefined ? 'until' : 'keep'}`,
    });
  }
}
