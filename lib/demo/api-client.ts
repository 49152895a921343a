/**
 * Typed calls of Lethe's erasure API over local mode's HTTP transport (`LocalLethe.api`, which adds the bearer
 * token): each call names what it did when the API answers anything but the expected status, with the API's own
 * `{"error": {code, message, path?}}`.
 */
import { DemoError } from './errors';
import type { LocalLethe } from '../local';
import type { ErasureRequestBody, HoldingBody, SubjectEventBody } from '../runtime/api-schemas';
import type { EventAnswer, HoldingAnswer, ReceivedAnswer } from '../runtime';

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
}
