/**
 * The webhook format of the HTTP connector: what Lethe POSTs to a SaaS, how it is signed, and what the SaaS
 * answers. Receivers can use `verifyWebhookSignature` (or the ten lines in docs/connectors.md).
 *
 * Request: `POST <config.url>`, `Content-Type: application/json`, body `WebhookRequest`, headers
 * - `X-Lethe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`
 * - `Idempotency-Key: <operationId>` (the same for every retry of the same work)
 * Response: 2xx with a `WebhookResponse` body: one outcome per subject sent, or, for a subject the SaaS could not
 * do while it did others, a failure in `failed` (the error's name and whether it is worth retrying).
 *
 * Verify (issue 19, with the system's `config.verify`): after the action's call, a second signed call to the same URL,
 * body `WebhookVerifyRequest` (`operation: "verify"`, the same subjects, Idempotency-Key `<operationId>:verify`), asks
 * what of each subject the action should have removed is still there; the SaaS changes nothing and answers
 * `WebhookVerifyResponse`: per subject `remaining` counts (all 0: nothing is left), or a failure in `failed`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { RecordAction } from '../core/contract';
import { ConnectorExportSchema, ConnectorSubjectFailureSchema, OUTCOME_STATUSES } from './invocation';

export const SIGNATURE_HEADER = 'X-Lethe-Signature';
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
/** How old a signature a receiver should accept, by default. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

export interface WebhookField {
  readonly name: string;
  readonly category: string;
  readonly anonymise?: { readonly strategy: string; readonly [option: string]: unknown };
}

export interface WebhookSubject {
  readonly subjectRef: string;
  readonly subjectId: string;
  readonly locator: Readonly<Record<string, string>>;
  readonly identifiers: Readonly<Record<string, string>>;
  /**
   * An item record's ref (spec 2.2: an order number, a ticket id), as the application registered it: act on that item
   * alone, never on the subject's main record or another item (`O-1` is not `O-10`). Absent: the subject's main record.
   */
  readonly ref?: string;
  readonly record: RecordAction;
  readonly removeFields: readonly WebhookField[];
  readonly anonymiseFields: readonly WebhookField[];
  /** With `record` `restrict`/`unrestrict` (spec 2.4): the restriction's request id and end (UTC ISO), if any. */
  readonly restriction?: { readonly requestId: string; readonly until?: string };
  /** With `record` `export` (spec 2.4, Art. 15): the fields to return (and no other), in the answer's `export`. */
  readonly exportFields?: readonly WebhookField[];
}

export interface WebhookRequest {
  readonly system: string;
  readonly operationId: string;
  readonly subjects: readonly WebhookSubject[];
}

/**
 * The verify operation: the subjects as the action's call sent them (their `record` and fields say what should be
 * gone). A receiver tells it from an action's call by `operation`, which an action's call does not have.
 */
export interface WebhookVerifyRequest extends WebhookRequest {
  readonly operation: 'verify';
}

const count = z.int().min(0).default(0);

/**
 * The SaaS's answer. Counts default to 0; statuses are the connector outcome statuses; `failed` (optional) as in
 * the connector result: `{subjectRef, error: <an error name, never a message>, transient}`.
 */
export const WebhookResponseSchema = z.object({
  subjects: z.array(
    z.object({
      subjectRef: z.string().min(1),
      status: z.enum(OUTCOME_STATUSES, { error: `expected status: ${OUTCOME_STATUSES.join(' | ')}` }),
      counts: z.object({ records: count, fields: count, objects: count }).default({ records: 0, fields: 0, objects: 0 }),
      /** With status `exported`: `{records: [{source, fields}], truncated?}` (ConnectorExport). */
      export: ConnectorExportSchema.optional(),
    }),
  ),
  failed: z.array(ConnectorSubjectFailureSchema).optional(),
});
export type WebhookResponse = z.input<typeof WebhookResponseSchema>;

/**
 * The SaaS's answer to a verify call: per subject what of it is still there, counts defaulting to 0 (`records`: records
 * that should be gone, or that still hold a field that should be gone; `fields`: such fields; `objects`: files).
 */
export const WebhookVerifyResponseSchema = z.object({
  subjects: z.array(
    z.object({
      subjectRef: z.string().min(1),
      remaining: z.object(
        { records: count, fields: count, objects: count },
        { error: 'expected remaining: {records, fields, objects} (what of the subject is still there; all 0: nothing)' },
      ),
    }),
  ),
  failed: z.array(ConnectorSubjectFailureSchema).optional(),
});
export type WebhookVerifyResponse = z.input<typeof WebhookVerifyResponseSchema>;

/** `t=<seconds>,v1=<hex>`: HMAC-SHA256 over `<seconds>.<body>` with the shared secret. */
export function signWebhook(secret: string | Uint8Array, body: string, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${createHmac('sha256', secret).update(`${unixSeconds}.${body}`, 'utf8').digest('hex')}`;
}

/**
 * For receivers: whether `header` is a valid signature of `body` (the raw request body, exactly as received)
 * made within `toleranceSeconds` of `nowSeconds`. Compares in constant time.
 */
export function verifyWebhookSignature(
  secret: string | Uint8Array,
  body: string,
  header: string | undefined | null,
  options: { readonly toleranceSeconds?: number; readonly nowSeconds?: number } = {},
): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match) return false;
  const t = Number(match[1]);
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return false;
  const expected = Buffer.from(signWebhook(secret, body, t).slice(`t=${t},v1=`.length), 'hex');
  return timingSafeEqual(expected, Buffer.from(match[2], 'hex'));
}
