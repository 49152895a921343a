/**
 * The policy as the engine uses it: defaults applied, retention forms normalised into tagged unions.
 * Built from a document that has already passed validation (see `load.ts`).
 */
import type { AnchorInput, CaseInput, ConditionInput, PolicyDocumentOutput, RetentionInput, StrategyInput } from './schema';
import { allowedRegions } from './regions';
import { COLLECTED } from './schema';

export type LegalBasis = PolicyDocumentOutput['purposes'][string]['legalBasis'];
export type ConnectorType = PolicyDocumentOutput['systems'][string]['connector'];
export type ExpiryAction = 'erase' | 'anonymise';
export type ErasureRequestAction = ExpiryAction | 'retain';
export type Strategy = StrategyInput;

export type Anchor =
  | { readonly kind: 'collected' }
  | { readonly kind: 'event'; readonly event: string }
  | { readonly kind: 'latestOf'; readonly anchors: readonly Anchor[] }
  | { readonly kind: 'earliestOf'; readonly anchors: readonly Anchor[] }
  | { readonly kind: 'add'; readonly duration: string; readonly to: Anchor }
  | { readonly kind: 'endOfYear'; readonly of: Anchor; readonly fiscal: boolean }
  | { readonly kind: 'endOfFiscalYear'; readonly of: Anchor };

export type Condition =
  | { readonly kind: 'occurred'; readonly event: string }
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
}

export interface PurposeSpec {
  readonly id: string;
  readonly description?: string;
  readonly legalBasis: LegalBasis;
  readonly law?: string;
  readonly categories: readonly string[];
  readonly systems: readonly string[];
  readonly retention: Retention;
  readonly onExpiry: ExpiryAction;
  readonly onErasureRequest: ErasureRequestAction;
  readonly retainReason?: string;
  readonly recipients: readonly string[];
  readonly dataSubjects: readonly string[];
}

export interface Policy {
  readonly version: 1;
  readonly controller: {
    readonly name: string;
    readonly id?: string;
    readonly contact: string;
    readonly supervisoryAuthority?: string;
  };
  readonly timezone: string;
  /** MM-DD. */
  readonly fiscalYearEnd: string;
  readonly deployment: { readonly regions: readonly string[]; readonly allowAdequacyRegions: boolean };
  readonly events: readonly string[];
  readonly categories: Readonly<Record<string, { readonly description?: string; readonly special: boolean }>>;
  readonly systems: Readonly<Record<string, SystemSpec>>;
  readonly purposes: Readonly<Record<string, PurposeSpec>>;
}

export const DEFAULT_FISCAL_YEAR_END = '12-31';

export function toAnchor(input: AnchorInput): Anchor {
  if (typeof input === 'string') return input === COLLECTED ? { kind: 'collected' } : { kind: 'event', event: input };
  if ('latestOf' in input) return { kind: 'latestOf', anchors: input.latestOf.map(toAnchor) };
  if ('earliestOf' in input) return { kind: 'earliestOf', anchors: input.earliestOf.map(toAnchor) };
  if ('add' in input) return { kind: 'add', duration: input.add, to: toAnchor(input.to) };
  if ('endOfYear' in input) return { kind: 'endOfYear', of: toAnchor(input.endOfYear), fiscal: input.fiscal ?? false };
  return { kind: 'endOfFiscalYear', of: toAnchor(input.endOfFiscalYear) };
}

export function toCondition(input: ConditionInput): Condition {
  if ('occurred' in input) return { kind: 'occurred', event: input.occurred };
  if ('not' in input) return { kind: 'not', condition: toCondition(input.not) };
  if ('allOf' in input) return { kind: 'allOf', conditions: input.allOf.map(toCondition) };
  return { kind: 'anyOf', conditions: input.anyOf.map(toCondition) };
}

/** A simple rule or a case; a case's `when` is read by the caller. */
function toRule(input: CaseInput): Rule {
  if ('indefinite' in input) return { kind: 'indefinite', justification: input.justification };
  if ('until' in input) {
    return { kind: 'duration', from: toAnchor(input.until), keep: input.keep ?? 'P0D', form: 'until' };
  }
  return {
    kind: 'duration',
    from: input.from === undefined ? { kind: 'collected' } : toAnchor(input.from),
    keep: input.keep,
    form: 'from',
  };
}

export function toRetention(input: RetentionInput): Retention {
  if ('cases' in input) {
    return {
      cases: input.cases.map((c) => (c.when === undefined ? { rule: toRule(c) } : { when: toCondition(c.when), rule: toRule(c) })),
    };
  }
  return { cases: [{ rule: toRule(input) }] };
}

const orUndefined = <T>(value: T | null | undefined): T | undefined => value ?? undefined;

/** Builds the engine's model from a validated document, applying the spec's defaults. */
export function toPolicy(doc: PolicyDocumentOutput): Policy {
  // Maps keyed by ids from outside (API bodies, files) have no prototype: `purposes['constructor']` is undefined.
  const systems: Record<string, SystemSpec> = Object.create(null);
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
    };
  }
  const purposes: Record<string, PurposeSpec> = Object.create(null);
  for (const [id, p] of Object.entries(doc.purposes)) {
    purposes[id] = {
      id,
      description: p.description,
      legalBasis: p.legalBasis,
      law: orUndefined(p.law),
      categories: p.categories,
      systems: p.systems,
      retention: toRetention(p.retention),
      onExpiry: p.onExpiry ?? 'erase',
      onErasureRequest: p.onErasureRequest ?? defaultOnErasureRequest(p.legalBasis),
      retainReason: orUndefined(p.retainReason),
      recipients: p.recipients ?? [],
      dataSubjects: p.dataSubjects ?? [],
    };
  }
  const categories: Record<string, { description?: string; special: boolean }> = Object.create(null);
  for (const [id, c] of Object.entries(doc.categories ?? {})) categories[id] = { description: c.description, special: c.special ?? false };
  return {
    version: 1,
    controller: {
      name: doc.controller.name,
      id: doc.controller.id === undefined ? undefined : String(doc.controller.id),
      contact: doc.controller.contact,
      supervisoryAuthority: doc.controller.supervisoryAuthority,
    },
    timezone: doc.timezone,
    fiscalYearEnd: doc.fiscalYearEnd ?? DEFAULT_FISCAL_YEAR_END,
    deployment: {
      // Without `deployment`, every region the spec admits is allowed.
      regions: doc.deployment?.regions ?? allowedRegions(doc.deployment?.allowAdequacyRegions ?? false),
      allowAdequacyRegions: doc.deployment?.allowAdequacyRegions ?? false,
    },
    events: doc.events ?? [],
    categories,
    systems,
    purposes,
  };
}

/** Spec: `onErasureRequest` defaults to retain for legal-obligation, erase otherwise. */
export function defaultOnErasureRequest(legalBasis: LegalBasis | undefined): ErasureRequestAction {
  return legalBasis === 'legal-obligation' ? 'retain' : 'erase';
}
