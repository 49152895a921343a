/**
 * The HTTP connector: one signed webhook call per invocation (the whole batch), to a SaaS that erases the
 * subjects in its own system and answers with an outcome for each (format: webhook.ts, docs/connectors.md).
 *
 * - The signing secret is read from Secrets Manager (`config.secretName`, cached).
 * - Timeout `config.timeoutSeconds` (default 10) for the whole exchange, body included.
 * - 408, 429, 5xx, timeouts and network failures are transient (the state machine retries them with the same
 *   `Idempotency-Key`); other 4xx, redirects and a response that is not a valid answer are permanent.
 * - No retry here: retrying is the state machine's job. Messages name the status, never the response body
 *   (which could echo personal data).
 * - Record action `export` (spec 2.4): the subject carries `exportFields`; the SaaS answers `exported` with `export`
 *   (`{records: [{source, fields}]}`), validated by shape here and, in `Connector.run`, for its fields (only those
 *   listed) and its size (EXPORT_LIMITS.maxBytes). The copy is never logged.
 * - The SaaS may answer a subject it could not do, while it did others, in `failed` (an error name, and whether
 *   to retry): validated and passed on. A failure of the whole call stays a failure of the whole call.
 * - Verification (issue 19): with `config.verify`, the subjects whose action removes data are asked about again, in a
 *   second signed call of the same invocation (`operation: "verify"`, Idempotency-Key `<operationId>:verify`): the SaaS
 *   answers, per subject, what of it is still there (`remaining` counts; all 0: nothing). Without `config.verify`
 *   nothing is asked and the outcomes are `unverified`.
 */
import type { ConnectorSubjectFailure, ConnectorSubjectOutcome } from '../core/contract';
import { secretKeySource, type KeySource } from '../core/subject-ref';
import type { HttpConnectorConfig } from './config';
import {
  Connector,
  type ConnectorContext,
  type ConnectorOptions,
  type Counts,
  type Invocation,
  type InvocationSubject,
  type Processed,
} from './connector';
import { ConnectorPermanentError, ConnectorTransientError, toConnectorError } from './errors';
import { checkOutcomes, parseOrThrow } from './invocation';
import {
  IDEMPOTENCY_HEADER,
  signWebhook,
  SIGNATURE_HEADER,
  WebhookResponseSchema,
  WebhookVerifyResponseSchema,
  type WebhookRequest,
  type WebhookSubject,
  type WebhookVerifyRequest,
} from './webhook';

export const DEFAULT_TIMEOUT_SECONDS = 10;

export interface HttpConnectorOptions extends ConnectorOptions {
  /** The webhook signing secret. @default Secrets Manager `config.secretName`, cached */
  readonly signingKey?: KeySource;
  /** @default Node's fetch (undici) */
  readonly fetch?: typeof fetch;
  /** The clock for the signature's timestamp, in milliseconds. @default Date.now */
  readonly now?: () => number;
}

export class HttpConnector extends Connector<HttpConnectorConfig> {
  public readonly type = 'http';
  private readonly signingKey: KeySource;
  private readonly fetch: typeof fetch;
  private readonly now: () => number;

  public constructor(system: string, config: HttpConnectorConfig, options: HttpConnectorOptions = {}) {
    super(system, config, options);
    this.signingKey = options.signingKey ?? secretKeySource(config.secretName);
    this.fetch = options.fetch ?? fetch;
    this.now = options.now ?? Date.now;
  }

  protected override async process(invocation: Invocation): Promise<Processed> {
    if (invocation.subjects.length === 0) return { subjects: [] };
    const request: WebhookRequest = {
      system: invocation.system,
      operationId: invocation.operationId,
      subjects: invocation.subjects.map(webhookSubjectOf),
    };
    const where = `http: POST to the webhook of system "${this.system}"`;
    const answer = parseOrThrow(WebhookResponseSchema, await this.post(request, where), `${where}: the answer`);
    const failures = answer.failed ?? [];
    checkOutcomes(answer.subjects, invocation.subjects, `${where}: the answer`, failures);
    // In the order of the invocation; a subject the SaaS answered as failed is passed on as such.
    const byRef = new Map<string, ConnectorSubjectOutcome>(answer.subjects.map((s) => [s.subjectRef, s]));
    const failedByRef = new Map<string, ConnectorSubjectFailure>(failures.map((f) => [f.subjectRef, f]));
    const subjects = invocation.subjects.flatMap((s) => byRef.get(s.subjectRef) ?? []);
    const failed = invocation.subjects.flatMap((s) => failedByRef.get(s.subjectRef) ?? []);
    return failed.length > 0 ? { subjects, failed } : { subjects };
  }

  /**
   * The verify operation (issue 19): with `config.verify`, one signed call for every subject asked about; the SaaS
   * answers what of each is still there. A subject it answers in `failed` could not be asked about: it fails with that
   * error. Without `config.verify`, nothing is asked (every subject `unverified`).
   */
  protected override async verify(
    subjects: readonly InvocationSubject[],
    context: ConnectorContext,
  ): Promise<ReadonlyMap<string, Counts | Error>> {
    if (this.config.verify !== true || subjects.length === 0) return new Map();
    const request: WebhookVerifyRequest = {
      operation: 'verify',
      system: this.system,
      operationId: `${context.operationId}:verify`,
      subjects: subjects.map(webhookSubjectOf),
    };
    const where = `http: POST (verify) to the webhook of system "${this.system}"`;
    const answer = parseOrThrow(WebhookVerifyResponseSchema, await this.post(request, where), `${where}: the answer`);
    const failures = answer.failed ?? [];
    checkOutcomes(answer.subjects, subjects, `${where}: the answer`, failures);
    const answers = new Map<string, Counts | Error>(answer.subjects.map((s) => [s.subjectRef, s.remaining]));
    for (const f of failures) {
      // The SaaS's error name is kept (as a failed action's is); transient or not as it says.
      const error = f.transient ? new ConnectorTransientError(`${where}: ${f.error}`) : new ConnectorPermanentError(`${where}: ${f.error}`);
      error.name = f.error;
      answers.set(f.subjectRef, error);
    }
    return answers;
  }

  /** One signed POST of `request`; answers the parsed JSON of a 2xx answer, or throws a connector error. */
  private async post(request: WebhookRequest | WebhookVerifyRequest, where: string): Promise<unknown> {
    const body = JSON.stringify(request);
    let secret: string | Uint8Array;
    try {
      secret = await this.signingKey();
    } catch (error) {
      throw toConnectorError(error, `http: reading the signing secret "${this.config.secretName}"`);
    }
    const signature = signWebhook(secret, body, Math.floor(this.now() / 1000));
    const timeoutSeconds = this.config.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;

    let status: number;
    let text: string;
    try {
      const response = await this.fetch(this.config.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json',
          [SIGNATURE_HEADER]: signature,
          [IDEMPOTENCY_HEADER]: request.operationId,
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutSeconds * 1000),
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      if ((error as { name?: unknown }).name === 'TimeoutError') {
        throw new ConnectorTransientError(`${where} timed out after ${timeoutSeconds} s`, { cause: error });
      }
      throw toConnectorError(error, where);
    }

    if (status === 408 || status === 429 || status >= 500) throw new ConnectorTransientError(`${where} answered HTTP ${status}`);
    if (status < 200 || status >= 300) throw new ConnectorPermanentError(`${where} answered HTTP ${status}`);
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new ConnectorPermanentError(`${where}: the answer (HTTP ${status}) is not JSON`, { cause: error });
    }
  }
}

/** A subject as the webhook receives it. */
function webhookSubjectOf(s: InvocationSubject): WebhookSubject {
  return {
    subjectRef: s.subjectRef,
    subjectId: s.subjectId,
    locator: s.locator,
    identifiers: s.identifiers,
    ...(s.ref !== undefined ? { ref: s.ref } : {}),
    record: s.record,
    removeFields: s.removeFields,
    anonymiseFields: s.anonymiseFields,
    ...(s.restriction ? { restriction: s.restriction } : {}),
    ...(s.exportFields ? { exportFields: s.exportFields } : {}),
  };
}
