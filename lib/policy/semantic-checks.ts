/**
 * The rules of the spec that relate one part of a policy to another: references between sections, the
 * region rules, legal-basis requirements, the shape of `cases`. They run on the raw document, independently
 * of the schema, so that one broken purpose does not hide the problems of the others: the author sees every
 * error at once.
 */
import { Temporal } from '@js-temporal/polyfill';
import { CONNECTOR_CONFIGS } from '../connectors/config';
import { allowedRegions, ADEQUACY_REGIONS, parseLocation } from './regions';
import { COLLECTED, IDENTIFIER_PATTERN } from './schema';
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
 */
export function connectorConfigIssues(doc: unknown): RawIssue[] {
  const issues: RawIssue[] = [];
  if (!isObj(doc) || !isObj(doc.systems)) return issues;
  for (const [id, system] of Object.entries(doc.systems)) {
    if (!isObj(system) || !isStr(system.connector) || !(system.connector in CONNECTOR_CONFIGS)) continue;
    const schema = CONNECTOR_CONFIGS[system.connector as keyof typeof CONNECTOR_CONFIGS];
    if (system.config === undefined) {
      issues.push({
        path: ['systems', id],
        message: `system "${id}" has no config: the ${system.connector} connector needs one to be deployed`,
      });
      continue;
    }
    const result = schema.safeParse(system.config);
    if (result.success) continue;
    for (const issue of result.error.issues) {
      const path: PathSegment[] = ['systems', id, 'config', ...(issue.path as PathSegment[])];
      const message =
        issue.code === 'unrecognized_keys'
          ? `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')} for the ${system.connector} connector`
          : `${issue.message} (${system.connector} connector)`;
      issues.push({ path, message });
    }
  }
  return issues;
}

export function semanticChecks(doc: unknown): RawIssue[] {
  const issues: RawIssue[] = [];
  if (!isObj(doc)) {
    issues.push({ path: [], message: 'expected the policy to be an object (a YAML mapping or a JSON object)' });
    return issues;
  }
  const report = (path: PathSegment[], message: string, atKey = false) => issues.push({ path, message, atKey });

  checkTimezone(doc.timezone, report);
  checkFiscalYearEnd(doc.fiscalYearEnd, report);
  checkRegions(doc.deployment, report);

  const events = new Set<string>();
  if (Array.isArray(doc.events)) {
    doc.events.forEach((e, i) => {
      if (!isStr(e)) return;
      if (e === COLLECTED) report(['events', i], `"${COLLECTED}" is built in and must not be declared`);
      else if (events.has(e)) report(['events', i], `event type "${e}" is declared twice`);
      else events.add(e);
    });
  }
  const categories = new Set(isObj(doc.categories) ? Object.keys(doc.categories) : []);
  const systems = new Set(isObj(doc.systems) ? Object.keys(doc.systems) : []);

  if (isObj(doc.systems)) {
    for (const [id, system] of Object.entries(doc.systems)) {
      if (isObj(system)) checkSystem(id, system, categories, report);
    }
  }
  if (isObj(doc.purposes)) {
    for (const [id, purpose] of Object.entries(doc.purposes)) {
      if (isObj(purpose)) checkPurpose(id, purpose, { events, categories, systems }, report);
    }
  }
  return issues;
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
  readonly systems: Set<string>;
}

function checkPurpose(id: string, purpose: Obj, declared: Declared, report: Report): void {
  const at = (...rest: PathSegment[]): PathSegment[] => ['purposes', id, ...rest];
  checkReferences(purpose.categories, declared.categories, 'category', at('categories'), report);
  checkReferences(purpose.systems, declared.systems, 'system', at('systems'), report);

  if (purpose.legalBasis === 'legal-obligation' && !isNonEmptyStr(purpose.law)) {
    report(
      at('law'),
      'legalBasis legal-obligation needs `law`: the statute that obliges you to keep the data (e.g. "Bokföringslagen (1999:1078) 7 kap. 2 §")',
    );
  }
  const explicit = purpose.onErasureRequest;
  const effective = explicit ?? (purpose.legalBasis === 'legal-obligation' ? 'retain' : 'erase');
  if (effective === 'retain' && !isNonEmptyStr(purpose.retainReason)) {
    const why =
      explicit === undefined ? 'onErasureRequest defaults to retain for legal-obligation, so it needs' : 'onErasureRequest retain needs';
    report(at('retainReason'), `${why} \`retainReason\`: the reason told to the data subject`);
  }
  if (isObj(purpose.retention)) checkRetention(purpose.retention, at('retention'), declared.events, report);
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
    if (isStr(value) && value !== COLLECTED && IDENTIFIER_PATTERN.test(value) && !events.has(value)) {
      report(at, `unknown event type "${value}"; declared events: ${list(events)} (and the built-in "${COLLECTED}")`);
    }
  };
  const walkAnchor = (anchor: unknown, at: PathSegment[]): void => {
    if (isStr(anchor)) return checkEvent(anchor, at);
    if (!isObj(anchor)) return;
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
    if ('until' in rule) checkEvent(rule.until, [...at, 'until']);
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
