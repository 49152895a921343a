/**
 * Retention rules in plain words, without dates: "10 years after the latest order-completed event". Used by
 * the register, where a DPO reads the policy rather than one subject's data.
 */
import type { Anchor, Condition, Retention, Rule } from '../policy/model';
import { describeDuration, isZero } from './durations';

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

/** The whole retention of a purpose: one rule, or "if ...: ...; otherwise: ...". */
export function describeRetention(retention: Retention, fiscalYearEnd: string): string {
  const { cases } = retention;
  if (cases.length === 1) return capitalise(describeRule(cases[0].rule, fiscalYearEnd));
  return cases
    .map((c, i) =>
      c.when
        ? `${i === 0 ? 'If' : 'otherwise, if'} ${whenWords(c.when)}: ${describeRule(c.rule, fiscalYearEnd)}`
        : `otherwise: ${describeRule(c.rule, fiscalYearEnd)}`,
    )
    .join('; ');
}

function whenWords(condition: Condition): string {
  return describeCondition(condition).replace(/(^|\s)([a-z][a-z0-9-]*) (occurred|has not occurred)/g, '$1"$2" $3');
}

function joinOr(parts: readonly string[], word: string): string {
  return parts.length <= 1 ? parts.join('') : `${parts.slice(0, -1).join(', ')} ${word} ${parts[parts.length - 1]}`;
}

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

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
