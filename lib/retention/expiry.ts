/**
 * The retention engine (spec: "Retention rules"): when must one holding be gone? Pure: no clock reads and no
 * I/O. Every calendar step is Temporal's `ZonedDateTime` in the policy time zone, with `overflow: constrain`.
 */
import { Temporal } from '@js-temporal/polyfill';
import { InputError } from '../errors';
import type { Anchor, Condition, Policy, PurposeSpec, Rule } from '../policy/model';
import { describeDuration, isZero, parseDuration } from './durations';
import { describeCondition, describeRule } from './describe';
import { formatDate } from './time';

export interface SubjectEvent {
  readonly type: string;
  readonly at: Temporal.Instant;
  /** An event with a purpose counts only for that purpose; without one, for all. */
  readonly purpose?: string;
}

export interface HoldingFacts {
  readonly collectedAt: Temporal.Instant;
  readonly events: readonly SubjectEvent[];
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
  return new ExpiryContext(policy, purpose, holding).expiry();
}

/** The events that have happened by `now`: an event stamped later has not occurred yet. */
export function eventsUntil(events: readonly SubjectEvent[], now: Temporal.Instant): SubjectEvent[] {
  return events.filter((e) => Temporal.Instant.compare(e.at, now) <= 0);
}

class ExpiryContext {
  private readonly zone: string;

  public constructor(
    private readonly policy: Policy,
    private readonly purpose: PurposeSpec,
    private readonly holding: HoldingFacts,
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
        ? ` (case ${chosen + 1} of ${cases.length}${cases[chosen].when ? `: ${describeCondition(cases[chosen].when!)}` : ', the default'})`
        : '';
    const expiry = { ...result, purpose: this.purpose.id, explanation: result.explanation + because, caseIndex: chosen };
    if (!result.waitingFor || cases.length === 1) return expiry;
    // With cases, an event may also start the clock by selecting another case: report those too.
    const others = this.policy.events.filter((e) => !result.waitingFor!.includes(e) && this.wouldStartClock(e));
    if (others.length === 0) return expiry;
    return {
      ...expiry,
      waitingFor: [...result.waitingFor, ...others].sort(),
      explanation: `${expiry.explanation}; ${others.join(' or ')} would also start the clock`,
    };
  }

  /** Whether one occurrence of `event` would give this holding a known expiry. Timing does not matter. */
  private wouldStartClock(event: string): boolean {
    const holding = { ...this.holding, events: [...this.holding.events, { type: event, at: this.holding.collectedAt }] };
    const { cases } = this.purpose.retention;
    const context = new ExpiryContext(this.policy, this.purpose, holding);
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

  /** The instants an event type has for this purpose, latest first. */
  private occurrences(type: string): SubjectEvent[] {
    return this.holding.events
      .filter((e) => e.type === type && (e.purpose === undefined || e.purpose === this.purpose.id))
      .sort((a, b) => Temporal.Instant.compare(b.at, a.at));
  }

  private holds(condition: Condition): boolean {
    switch (condition.kind) {
      case 'occurred':
        return condition.event === 'collected' || this.occurrences(condition.event).length > 0;
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
        const [latest] = this.occurrences(anchor.event);
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
