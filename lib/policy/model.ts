/**
 * The policy as the engine uses it: defaults applied, retention forms normalised into tagged unions.
 * Built from a document that has already passed validation (see `load.ts`).
 */
import type { AnchorInput, CaseInput, ConditionInput, PolicyDocumentOutput, RetentionInput, StrategyInput } from './schema';
import { allowedRegions } from './regions';
import { COLLECTED, type LEGAL_BASES, type PER, type SINCE, type SPECIAL_CATEGORY_CONDITIONS } from './schema';

export type PolicyVersion = 1 | 2;
export type LegalBasis = (typeof LEGAL_BASES)[number];
/** Which occurrences of an event count for a holding (spec 2.1). */
export type Since = (typeof SINCE)[number];
export type Per = (typeof PER)[number];
export type SpecialCategoryCondition = (typeof SPECIAL_CATEGORY_CONDITIONS)[number];
export type ConnectorType = PolicyDocumentOutput['systems'][string]['connector'];
export type ExpiryAction = 'erase' | 'anonymise';
export type ErasureRequestAction = ExpiryAction | 'retain';
export type Strategy = StrategyInput;

export type Anchor =
  | { readonly kind: 'collected' }
  | { readonly kind: 'event'; readonly event: string; readonly since: Since }
  | { readonly kind: 'latestOf'; readonly anchors: readonly Anchor[] }
  | { readonly kind: 'earliestOf'; readonly anchors: readonly Anchor[] }
  | { readonly kind: 'add'; readonly duration: string; readonly to: Anchor }
  | { readonly kind: 'endOfYear'; readonly of: Anchor; readonly fiscal: boolean }
  | { readonly kind: 'endOfFiscalYear'; readonly of: Anchor };

export type Condition =
  | { readonly kind: 'occurred'; readonly event: string; readonly since: Since }
  | { readonly kind: 'not'; readonly condition: Condition }
  | { readonly kind: 'allOf'; readonly conditions: readonly Condition[] }
  | { readonly kind: 'anyOf'; readonly conditions: readonly Condition[] };

/** Forms 1 to 3 of the spec. `until` is form 2, kept apart only so that explanations can say "until". */
export type Rule =
  | { readonly kind: 'duration'; readonly from: Anchor; readonly keep: string; readonly form: 'from' | 'until' }
  | { readonly kind: 'indefinite'; readonly justification: string };

export interface Case {
  /** Absent on the default (last) case. */
  readonly when?: Condition;
  readonly rule: Rule;
}

/** Form 4 is `cases`; forms 1 to 3 are a single case without a condition. */
export interface Retention {
  readonly cases: readonly Case[];
}

export interface FieldSpec {
  readonly name: string;
  readonly category: string;
  /** Absent: the field is removed when anonymised. */
  readonly anonymise?: Strategy;
}

export interface SystemSpec {
  readonly id: string;
  readonly description?: string;
  readonly connector: ConnectorType;
  readonly location: string;
  readonly transferSafeguard?: string;
  readonly processor?: string;
  readonly config: Readonly<Record<string, unknown>>;
  /** In declaration order. */
  readonly fields: readonly FieldSpec[];
  /** How long the system's longest backup is kept (ISO 8601 duration); absent: DEFAULT_BACKUP_RETENTION (backupRetentionOf). */
  readonly backupRetention?: string;
}

/** DynamoDB's longest point-in-time recovery window: a system's backup retention when the policy does not say. */
export const DEFAULT_BACKUP_RETENTION = 'P35D';

/** A system's backup retention: what the policy declares, else DEFAULT_BACKUP_RETENTION. */
export const backupRetentionOf = (system: Pick<SystemSpec, 'backupRetention'>): string =>
  system.backupRetention ?? DEFAULT_BACKUP_RETENTION;

export interface PurposeSpec {
  readonly id: string;
  readonly description?: string;
  /** One or more (spec 2.5), in the policy's order. */
  readonly legalBases: readonly LegalBasis[];
  readonly law?: string;
  /** `item`: a clock per item, and `ref` required on every holding (spec 2.2). */
  readonly per: Per;
  /** The Art. 9(2) condition, where the purpose uses a special category (spec 2.5). */
  readonly specialCategoryCondition?: SpecialCategoryCondition;
  readonly categories: readonly string[];
  readonly systems: readonly string[];
  readonly retention: Retention;
  readonly onExpiry: ExpiryAction;
  readonly onErasureRequest: ErasureRequestAction;
  readonly retainReason?: string;
  readonly recipients: readonly string[];
  readonly dataSubjects: readonly string[];
}

export interface Contact {
  readonly name: string;
  readonly contact: string;
}

export interface Policy {
  readonly version: PolicyVersion;
  readonly controller: {
    readonly name: string;
    readonly id?: string;
    readonly contact: string;
    readonly supervisoryAuthority?: string;
    readonly dpo?: { readonly name?: string; readonly contact: string };
    readonly representative?: Contact;
    readonly jointControllers: readonly (Contact & { readonly responsibility: string })[];
  };
  readonly timezone: string;
  /** MM-DD. */
  readonly fiscalYearEnd: string;
  readonly deployment: {
    readonly regions: readonly string[];
    readonly allowAdequacyRegions: boolean;
    /** The processor hosting Lethe, listed in the register; null when the policy leaves it out. */
    readonly processor: string | null;
  };
  /** The declared event types, in declaration order (not the built-ins). */
  readonly events: readonly string[];
  /** Each declared event's description, where the policy gives one (spec 2.6). */
  readonly eventDescriptions: Readonly<Record<string, string | undefined>>;
  /** The controller's own security measures (spec 2.6). */
  readonly security: readonly string[];
  readonly categories: Readonly<Record<string, { readonly description?: string; readonly special: boolean }>>;
  readonly systems: Readonly<Record<string, SystemSpec>>;
  readonly purposes: Readonly<Record<string, PurposeSpec>>;
}

export const DEFAULT_FISCAL_YEAR_END = '12-31';
/** Who hosts Lethe when the policy does not say (spec 2.6): the AWS contracting party for EU customers. */
export const DEFAULT_DEPLOYMENT_PROCESSOR = 'Amazon Web Services EMEA SARL';

/** Spec 2.1: version 2 counts an event only from the holding's collection; version 1 counts every occurrence. */
export function defaultSince(version: PolicyVersion): Since {
  return version >= 2 ? 'collected' : 'any';
}

/** Builds an anchor; an event without an explicit `since` takes the version's default. */
export function toAnchor(input: AnchorInput, since: Since = 'any'): Anchor {
  const inner = (a: AnchorInput) => toAnchor(a, since);
  if (typeof input === 'string') return input === COLLECTED ? { kind: 'collected' } : { kind: 'event', event: input, since };
  if ('event' in input) {
    return input.event === COLLECTED ? { kind: 'collected' } : { kind: 'event', event: input.event, since: input.since ?? since };
  }
  if ('latestOf' in input) return { kind: 'latestOf', anchors: input.latestOf.map(inner) };
  if ('earliestOf' in input) return { kind: 'earliestOf', anchors: input.earliestOf.map(inner) };
  if ('add' in input) return { kind: 'add', duration: input.add, to: inner(input.to) };
  if ('endOfYear' in input) return { kind: 'endOfYear', of: inner(input.endOfYear), fiscal: input.fiscal ?? false };
  return { kind: 'endOfFiscalYear', of: inner(input.endOfFiscalYear) };
}

export function toCondition(input: ConditionInput, since: Since = 'any'): Condition {
  const inner = (c: ConditionInput) => toCondition(c, since);
  if ('occurred' in input) return { kind: 'occurred', event: input.occurred, since: input.since ?? since };
  if ('not' in input) return { kind: 'not', condition: inner(input.not) };
  if ('allOf' in input) return { kind: 'allOf', conditions: input.allOf.map(inner) };
  return { kind: 'anyOf', conditions: input.anyOf.map(inner) };
}

/** A simple rule or a case; a case's `when` is read by the caller. */
function toRule(input: CaseInput, since: Since): Rule {
  if ('indefinite' in input) return { kind: 'indefinite', justification: input.justification };
  if ('until' in input) {
    return { kind: 'duration', from: toAnchor(input.until, since), keep: input.keep ?? 'P0D', form: 'until' };
  }
  return {
    kind: 'duration',
    from: input.from === undefined ? { kind: 'collected' } : toAnchor(input.from, since),
    keep: input.keep,
    form: 'from',
  };
}

/** Normalises a retention; `since` is the policy version's default for events without one. */
export function toRetention(input: RetentionInput, since: Since = 'any'): Retention {
  if ('cases' in input) {
    return {
      cases: input.cases.map((c) =>
        c.when === undefined ? { rule: toRule(c, since) } : { when: toCondition(c.when, since), rule: toRule(c, since) },
      ),
    };
  }
  return { cases: [{ rule: toRule(input, since) }] };
}

/** `legalBasis` as written (one or a list) → the list. */
export function legalBasesOf(value: LegalBasis | readonly LegalBasis[] | undefined): LegalBasis[] {
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : [...value];
}

const orUndefined = <T>(value: T | null | undefined): T | undefined => value ?? undefined;

/** Builds the engine's model from a validated document, applying the spec's defaults. */
export function toPolicy(doc: PolicyDocumentOutput): Policy {
  const version: PolicyVersion = doc.version;
  const since = defaultSince(version);
  // Maps keyed by ids from outside (API bodies, files) have no prototype: `purposes['constructor']` is undefined.
  const systems = Object.create(null) as Record<string, SystemSpec>;
  for (const [id, s] of Object.entries(doc.systems)) {
    systems[id] = {
      id,
      description: s.description,
      connector: s.connector,
      location: s.location,
      transferSafeguard: orUndefined(s.transferSafeguard),
      processor: s.processor,
      config: s.config ?? {},
      fields: Object.entries(s.fields ?? {}).map(([name, f]) => ({ name, category: f.category, anonymise: f.anonymise })),
      ...(s.backupRetention === undefined ? {} : { backupRetention: s.backupRetention }),
    };
  }
  const purposes = Object.create(null) as Record<string, PurposeSpec>;
  for (const [id, p] of Object.entries(doc.purposes)) {
    const legalBases = legalBasesOf(p.legalBasis);
    purposes[id] = {
      id,
      description: p.description,
      legalBases,
      law: orUndefined(p.law),
      per: p.per ?? 'subject',
      specialCategoryCondition: p.specialCategoryCondition,
      categories: p.categories,
      systems: p.systems,
      retention: toRetention(p.retention, since),
      onExpiry: p.onExpiry ?? 'erase',
      onErasureRequest: p.onErasureRequest ?? defaultOnErasureRequest(legalBases),
      retainReason: orUndefined(p.retainReason),
      recipients: p.recipients ?? [],
      dataSubjects: p.dataSubjects ?? [],
    };
  }
  const categories = Object.create(null) as Record<string, { description?: string; special: boolean }>;
  for (const [id, c] of Object.entries(doc.categories ?? {})) categories[id] = { description: c.description, special: c.special ?? false };
  const events: string[] = [];
  const eventDescriptions = Object.create(null) as Record<string, string | undefined>;
  if (Array.isArray(doc.events)) events.push(...doc.events);
  else {
    for (const [id, declaration] of Object.entries(doc.events ?? {})) {
      events.push(id);
      eventDescriptions[id] = declaration?.description;
    }
  }
  const { controller } = doc;
  return {
    version,
    controller: {
      name: controller.name,
      id: controller.id === undefined ? undefined : String(controller.id),
      contact: controller.contact,
      supervisoryAuthority: controller.supervisoryAuthority,
      dpo: controller.dpo,
      representative: controller.representative,
      jointControllers: controller.jointControllers ?? [],
    },
    timezone: doc.timezone,
    fiscalYearEnd: doc.fiscalYearEnd ?? DEFAULT_FISCAL_YEAR_END,
    deployment: {
      // Without `deployment`, every region the spec admits is allowed.
      regions: doc.deployment?.regions ?? allowedRegions(doc.deployment?.allowAdequacyRegions ?? false),
      allowAdequacyRegions: doc.deployment?.allowAdequacyRegions ?? false,
      processor: doc.deployment?.processor === false ? null : (doc.deployment?.processor ?? DEFAULT_DEPLOYMENT_PROCESSOR),
    },
    events,
    eventDescriptions,
    security: doc.security ?? [],
    categories,
    systems,
    purposes,
  };
}

/** Spec: `onErasureRequest` defaults to retain when legal-obligation is among the legal bases (2.5), erase otherwise. */
export function defaultOnErasureRequest(legalBases: LegalBasis | readonly LegalBasis[] | undefined): ErasureRequestAction {
  return legalBasesOf(legalBases).includes('legal-obligation') ? 'retain' : 'erase';
}
