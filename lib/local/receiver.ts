/**
 * The local HTTP receiver: it plays the SaaS behind every `http` system, on 127.0.0.1, so that nothing leaves
 * the machine. In local mode each http system's connector config points at `url(system)` instead of its
 * https:// URL (only the connector function's LETHE_CONNECTOR_CONFIG changes; the policy does not).
 *
 * Per system it keeps the records of the demo subjects (by subject id) and answers each signed webhook call
 * as a well-behaved SaaS would (the format of lib/connectors/webhook.ts):
 * - a request whose X-Lethe-Signature does not verify with the system's webhook secret is refused (401);
 * - the same Idempotency-Key gets the same answer again, without doing the work twice;
 * - `delete` removes the subject's record; `anonymise` and `keep` remove and anonymise the listed fields (each
 *   by its strategy, lib/anonymise); the outcome per subject has the connector statuses and counts.
 * Fault injection for tests and demos: `fail(system, {status, times})` answers the next `times` calls with
 * `status` (503 by default: transient; a 4xx is permanent), `heal(system)` stops it.
 */
import * as http from 'node:http';
import { listenOnLoopback } from './loopback';
import { anonymise } from '../anonymise';
import { LocalModeError } from '../errors';
import type { Strategy } from '../policy/model';
import type { ConnectorCounts, ConnectorSubjectOutcome } from '../runtime/contract';
import {
  IDEMPOTENCY_HEADER,
  SIGNATURE_HEADER,
  verifyWebhookSignature,
  type WebhookRequest,
  type WebhookSubject,
} from '../connectors/webhook';

export type DemoRecord = Record<string, unknown>;

export interface ReceivedCall {
  readonly system: string;
  readonly at: Date;
  readonly idempotencyKey?: string;
  readonly signatureValid: boolean;
  /** The status the receiver answered with. */
  readonly status: number;
  /** Whether this call was answered from the idempotency cache. */
  readonly replayed: boolean;
  /** The request as sent (it holds subject ids and identifiers: never log it). */
  readonly request?: WebhookRequest;
}

export interface FailOptions {
  /** @default 503 */
  readonly status?: number;
  /** How many calls fail. @default every call until heal() */
  readonly times?: number;
}

export interface LocalReceiver {
  readonly url: string;
  /** The webhook URL of a system. */
  urlOf(system: string): string;
  fail(system: string, options?: FailOptions): void;
  heal(system: string): void;
  /** Calls received, oldest first (for one system, or all). */
  received(system?: string): ReceivedCall[];
  /** The system's records by subject id (a copy). */
  records(system: string): Record<string, DemoRecord>;
  /** Stores a record for a subject. */
  put(system: string, subjectId: string, record: DemoRecord): void;
  close(): Promise<void>;
}

export interface ReceiverOptions {
  /** System id → its webhook signing secret. */
  readonly secrets: Readonly<Record<string, string>>;
  /** @default 0 (a free port) */
  readonly port?: number;
}

const PATH = /^\/systems\/([^/]+)\/lethe-erasure$/;

export async function startReceiver(options: ReceiverOptions): Promise<LocalReceiver> {
  const stores = new Map<string, Map<string, DemoRecord>>();
  const failures = new Map<string, { status: number; remaining: number }>();
  const answered = new Map<string, { status: number; body: string }>();
  const calls: ReceivedCall[] = [];
  const storeOf = (system: string) => {
    let store = stores.get(system);
    if (!store) {
      store = new Map();
      stores.set(system, store);
    }
    return store;
  };

  const server = http.createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const raw = Buffer.concat(chunks).toString('utf8');
      const system = decodeURIComponent(PATH.exec(req.url ?? '')?.[1] ?? '');
      const reply = (
        status: number,
        body: unknown,
        call: Omit<ReceivedCall, 'status' | 'system' | 'at' | 'replayed'> & { replayed?: boolean },
      ) => {
        calls.push({ system, at: new Date(), status, replayed: call.replayed ?? false, ...call });
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(typeof body === 'string' ? body : JSON.stringify(body));
      };
      const secret = options.secrets[system];
      if (req.method !== 'POST' || secret === undefined) {
        reply(404, { error: 'no such webhook' }, { signatureValid: false });
        return;
      }
      const signatureValid = verifyWebhookSignature(secret, raw, header(req, SIGNATURE_HEADER));
      const key = header(req, IDEMPOTENCY_HEADER);
      if (!signatureValid) {
        reply(401, { error: 'bad signature' }, { signatureValid, ...(key ? { idempotencyKey: key } : {}) });
        return;
      }
      let request: WebhookRequest | undefined;
      try {
        request = JSON.parse(raw) as WebhookRequest;
      } catch {
        reply(400, { error: 'not JSON' }, { signatureValid, ...(key ? { idempotencyKey: key } : {}) });
        return;
      }
      const common = { signatureValid, request, ...(key ? { idempotencyKey: key } : {}) };
      const failing = failures.get(system);
      if (failing && failing.remaining > 0) {
        failing.remaining--;
        if (failing.remaining === 0) failures.delete(system);
        reply(failing.status, { error: 'injected failure' }, common);
        return;
      }
      const cacheKey = key ? `${system}\u0000${key}` : undefined;
      const previous = cacheKey ? answered.get(cacheKey) : undefined;
      if (previous) {
        reply(previous.status, previous.body, { ...common, replayed: true });
        return;
      }
      const store = storeOf(system);
      const outcomes = (Array.isArray(request?.subjects) ? request.subjects : []).map((s) => applyToRecord(store, s, secret));
      const body = JSON.stringify({ subjects: outcomes });
      if (cacheKey) answered.set(cacheKey, { status: 200, body });
      reply(200, body, common);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  const listening = await listenOnLoopback(server, options.port ?? 0);
  const { url } = listening;

  return {
    url,
    urlOf: (system) => `${url}/systems/${encodeURIComponent(system)}/lethe-erasure`,
    fail(system, failOptions = {}) {
      if (options.secrets[system] === undefined) throw new LocalModeError(`the receiver serves no http system "${system}"`);
      const status = failOptions.status ?? 503;
      if (!Number.isInteger(status) || status < 300 || status > 599)
        throw new LocalModeError(`fail(): status must be 300 to 599, got ${status}`);
      failures.set(system, { status, remaining: failOptions.times ?? Number.POSITIVE_INFINITY });
    },
    heal(system) {
      failures.delete(system);
    },
    received: (system) => calls.filter((c) => system === undefined || c.system === system),
    records: (system) => Object.fromEntries([...storeOf(system)].map(([id, record]) => [id, structuredClone(record)])),
    put(system, subjectId, record) {
      storeOf(system).set(subjectId, structuredClone(record));
    },
    close: listening.close,
  };
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** What a SaaS does with one subject of a webhook call, on its own records. */
export function applyToRecord(store: Map<string, DemoRecord>, subject: WebhookSubject, hmacKey: string): ConnectorSubjectOutcome {
  const zero: ConnectorCounts = { records: 0, fields: 0, objects: 0 };
  const record = store.get(subject.subjectId);
  if (!record) return { subjectRef: subject.subjectRef, status: 'nothing-found', counts: zero };
  if (subject.record === 'delete') {
    store.delete(subject.subjectId);
    return { subjectRef: subject.subjectRef, status: 'erased', counts: { ...zero, records: 1 } };
  }
  let fields = 0;
  for (const field of subject.removeFields) {
    if (field.name in record) {
      delete record[field.name];
      fields++;
    }
  }
  let anonymised = 0;
  for (const field of subject.anonymiseFields) {
    if (!(field.name in record)) continue;
    const result = anonymise(record[field.name], field.anonymise as Strategy | undefined, { hmacKey });
    if (result.remove) delete record[field.name];
    else record[field.name] = result.value;
    anonymised++;
  }
  const changed = fields + anonymised;
  if (subject.record === 'anonymise') {
    return { subjectRef: subject.subjectRef, status: 'anonymised', counts: { ...zero, records: 1, fields: changed } };
  }
  if (changed === 0) return { subjectRef: subject.subjectRef, status: 'nothing-found', counts: zero };
  return {
    subjectRef: subject.subjectRef,
    status: anonymised > 0 ? 'fields-anonymised' : 'fields-removed',
    counts: { ...zero, records: 1, fields: changed },
  };
}
