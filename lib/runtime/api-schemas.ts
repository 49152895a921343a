/**
 * Request bodies of the erasure API, as zod schemas: the ONE definition used by both sides.
 * - The stack (lib/stack/erasure-api.ts) turns each into a JSON Schema (draft-04) request model, so API Gateway
 *   rejects a malformed body before any code runs.
 * - The API handler (lambdas/api.ts) parses with the same schemas, and then checks what a schema cannot
 *   (known purpose/system/event type, a real timestamp) against the policy.
 *
 * Keep them to shape only (types, required keys, no unknown keys, sizes): API Gateway evaluates the JSON Schema
 * with its own engine, so no refinements, transforms or regexes that only JavaScript understands.
 */
import { z } from 'zod';

/** Longest id, reason or identifier value we accept; generous, but bounded. */
export const MAX_ID_LENGTH = 256;
export const MAX_TEXT_LENGTH = 2000;

const id = (what: string) =>
  z
    .string({ error: `expected ${what} (text)` })
    .min(1, { error: `expected ${what}, got an empty string` })
    .max(MAX_ID_LENGTH, { error: `expected ${what} of at most ${MAX_ID_LENGTH} characters` });

const text = (what: string) =>
  z
    .string({ error: `expected ${what} (text)` })
    .min(1, { error: `expected ${what}, got an empty string` })
    .max(MAX_TEXT_LENGTH, { error: `expected ${what} of at most ${MAX_TEXT_LENGTH} characters` });

/** A timestamp's shape only; the handler parses it (offset required) with lib/retention/time.ts. */
const timestamp = (what: string) =>
  z
    .string({ error: `expected ${what}: an ISO 8601 timestamp with an offset, e.g. "2024-04-01T09:30:00+02:00"` })
    .min(1, { error: `expected ${what}, got an empty string` })
    .max(64, { error: `expected ${what}: an ISO 8601 timestamp with an offset` });

/** `{name: value}` pairs, e.g. `{email: "a@example.se"}` or a locator `{customerId: "C-123"}`. */
const stringMap = (what: string) => z.record(z.string(), id(`${what} value`), { error: `expected ${what}: an object of text values` });

/** `POST /erasure-requests` */
export const ErasureRequestBody = z.strictObject({
  subjectId: id('subjectId'),
  identifiers: stringMap('identifiers').optional(),
  scope: z
    .array(id('a purpose id'), { error: 'expected scope: a list of purpose ids' })
    .min(1, { error: 'expected scope: at least one purpose id (omit scope for every purpose)' })
    .optional(),
  verification: z.strictObject(
    {
      method: id('verification.method'),
      verifiedAt: timestamp('verification.verifiedAt'),
    },
    { error: 'expected verification: {method, verifiedAt}' },
  ),
  reason: text('reason').optional(),
});
export type ErasureRequestBody = z.output<typeof ErasureRequestBody>;

/** `POST /erasure-requests/{requestId}/extend`: Art. 12(3), once, by at most two further months. */
export const ExtendRequestBody = z.strictObject({
  months: z.literal([1, 2], { error: 'expected months: 1 or 2' }),
  reason: text('reason'),
});
export type ExtendRequestBody = z.output<typeof ExtendRequestBody>;

/** Spec 2.2: an item's id (an order number, a ticket id) is at most 128 characters. */
export const MAX_REF_LENGTH = 128;

/** `ref`: the opaque id of an item (spec 2.2); required on holdings of a `per: item` purpose (checked against the policy). */
const ref = () =>
  z
    .string({ error: "expected ref: the item's id (text)" })
    .min(1, { error: "expected ref: the item's id, got an empty string" })
    .max(MAX_REF_LENGTH, { error: `expected ref of at most ${MAX_REF_LENGTH} characters` });

/** `POST /subjects/{subjectId}/holdings` */
export const HoldingBody = z.strictObject({
  purpose: id('purpose'),
  system: id('system'),
  /** The item this holding holds (spec 2.2); its locator then locates that item only. */
  ref: ref().optional(),
  collectedAt: timestamp('collectedAt'),
  locator: stringMap('locator').optional(),
  /** What the system finds the subject by later, e.g. `{email: "a@example.se"}` for a DynamoDB index (sealed). */
  identifiers: stringMap('identifiers').optional(),
});
export type HoldingBody = z.output<typeof HoldingBody>;

/** `POST /subjects/{subjectId}/events` */
export const SubjectEventBody = z.strictObject({
  type: id('type'),
  at: timestamp('at'),
  purpose: id('purpose').optional(),
  /** The item the event is about (spec 2.2): it counts only for holdings with the same ref. */
  ref: ref().optional(),
});
export type SubjectEventBody = z.output<typeof SubjectEventBody>;

/** The most entries in each list of a hold's scope. */
export const MAX_HOLD_SCOPE_ENTRIES = 100;

const holdScopeList = <T extends z.ZodType>(key: string, what: string, item: T) =>
  z
    .array(item, { error: `expected scope.${key}: a list of ${what}` })
    .min(1, { error: `expected scope.${key}: at least one of ${what} (omit ${key} for every one)` })
    .max(MAX_HOLD_SCOPE_ENTRIES, { error: `expected scope.${key}: at most ${MAX_HOLD_SCOPE_ENTRIES} entries` })
    .optional();

/** `POST /subjects/{subjectId}/holds` (spec 2.3): a legal hold; without scope it covers every holding of the subject. */
export const HoldBody = z.strictObject({
  /** Why the data is held (the controller's text: told to the data subject for what the hold retains). */
  reason: text('reason'),
  /** Which holdings the hold covers: every key given must match (AND). */
  scope: z
    .strictObject(
      {
        purposes: holdScopeList('purposes', 'purpose ids', id('a purpose id')),
        systems: holdScopeList('systems', 'system ids', id('a system id')),
        // Spec 2.2: an item's id is at most 128 characters.
        refs: holdScopeList(
          'refs',
          'item ids',
          z
            .string({ error: "expected an item's id (text)" })
            .min(1, { error: "expected an item's id, got an empty string" })
            .max(128, { error: "expected an item's id of at most 128 characters" }),
        ),
      },
      { error: 'expected scope: {purposes?, systems?, refs?}' },
    )
    .optional(),
});
export type HoldBody = z.output<typeof HoldBody>;

/** `POST /restriction-requests` (Art. 18, spec 2.4): every holding in scope gets its record restricted. */
export const RestrictionRequestBody = z.strictObject({
  subjectId: id('subjectId'),
  scope: z
    .array(id('a purpose id'), { error: 'expected scope: a list of purpose ids' })
    .min(1, { error: 'expected scope: at least one purpose id (omit scope for every purpose)' })
    .optional(),
  /** When the restriction is to be lifted (the handler parses it: offset required, after now). */
  until: timestamp('until').optional(),
  /** Art. 18(1)(b),(c): also hold the data (no expiry) until the restriction is lifted. */
  keep: z.boolean({ error: 'expected keep: true or false' }).optional(),
  verification: z.strictObject(
    {
      method: id('verification.method'),
      verifiedAt: timestamp('verification.verifiedAt'),
    },
    { error: 'expected verification: {method, verifiedAt}' },
  ),
});
export type RestrictionRequestBody = z.output<typeof RestrictionRequestBody>;

/** `POST /access-requests` (Art. 15, spec 2.4): what is held about the subject, per record. */
export const AccessRequestBody = z.strictObject({
  subjectId: id('subjectId'),
  scope: z
    .array(id('a purpose id'), { error: 'expected scope: a list of purpose ids' })
    .min(1, { error: 'expected scope: at least one purpose id (omit scope for every purpose)' })
    .optional(),
  /** The language of the export document and its page (lib/runtime/export-document.ts). @default en */
  lang: z.enum(['en', 'sv'], { error: 'expected lang: "en" or "sv"' }).optional(),
  verification: z.strictObject(
    {
      method: id('verification.method'),
      verifiedAt: timestamp('verification.verifiedAt'),
    },
    { error: 'expected verification: {method, verifiedAt}' },
  ),
});
export type AccessRequestBody = z.output<typeof AccessRequestBody>;

/** Every request body schema, by the model name the stack gives it. */
export const API_BODY_SCHEMAS = {
  ErasureRequest: ErasureRequestBody,
  ExtendRequest: ExtendRequestBody,
  Holding: HoldingBody,
  SubjectEvent: SubjectEventBody,
  Hold: HoldBody,
  RestrictionRequest: RestrictionRequestBody,
  AccessRequest: AccessRequestBody,
} as const;

/**
 * Query strings of the read-only routes (issue 18), by their names in API_QUERY_SCHEMAS. Shape only, as for the
 * bodies: every value arrives as text, a number is checked by a pattern (and read with `Number` by the handler); an
 * unknown parameter is refused, naming it. What only the runtime can check (a real instant, a cursor of this
 * listing) it checks, with the parameter as the error's path.
 */
const wholeNumber = (what: string, pattern: RegExp, range: string) =>
  z
    .string({ error: `expected ${what}: a whole number from ${range}` })
    .regex(pattern, { error: `expected ${what}: a whole number from ${range}` })
    .describe(`A whole number from ${range}`);

/** `GET /requests` (lib/runtime/request-list.ts). */
export const RequestListQuery = z.strictObject({
  kind: z
    .enum(['erasure', 'restriction', 'access'], { error: 'expected kind: "erasure", "restriction" or "access"' })
    .optional()
    .describe('Only requests of this kind; default: every kind'),
  status: z
    .enum(['open', 'completed', 'failed', 'partial'], { error: 'expected status: "open", "completed", "failed" or "partial"' })
    .optional()
    .describe('open: received or running; or one final status (Lethe stores no partial status: it lists nothing); default: every status'),
  dueBefore: timestamp('dueBefore')
    .optional()
    .describe('Only open requests whose deadline is at or before this instant (ISO 8601 with an offset)'),
  limit: wholeNumber('limit', /^(100|[1-9][0-9]?)$/, '1 to 100')
    .optional()
    .describe('Page size, 1 to 100; default 25'),
  cursor: z
    .string({ error: 'expected cursor (text)' })
    .min(1, { error: 'expected cursor, got an empty string' })
    .max(4096, { error: 'expected cursor: the cursor of the previous page, as it was given' })
    .optional()
    .describe("The previous page's cursor, as given (opaque)"),
});
export type RequestListQuery = z.output<typeof RequestListQuery>;

/** `GET /retention/calendar` (lib/runtime/retention-stats.ts). */
export const DueCalendarQuery = z.strictObject({
  days: wholeNumber('days', /^(36[0-6]|3[0-5][0-9]|[12][0-9]{2}|[1-9][0-9]?)$/, '1 to 366')
    .optional()
    .describe('Days counted from today (the policy time zone), 1 to 366; default 90'),
});
export type DueCalendarQuery = z.output<typeof DueCalendarQuery>;

/** `GET /retention/holdings`: no parameters. */
export const HoldingStatesQuery = z.strictObject({});

/** Every query string schema, by the name a route gives it (routes.ts `query`). */
export const API_QUERY_SCHEMAS = {
  RequestListQuery,
  DueCalendarQuery,
  HoldingStatesQuery,
} as const;
