/**
 * The retention engine (spec: "Retention rules", and version 2's 2.1 and 2.2): when must one holding be gone?
 * Pure: no clock reads and no I/O. Every calendar step is Temporal's `ZonedDateTime` in the policy time zone,
 * with `overflow: constrain`.
 *
 * Which events count for a holding:
 * - an event with a `purpose` counts only for that purpose;
 * - an event with a `ref` counts only for the holding with the same `ref` (an item's own clock), and not for
 *   holdings without one; an event without `ref` counts for every holding of the subject (2.2);
 * - with `since: collected` (version 2's default) only occurrences at or after the holding's collection count;
 *   with `since: any` (version 1's meaning) every occurrence does (2.1).
 */
import { Temporal } from '@js-temporal/polyfill';
import { InputError } from '../core/errors';
import type { Anchor, Condition, Policy, PurposeSpec, Rule, Since } from '../policy/model';
import { REQUEST_HANDLED } from '../policy/schema';
import { describeDuration, isZero, parseDuration } from './durations';
import { describeCondition, describeRule } from './describe';
import { formatDate } from './time';

export interface SubjectEvent {
  readonly type: string;
  readonly at: Temporal.Instant;
  /** An event with a purpose counts only for that purpose; without one, for all. */
  readonly purpose?: string;
  /** An event with a ref counts only for the holding of that item (spec 2.2); without one, for every holding. */
  readonly ref?: string;
}

export interface HoldingFacts {
  readonly collectedAt: Temporal.Instant;
  readonly events: readonly SubjectEvent[];
  /** The item the holding holds (an order number, a ticket id), for `per: item` purposes (spec 2.2). */
  readonly ref?: string;
}

/**
 * Version 1 only (spec 2.1): the result relies on occurrences from before the holding's collection, which
 * version 2 would not count.
 */
export interface EarlyEventWarning {
  readonly purpose: string;
  /** The event types whose early occurrences the result relies on. */
  readonly events: readonly string[];
  readonly collectedAt: Temporal.Instant;
  readonly message: string;
}

export interface Expiry {
  readonly purpose: string;
  /** The first instant at which the data must no longer be held; null while unknown or never. */
  readonly expiresAt: Temporal.ZonedDateTime | null;
  /** When `expiresAt` is null because the clock has not started: the events that would start it. */
  readonly waitingFor?: readonly string[];
  /** When the applicable rule is indefinite. */
  readonly indefinite?: true;
  /** Plain words: "10 years after order-completed on 2024-04-01". */
  readonly explanation: string;
  /** Index of the case that applied (0 for forms 1 to 3). */
  readonly caseIndex: number;
  /** Version 1 files only: where the result relies on an event before collection (spec 2.1). */
  readonly warning?: EarlyEventWarning;
}

type AnchorValue = { readonly at: Temporal.ZonedDateTime; readonly words: string } | { readonly waitingFor: ReadonlySet<string> };

/** Computes a holding's expiry for a purpose of the policy. Events are taken as given (see `eventsUntil`). */
export function computeExpiry(policy: Policy, purposeId: string, holding: HoldingFacts): Expiry {
  const purpose = policy.purposes[purposeId];
  if (!purpose) {
    throw new InputError(`unknown purpose "${purposeId}"; the policy declares: ${Object.keys(policy.purposes).join(', ')}`, {
      path: 'purpose',
    });
  }
  const expiry = new ExpiryContext(policy, purpose, holding).expiry();
  if (policy.version >= 2) return expiry;
  const warning = earlyEventWarning(policy, purpose, holding, expiry);
  return warning ? { ...expiry, warning } : expiry;
}

/**
 * Spec 2.1 for version 1 files: does this result rely on an event before the holding's collection? It does
 * when counting events only from collection (version 2's meaning) gives another result; the warning names
 * the event types that occurred before collection and that the purpose's rules use.
 */
function earlyEventWarning(policy: Policy, purpose: PurposeSpec, holding: HoldingFacts, expiry: Expiry): EarlyEventWarning | undefined {
  const early = holding.events.filter((e) => Temporal.Instant.compare(e.at, holding.collectedAt) < 0);
  if (early.length === 0) return undefined;
  const v2 = new ExpiryContext(policy, purpose, holding, 'collected').expiry();
  if (sameExpiry(expiry, v2)) return undefined;
  const used = eventsUsedBy(purpose);
  const events = [...new Set(early.filter((e) => used.has(e.type) && countsFor(e, purpose.id, holding.ref)).map((e) => e.type))].sort();
  const collected = holding.collectedAt.toZonedDateTimeISO(policy.timezone);
  const message =
    `purpose "${purpose.id}": this result relies on ${events.map((e) => `"${e}"`).join(', ')} from before the holding's collection ` +
    `on ${formatDate(collected)}; version 2 counts an event only from collection (spec 2.1): set \`version: 2\`, ` +
    'or write `since: any` where the earlier event is meant to count';
  return { purpose: purpose.id, events, collectedAt: holding.collectedAt, message };
}

function sameExpiry(a: Expiry, b: Expiry): boolean {
  const sameInstant = a.expiresAt === null || b.expiresAt === null ? a.expiresAt === b.expiresAt : a.expiresAt.equals(b.expiresAt);
  return (
    sameInstant && a.caseIndex === b.caseIndex && String(a.waitingFor ?? '') === String(b.waitingFor ?? '') && a.indefinite === b.indefinite
  );
}

/** Every event type a purpose's retention names, in anchors and conditions. */
function eventsUsedBy(purpose: PurposeSpec): Set<string> {
  const used = new Set<string>();
  const anchor = (a: Anchor): void => {
    switch (a.kind) {
      case 'collected':
        return;
      case 'event':
        used.add(a.event);
        return;
      case 'latestOf':
      case 'earliestOf':
        a.anchors.forEach(anchor);
        return;
      case 'add': {
        anchor(a.to);
        return;
      }
      case 'endOfYear':
      case 'endOfFiscalYear': {
        anchor(a.of);
        return;
      }
    }
  };
  const condition = (c: Condition): void => {
    if (c.kind === 'occurred') used.add(c.event);
    else if (c.kind === 'not') condition(c.condition);
    else c.conditions.forEach(condition);
  };
  for (const c of purpose.retention.cases) {
    if (c.when) condition(c.when);
    if (c.rule.kind === 'duration') anchor(c.rule.from);
  }
  used.delete('collected');
  return used;
}

/** Whether an event counts for a holding of `purpose` with `ref`, before any `since` (spec 2.2). */
function countsFor(event: SubjectEvent, purpose: string, ref: string | undefined): boolean {
  if (event.purpose !== undefined && event.purpose !== purpose) return false;
  return event.ref === undefined || event.ref === ref;
}

/** The events that have happened by `now`: an event stamped later has not occurred yet. */
export function eventsUntil(events: readonly SubjectEvent[], now: Temporal.Instant): SubjectEvent[] {
  return events.filter((e) => Temporal.Instant.compare(e.at, now) <= 0);
}

class ExpiryContext {
  private readonly zone: string;

  /** `since`, when given, overrides every anchor's and condition's own (to compare version 1 with version 2). */
  public constructor(
    private readonly policy: Policy,
    private readonly purpose: PurposeSpec,
    private readonly holding: HoldingFacts,
    private readonly since?: Since,
  ) {
    this.zone = policy.timezone;
  }

  public expiry(): Expiry {
    const { cases } = this.purpose.retention;
    const index = cases.findIndex((c) => c.when === undefined || this.holds(c.when));
    // Validation guarantees a default case, so `index` is found; guard anyway rather than crash.
    const chosen = index === -1 ? cases.length - 1 : index;
    const result = this.applyRule(cases[chosen].rule);
    const because =
      cases.length > 1
        ? ` (case ${chosen + 1} of ${cases.length}${cases[chosen].when ? `: ${describeCondition(cases[chosen].when)}` : ', the default'})`
        : '';
    const expiry = { ...result, purpose: this.purpose.id, explanation: result.explanation + because, caseIndex: chosen };
    if (!result.waitingFor || cases.length === 1) return expiry;
    // With cases, an event may also start the clock by selecting another case: report those too.
    const candidates = [...this.policy.events, ...(this.policy.events.includes(REQUEST_HANDLED) ? [] : [REQUEST_HANDLED])];
    const others = candidates.filter((e) => !result.waitingFor!.includes(e) && this.wouldStartClock(e));
    if (others.length === 0) return expiry;
    return {
      ...expiry,
      waitingFor: [...result.waitingFor, ...others].sort(),
      explanation: `${expiry.explanation}; ${others.join(' or ')} would also start the clock`,
    };
  }

  /** Whether one occurrence of `event` would give this holding a known expiry. Timing does not matter. */
  private wouldStartClock(event: string): boolean {
    const holding = {
      ...this.holding,
      events: [
        ...this.holding.events,
        { type: event, at: this.holding.collectedAt, ...(this.holding.ref ? { ref: this.holding.ref } : {}) },
      ],
    };
    const { cases } = this.purpose.retention;
    const context = new ExpiryContext(this.policy, this.purpose, holding, this.since);
    const index = cases.findIndex((c) => c.when === undefined || context.holds(c.when));
    const rule = cases[index === -1 ? cases.length - 1 : index].rule;
    return rule.kind === 'duration' && 'at' in context.anchor(rule.from);
  }

  private applyRule(rule: Rule): Omit<Expiry, 'purpose' | 'caseIndex'> {
    if (rule.kind === 'indefinite') {
      return { expiresAt: null, indefinite: true, explanation: `kept indefinitely: ${rule.justification}` };
    }
    const anchor = this.anchor(rule.from);
    if ('waitingFor' in anchor) {
      const events = [...anchor.waitingFor].sort();
      return {
        expiresAt: null,
        waitingFor: events,
        explanation: `waiting for ${events.join(' or ')}; kept ${describeRule(rule, this.policy.fiscalYearEnd)}`,
      };
    }
    const expiresAt = anchor.at.add(parseDuration(rule.keep));
    const explanation = isZero(rule.keep)
      ? `${rule.form === 'until' ? 'until' : 'at'} ${anchor.words}`
      : `${describeDuration(rule.keep)} after ${anchor.words}`;
    return { expiresAt, explanation };
  }

  /** The occurrences of an event type that count for this holding (purpose, ref, since), latest first. */
  private occurrences(type: string, since: Since): SubjectEvent[] {
    const effective = this.since ?? since;
    const { collectedAt, ref } = this.holding;
    return this.holding.events
      .filter(
        (e) =>
          e.type === type &&
          countsFor(e, this.purpose.id, ref) &&
          (effective === 'any' || Temporal.Instant.compare(e.at, collectedAt) >= 0),
      )
      .sort((a, b) => Temporal.Instant.compare(b.at, a.at));
  }

  private holds(condition: Condition): boolean {
    switch (condition.kind) {
      case 'occurred':
        return condition.event === 'collected' || this.occurrences(condition.event, condition.since).length > 0;
      case 'not':
        return !this.holds(condition.condition);
      case 'allOf':
        return condition.conditions.every((c) => this.holds(c));
      case 'anyOf':
        return condition.conditions.some((c) => this.holds(c));
    }
  }

  private anchor(anchor: Anchor): AnchorValue {
    switch (anchor.kind) {
      case 'collected': {
        const at = this.holding.collectedAt.toZonedDateTimeISO(this.zone);
        return { at, words: `collection on ${formatDate(at)}` };
      }
      case 'event': {
        const [latest] = this.occurrences(anchor.event, anchor.since);
        if (!latest) return { waitingFor: new Set([anchor.event]) };
        const at = latest.at.toZonedDateTimeISO(this.zone);
        return { at, words: `${anchor.event} on ${formatDate(at)}` };
      }
      case 'latestOf':
      case 'earliestOf': {
        const values = anchor.anchors.map((a) => this.anchor(a));
        const known = values.filter((v): v is Extract<AnchorValue, { at: unknown }> => 'at' in v);
        if (known.length === 0) {
          return { waitingFor: new Set(values.flatMap((v) => ('waitingFor' in v ? [...v.waitingFor] : []))) };
        }
        const sign = anchor.kind === 'latestOf' ? 1 : -1;
        return known.reduce((a, b) => (sign * Temporal.ZonedDateTime.compare(b.at, a.at) > 0 ? b : a));
      }
      case 'add': {
        const inner = this.anchor(anchor.to);
        if ('waitingFor' in inner) return inner;
        return { at: inner.at.add(parseDuration(anchor.duration)), words: `${describeDuration(anchor.duration)} after ${inner.words}` };
      }
      case 'endOfYear': {
        const inner = this.anchor(anchor.of);
        if ('waitingFor' in inner) return inner;
        if (!anchor.fiscal) {
          const year = inner.at.year;
          return {
            at: startOfDay(Temporal.PlainDate.from({ year: year + 1, month: 1, day: 1 }), this.zone),
            words: `the end of ${year} (the year of ${inner.words})`,
          };
        }
        const fiscalEnd = this.fiscalYearEndOf(inner.at.toPlainDate());
        return {
          at: startOfDay(Temporal.PlainDate.from({ year: fiscalEnd.year + 1, month: 1, day: 1 }), this.zone),
          words: `the end of ${fiscalEnd.year}, the calendar year in which the fiscal year containing ${inner.words} ends (${fiscalEnd.toString()})`,
        };
      }
      case 'endOfFiscalYear': {
        const inner = this.anchor(anchor.of);
        if ('waitingFor' in inner) return inner;
        const fiscalEnd = this.fiscalYearEndOf(inner.at.toPlainDate());
        return {
          at: startOfDay(fiscalEnd.add({ days: 1 }), this.zone),
          words: `the end of the fiscal year ending ${fiscalEnd.toString()} (containing ${inner.words})`,
        };
      }
    }
  }

  /** The last day of the fiscal year containing `date`. A "02-29" year end is Feb 28 in common years. */
  private fiscalYearEndOf(date: Temporal.PlainDate): Temporal.PlainDate {
    const monthDay = Temporal.PlainMonthDay.from(`--${this.policy.fiscalYearEnd}`);
    const thisYear = monthDay.toPlainDate({ year: date.year });
    return Temporal.PlainDate.compare(date, thisYear) <= 0 ? thisYear : monthDay.toPlainDate({ year: date.year + 1 });
  }
}

/** Local midnight, or the first instant of the day where a DST change skips midnight. */
function startOfDay(date: Temporal.PlainDate, zone: string): Temporal.ZonedDateTime {
  return date.toZonedDateTime({ timeZone: zone });
}
