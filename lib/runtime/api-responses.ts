/**
 * The erasure API's answers, as zod schemas: what lib/runtime/openapi.ts publishes in docs/openapi.json as each
 * route's response body. The handlers build their answers as the TypeScript types beside them (ReceivedAnswer,
 * RequestView, HoldingAnswer, ...); test/lib/runtime/api-responses.test.ts calls every route of the handler and checks
 * that each answer is exactly what its schema here says (no key missing, none extra), so the document cannot drift
 * from what the API answers.
 *
 * A route without an entry in API_RESPONSE_SCHEMAS is published with an untyped JSON object as its answer (and the
 * test names it): add its schema here when adding a route.
 */
import { z } from 'zod';
import { HOLDING_STATUS, REQUEST_STATUS, SYSTEM_STATUS } from '../core/contract';

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
  .describe("The erasure request as stored; a repeated request (same Idempotency-Key) answers the request's current status");

const Extension = z.object({ months: z.number().int().min(1).max(2), reason: z.string() });

const RetainedEntry = z.object({
  purpose: z.string(),
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
        status: systemStatus,
        fields: texts.optional().describe('fields removed or anonymised where the record was kept for another purpose'),
        error: z.string().optional().describe("the error's name, when the system failed"),
      }),
    ),
    retained: z.array(RetainedEntry).describe('what a legal obligation keeps, why, and until when (Art. 18)'),
  })
  .describe('An erasure request and what became of the subject in each system');

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
});

/**
 * Every answer schema, by the name docs/openapi.json gives it (components.schemas), and the operation (routes.ts)
 * whose success it is. Keyed by operation name as text, not ApiOperation, so that a route added to routes.ts does
 * not stop the build here: the test names each route that has no schema.
 */
export const API_RESPONSE_SCHEMAS: Readonly<Record<string, { readonly name: string; readonly schema: z.ZodType }>> = {
  createErasureRequest: { name: 'ErasureRequestReceived', schema: ReceivedAnswer },
  viewErasureRequest: { name: 'ErasureRequestView', schema: RequestView },
  extendErasureRequest: { name: 'ExtendAnswer', schema: ExtendAnswer },
  registerHolding: { name: 'HoldingAnswer', schema: HoldingAnswer },
  recordSubjectEvent: { name: 'EventAnswer', schema: EventAnswer },
};
