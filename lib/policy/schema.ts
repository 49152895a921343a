/**
 * The policy language (shared/policy-spec.md), written once as zod schemas. The validator, the TypeScript
 * types and the published JSON Schema (`lethe schema`) are all derived from this file, so they cannot drift.
 *
 * Rules that relate one part of the document to another (references, regions, legal-basis requirements)
 * are in `semantic-checks.ts`: a JSON Schema cannot express them.
 */
import { z } from 'zod';

export const IDENTIFIER_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;
/** ISO 8601 duration as the spec writes it: `P[nY][nM][nW][nD][T[nH][nM][nS]]`, at least one part. */
export const DURATION_PATTERN = /^P(?=\d|T\d)(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+S)?)?$/;
export const FISCAL_YEAR_END_PATTERN = /^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

export const LEGAL_BASES = ['consent', 'contract', 'legal-obligation', 'vital-interests', 'public-task', 'legitimate-interest'] as const;
export const CONNECTOR_TYPES = ['dynamodb', 's3', 'http', 'lambda'] as const;
export const EXPIRY_ACTIONS = ['erase', 'anonymise'] as const;
export const ERASURE_REQUEST_ACTIONS = ['erase', 'anonymise', 'retain'] as const;
/** The built-in event: when the holding was collected. Never declared in `events`. */
export const COLLECTED = 'collected';

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
  description: `An event type declared in \`events\`, or the built-in \`${COLLECTED}\`.`,
});

export type AnchorInput =
  | string
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
          'expected an anchor: an event type, `collected`, {latestOf: [...]}, {earliestOf: [...]}, {add: DURATION, to: ANCHOR}, {endOfYear: ANCHOR} or {endOfFiscalYear: ANCHOR}',
      },
    ),
  )
  .meta({ id: 'Anchor' });

export type ConditionInput = { occurred: string } | { not: ConditionInput } | { allOf: ConditionInput[] } | { anyOf: ConditionInput[] };

export const Condition: z.ZodType<ConditionInput> = z
  .lazy(() =>
    z.union(
      [
        strict({ occurred: EventRef }),
        strict({ not: Condition }),
        strict({ allOf: z.array(Condition).min(1, { error: 'expected at least one condition' }) }),
        strict({ anyOf: z.array(Condition).min(1, { error: 'expected at least one condition' }) }),
      ],
      { error: 'expected a condition: {occurred: EVENT}, {not: CONDITION}, {allOf: [...]} or {anyOf: [...]}' },
    ),
  )
  .meta({ id: 'Condition' });

const FromAnchorShape = {
  keep: Duration,
  from: Anchor.optional().meta({ description: 'Defaults to `collected`.' }),
};
const UntilEventShape = {
  until: EventRef,
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
  config: z.record(z.string(), z.unknown()).optional().meta({ description: 'Connector-specific settings.' }),
  fields: z.record(text('a field name'), FieldSpec).optional(),
}).meta({ id: 'System' });

export const Purpose = strict({
  description: text('a description').optional(),
  legalBasis: z.enum(LEGAL_BASES, { error: `expected legalBasis: ${LEGAL_BASES.join(' | ')}` }),
  law: text('the statute').nullable().optional().meta({ description: 'Required for legal-obligation.' }),
  categories: z.array(identifier('a category')).min(1, { error: 'expected at least one data category' }),
  systems: z.array(identifier('a system')).min(1, { error: 'expected at least one system' }),
  retention: Retention,
  onExpiry: z.enum(EXPIRY_ACTIONS, { error: 'expected onExpiry: erase | anonymise' }).optional().meta({ description: 'Default erase.' }),
  onErasureRequest: z
    .enum(ERASURE_REQUEST_ACTIONS, { error: 'expected onErasureRequest: erase | anonymise | retain' })
    .optional()
    .meta({ description: 'Default retain for legal-obligation, erase otherwise.' }),
  retainReason: text('a reason').nullable().optional().meta({ description: 'Required when onErasureRequest is retain.' }),
  recipients: z.array(text('a recipient')).optional().meta({ description: 'Extension: recipients of the data, for the register.' }),
  dataSubjects: z
    .array(text('a category of data subjects'))
    .optional()
    .meta({ description: 'Extension: categories of data subjects (customers, job applicants...), for the register (Art. 30(1)(c)).' }),
}).meta({ id: 'Purpose' });

export const PolicyDocument = strict({
  $schema: z.string().optional().meta({ description: 'Editor hint; ignored.' }),
  version: z.literal(1, { error: 'expected version: 1' }),
  controller: strict({
    name: text('the controller name'),
    id: z.union([text('an organisation number'), z.number()]).optional(),
    contact: text('a contact'),
    supervisoryAuthority: text('a supervisory authority').optional(),
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
  }).optional(),
  events: z.array(identifier('an event type')).optional(),
  categories: z
    .record(identifier('a category'), strict({ description: text('a description').optional(), special: z.boolean().optional() }))
    .optional(),
  systems: z.record(identifier('a system'), System),
  purposes: z.record(identifier('a purpose'), Purpose),
}).meta({ id: 'LethePolicy', title: 'Lethe retention policy, version 1' });

export type PolicyDocumentInput = z.input<typeof PolicyDocument>;
export type PolicyDocumentOutput = z.output<typeof PolicyDocument>;
export type RetentionInput = z.output<typeof Retention>;
export type SimpleRuleInput = z.output<typeof SimpleRule>;
export type CaseInput = z.output<typeof Case>;
export type StrategyInput = z.output<typeof Strategy>;

/** The JSON Schema of the policy language, for editors (`yaml-language-server: $schema=`). */
export function policyJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(PolicyDocument, { target: 'draft-2020-12', unrepresentable: 'any', io: 'input' }) as Record<string, unknown>;
}
