/**
 * Typed calls of Lethe's API (holdings, events, the three request kinds, legal holds, the subject view) over local mode's HTTP transport (`LocalLethe.api`, which adds the bearer
 * token): each call names what it did when the API answers anything but the expected status, with the API's own
 * `{"error": {code, message, path?}}`.
 */
import { DemoError } from './errors';
import type { LocalLethe } from '../local';
import type {
  AccessRequestBody,
  ErasureRequestBody,
  HoldBody,
  HoldingBody,
  RestrictionRequestBody,
  SubjectEventBody,
} from '../runtime/api-schemas';
import type { EventAnswer, HoldingAnswer, ReceivedAnswer } from '../runtime';
import type { HoldAnswer, ReleaseAnswer } from '../runtime/holds';
import type { LiftAnswer } from '../runtime/restrictions';
import type { Receipt } from '../runtime/receipts';
import type { SubjectView } from '../runtime/subject-view';

export interface ApiErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly path?: string };
}

type Transport = LocalLethe['api'];

/** "POST /x answered 400 (invalid-input at purpose: unknown purpose ...)" */
export function describeAnswer(call: string, answer: { status: number; body: unknown }): string {
  const error = (answer.body as Partial<ApiErrorBody> | undefined)?.error;
  const detail = error ? `${error.code}${error.path ? ` at ${error.path}` : ''}: ${error.message}` : JSON.stringify(answer.body);
  return `${call} answered ${answer.status} (${detail})`;
}

export class ApiClient {
  public constructor(private readonly transport: Transport) {}

  private async expect<T>(status: number, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    const answer = await this.transport(method, path, { ...(body === undefined ? {} : { body }), ...(headers ? { headers } : {}) });
    if (answer.status !== status) throw new DemoError(describeAnswer(`${method} ${path}`, answer));
    return answer.body as T;
  }

  public registerHolding(subjectId: string, body: HoldingBody): Promise<HoldingAnswer> {
    return this.expect(201, 'POST', `/subjects/${encodeURIComponent(subjectId)}/holdings`, body);
  }

  public recordEvent(subjectId: string, body: SubjectEventBody): Promise<EventAnswer> {
    return this.expect(201, 'POST', `/subjects/${encodeURIComponent(subjectId)}/events`, body);
  }

  public requestErasure(body: ErasureRequestBody, idempotencyKey: string): Promise<ReceivedAnswer> {
    return this.expect(202, 'POST', '/erasure-requests', body, { 'Idempotency-Key': idempotencyKey });
  }

  public placeHold(subjectId: string, body: HoldBody): Promise<Pick<HoldAnswer, 'holdId'>> {
    return this.expect(201, 'POST', `/subjects/${encodeURIComponent(subjectId)}/holds`, body);
  }

  public releaseHold(subjectId: string, holdId: string): Promise<ReleaseAnswer> {
    return this.expect(200, 'POST', `/subjects/${encodeURIComponent(subjectId)}/holds/${encodeURIComponent(holdId)}/release`);
  }

  /** `GET /subjects/{subjectId}`: what Lethe holds about the subject. */
  public viewSubject(subjectId: string): Promise<SubjectView> {
    return this.expect(200, 'GET', `/subjects/${encodeURIComponent(subjectId)}`);
  }

  public requestRestriction(body: RestrictionRequestBody, idempotencyKey: string): Promise<ReceivedAnswer> {
    return this.expect(202, 'POST', '/restriction-requests', body, { 'Idempotency-Key': idempotencyKey });
  }

  /** `POST /restriction-requests/{requestId}/lift`: the marks removed, the restriction over. */
  public liftRestriction(requestId: string): Promise<LiftAnswer> {
    return this.expect(200, 'POST', `/restriction-requests/${encodeURIComponent(requestId)}/lift`);
  }

  public requestAccess(body: AccessRequestBody, idempotencyKey: string): Promise<ReceivedAnswer> {
    return this.expect(202, 'POST', '/access-requests', body, { 'Idempotency-Key': idempotencyKey });
  }

  /** `GET /erasure-requests/{requestId}/receipt`: the request's signed receipt (issue 19, item 2). */
  public erasureReceipt(requestId: string): Promise<Receipt> {
    return this.expect(200, 'GET', `/erasure-requests/${encodeURIComponent(requestId)}/receipt`);
  }

  /** `GET /{kind}-requests/{requestId}` (erasure, restriction, access). */
  public viewRequest<T>(kind: 'erasure' | 'restriction' | 'access', requestId: string): Promise<T> {
    return this.expect(200, 'GET', `/${kind}-requests/${encodeURIComponent(requestId)}`);
  }

  /**
   * Polls `GET /{kind}-requests/{requestId}` until the request is `completed` or `failed` (the workflow runs in
   * local mode's Step Functions); a DemoError when it is neither after `timeoutMs`.
   */
  public async waitForRequest<T extends { status: string }>(
    kind: 'erasure' | 'restriction' | 'access',
    requestId: string,
    { timeoutMs = 180_000, everyMs = 200 }: { timeoutMs?: number; everyMs?: number } = {},
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const view = await this.viewRequest<T>(kind, requestId);
      if (view.status === 'completed' || view.status === 'failed') return view;
      if (Date.now() > deadline) throw new DemoError(`${kind} request ${requestId} is still ${view.status} after ${timeoutMs / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  }
}
