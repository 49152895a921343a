/**
 * The rules of the spec that relate one part of a policy to another: references between sections, the
 * region rules, legal-basis requirements, the shape of `cases`. They run on the raw document, independently
 * of the schema, so that one broken purpose does not hide the problems of the others: the author sees every
 * error at once.
 */
import { Temporal } from '@js-temporal/polyfill';
import { connectorRegistry, type ConnectorRegistry } from '../connectors/registry';
import { allowedRegions, ADEQUACY_REGIONS, parseLocation } from './regions';
import { COLLECTED, IDENTIFIER_PATTERN, LEGAL_BASES, REQUEST_HANDLED } from './schema';
import type { RawIssue } from './schema-issues';
import type { PathSegment } from './source';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNonEmptyStr = (v: unknown): v is string => typeof v === 'string' && v.trim().length > 0;
const list = (values: Iterable<string>): string => {
  const all = [...values];
  return all.length === 0 ? '(none declared)' : all.join(', ');
};

/**
 * Connector configs are not defined by the specification, so a config Lethe's built-in connector cannot use
 * is a warning when validating (the policy is valid) and an error when deploying (see `connectorConfigIssues`).
 * Each system's config is checked against its type's schema in the connector registry (any registered type).
 */
export function connectorConfigIssues(doc: unknown, connectors: ConnectorRegistry = connectorRegistry): RawIssue[] {
  const issues: RawIssue[] = [];
  if (!isObj(doc) || !isObj(doc.systems)) return issues;
  for (const [id, system] of Object.entries(doc.systems)) {
    const descriptor = isObj(system) && isStr(system.connector) ? connectors.find(system.connector) : undefined;
    if (!isObj(system) || !descriptor) continue;
    const schema = descriptor.configSchema;
    if (system.config === undefined) {
      issues.push({
        path: ['systems', id],
        message: `system "${id}" has no config: the ${descriptor.type} connector needs one to be deployed`,
      });
      continue;
    }
    const result = schema.safeParse(system.config);
    if (result.success) continue;
    for (const issue of result.error.issues) {
      const path: PathSegment[] = ['systems', id, 'config', ...(issue.path as PathSegment[])];
      const message =
        issue.code === 'unrecognized_keys'
          ? `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')} for the ${descriptor.type} connector`
          : `${issue.message} (${descriptor.type} connector)`;
      issues.push({ path, message });
    }
  }
  return issues;
}

/**
 * Systems whose connector cannot verify its erasures (issue 19; the descriptor's `verifies`): `lethe validate --deploy`
 * lists each as a warning (the policy stays valid), since their erasures are recorded `unverified`. A system whose config
 * does not fit its type is left to `connectorConfigIssues`.
 */
export function verificationWarnings(doc: unknown, connectors: ConnectorRegistry = connectorRegistry): RawIssue[] {
  const issues: RawIssue[] = [];
  if (!isObj(doc) || !isObj(doc.systems)) return issues;
  for (const [id, system] of Object.entries(doc.systems)) {
    const descriptor = isObj(system) && isStr(system.connector) ? connectors.find(system.connector) : undefined;
    if (!isObj(system) || !descriptor) continue;
    const config = descriptor.configSchema.safeParse(system.config);
    if (!config.success || descriptor.verifies?.(config.data) === true) continue;
    issues.push({
      path: ['systems', id],
      warning: true,
      message: `system "${id}" (${descriptor.type} connector) cannot verify its erasures: they are recorded "unverified"${
        descriptor.type === 'http' || descriptor.type === 'lambda'
          ? ' (once its ' +
            (descriptor.type === 'http' ? 'webhook answers' : 'function implements') +
            ' the verify operation, set config.verify: true; docs/connectors.md, "Verification")'
          : ''
      }`,
    });
  }
  return issues;
}

export function semanticChecks(doc: unknown): RawIssue[] {
  const issues: RawIssue[] = [];
  if (!isObj(doc)) {
    const empty = doc === null || doc === undefined;
    issues.push({
      path: [],
      message: empty
        ? 'the policy is empty: expected a YAML mapping (or JSON object) with version, controller, timezone, systems and purposes'
        : 'expected the policy to be an object (a YAML mapping or a JSON object)',
    });
    return issues;
  }
  const report = (path: PathSegment[], message: string, atKey = false) => issues.push({ path, message, atKey });
  const warn = (path: PathSegment[], message: string) => issues.push({ path, message, warning: true });
  // Version 2 rules apply to version 2 files; anything else is checked as version 1 (the schema reports a bad version).
  const version = doc.version === 2 ? 2 : 1;

  checkTimezone(doc.timezone, report);
  checkFiscalYearEnd(doc.fiscalYearEnd, report);
  checkRegions(doc.deployment, report);

  const events = new Set<string>();
  const declare = (e: string, path: PathSegment[], atKey: boolean) => {
    if (e === COLLECTED) report(path, `"${COLLECTED}" is built in and must not be declared`, atKey);
    else if (e === REQUEST_HANDLED && version === 2) {
      report(path, `"${REQUEST_HANDLED}" is built in (Lethe records it when a request completes) and must not be declared`, atKey);
    } else if (events.has(e)) report(path, `event type "${e}" is declared twice`, atKey);
    else events.add(e);
  };
  if (Array.isArray(doc.events)) doc.events.forEach((e, i) => isStr(e) && declare(e, ['events', i], false));
  else if (isObj(doc.events)) for (const e of Object.keys(doc.events)) declare(e, ['events', e], true);
  const categories = new Set(isObj(doc.categories) ? Object.keys(doc.categories) : []);
  const special = new Set(
    isObj(doc.categories) ? Object.entries(doc.categories).flatMap(([id, c]) => (isObj(c) && c.special === true ? [id] : [])) : [],
  );
  const systems = new Set(isObj(doc.systems) ? Object.keys(doc.systems) : []);

  if (isObj(doc.systems)) {
    for (const [id, system] of Object.entries(doc.systems)) {
      if (isObj(system)) checkSystem(id, system, categories, report);
    }
  }
  if (isObj(doc.purposes)) {
    for (const [id, purpose] of Object.entries(doc.purposes)) {
      if (isObj(purpose)) checkPurpose(id, purpose, { events, categories, special, systems, version }, report, warn);
    }
    if (version === 1) warnVersion1(doc.purposes, warn);
  }
  return issues;
}

/**
 * Spec 2.1: a version 1 file counts an event even when it happened before a holding's collection, so a returning
 * customer's new data can expire from the old relationship's end. Said once, naming the purposes whose rules
 * use events.
 */
function warnVersion1(purposes: Obj, warn: Report): void {
  const affected = Object.entries(purposes).flatMap(([id, p]) => {
    const events = isObj(p) && isObj(p.retention) ? eventsNamed(p.retention) : [];
    return events.length > 0 ? [{ id, events }] : [];
  });
  if (affected.length === 0) return;
  const events = [...new Set(affected.flatMap((a) => a.events))].sort();
  const ids = affected.map((a) => a.id);
  const shown = ids.length > 5 ? `${ids.slice(0, 5).join(', ')} and ${ids.length - 5} more` : ids.join(', ');
  warn(
    ['version'],
    `version 1 counts an event even when it happened before a holding's collection (${events.map((e) => `"${e}"`).join(', ')} ` +
      `in purposes ${shown}), so data collected after an earlier event can expire from it; version 2 counts events only from ` +
      'collection (spec 2.1): set `version: 2`',
  );
}

/** The event types (other than `collected`) a retention names, at any depth, in anchors, `until` and conditions. */
function eventsNamed(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => eventsNamed(n, found));
  else if (isObj(node)) {
    for (const [key, value] of Object.entries(node)) {
      const names = ['until', 'occurred', 'event', 'from', 'to', 'endOfYear', 'endOfFiscalYear'].includes(key);
      if (names && isStr(value) && value !== COLLECTED && !found.includes(value)) found.push(value);
      else if (key !== 'keep' && key !== 'justification') eventsNamed(value, found);
    }
  }
  return found;
}

type Report = (path: PathSegment[], message: string, atKey?: boolean) => void;

function checkTimezone(timezone: unknown, report: Report): void {
  if (!isNonEmptyStr(timezone)) return; // the schema reports it
  if (!/^[A-Za-z]/.test(timezone)) {
    report(['timezone'], `expected an IANA time zone such as Europe/Stockholm, got "${timezone}" (a fixed offset is not a time zone)`);
    return;
  }
  try {
    Temporal.PlainDate.from('2000-01-01').toZonedDateTime(timezone);
  } catch {
    report(['timezone'], `unknown IANA time zone "${timezone}"; expected a name such as Europe/Stockholm`);
  }
}

function checkFiscalYearEnd(value: unknown, report: Report): void {
  if (!isStr(value) || !/^\d\d-\d\d$/.test(value)) return; // the schema reports it
  const [month, day] = value.split('-').map(Number);
  try {
    Temporal.PlainMonthDay.from({ monthCode: `M${String(month).padStart(2, '0')}`, day }, { overflow: 'reject' });
  } catch {
    report(['fiscalYearEnd'], `"${value}" is not a day of the year; expected "MM-DD" such as "12-31" or "06-30"`);
  }
}

function checkRegions(deployment: unknown, report: Report): void {
  if (!isObj(deployment) || !Array.isArray(deployment.regions)) return;
  const adequacy = deployment.allowAdequacyRegions === true;
  const allowed = allowedRegions(adequacy);
  deployment.regions.forEach((region, i) => {
    if (!isStr(region) || allowed.includes(region)) return;
    const hint =
      !adequacy && (ADEQUACY_REGIONS as readonly string[]).includes(region)
        ? ` (${region} is in an adequacy country: set deployment.allowAdequacyRegions: true to admit it)`
        : '';
    report(['deployment', 'regions', i], `region "${region}" is outside the EU/EEA${hint}; expected one of: ${allowed.join(', ')}`);
  });
}

function checkSystem(id: string, system: Obj, categories: Set<string>, report: Report): void {
  if (isNonEmptyStr(system.location)) {
    const location = parseLocation(system.location);
    if (!location) {
      report(
        ['systems', id, 'location'],
        `"${system.location}" is neither a known AWS region (e.g. eu-north-1) nor an ISO 3166 alpha-2 country code (e.g. SE, US)`,
      );
    } else if (!location.inEuEea && !isNonEmptyStr(system.transferSafeguard)) {
      report(
        ['systems', id, 'transferSafeguard'],
        `system "${id}" is located in ${system.location}, outside the EU/EEA: a third-country transfer needs transferSafeguard (e.g. "EU-US DPF", "SCC")`,
      );
    }
  }
  if (isObj(system.fields)) {
    for (const [name, field] of Object.entries(system.fields)) {
      if (isObj(field) && isStr(field.category) && IDENTIFIER_PATTERN.test(field.category) && !categories.has(field.category)) {
        report(
          ['systems', id, 'fields', name, 'category'],
          `unknown category "${field.category}"; declared categories: ${list(categories)}`,
        );
      }
    }
  }
}

interface Declared {
  readonly events: Set<string>;
  readonly categories: Set<string>;
  /** The categories declared `special: true` (Art. 9). */
  readonly special: Set<string>;
  readonly systems: Set<string>;
  readonly version: 1 | 2;
}

function checkPurpose(id: string, purpose: Obj, declared: Declared, report: Report, warn: Report): void {
  const at = (...rest: PathSegment[]): PathSegment[] => ['purposes', id, ...rest];
  checkReferences(purpose.categories, declared.categories, 'category', at('categories'), report);
  checkReferences(purpose.systems, declared.systems, 'system', at('systems'), report);

  const bases = isStr(purpose.legalBasis) ? [purpose.legalBasis] : Array.isArray(purpose.legalBasis) ? purpose.legalBasis : [];
  if (Array.isArray(purpose.legalBasis)) {
    bases.forEach((b, i) => {
      if (isStr(b) && (LEGAL_BASES as readonly string[]).includes(b) && bases.indexOf(b) !== i) {
        report(at('legalBasis', i), `legal basis "${b}" is listed twice`);
      }
    });
  }
  const obligation = bases.includes('legal-obligation');
  if (obligation && !isNonEmptyStr(purpose.law)) {
    report(
      at('law'),
      'legalBasis legal-obligation needs `law`: the statute that obliges you to keep the data (e.g. "Bokföringslagen (1999:1078) 7 kap. 2 §")',
    );
  }
  checkSpecialCategories(purpose, declared, at, report, warn);
  const explicit = purpose.onErasureRequest;
  const effective = explicit ?? (obligation ? 'retain' : 'erase');
  if (effective === 'retain' && !isNonEmptyStr(purpose.retainReason)) {
    const why =
      explicit === undefined ? 'onErasureRequest defaults to retain for legal-obligation, so it needs' : 'onErasureRequest retain needs';
    report(at('retainReason'), `${why} \`retainReason\`: the reason told to the data subject`);
  }
  if (isObj(purpose.retention)) checkRetention(purpose.retention, at('retention'), declared.events, report);
}

/** Spec 2.5: a purpose that uses a special category names its Art. 9(2) condition; an error in version 2, a warning in version 1. */
function checkSpecialCategories(
  purpose: Obj,
  declared: Declared,
  at: (...rest: PathSegment[]) => PathSegment[],
  report: Report,
  warn: Report,
): void {
  if (!Array.isArray(purpose.categories) || purpose.specialCategoryCondition !== undefined) return;
  const used = purpose.categories.filter((c): c is string => isStr(c) && declared.special.has(c));
  if (used.length === 0) return;
  const message =
    `purpose uses the special ${used.length === 1 ? 'category' : 'categories'} ${used.map((c) => `"${c}"`).join(', ')} (Art. 9): ` +
    'name its Art. 9(2) condition in `specialCategoryCondition` (e.g. explicit-consent, health-care, legal-claims)';
  (declared.version === 2 ? report : warn)(at('specialCategoryCondition'), message);
}

function checkReferences(values: unknown, declared: Set<string>, what: string, path: PathSegment[], report: Report): void {
  if (!Array.isArray(values)) return;
  const seen = new Set<string>();
  values.forEach((value, i) => {
    if (!isStr(value) || !IDENTIFIER_PATTERN.test(value)) return;
    if (!declared.has(value)) report([...path, i], `unknown ${what} "${value}"; declared: ${list(declared)}`);
    else if (seen.has(value)) report([...path, i], `${what} "${value}" is listed twice`);
    seen.add(value);
  });
}

function checkRetention(retention: Obj, path: PathSegment[], events: Set<string>, report: Report): void {
  const checkEvent = (value: unknown, at: PathSegment[]) => {
    if (isStr(value) && value !== COLLECTED && value !== REQUEST_HANDLED && IDENTIFIER_PATTERN.test(value) && !events.has(value)) {
      report(
        at,
        `unknown event type "${value}"; declared events: ${list(events)} (and the built-ins "${COLLECTED}", "${REQUEST_HANDLED}")`,
      );
    }
  };
  const walkAnchor = (anchor: unknown, at: PathSegment[]): void => {
    if (isStr(anchor)) {
      checkEvent(anchor, at);
      return;
    }
    if (!isObj(anchor)) return;
    if ('event' in anchor) checkEvent(anchor.event, [...at, 'event']);
    for (const key of ['latestOf', 'earliestOf']) {
      const anchors = anchor[key];
      if (Array.isArray(anchors)) anchors.forEach((a, i) => walkAnchor(a, [...at, key, i]));
    }
    for (const key of ['to', 'endOfYear', 'endOfFiscalYear']) if (key in anchor) walkAnchor(anchor[key], [...at, key]);
  };
  const walkCondition = (condition: unknown, at: PathSegment[]): void => {
    if (!isObj(condition)) return;
    if ('occurred' in condition) checkEvent(condition.occurred, [...at, 'occurred']);
    if ('not' in condition) walkCondition(condition.not, [...at, 'not']);
    for (const key of ['allOf', 'anyOf']) {
      const list = condition[key];
      if (Array.isArray(list)) list.forEach((c, i) => walkCondition(c, [...at, key, i]));
    }
  };
  const walkRule = (rule: Obj, at: PathSegment[]) => {
    if ('from' in rule) walkAnchor(rule.from, [...at, 'from']);
    if ('until' in rule) walkAnchor(rule.until, [...at, 'until']);
    if ('when' in rule) walkCondition(rule.when, [...at, 'when']);
  };

  if (!Array.isArray(retention.cases)) {
    walkRule(retention, path);
    return;
  }
  const cases = retention.cases;
  cases.forEach((c, i) => {
    if (!isObj(c)) return;
    walkRule(c, [...path, 'cases', i]);
    const last = i === cases.length - 1;
    if (last && 'when' in c) {
      report([...path, 'cases', i, 'when'], 'the last case is the default and must not have `when`; add a final case without `when`');
    } else if (!last && !('when' in c)) {
      report(
        [...path, 'cases', i],
        `only the last case may omit \`when\`: case ${i + 1} of ${cases.length} has no condition, so the cases after it could never apply`,
      );
    }
  });
}
