/**
 * The policy language (shared/policy-spec.md), written once as zod schemas. The validator, the TypeScript
 * types and the published JSON Schema (`lethe schema`) are all derived from this file, so they cannot drift.
 *
 * Rules that relate one part of the document to another (references, regions, legal-basis requirements)
 * are in `semantic-checks.ts`: a JSON Schema cannot express them.
 */
import { z } from 'zod';
import { BUILT_IN_CONNECTOR_TYPES } from '../connectors/registry';

export const IDENTIFIER_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;
/** ISO 8601 duration as the spec writes it: `P[nY][nM][nW][nD][T[nH][nM][nS]]`, at least one part. */
export const DURATION_PATTERN = /^P(?=\d|T\d)(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+S)?)?$/;
export const FISCAL_YEAR_END_PATTERN = /^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

export const LEGAL_BASES = ['consent', 'contract', 'legal-obligation', 'vital-interests', 'public-task', 'legitimate-interest'] as const;
/** The connector types a system may use: the registry's built-ins (lib/connectors/registry.ts). */
export const CONNECTOR_TYPES = BUILT_IN_CONNECTOR_TYPES;
export const EXPIRY_ACTIONS = ['erase', 'anonymise'] as const;
export const ERASURE_REQUEST_ACTIONS = ['erase', 'anonymise', 'retain'] as const;
/** The built-in event: when the holding was collected. Never declared in `events`. */
export const COLLECTED = 'collected';
/**
 * The built-in event Lethe records itself when a data subject's request completes, with `ref` = the request id
 * (spec 2.4). Never declared in a version 2 `events`.
 */
export const REQUEST_HANDLED = 'request-handled';
/** The policy language versions this engine reads. */
export const POLICY_VERSIONS = [1, 2] as const;
/** Which events count for a holding (spec 2.1): those at or after its collection, or any. */
export const SINCE = ['collected', 'any'] as const;
/** Whose clock a purpose keeps (spec 2.2): one per subject, or one per item (order, invoice, case, call). */
export const PER = ['subject', 'item'] as const;
/** Art. 9(2) conditions for processing special categories (spec 2.5). */
export const SPECIAL_CATEGORY_CONDITIONS = [
  'explicit-consent',
  'employment',
  'vital-interests',
  'not-for-profit',
  'made-public',
  'legal-claims',
  'substantial-public-interest',
  'health-care',
  'public-health',
  'archiving-research',
] as const;
/** The longest `ref` (spec 2.2). */
export const MAX_REF_LENGTH = 128;

/**
 * A closed object: unknown keys are errors (they are almost always typos), and the error lists the keys
 * that are allowed at that place.
 */
function strict<T extends z.core.$ZodLooseShape>(shape: T) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `expected one of: ${allowed}`
        : issue.code === 'invalid_type'
          ? `expected an object with ${allowed}`
          : undefined,
  });
}

const identifier = (what: string) =>
  z
    .string({ error: `expected ${what} (a kebab-case identifier)` })
    .regex(IDENTIFIER_PATTERN, { error: `expected ${what}: kebab-case, matching ${IDENTIFIER_PATTERN.source}` });

const text = (what: string) =>
  z
    .string({ error: `expected ${what} (text)` })
    .trim()
    .min(1, { error: `expected ${what}, got an empty string` });

export const Duration = z
  .string({ error: 'expected an ISO 8601 duration such as P10Y, P27M, P2W, P0D or PT36H' })
  .regex(DURATION_PATTERN, { error: 'expected an ISO 8601 duration such as P10Y, P27M, P2W, P0D or PT36H' })
  .meta({ id: 'Duration', description: 'ISO 8601 duration P[nY][nM][nW][nD][T[nH][nM][nS]], e.g. P10Y, P27M, P2W, P0D, PT36H.' });

const EventRef = identifier('an event type').meta({
  description: `An event type declared in \`events\`, or a built-in: \`${COLLECTED}\`, \`${REQUEST_HANDLED}\`.`,
});

const Since = z.enum(SINCE, { error: 'expected since: collected | any' }).meta({
  description:
    'Which occurrences count (spec 2.1): `collected`, only those at or after the holding was collected (version 2 default); `any`, every occurrence (version 1 meaning).',
});

/** The explicit event anchor of spec 2.1. */
const EventAnchor = strict({ event: EventRef, since: Since.optional() }).meta({
  description: 'The latest occurrence of the event that counts for the holding; `since` says which occurrences count.',
});

export type AnchorInput =
  | string
  | { event: string; since?: (typeof SINCE)[number] }
  | { latestOf: AnchorInput[] }
  | { earliestOf: AnchorInput[] }
  | { add: string; to: AnchorInput }
  | { endOfYear: AnchorInput; fiscal?: boolean }
  | { endOfFiscalYear: AnchorInput };

export const Anchor: z.ZodType<AnchorInput> = z
  .lazy(() =>
    z.union(
      [
        EventRef,
        EventAnchor,
        strict({
          latestOf: z.array(Anchor).min(1, { error: 'expected at least one anchor' }),
        }).meta({ description: 'The latest of the known anchors; not yet known only if none is known.' }),
        strict({
          earliestOf: z.array(Anchor).min(1, { error: 'expected at least one anchor' }),
        }).meta({
          description: 'Extension: the earliest of the known anchors ("whichever comes first"); not yet known only if none is known.',
        }),
        strict({ add: Duration, to: Anchor }).meta({ description: 'ANCHOR shifted by DURATION.' }),
        strict({ endOfYear: Anchor, fiscal: z.boolean().optional() }).meta({
          description:
            'First instant of the calendar year after the one containing ANCHOR; with fiscal: true, after the calendar year in which the fiscal year containing ANCHOR ends.',
        }),
        strict({ endOfFiscalYear: Anchor }).meta({
          description: 'First instant of the day after the end (fiscalYearEnd) of the fiscal year containing ANCHOR.',
        }),
      ],
      {
        error:
          'expected an anchor: an event type, `collected`, {event: EVENT, since?: collected | any}, {latestOf: [...]}, {earliestOf: [...]}, {add: DURATION, to: ANCHOR}, {endOfYear: ANCHOR} or {endOfFiscalYear: ANCHOR}',
      },
    ),
  )
  .meta({ id: 'Anchor' });

export type ConditionInput =
  | { occurred: string; since?: (typeof SINCE)[number] }
  | { not: ConditionInput }
  | { allOf: ConditionInput[] }
  | { anyOf: ConditionInput[] };

export const Condition: z.ZodType<ConditionInput> = z
  .lazy(() =>
    z.union(
      [
        strict({ occurred: EventRef, since: Since.optional() }),
        strict({ not: Condition }),
        strict({ allOf: z.array(Condition).min(1, { error: 'expected at least one condition' }) }),
        strict({ anyOf: z.array(Condition).min(1, { error: 'expected at least one condition' }) }),
      ],
      { error: 'expected a condition: {occurred: EVENT, since?: collected | any}, {not: CONDITION}, {allOf: [...]} or {anyOf: [...]}' },
    ),
  )
  .meta({ id: 'Condition' });

const FromAnchorShape = {
  keep: Duration,
  from: Anchor.optional().meta({ description: 'Defaults to `collected`.' }),
};
const UntilEventShape = {
  until: z.union([EventRef, EventAnchor], { error: 'expected an event type, or {event: EVENT, since?: collected | any}' }),
  keep: Duration.optional().meta({ description: 'Defaults to P0D.' }),
};
const IndefiniteShape = {
  indefinite: z.literal(true, { error: 'expected indefinite: true' }),
  justification: text('a justification'),
};

const simpleRuleError =
  'expected a retention rule: {keep: DURATION, from?: ANCHOR}, {until: EVENT, keep?: DURATION} or {indefinite: true, justification: TEXT}';

export const SimpleRule = z
  .union([strict(FromAnchorShape), strict(UntilEventShape), strict(IndefiniteShape)], {
    error: simpleRuleError,
  })
  .meta({ id: 'SimpleRule' });

const when = Condition.optional().meta({ description: 'Omitted on the last case, the default.' });
export const Case = z
  .union([strict({ when, ...FromAnchorShape }), strict({ when, ...UntilEventShape }), strict({ when, ...IndefiniteShape })], {
    error: `${simpleRuleError}, with an optional when: CONDITION`,
  })
  .meta({ id: 'Case' });

export const Retention = z
  .union(
    [
      SimpleRule,
      strict({
        cases: z.array(Case).min(1, { error: 'expected at least one case (the last one, without `when`, is the default)' }),
      }),
    ],
    { error: `${simpleRuleError} or {cases: [...]}` },
  )
  .meta({ id: 'Retention', description: 'How long the purpose keeps data: exactly one of the four forms of the spec.' });

export const Strategy = z
  .discriminatedUnion(
    'strategy',
    [
      strict({ strategy: z.literal('remove') }),
      strict({ strategy: z.literal('redact'), value: z.string().optional().meta({ description: 'Default "[redacted]".' }) }),
      strict({ strategy: z.literal('hmac') }),
      strict({ strategy: z.literal('generalise-date'), to: z.enum(['year', 'month'], { error: 'expected to: year | month' }) }),
      strict({
        strategy: z.literal('truncate'),
        keep: z
          .int({ error: 'expected a whole number of characters to keep' })
          .min(0, { error: 'expected a whole number of characters to keep' }),
      }),
      strict({ strategy: z.literal('mask-ip') }),
      strict({
        strategy: z.literal('random'),
        length: z
          .int({ error: 'expected a length from 1 to 1024' })
          .min(1, { error: 'expected a length from 1 to 1024' })
          .max(1024, { error: 'expected a length from 1 to 1024' })
          .optional()
          .meta({ description: 'Default 16.' }),
      }),
    ],
    { error: 'expected strategy: remove | redact | hmac | generalise-date | truncate | mask-ip | random' },
  )
  .meta({ id: 'AnonymisationStrategy' });

export const FieldSpec = strict({
  category: identifier('a category'),
  anonymise: Strategy.optional().meta({ description: 'Without it the field is removed when anonymised.' }),
}).meta({ id: 'Field' });

export const System = strict({
  description: text('a description').optional(),
  connector: z.enum(CONNECTOR_TYPES, { error: `expected connector: ${CONNECTOR_TYPES.join(' | ')}` }),
  location: text('a location').meta({ description: 'An AWS region (eu-north-1) or an ISO 3166 alpha-2 country code (SE).' }),
  transferSafeguard: text('a transfer safeguard')
    .nullable()
    .optional()
    .meta({ description: 'Required when location is outside the EU/EEA, e.g. "EU-US DPF", "SCC".' }),
  processor: text('a processor').optional().meta({ description: 'Extension: the vendor that operates the system, for the register.' }),
  config: z
    .record(z.string(), z.unknown(), { error: 'expected config: a map of connector settings' })
    .optional()
    .meta({ description: 'Connector-specific settings.' }),
  fields: z
    .record(text('a field name'), FieldSpec, { error: 'expected fields: a map of field names to {category, anonymise?}' })
    .optional(),
  backupRetention: Duration.optional().meta({
    description:
      'Extension: how long the longest backup of the system (a restore point, a snapshot, a point-in-time recovery window) ' +
      'is kept. Lethe keeps a sealed tombstone of each erasure in the system for that long, to apply it again after a ' +
      'restore (lethe replay). Defaults to P35D, the longest point-in-time recovery window of DynamoDB.',
  }),
}).meta({ id: 'System' });

const LegalBasis = z.enum(LEGAL_BASES, { error: `expected legalBasis: ${LEGAL_BASES.join(' | ')}` });

export const Purpose = strict({
  description: text('a description').optional(),
  legalBasis: z
    // The list first: for a list with one bad member, the error then names that member.
    .union([z.array(LegalBasis).min(1, { error: 'expected at least one legal basis' }), LegalBasis], {
      error: `expected legalBasis: ${LEGAL_BASES.join(' | ')}, or a list of them`,
    })
    .meta({ description: 'One legal basis (Art. 6(1)), or a list of them (spec 2.5).' }),
  law: text('the statute').nullable().optional().meta({ description: 'Required when legal-obligation is among the legal bases.' }),
  per: z.enum(PER, { error: 'expected per: subject | item' }).optional().meta({
    description:
      'Spec 2.2: `item` keeps a clock per item (order, invoice, case, call) and makes `ref` required on every holding; default `subject`.',
  }),
  specialCategoryCondition: z
    .enum(SPECIAL_CATEGORY_CONDITIONS, { error: `expected specialCategoryCondition: ${SPECIAL_CATEGORY_CONDITIONS.join(' | ')}` })
    .optional()
    .meta({
      description:
        'Spec 2.5: the Art. 9(2) condition, required when the purpose uses a special category (an error in version 2, a warning in version 1).',
    }),
  categories: z.array(identifier('a category')).min(1, { error: 'expected at least one data category' }),
  systems: z.array(identifier('a system')).min(1, { error: 'expected at least one system' }),
  retention: Retention,
  onExpiry: z.enum(EXPIRY_ACTIONS, { error: 'expected onExpiry: erase | anonymise' }).optional().meta({ description: 'Default erase.' }),
  onErasureRequest: z
    .enum(ERASURE_REQUEST_ACTIONS, { error: 'expected onErasureRequest: erase | anonymise | retain' })
    .optional()
    .meta({ description: 'Default retain when legal-obligation is among the legal bases, erase otherwise.' }),
  retainReason: text('a reason').nullable().optional().meta({ description: 'Required when onErasureRequest is retain.' }),
  recipients: z.array(text('a recipient')).optional().meta({ description: 'Extension: recipients of the data, for the register.' }),
  dataSubjects: z
    .array(text('a category of data subjects'))
    .optional()
    .meta({ description: 'Extension: categories of data subjects (customers, job applicants...), for the register (Art. 30(1)(c)).' }),
}).meta({ id: 'Purpose' });

const Contactable = (what: string) => ({ name: text(`the ${what}'s name`), contact: text(`the ${what}'s contact`) });

export const EventDeclaration = strict({
  description: text('a description')
    .optional()
    .meta({ description: 'What happened, worded to follow "after" or "from" in the register: "the order is delivered and paid".' }),
}).meta({ id: 'EventDeclaration' });

export const PolicyDocument = strict({
  $schema: z.string().optional().meta({ description: 'Editor hint; ignored.' }),
  version: z
    .literal([1, 2], { error: 'expected version: 1 or 2' })
    .meta({ description: 'The language version. 2 makes events count from collection (spec 2.1).' }),
  controller: strict({
    name: text('the controller name'),
    id: z.union([text('an organisation number'), z.number()]).optional(),
    contact: text('a contact'),
    supervisoryAuthority: text('a supervisory authority').optional(),
    dpo: strict({ name: text("the data protection officer's name").optional(), contact: text("the data protection officer's contact") })
      .optional()
      .meta({ description: 'Spec 2.6: the data protection officer (Art. 37), for the register.' }),
    representative: strict(Contactable('representative'))
      .optional()
      .meta({ description: "Spec 2.6: the controller's representative in the Union (Art. 27), for the register." }),
    jointControllers: z
      .array(strict({ ...Contactable('joint controller'), responsibility: text("the joint controller's responsibility") }))
      .optional()
      .meta({ description: 'Spec 2.6: joint controllers (Art. 26) and what each is responsible for.' }),
  }),
  timezone: text('an IANA time zone').meta({ description: 'IANA time zone; all calendar arithmetic happens in it.' }),
  fiscalYearEnd: z
    .string({ error: 'expected fiscalYearEnd as "MM-DD"' })
    .regex(FISCAL_YEAR_END_PATTERN, { error: 'expected fiscalYearEnd as "MM-DD", e.g. "12-31" or "06-30"' })
    .optional()
    .meta({ description: 'MM-DD, last day of the fiscal year; default "12-31".' }),
  deployment: strict({
    regions: z.array(text('an AWS region')).min(1, { error: 'expected at least one region' }),
    allowAdequacyRegions: z.boolean().optional(),
    processor: z
      .union(
        [
          z.literal(false, { error: 'expected processor: the name of the processor hosting Lethe, or false' }),
          text('the processor hosting Lethe'),
        ],
        { error: 'expected processor: the name of the processor hosting Lethe, or false' },
      )
      .optional()
      .meta({
        description:
          'Spec 2.6: who hosts Lethe, listed in the register as a processor of every purpose; default "Amazon Web Services EMEA SARL"; false leaves it out.',
      }),
  }).optional(),
  events: z
    .union([z.array(identifier('an event type')), z.record(identifier('an event type'), EventDeclaration.nullable())], {
      error: 'expected events: a list of event types, or a map of event types to {description}',
    })
    .optional()
    .meta({ description: 'The event types this controller reports: a list, or (spec 2.6) a map with descriptions.' }),
  categories: z
    .record(identifier('a category'), strict({ description: text('a description').optional(), special: z.boolean().optional() }), {
      error: 'expected categories: a map of category ids to {description?, special?}',
    })
    .optional(),
  security: z
    .array(text('a security measure'))
    .optional()
    .meta({ description: "Spec 2.6: the controller's own technical and organisational security measures (Art. 32), for the register." }),
  systems: z.record(identifier('a system'), System, { error: 'expected systems: a map of system ids to {connector, location, ...}' }),
  purposes: z.record(identifier('a purpose'), Purpose, {
    error: 'expected purposes: a map of purpose ids to {legalBasis, categories, systems, retention, ...}',
  }),
}).meta({ id: 'LethePolicy', title: 'Lethe retention policy, versions 1 and 2' });

export type PolicyDocumentInput = z.input<typeof PolicyDocument>;
export type PolicyDocumentOutput = z.output<typeof PolicyDocument>;
export type RetentionInput = z.output<typeof Retention>;
export type SimpleRuleInput = z.output<typeof SimpleRule>;
export type CaseInput = z.output<typeof Case>;
export type StrategyInput = z.output<typeof Strategy>;

/** The JSON Schema of the policy language, for editors (`yaml-language-server: $schema=`). */
export function policyJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(PolicyDocument, { target: 'draft-2020-12', unrepresentable: 'any', io: 'input' });
}
