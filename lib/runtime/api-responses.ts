/**
 * The erasure API's answers, as zod schemas: what lib/runtime/openapi.ts publishes in docs/openapi.json as each
 * route's response body. The handlers build their answers as the TypeScript types beside them (ReceivedAnswer,
 * RequestView, HoldingAnswer, ...); test/lib/runtime/api-responses.test.ts calls every route of the handler and checks
 * that each answer is exactly what its schema here says (no key missing, none extra), so the document cannot drift
 * from what the API answers.
 *
 * A route without an entry in API_RESPONSE_SCHEMAS is published with an untyped JSON object as its answer (its
 * description says that no schema exists yet): add its schema here when adding a route, and a call that answers it
 * to the test.
 */
import { z } from 'zod';
import { HOLDING_STATUS, REQUEST_STATUS, SYSTEM_STATUS, VERIFICATIONS } from '../core/contract';

const timestamp = (what: string) => z.string().describe(`${what}: ISO 8601 with the policy time zone's offset`);
const requestStatus = z.enum(REQUEST_STATUS).describe('received | running | completed | failed');
const systemStatus = z.enum(SYSTEM_STATUS);
const texts = z.array(z.string());

/** Every error answer: `{"error": {code, message, path?}}` (lib/runtime/http.ts, and API Gateway's own answers). */
export const ErrorAnswer = z
  .object({
    error: z.object({
      code: z
        .string()
        .describe(
          'what went wrong, e.g. invalid-input, invalid-json, not-found, conflict, in-progress, body-too-large, unsupported-media-type, unavailable, internal; API Gateway: invalid-body, invalid-parameters, request-rejected; local mode: unauthorized, method-not-allowed',
        ),
      message: z.string().describe('in plain words, naming what was wrong'),
      path: z.string().optional().describe('the offending field, e.g. subjectId, scope.0, headers.Idempotency-Key'),
    }),
  })
  .describe('An error: the answer to any request Lethe refuses or could not complete');

/** `POST /erasure-requests` → 202 (erasure-requests.ts ReceivedAnswer). */
export const ReceivedAnswer = z
  .object({
    requestId: z.string(),
    status: requestStatus,
    deadline: timestamp('the deadline (Art. 12(3): receipt + one month)'),
  })
  .describe("The request as stored; a repeated request (same Idempotency-Key) answers the request's current status");

const Extension = z.object({ months: z.number().int().min(1).max(2), reason: z.string() });

/** An item record's name in a request's answer (spec 2.2): its ref while the request is open, its HMAC after. */
const itemNames = {
  ref: z.string().optional().describe("an item record's id, as registered (spec 2.2), while the request is open"),
  item: z.string().optional().describe("an item record's HMAC, once the request is completed (its ref is no longer kept)"),
};

const RetainedEntry = z.object({
  purpose: z.string(),
  ...itemNames,
  reason: z.string(),
  until: z
    .string()
    .nullable()
    .describe('when the retained data goes (policy time zone), or null while unknown (waitingFor) or never (indefinite)'),
  waitingFor: texts.optional().describe('until is null: the events that would start the clock'),
  indefinite: z.literal(true).optional().describe('until is null: the purpose keeps the data indefinitely'),
});

/** `GET /erasure-requests/{requestId}` → 200 (erasure-requests.ts RequestView). */
export const RequestView = z
  .object({
    requestId: z.string(),
    subjectId: z.string().optional().describe('only while the request is open: a completed request keeps no subject id'),
    status: requestStatus,
    receivedAt: timestamp('when the request was received'),
    deadline: timestamp('the deadline'),
    extension: Extension.optional(),
    systems: z.array(
      z.object({
        system: z.string(),
        ...itemNames,
        status: systemStatus,
        fields: texts.optional().describe('fields removed or anonymised where the record was kept for another purpose'),
        error: z.string().optional().describe("the error's name, when the system failed"),
        verification: z
          .enum(VERIFICATIONS)
          .optional()
          .describe(
            'delete, anonymise or field removal: verified (the system was asked afterwards and holds nothing of it) or unverified (the connector cannot ask); data found left fails the system with ConnectorVerificationError',
          ),
      }),
    ),
    retained: z.array(RetainedEntry).describe('what a legal obligation keeps, why, and until when (Art. 18)'),
  })
  .describe('An erasure request and what became of the subject in each system');

/** `GET /restriction-requests/{requestId}` → 200 (subject-requests.ts RestrictionRequestView). */
export const RestrictionRequestView = RequestView.extend({
  kind: z.literal('restriction'),
  until: z.string().nullable().describe('when the restriction is to be lifted (policy time zone); null: until the controller lifts it'),
  keep: z.boolean().describe('Art. 18(1)(b),(c): the data is also kept (no expiry) until the restriction is lifted'),
  lifted: z
    .object({
      at: timestamp('when it was lifted'),
      by: z.enum(['api', 'until']).describe('api: POST /restriction-requests/{requestId}/lift; until: by the sweep once `until` came'),
      unrestricted: z.array(
        z.object({
          system: z.string(),
          itemRef: z.string().optional().describe("an item record's: the HMAC of its ref"),
          status: systemStatus,
        }),
      ),
    })
    .nullable()
    .describe('the lift, with each record asked to unrestrict; null while the restriction is in force'),
}).describe('A restriction request (Art. 18) and what became of the subject in each system');

/** `GET /access-requests/{requestId}` → 200 (subject-requests.ts AccessRequestView). */
export const AccessRequestView = RequestView.extend({
  kind: z.literal('access'),
  access: z
    .array(
      z.object({
        system: z.string(),
        itemRef: z.string().optional().describe("an item record's: the HMAC of its ref"),
        purposes: texts,
        categories: texts,
        fields: texts.describe('the names of the fields held (never their values)'),
      }),
    )
    .nullable()
    .describe('per record: the purposes it is held for, their categories and fields; null until the request is planned'),
  export: z
    .union([
      z
        .object({
          json: z.object({ key: z.string(), url: z.string() }).describe('the export document (JSON)'),
          html: z.object({ key: z.string(), url: z.string() }).describe('its page (HTML)'),
          expiresAt: z.string().describe('UTC ISO: when the links stop working (7 days after the export was produced)'),
        })
        .describe('links signed afresh on each read'),
      z
        .enum(['not-yet-available', 'not-available', 'expired'])
        .describe('not-yet-available: the request is not completed; not-available: it failed; expired: produced more than 7 days ago'),
    ])
    .describe('the export (Art. 15): once the request is completed, links to the document and its page'),
}).describe('An access request (Art. 15): what is held about the subject, per record');

/** `POST /erasure-requests/{requestId}/extend` → 200 (erasure-requests.ts ExtendAnswer). */
export const ExtendAnswer = z.object({
  requestId: z.string(),
  deadline: timestamp('the new deadline'),
  extension: Extension,
});

/** `POST /subjects/{subjectId}/holdings` → 201 (subjects.ts HoldingAnswer). */
export const HoldingAnswer = z.object({
  purpose: z.string(),
  system: z.string(),
  ref: z.string().optional().describe("the item's id, as sent (spec 2.2)"),
  collectedAt: timestamp('when the data was collected'),
  status: z.literal(HOLDING_STATUS.active),
  expiresAt: z.string().nullable().describe('when the holding must be gone (policy time zone); null while unknown or never'),
  waitingFor: texts.optional().describe('expiresAt is null: the events that would start the clock'),
  indefinite: z.literal(true).optional().describe('expiresAt is null: the purpose keeps the data indefinitely'),
  registered: z.boolean().describe('false when a later collection of the same holding was registered already (this one changed nothing)'),
});

/** `POST /subjects/{subjectId}/events` → 201 (subjects.ts EventAnswer). */
export const EventAnswer = z.object({
  type: z.string(),
  at: timestamp('when the event happened'),
  purpose: z.string().optional(),
  ref: z.string().optional().describe("the item's id, as sent (spec 2.2): the event counted for that item's holdings only"),
  holdingsRescheduled: z.number().int().min(0).describe('active holdings whose expiry was recomputed'),
  expiriesChanged: z
    .array(
      z.object({
        purpose: z.string(),
        system: z.string(),
        ref: z.string().optional().describe("an item holding's id (spec 2.2)"),
        from: z.string().nullable().describe('the expiry before the event; null: unknown or never'),
        to: z.string().nullable().describe('the expiry after it; null: unknown or never'),
        waitingFor: texts.optional().describe('to is null: the events its clock waits for'),
        indefinite: z.literal(true).optional().describe('to is null: the purpose keeps the data indefinitely'),
      }),
    )
    .describe('the active holdings whose expiry date this event changed (subjects.ts ExpiryChange)'),
});

/** `GET /subjects/{subjectId}` → 200 (subject-view.ts SubjectView): what Lethe holds about one subject. */
export const SubjectView = z.object({
  subjectId: z.string().describe('as sent'),
  asOf: timestamp('when the view was read (expiries are as of then)'),
  holdings: z.array(
    z.object({
      purpose: z.string(),
      system: z.string(),
      ref: z.string().optional().describe("an active item holding's id, as registered (spec 2.2)"),
      itemRef: z.string().optional().describe("an item holding's HMAC: matches the events about the item"),
      collectedAt: timestamp('when the data was collected'),
      status: z.enum(HOLDING_STATUS),
      expiresAt: z.string().nullable().describe('when it must be gone (policy time zone); null while unknown or never'),
      waitingFor: texts.optional().describe('expiresAt is null: the events that would start the clock'),
      indefinite: z.literal(true).optional().describe('expiresAt is null: the purpose keeps the data indefinitely'),
      explanation: z.string().optional().describe("active: the retention engine's words for the expiry"),
      holds: texts.describe('the ids of the legal holds in force over it'),
      restrictions: z.array(
        z
          .object({ requestId: z.string(), kind: z.string(), by: z.enum(['retained', 'restriction']) })
          .describe('a request restricting it (Art. 18)'),
      ),
      quarantined: z
        .object({ since: z.string(), failedSweeps: z.number().int() })
        .optional()
        .describe('out of the sweep after failed sweeps'),
      nothingFound: z.object({ since: z.string() }).optional().describe('out of the sweep: an expiry found no data'),
      outcome: z.enum(SYSTEM_STATUS).optional().describe('done: what became of the data'),
      finishedAt: z.string().optional(),
      finishedBy: z.string().optional().describe('request:<id>, sweep:<id> or ttl'),
    }),
  ),
  events: z.array(
    z.object({
      type: z.string(),
      at: z.string(),
      purpose: z.string().optional(),
      itemRef: z.string().optional().describe('an event about an item'),
    }),
  ),
  holds: z
    .array(z.object({ holdId: z.string() }).loose())
    .describe('every hold of the subject, as GET /subjects/{subjectId}/holds lists them'),
  requests: z.array(
    z.object({
      requestId: z.string(),
      kind: z.string().describe('erasure, restriction or access'),
      status: z.enum(REQUEST_STATUS),
      receivedAt: z.string(),
      deadline: z.string(),
      finishedAt: z.string().optional(),
    }),
  ),
});

/** A legal hold (holds.ts HoldAnswer): `POST /subjects/{subjectId}/holds` → 201, and each of a subject's holds. */
export const HoldAnswer = z.object({
  holdId: z.string(),
  reason: z.string(),
  placedAt: timestamp('when the hold was placed'),
  releasedAt: z.string().nullable().describe('when it was released (policy time zone); null while it is in force'),
  scope: z
    .object({ purposes: texts.optional(), systems: texts.optional(), refs: texts.optional() })
    .optional()
    .describe('the holdings it covers (every key given must match); none: every holding of the subject'),
});

/** `POST /subjects/{subjectId}/holds/{holdId}/release` → 200 (holds.ts ReleaseAnswer). */
export const ReleaseAnswer = HoldAnswer.extend({
  unrestricted: z
    .array(
      z.object({
        system: z.string(),
        itemRef: z.string().optional().describe("an item record's: the HMAC of its ref"),
        status: systemStatus.describe('what the connector answered to unrestrict (unrestricted, or nothing-found)'),
      }),
    )
    .describe("each record asked to unrestrict the hold's mark; a record another hold or restriction still covers is not asked"),
  holdingsRescheduled: z.number().int().min(0).describe('active holdings the hold covered whose schedule was written again'),
});

/** `GET /subjects/{subjectId}/holds` → 200. */
export const HoldList = z.object({ holds: z.array(HoldAnswer).describe('in force and released, oldest first') });

/** `GET /{erasure,restriction,access}-requests/{requestId}/receipt` → 200 (receipts.ts Receipt; docs/receipts.md). */
export const ReceiptAnswer = z
  .object({
    format: z.literal('lethe-receipt/1'),
    requestId: z.string(),
    kind: z.enum(['erasure', 'restriction', 'access']),
    subject: z.string().describe("the subject's audit HMAC, as the audit records name it (never the id)"),
    policyHash: z.string().describe("SHA-256 of the policy's canonical JSON, as planned"),
    receivedAt: timestamp('when the request was received'),
    deadline: timestamp('its deadline'),
    completedAt: timestamp('when it completed'),
    restriction: z
      .object({
        until: z
          .string()
          .nullable()
          .describe('when the restriction is to be lifted (policy time zone); null: until the controller lifts it'),
        keep: z.boolean().describe('the data is also kept (no expiry) until the restriction is lifted'),
      })
      .optional()
      .describe("a restriction request's terms (only on a restriction request's receipt)"),
    systems: z.array(
      z.object({
        system: z.string(),
        item: z.string().optional().describe("an item record's audit HMAC"),
        action: z
          .enum(['delete', 'anonymise', 'keep', 'restrict', 'unrestrict', 'export', 'retain'])
          .describe('what the plan asked of the record (keep: fields removed or anonymised in a kept record)'),
        outcome: systemStatus,
        purposes: texts,
        counts: z.object({ records: z.number().int(), fields: z.number().int(), objects: z.number().int() }),
        fields: texts.optional().describe('fields removed or anonymised where the record was kept for another purpose'),
        verification: z
          .enum(['not-performed', 'verified', 'unverified'])
          .describe('whether the system was asked afterwards if anything is left: not-performed until verified erasure exists'),
        auditRecord: z.object({ seq: z.number().int(), hash: z.string() }).describe('the audit record this entry rests on'),
      }),
    ),
    retained: z.array(
      z.object({
        purpose: z.string(),
        item: z.string().optional(),
        reason: z.string(),
        until: z.string().nullable(),
        waitingFor: texts.optional(),
        indefinite: z.literal(true).optional(),
        hold: z.string().optional().describe('the legal hold that retains it'),
      }),
    ),
    signature: z.object({
      algorithm: z.literal('ECDSA_SHA_256'),
      keyId: z.string().describe("sha256:<hex> of the signing key's public key (SPKI DER)"),
      digests: z
        .record(z.string(), z.union([z.string(), texts]))
        .describe('SHA-256 of each field’s RFC 8785 canonical JSON; systems and retained one per entry'),
      value: z.string().describe('base64 DER ECDSA P-256 signature over the canonical JSON of {algorithm, keyId, digests}'),
    }),
  })
  .describe('A signed receipt of a completed request: check it offline with `lethe receipt verify` and the public key');

/** `POST /restriction-requests/{requestId}/lift` → 200 (restrictions.ts LiftAnswer). */
export const LiftAnswer = z
  .object({
    requestId: z.string(),
    liftedAt: timestamp('when the restriction was lifted'),
    unrestricted: z
      .array(
        z.object({
          system: z.string(),
          itemRef: z.string().optional().describe("an item record's: the HMAC of its ref"),
          status: systemStatus.describe('what the connector answered to unrestrict (unrestricted, or nothing-found)'),
        }),
      )
      .describe('each record the restriction covered, in the active holdings, asked to unrestrict'),
    holdingsRescheduled: z
      .number()
      .int()
      .min(0)
      .describe("active holdings whose schedule was written again (a keep-restriction's: due again)"),
  })
  .describe('A lifted restriction (Art. 18(3))');

/** `GET /requests` → 200 (request-list.ts RequestList): a page of requests, newest received first, no subject ids. */
export const RequestListAnswer = z
  .object({
    requests: z.array(
      z.object({
        requestId: z.string(),
        kind: z.enum(['erasure', 'restriction', 'access']),
        status: requestStatus,
        receivedAt: z.string().describe('when the request was received: UTC ISO 8601'),
        deadline: z.string().describe('the deadline in force (the extended one, when extended): UTC ISO 8601'),
        extension: z
          .object({ reason: z.string(), extendedAt: z.string().describe('UTC ISO 8601') })
          .optional()
          .describe('Art. 12(3): the extension and its reason'),
        systems: z
          .record(z.string(), z.number().int().min(1))
          .describe('records by status, e.g. {"erased": 3, "failed": 1}; {} until planned'),
      }),
    ),
    cursor: z.string().optional().describe('present when there is a next page: send it as ?cursor= with the same filters'),
  })
  .describe('A page of data subject requests (GET /<kind>-requests/{requestId} has the details)');

/** `GET /retention/calendar` → 200 (retention-stats.ts DueCalendar). */
export const DueCalendarAnswer = z
  .object({
    from: z.string().describe("today (YYYY-MM-DD) in the policy's time zone: the first day counted"),
    days: z.number().int().min(1).max(366),
    timeZone: z.string(),
    purposes: z
      .record(z.string(), z.array(z.object({ date: z.string().describe('YYYY-MM-DD'), count: z.number().int().min(1) })))
      .describe('every purpose of the policy: the days on which holdings expire, ascending (days without are left out)'),
  })
  .describe('Holdings expiring per purpose per day, from the due index');

/** `GET /retention/holdings` → 200 (retention-stats.ts HoldingStates). */
export const HoldingStatesAnswer = z
  .object({
    asOf: z.string().describe('UTC ISO 8601: when these counts were true'),
    purposes: z.record(
      z.string(),
      z.object({
        waiting: z.number().int().min(0).describe('its clock waits for an event: no expiry yet'),
        counting: z.number().int().min(0).describe('clock running, expiry in the future'),
        due: z.number().int().min(0).describe('expiry passed, not yet erased by a sweep'),
        held: z.number().int().min(0).describe('kept by a legal hold or a restriction with keep'),
        indefinite: z.number().int().min(0).describe('its rule keeps it indefinitely'),
        quarantined: z.number().int().min(0).describe('out of the sweep after failing too many sweeps'),
        nothingFound: z.number().int().min(0).describe('its expiry found none of its data; out of the sweep until registered again'),
      }),
    ),
  })
  .describe('Active holdings by state per purpose, from the due and parked indexes (docs/api.md says how they are counted)');

/**
 * Every answer schema, by the name docs/openapi.json gives it (components.schemas), and the operation (routes.ts)
 * whose success it is. Keyed by operation name as text, not ApiOperation, so that a route added to routes.ts does
 * not stop the build here.
 */
export const API_RESPONSE_SCHEMAS: Readonly<Record<string, { readonly name: string; readonly schema: z.ZodType }>> = {
  createErasureRequest: { name: 'RequestReceived', schema: ReceivedAnswer },
  viewErasureRequest: { name: 'ErasureRequestView', schema: RequestView },
  extendErasureRequest: { name: 'ExtendAnswer', schema: ExtendAnswer },
  registerHolding: { name: 'HoldingAnswer', schema: HoldingAnswer },
  recordSubjectEvent: { name: 'EventAnswer', schema: EventAnswer },
  placeHold: { name: 'HoldAnswer', schema: HoldAnswer },
  releaseHold: { name: 'ReleaseAnswer', schema: ReleaseAnswer },
  listHolds: { name: 'HoldList', schema: HoldList },
  createRestrictionRequest: { name: 'RequestReceived', schema: ReceivedAnswer },
  viewRestrictionRequest: { name: 'RestrictionRequestView', schema: RestrictionRequestView },
  extendRestrictionRequest: { name: 'ExtendAnswer', schema: ExtendAnswer },
  createAccessRequest: { name: 'RequestReceived', schema: ReceivedAnswer },
  viewAccessRequest: { name: 'AccessRequestView', schema: AccessRequestView },
  extendAccessRequest: { name: 'ExtendAnswer', schema: ExtendAnswer },
  viewSubject: { name: 'SubjectView', schema: SubjectView },
  viewErasureReceipt: { name: 'Receipt', schema: ReceiptAnswer },
  viewRestrictionReceipt: { name: 'Receipt', schema: ReceiptAnswer },
  viewAccessReceipt: { name: 'Receipt', schema: ReceiptAnswer },
  liftRestrictionRequest: { name: 'LiftAnswer', schema: LiftAnswer },
  listRequests: { name: 'RequestList', schema: RequestListAnswer },
  viewDueCalendar: { name: 'DueCalendar', schema: DueCalendarAnswer },
  viewHoldingStates: { name: 'HoldingStates', schema: HoldingStatesAnswer },
};
