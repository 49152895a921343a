/**
 * `GET /console-api/policy`: the policy as the console shows it (ConsolePolicy), from the policy file the console
 * server was given. The words (the purpose's heading, its legal basis, its clock) are the register's own
 * (lib/register `buildRegister`), in English or Swedish, so that the console and the Art. 30 register never disagree.
 */
import type { Anchor, Policy, Retention } from '../policy/model';
import { COLLECTED } from '../policy/schema';
import { buildRegister, REGISTER_LANGS, type RegisterLang } from '../register/register';
import { isZero } from '../retention/durations';
import { Temporal } from '@js-temporal/polyfill';
import type { ConsolePolicy, DurationParts } from './contract';
import { ConsoleRequestError } from './errors';

/** `duration`, and its parts when there is one. */
const durationFields = (duration: string | null): { duration: string | null; keep?: DurationParts } =>
  duration === null ? { duration } : { duration, keep: durationParts(duration) };

/** The language asked for with `?lang=`: en (the default) or sv; anything else is a 400 naming the choices. */
export function consoleLang(value: string | null): RegisterLang {
  if (value === null || value === '') return 'en';
  if ((REGISTER_LANGS as readonly string[]).includes(value)) return value as RegisterLang;
  throw new ConsoleRequestError(400, 'invalid-input', `lang: expected one of ${REGISTER_LANGS.join(', ')}`);
}

/** The events an anchor waits for (its clock cannot start before them), in the order they appear. */
function anchorEvents(anchor: Anchor): string[] {
  switch (anchor.kind) {
    case 'collected':
      return [];
    case 'event':
      return anchor.event === COLLECTED ? [] : [anchor.event];
    case 'latestOf':
    case 'earliestOf':
      return anchor.anchors.flatMap(anchorEvents);
    case 'add':
      return anchorEvents(anchor.to);
    case 'endOfYear':
    case 'endOfFiscalYear':
      return anchorEvents(anchor.of);
  }
}

/** Every event some case of the retention starts its clock from, once each. */
export function waitsFor(retention: Retention): string[] {
  return [...new Set(retention.cases.flatMap((c) => (c.rule.kind === 'duration' ? anchorEvents(c.rule.from) : [])))];
}

/**
 * The duration of the default (last) case: null when it keeps indefinitely or only until its anchor (a zero
 * duration).
 */
export function defaultDuration(retention: Retention): string | null {
  const rule = retention.cases.at(-1)?.rule;
  if (!rule || rule.kind === 'indefinite' || isZero(rule.keep)) return null;
  return rule.keep;
}

/** A duration's parts that are not zero, from its ISO 8601 text (Temporal parses it). */
export function durationParts(duration: string): DurationParts {
  const d = Temporal.Duration.from(duration);
  const parts: Record<string, number> = { years: d.years, months: d.months, weeks: d.weeks, days: d.days, hours: d.hours };
  return Object.fromEntries(Object.entries(parts).filter(([, n]) => n !== 0));
}

export function consolePolicy(policy: Policy, policyHash: string, lang: RegisterLang): ConsolePolicy {
  const register = buildRegister(policy, policyHash, { lang });
  return {
    controller: policy.controller.name,
    policyHash,
    timeZone: policy.timezone,
    purposes: register.activities.map((activity) => {
      const purpose = policy.purposes[activity.purpose];
      return {
        id: purpose.id,
        name: activity.title,
        legalBasis: activity.legalBasis,
        ...(purpose.law === undefined ? {} : { law: purpose.law }),
        per: purpose.per,
        clock: activity.retention,
        waitsFor: waitsFor(purpose.retention),
        ...durationFields(defaultDuration(purpose.retention)),
        indefinite: purpose.retention.cases.at(-1)?.rule.kind === 'indefinite',
        onExpiry: purpose.onExpiry,
        systems: [...purpose.systems],
      };
    }),
  };
}
