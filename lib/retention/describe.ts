/**
 * Retention rules in plain words, without dates.
 * - `describeRule` / `describeCondition`: the short wording of the per-holding explanations of `expiry` ("kept 3
 *   months after the latest "account-closed" event").
 * - `describeTimeLimit`: a purpose's time limit as the register states it (spec 2.6), in English or Swedish, with
 *   the events' descriptions, never nested.
 */
import { Temporal } from '@js-temporal/polyfill';
import type { Anchor, Condition, Retention, Rule } from '../policy/model';
import { COLLECTED, REQUEST_HANDLED } from '../policy/schema';
import { describeDuration, isZero, parseDuration } from './durations';

export function describeAnchor(anchor: Anchor, fiscalYearEnd: string): string {
  switch (anchor.kind) {
    case 'collected':
      return 'collection';
    case 'event':
      return `the latest "${anchor.event}" event`;
    case 'latestOf':
      return `the latest of ${joinOr(
        anchor.anchors.map((a) => describeAnchor(a, fiscalYearEnd)),
        'and',
      )}`;
    case 'earliestOf':
      return `the earliest of ${joinOr(
        anchor.anchors.map((a) => describeAnchor(a, fiscalYearEnd)),
        'and',
      )}`;
    case 'add':
      return `${describeDuration(anchor.duration)} after ${describeAnchor(anchor.to, fiscalYearEnd)}`;
    case 'endOfYear':
      return anchor.fiscal
        ? `the end of the calendar year in which the fiscal year (ending ${fiscalYearEnd}) of ${describeAnchor(anchor.of, fiscalYearEnd)} ends`
        : `the end of the calendar year of ${describeAnchor(anchor.of, fiscalYearEnd)}`;
    case 'endOfFiscalYear':
      return `the end of the fiscal year (ending ${fiscalYearEnd}) of ${describeAnchor(anchor.of, fiscalYearEnd)}`;
  }
}

export function describeRule(rule: Rule, fiscalYearEnd: string): string {
  if (rule.kind === 'indefinite') return `indefinitely (${rule.justification})`;
  const anchor = describeAnchor(rule.from, fiscalYearEnd);
  if (isZero(rule.keep)) return `until ${anchor}`;
  return `${describeDuration(rule.keep)} after ${anchor}`;
}

function joinOr(parts: readonly string[], word: string): string {
  return parts.length <= 1 ? parts.join('') : `${parts.slice(0, -1).join(', ')} ${word} ${parts[parts.length - 1]}`;
}

export function describeCondition(condition: Condition): string {
  switch (condition.kind) {
    case 'occurred':
      return `${condition.event} occurred`;
    case 'not':
      return condition.condition.kind === 'occurred'
        ? `${condition.condition.event} has not occurred`
        : `not (${describeCondition(condition.condition)})`;
    case 'allOf':
      return condition.conditions.map(describeCondition).join(' and ');
    case 'anyOf':
      return condition.conditions.map(describeCondition).join(' or ');
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Time limits for the register (spec 2.6): worded with the events' descriptions, in English or Swedish, and never
// nested. `describeRule` and `describeCondition` above stay as they are: the per-holding explanations use them.
// ---------------------------------------------------------------------------------------------------------------

/** The languages time limits are worded in. */
export type TimeLimitLang = 'en' | 'sv';

export interface TimeLimitContext {
  readonly lang: TimeLimitLang;
  /** Each declared event's description (spec 2.6); an event without one is named by its id, in quotes. */
  readonly eventDescriptions: Readonly<Record<string, string | undefined>>;
}

const ZERO = Temporal.Duration.from('PT0S');

/**
 * An anchor with its add-chains folded in: a point (collection, an event, a year end) or the later / earlier of
 * several, shifted by `after`. A compound either lifts one shift shared by all its terms (`after`, its terms
 * unshifted and themselves unshifted all the way down) or has distributed its shift into its terms (`after` zero).
 */
type Point =
  | { readonly kind: 'collected' }
  | { readonly kind: 'event'; readonly event: string }
  | { readonly kind: 'endOfYear'; readonly of: Term; readonly fiscal: boolean }
  | { readonly kind: 'endOfFiscalYear'; readonly of: Term };
type Term =
  | { readonly kind: 'point'; readonly point: Point; readonly after: Temporal.Duration }
  | { readonly kind: 'latest' | 'earliest'; readonly terms: readonly Term[]; readonly after: Temporal.Duration };

/**
 * Adds two durations unit by unit (P12M + P12M = P24M). The engine adds them one after the other; at a month's
 * end the two can differ by a day (2024-02-29 + P1Y + P1M is 03-28, + P1Y1M is 03-29), which the wording of a
 * time limit does not try to show.
 */
function sum(a: Temporal.Duration, b: Temporal.Duration): Temporal.Duration {
  const years = a.years + b.years;
  const months = a.months + b.months;
  // P1Y + P12M reads "2 years", not "1 year and 12 months"; P12M + P12M stays "24 months", as policies write it.
  const carried = years > 0 ? Math.floor(months / 12) : 0;
  return new Temporal.Duration(
    years + carried,
    months - carried * 12,
    a.weeks + b.weeks,
    a.days + b.days,
    a.hours + b.hours,
    a.minutes + b.minutes,
    a.seconds + b.seconds,
    a.milliseconds + b.milliseconds,
  );
}

/** A term without any shift, anywhere inside it except inside year ends (which are points of their own). */
function isClean(term: Term): boolean {
  return term.after.blank && (term.kind === 'point' || term.terms.every(isClean));
}

function shift(term: Term, by: Temporal.Duration): Term {
  if (by.blank) return term;
  if (term.kind === 'point' || term.terms.every(isClean)) return { ...term, after: sum(term.after, by) };
  return { ...term, terms: term.terms.map((t) => shift(t, by)) };
}

function normalise(anchor: Anchor, after: Temporal.Duration): Term {
  switch (anchor.kind) {
    case 'collected':
      return { kind: 'point', point: { kind: 'collected' }, after };
    case 'event':
      return { kind: 'point', point: { kind: 'event', event: anchor.event }, after };
    case 'add':
      return normalise(anchor.to, sum(parseDuration(anchor.duration), after));
    case 'endOfYear':
      return { kind: 'point', point: { kind: 'endOfYear', of: normalise(anchor.of, ZERO), fiscal: anchor.fiscal }, after };
    case 'endOfFiscalYear':
      return { kind: 'point', point: { kind: 'endOfFiscalYear', of: normalise(anchor.of, ZERO) }, after };
    case 'latestOf':
    case 'earliestOf': {
      const kind = anchor.kind === 'latestOf' ? 'latest' : 'earliest';
      // The later of (the later of a and b) and c is the later of a, b and c; a shift moves every term alike.
      const terms = anchor.anchors
        .map((a) => normalise(a, ZERO))
        .flatMap((t) => (t.kind === kind ? t.terms.map((inner) => shift(inner, t.after)) : [t]));
      const shared = terms[0].after.toString();
      if (terms.every((t) => t.after.toString() === shared) && terms.every((t) => isClean({ ...t, after: ZERO }))) {
        return { kind, terms: terms.map((t) => ({ ...t, after: ZERO })), after: sum(terms[0].after, after) };
      }
      return { kind, terms: terms.map((t) => shift(t, after)), after: ZERO };
    }
  }
}

interface Words {
  readonly collection: string;
  readonly requestHandled: string;
  readonly unknownEvent: (id: string) => string;
  readonly event: (description: string) => string;
  /** A description written as a clause ("the order is delivered and paid") where a noun phrase is needed. */
  readonly clauseNoun: (clause: string) => string;
  readonly clauseOccurred: (clause: string) => string;
  readonly clauseNotOccurred: (clause: string) => string;
  readonly endOfYear: (of: string) => string;
  readonly endOfYearFiscal: (of: string) => string;
  readonly endOfFiscalYear: (of: string) => string;
  readonly after: string;
  readonly from: string;
  readonly until: string;
  readonly dateAfter: (duration: string, anchor: string) => string;
  readonly laterOf: string;
  readonly earlierOf: string;
  readonly whicheverLater: string;
  readonly whicheverEarlier: string;
  readonly and: string;
  readonly or: string;
  readonly indefinitely: (justification: string) => string;
  readonly perItem: string;
  readonly if: string;
  readonly otherwiseIf: string;
  readonly otherwise: string;
  readonly occurred: (event: string) => string;
  readonly unknownOccurred: (id: string) => string;
  readonly notOccurred: (event: string) => string;
  readonly unknownNotOccurred: (id: string) => string;
  readonly not: string;
  readonly duration: (iso: string) => string;
}

const WORDS: Record<TimeLimitLang, Words> = {
  en: {
    collection: 'collection',
    requestHandled: "the handling of the data subject's request",
    unknownEvent: (id) => `the latest "${id}" event`,
    event: (description) => description,
    clauseNoun: (clause) => `the day ${clause}`,
    clauseOccurred: (clause) => clause,
    clauseNotOccurred: (clause) => `it has not yet happened that ${clause}`,
    endOfYear: (of) => `the end of the calendar year of ${of}`,
    endOfYearFiscal: (of) => `the end of the calendar year in which the fiscal year of ${of} ended`,
    endOfFiscalYear: (of) => `the end of the fiscal year of ${of}`,
    after: 'after',
    from: 'from',
    until: 'until',
    dateAfter: (duration, anchor) => `the date ${duration} after ${anchor}`,
    laterOf: 'the later of',
    earlierOf: 'the earlier of',
    whicheverLater: 'whichever is later',
    whicheverEarlier: 'whichever is earlier',
    and: 'and',
    or: 'or',
    indefinitely: (justification) => `indefinitely (${justification})`,
    perItem: 'counted separately for each item',
    if: 'if',
    otherwiseIf: 'otherwise, if',
    otherwise: 'otherwise',
    occurred: (event) => `${event} has occurred`,
    unknownOccurred: (id) => `a "${id}" event has occurred`,
    notOccurred: (event) => `${event} has not occurred`,
    unknownNotOccurred: (id) => `no "${id}" event has occurred`,
    not: 'not',
    duration: describeDuration,
  },
  sv: {
    collection: 'insamlingen',
    requestHandled: 'hanteringen av den registrerades begäran',
    unknownEvent: (id) => `den senaste händelsen ”${id}”`,
    // The policy's descriptions are English: quoted as written.
    event: (description) => `”${description}”`,
    // Quoted, a clause reads as well as a noun phrase.
    clauseNoun: (clause) => clause,
    clauseOccurred: (clause) => `${clause} har inträffat`,
    clauseNotOccurred: (clause) => `${clause} inte har inträffat`,
    endOfYear: (of) => `utgången av kalenderåret för ${of}`,
    endOfYearFiscal: (of) => `utgången av det kalenderår då räkenskapsåret för ${of} avslutades`,
    endOfFiscalYear: (of) => `utgången av räkenskapsåret för ${of}`,
    after: 'efter',
    from: 'från',
    until: 'fram till',
    dateAfter: (duration, anchor) => `tidpunkten ${duration} efter ${anchor}`,
    laterOf: 'den senare av',
    earlierOf: 'den tidigare av',
    whicheverLater: 'beroende på vilket som inträffar senast',
    whicheverEarlier: 'beroende på vilket som inträffar först',
    and: 'och',
    or: 'eller',
    indefinitely: (justification) => `tills vidare (${justification})`,
    perItem: 'räknas separat för varje enskild post',
    if: 'om',
    otherwiseIf: 'annars, om',
    otherwise: 'annars',
    occurred: (event) => `${event} har inträffat`,
    unknownOccurred: (id) => `händelsen ”${id}” har inträffat`,
    notOccurred: (event) => `${event} inte har inträffat`,
    unknownNotOccurred: (id) => `händelsen ”${id}” inte har inträffat`,
    not: 'inte',
    duration: describeDurationSv,
  },
};

const SV_UNITS = [
  ['years', 'år', 'år'],
  ['months', 'månad', 'månader'],
  ['weeks', 'vecka', 'veckor'],
  ['days', 'dag', 'dagar'],
  ['hours', 'timme', 'timmar'],
  ['minutes', 'minut', 'minuter'],
  ['seconds', 'sekund', 'sekunder'],
] as const;

/** `P7Y` → "7 år"; `P1Y6M` → "1 år och 6 månader"; `P0D` → "0 dagar". */
export function describeDurationSv(iso: string): string {
  const d = parseDuration(iso);
  const parts = SV_UNITS.filter(([unit]) => d[unit] !== 0).map(([unit, one, many]) => `${d[unit]} ${d[unit] === 1 ? one : many}`);
  if (parts.length === 0) return '0 dagar';
  return parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} och ${parts[parts.length - 1]}`;
}

const FINITE_VERBS = new Set(['is', 'are', 'was', 'were', 'has', 'have', 'had', 'gets', 'got', 'becomes', 'became']);

/**
 * Whether a description is a clause ("the order is delivered and paid", as spec 2.6 writes one) rather than a noun
 * phrase ("the delivery of the order"): a finite verb among its first five words, after the first.
 */
export function isClause(description: string): boolean {
  return description
    .split(/\s+/)
    .slice(1, 5)
    .some((word) => FINITE_VERBS.has(word.toLowerCase()));
}

function list(parts: readonly string[], word: string): string {
  return parts.length <= 1 ? parts.join('') : `${parts.slice(0, -1).join(', ')} ${word} ${parts[parts.length - 1]}`;
}

class TimeLimitWords {
  private readonly w: Words;

  public constructor(private readonly context: TimeLimitContext) {
    this.w = WORDS[context.lang];
  }

  /** `direct`: the sole object of "after" / "until", where a clause reads as it is. */
  private eventNoun(event: string, direct = false): string {
    const description = this.context.eventDescriptions[event];
    if (description !== undefined) {
      return !direct && isClause(description) ? this.w.event(this.w.clauseNoun(description)) : this.w.event(description);
    }
    if (event === REQUEST_HANDLED) return this.w.requestHandled;
    if (event === COLLECTED) return this.w.collection;
    return this.w.unknownEvent(event);
  }

  private pointNoun(point: Point, direct = false): string {
    switch (point.kind) {
      case 'collected':
        return this.w.collection;
      case 'event':
        return this.eventNoun(point.event, direct);
      case 'endOfYear':
        return point.fiscal ? this.w.endOfYearFiscal(this.noun(point.of)) : this.w.endOfYear(this.noun(point.of));
      case 'endOfFiscalYear':
        return this.w.endOfFiscalYear(this.noun(point.of));
    }
  }

  /** A term as a noun phrase, for inside a year end or a "the later of". */
  private noun(term: Term): string {
    const base =
      term.kind === 'point'
        ? this.pointNoun(term.point)
        : `${term.kind === 'latest' ? this.w.laterOf : this.w.earlierOf} ${list(
            term.terms.map((t) => this.noun(t)),
            this.w.and,
          )}`;
    return term.after.blank ? base : this.w.dateAfter(this.w.duration(term.after.toString()), base);
  }

  /** "after" an event or collection, "from" a year end ("7 years from the end of the calendar year ..."). */
  private preposition(term: Term): string {
    const boundary = (t: Term): boolean =>
      t.kind === 'point' ? t.point.kind !== 'collected' && t.point.kind !== 'event' : t.terms.every(boundary);
    return boundary(term) ? this.w.from : this.w.after;
  }

  /** A term as a time limit: "until X", "12 months after X", "A or B, whichever is later". */
  private limit(term: Term, shiftWord: boolean): string {
    if (term.kind === 'point') {
      // Bare in a list of alternatives ("A or B, whichever is later"), the point is a noun among nouns.
      const noun = this.pointNoun(term.point, shiftWord || !term.after.blank);
      if (term.after.blank) return shiftWord ? `${this.w.until} ${noun}` : noun;
      return `${this.w.duration(term.after.toString())} ${this.preposition(term)} ${noun}`;
    }
    const whichever = term.kind === 'latest' ? this.w.whicheverLater : this.w.whicheverEarlier;
    if (term.terms.every(isClean)) {
      const alternatives = `${list(
        term.terms.map((t) => this.noun(t)),
        this.w.or,
      )}, ${whichever}`;
      if (term.after.blank) return shiftWord ? `${this.w.until} ${alternatives}` : alternatives;
      return `${this.w.duration(term.after.toString())} ${this.preposition(term)} ${alternatives}`;
    }
    // Each term has its own shift: "3 months after collection or 24 months after the latest contact, whichever is later".
    // (A shift over such terms is carried into each of them, never dropped.)
    if (!term.after.blank) return this.limit(shift({ ...term, after: ZERO }, term.after), shiftWord);
    const alternatives = `${list(
      term.terms.map((t) => (t.kind === 'point' ? this.limit(t, false) : this.noun(t))),
      this.w.or,
    )}, ${whichever}`;
    const bare = term.terms.some((t) => t.kind === 'point' && t.after.blank);
    return bare && shiftWord ? `${this.w.until} ${alternatives}` : alternatives;
  }

  public rule(rule: Rule): string {
    if (rule.kind === 'indefinite') return this.w.indefinitely(rule.justification);
    return this.limit(normalise(rule.from, parseDuration(rule.keep)), true);
  }

  public condition(condition: Condition, nested = false): string {
    switch (condition.kind) {
      case 'occurred':
        return this.occurred(condition.event, false);
      case 'not':
        return condition.condition.kind === 'occurred'
          ? this.occurred(condition.condition.event, true)
          : `${this.w.not} (${this.condition(condition.condition)})`;
      case 'allOf':
      case 'anyOf': {
        const text = list(
          condition.conditions.map((c) => this.condition(c, true)),
          condition.kind === 'allOf' ? this.w.and : this.w.or,
        );
        return nested && condition.conditions.length > 1 ? `(${text})` : text;
      }
    }
  }

  private occurred(event: string, negated: boolean): string {
    const known = this.context.eventDescriptions[event] !== undefined || event === REQUEST_HANDLED || event === COLLECTED;
    if (!known) return negated ? this.w.unknownNotOccurred(event) : this.w.unknownOccurred(event);
    const description = this.context.eventDescriptions[event];
    if (description !== undefined && isClause(description)) {
      const clause = this.w.event(description);
      return negated ? this.w.clauseNotOccurred(clause) : this.w.clauseOccurred(clause);
    }
    const noun = this.eventNoun(event);
    return negated ? this.w.notOccurred(noun) : this.w.occurred(noun);
  }

  public retention(retention: Retention, per: 'subject' | 'item'): string {
    const { cases } = retention;
    const text =
      cases.length === 1
        ? this.rule(cases[0].rule)
        : cases
            .map((c, i) =>
              c.when
                ? `${i === 0 ? this.w.if : this.w.otherwiseIf} ${this.condition(c.when)}: ${this.rule(c.rule)}`
                : `${this.w.otherwise}: ${this.rule(c.rule)}`,
            )
            .join('; ');
    // An indefinite rule keeps no clock, so it has none per item either.
    const clock = cases.some((c) => c.rule.kind !== 'indefinite');
    const withItem = per === 'item' && clock ? `${text} (${this.w.perItem})` : text;
    return withItem.replace(/^\p{Ll}/u, (c) => c.toUpperCase());
  }
}

/**
 * A purpose's time limit for the register (spec 2.6, Art. 30(1)(f)), in `lang`: events named by their
 * descriptions, add-chains summed ("24 months after the latest contact with us", never "12 months after 12 months
 * after"), `latestOf` / `earliestOf` as "whichever is later / earlier", year ends as the Bookkeeping Act words them,
 * and "counted separately for each item" where the purpose keeps a clock per item.
 */
export function describeTimeLimit(retention: Retention, per: 'subject' | 'item', context: TimeLimitContext): string {
  return new TimeLimitWords(context).retention(retention, per);
}

/** One rule as a time limit, without the capital letter and the per-item note. */
export function describeTimeLimitRule(rule: Rule, context: TimeLimitContext): string {
  return new TimeLimitWords(context).rule(rule);
}
