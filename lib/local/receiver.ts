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
 *   by its strategy, lib/anonymise); `export` answers a copy of the listed fields; the outcome per subject has the
 *   connector statuses and counts. A subject with `ref` (an item record, spec 2.2) is that item's record alone
 *   (receiverRecordKey), never the subject's main record.
 * Fault injection for tests and demos (checked before the idempotency cache, as a proxy in front of the SaaS would
 * fail): `fail(system, {status, times, retryAfterSeconds})` answers the next `times` calls with `status` (503 by
 * default: transient; 429 with a Retry-After is throttling; a 4xx is permanent); `delay(system, {ms, times, lost})`
 * answers `ms` late: with `lost: 'answer'` it does the work at once (a client with a shorter timeout gives up, and
 * its retry with the same Idempotency-Key gets the stored answer), with `lost: 'request'` it never does it and
 * answers 504 (a SaaS stuck behind its gateway); `failRandomly(system, {rate, seed, faults})` fails that share of calls
 * with faults drawn from `faults`, seeded (faults.ts: the n-th attempt of the same call always meets the same
 * fault, so a failure reproduces). `leaveData(system)` makes the SaaS answer `delete`, `anonymise` and `keep` as done
 * while changing nothing (a SaaS that reports success but keeps the data, issue 19). `heal(system)` stops all four.
 *
 * Verify (issue 19; local mode's http systems have `verify: true`): a call with `operation: "verify"` is answered from
 * the store as it is, per subject what of it is still there (`remaining`: the record after a delete; after a field
 * action, each field to remove still there and each field to anonymise whose strategy would still change it). It is
 * never cached under its key: each verify call reads the store.
 *
 * Holding a system (docs/local-mode.md, "Keeping a request open"): `hold(system)`, `--hold-system <id>` or
 * `POST <receiver>/systems/<id>/hold` makes the SaaS answer that system's webhook calls with 503 and a Retry-After,
 * without doing the work, as a SaaS that has queued the erasure and not done it yet. The connector counts 503 as
 * transient, so the erasure workflow retries it, runs out of retries and ends the request `failed`: still open, its
 * deadline running, so `POST /erasure-requests/{id}/extend` answers 200. `release(system)` or
 * `POST <receiver>/systems/<id>/release` ends the hold and calls `onRelease` (local mode: redrives the failed
 * erasure requests, which then complete). Holding is not the retry-until-confirmed protocol a real SaaS would need:
 * Lethe's webhook contract has no "pending" answer, and this mode invents none.
 */
import * as http from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { SeededFaults } from './faults';
import { listenOnLoopback } from '../core/loopback';
import { anonymise } from '../anonymise';
import { LocalModeError } from './errors';
import type { Strategy } from '../policy/model';
import type { ConnectorCounts, ConnectorSubjectOutcome } from '../core/contract';
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
  /** Set when an injected fault shaped the answer: an error status, or an answer held back this long. */
  readonly injected?: { readonly status: number } | { readonly delayMs: number; readonly lost: 'answer' | 'request' };
  /** The request as sent (it holds subject ids and identifiers: never log it). */
  readonly request?: WebhookRequest;
}

export interface FailOptions {
  /** @default 503 */
  readonly status?: number;
  /** How many calls fail. @default every call until heal() */
  readonly times?: number;
  /** Sends a `Retry-After` header with this many seconds (throttling: 429). @default none */
  readonly retryAfterSeconds?: number;
}

export interface DelayOptions {
  /** How late the answer comes, in milliseconds. */
  readonly ms: number;
  /** How many calls are answered late. @default every call until heal() */
  readonly times?: number;
  /**
   * What a client that stops waiting loses: 'answer': the work is done at once and only the answer is late;
   * 'request': the work is never done, and the late answer is 504. @default 'answer'
   */
  readonly lost?: 'answer' | 'request';
}

/** A fault the receiver can meet a call with: an error status (with a Retry-After), or a late answer. */
export type ReceiverFault =
  { readonly status: number; readonly retryAfterSeconds?: number } | { readonly delayMs: number; readonly lost?: 'answer' | 'request' };

export interface RandomFailOptions {
  /** The share of calls that meet a fault, from 0 to 1. */
  readonly rate: number;
  /** The same seed (and the same subjects) gives the same faults at the same attempts. */
  readonly seed: number | string;
  /** @default 503, 429 with Retry-After: 1, and 500, in equal shares */
  readonly faults?: readonly ReceiverFault[];
}

export interface LocalReceiver {
  readonly url: string;
  /** The webhook URL of a system. */
  urlOf(system: string): string;
  fail(system: string, options?: FailOptions): void;
  delay(system: string, options: DelayOptions): void;
  failRandomly(system: string, options: RandomFailOptions): void;
  heal(system: string): void;
  /** Answers the system's actions as done and changes nothing (issue 19: verification must catch it), until heal(). */
  leaveData(system: string): void;
  /** Answers the system's webhook calls with 503 (Retry-After) without doing the work, until release(). */
  hold(system: string): void;
  /** Ends the hold of a system; resolves when `onRelease` has run. */
  release(system: string): Promise<void>;
  /** The systems held now. */
  held(): string[];
  /** Every call of the system is answered `ms` milliseconds after it arrived (a slow SaaS; 0: at once). */
  setLatency(system: string, ms: number): void;
  /** Calls received, oldest first (for one system, or all). */
  received(system?: string): ReceivedCall[];
  /** The system's records by subject id (a copy). */
  records(system: string): Record<string, DemoRecord>;
  /** Stores a record for a subject (its main record, or with `ref` one of its items). */
  put(system: string, subjectId: string, record: DemoRecord, ref?: string): void;
  close(): Promise<void>;
}

export interface ReceiverOptions {
  /** System id → its webhook signing secret. */
  readonly secrets: Readonly<Record<string, string>>;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** Systems held from the start (see hold()). @default none */
  readonly hold?: readonly string[];
  /** Called after a system is released (local mode redrives the failed erasure requests). @default nothing */
  readonly onRelease?: (system: string) => Promise<void> | void;
}

/** How long a held system asks to be left alone, in seconds (the workflow's own backoff decides the retries). */
export const HOLD_RETRY_AFTER_SECONDS = 60;

const PATH = /^\/systems\/([^/]+)\/lethe-erasure$/;
const CONTROL = /^\/systems\/([^/]+)\/(hold|release)$/;

export async function startReceiver(options: ReceiverOptions): Promise<LocalReceiver> {
  const stores = new Map<string, Map<string, DemoRecord>>();
  const failures = new Map<string, { status: number; remaining: number; retryAfterSeconds?: number }>();
  const delays = new Map<string, { ms: number; remaining: number; lost: 'answer' | 'request' }>();
  const randomFaults = new Map<string, SeededFaults<ReceiverFault>>();
  const latencies = new Map<string, number>();
  const answered = new Map<string, { status: number; body: string }>();
  const calls: ReceivedCall[] = [];
  const held = new Set<string>();
  const leaving = new Set<string>();
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
      const control = CONTROL.exec(req.url ?? '');
      if (control) {
        // Hold or release a system: no signature (loopback only, like every fault of this receiver).
        const target = decodeURIComponent(control[1]);
        const answer = (status: number, body: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        };
        if (req.method !== 'POST') answer(405, { error: 'use POST' });
        else if (options.secrets[target] === undefined) answer(404, { error: `no http system "${target}"` });
        else {
          if (control[2] === 'hold') receiver.hold(target);
          else await receiver.release(target);
          answer(200, { system: target, held: held.has(target) });
        }
        return;
      }
      const system = decodeURIComponent(PATH.exec(req.url ?? '')?.[1] ?? '');
      const latency = latencies.get(system);
      if (latency) await sleep(latency);
      const reply = (
        status: number,
        body: unknown,
        call: Omit<ReceivedCall, 'status' | 'system' | 'at' | 'replayed'> & { replayed?: boolean },
        headers: Record<string, string> = {},
      ) => {
        calls.push({ system, at: new Date(), status, replayed: call.replayed ?? false, ...call });
        if (res.destroyed) return; // the client gave up waiting
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
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
      if (held.has(system)) {
        // Queued, not done: a transient answer, so the workflow retries; nothing is cached under the key.
        reply(
          503,
          { error: 'held: the erasure is queued until the system is released' },
          { ...common, injected: { status: 503 } },
          {
            'retry-after': String(HOLD_RETRY_AFTER_SECONDS),
          },
        );
        return;
      }
      const subjects = Array.isArray(request?.subjects) ? (request.subjects as WebhookSubject[]) : [];
      let fault: ReceiverFault | undefined;
      const failing = failures.get(system);
      const delaying = delays.get(system);
      if (failing && failing.remaining > 0) {
        failing.remaining--;
        if (failing.remaining === 0) failures.delete(system);
        fault = {
          status: failing.status,
          ...(failing.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: failing.retryAfterSeconds }),
        };
      } else if (randomFaults.has(system)) {
        // The call's identity: what it is about (its subjects), not its key, which holds a random request id.
        const about = subjects.map((s) => String((s as { subjectId?: unknown }).subjectId)).sort();
        fault = randomFaults.get(system)!.decide(JSON.stringify(about));
      } else if (delaying && delaying.remaining > 0) {
        delaying.remaining--;
        if (delaying.remaining === 0) delays.delete(system);
        fault = { delayMs: delaying.ms, lost: delaying.lost };
      }
      if (fault && 'status' in fault) {
        const headers: Record<string, string> =
          fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
        reply(fault.status, { error: 'injected failure' }, { ...common, injected: { status: fault.status } }, headers);
        return;
      }
      if (fault?.lost === 'request') {
        // Stuck: nothing is done; whoever still waits gets a gateway timeout.
        await sleep(fault.delayMs);
        reply(504, { error: 'injected timeout' }, { ...common, injected: { delayMs: fault.delayMs, lost: 'request' } });
        return;
      }
      if ((request as { operation?: unknown } | undefined)?.operation === 'verify') {
        // Read from the store as it is now, never from the cache: the question is what is left.
        const store = storeOf(system);
        const answered = subjects.map((s) => ({ subjectRef: s.subjectRef, remaining: remainingOf(store, s, secret) }));
        reply(200, { subjects: answered }, common);
        return;
      }
      const late = fault ? { injected: { delayMs: fault.delayMs, lost: 'answer' as const } } : {};
      const cacheKey = key ? `${system}\u0000${key}` : undefined;
      const previous = cacheKey ? answered.get(cacheKey) : undefined;
      let answer: { status: number; body: string; replayed: boolean };
      if (previous) {
        answer = { ...previous, replayed: true };
      } else {
        const store = storeOf(system);
        // A SaaS that keeps the data: it answers from a copy of its store, and the store stays as it was.
        const working = leaving.has(system) ? new Map([...store].map(([k, v]) => [k, structuredClone(v)])) : store;
        const outcomes = subjects.map((s) => applyToRecord(working, s, secret));
        answer = { status: 200, body: JSON.stringify({ subjects: outcomes }), replayed: false };
        if (cacheKey) answered.set(cacheKey, { status: 200, body: answer.body });
      }
      // A late answer: the work is done (and remembered under the key) now, the answer comes later.
      if (fault) await sleep(fault.delayMs);
      reply(answer.status, answer.body, { ...common, ...late, replayed: answer.replayed });
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  const known = (system: string) => {
    if (options.secrets[system] === undefined) throw new LocalModeError(`the receiver serves no http system "${system}"`);
  };
  const times = (n: number | undefined, what: string): number => {
    if (n === undefined) return Number.POSITIVE_INFINITY;
    if (!Number.isInteger(n) || n < 1) throw new LocalModeError(`${what}(): times must be a whole number >= 1, got ${n}`);
    return n;
  };
  for (const system of options.hold ?? []) {
    known(system);
    held.add(system);
  }
  const listening = await listenOnLoopback(server, options.port ?? 0);
  const { url } = listening;

  const receiver: LocalReceiver = {
    url,
    urlOf: (system) => `${url}/systems/${encodeURIComponent(system)}/lethe-erasure`,
    fail(system, failOptions = {}) {
      known(system);
      const status = failOptions.status ?? 503;
      if (!Number.isInteger(status) || status < 300 || status > 599)
        throw new LocalModeError(`fail(): status must be 300 to 599, got ${status}`);
      const retryAfter = failOptions.retryAfterSeconds;
      if (retryAfter !== undefined && (!Number.isInteger(retryAfter) || retryAfter < 0))
        throw new LocalModeError(`fail(): retryAfterSeconds must be a whole number >= 0, got ${retryAfter}`);
      failures.set(system, {
        status,
        remaining: times(failOptions.times, 'fail'),
        ...(retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter }),
      });
    },
    delay(system, delayOptions) {
      known(system);
      if (!Number.isInteger(delayOptions?.ms) || delayOptions.ms < 0)
        throw new LocalModeError(`delay(): ms must be a whole number >= 0, got ${delayOptions?.ms}`);
      const lost = delayOptions.lost ?? 'answer';
      if (lost !== 'answer' && lost !== 'request')
        throw new LocalModeError(`delay(): lost must be 'answer' or 'request', got ${String(lost)}`);
      delays.set(system, { ms: delayOptions.ms, remaining: times(delayOptions.times, 'delay'), lost });
    },
    failRandomly(system, randomOptions) {
      known(system);
      const faults = randomOptions.faults ?? [{ status: 503 }, { status: 429, retryAfterSeconds: 1 }, { status: 500 }];
      for (const f of faults) {
        if ('status' in f && (!Number.isInteger(f.status) || f.status < 300 || f.status > 599))
          throw new LocalModeError(`failRandomly(): a fault's status must be 300 to 599, got ${f.status}`);
        if ('delayMs' in f && (!Number.isInteger(f.delayMs) || f.delayMs < 0))
          throw new LocalModeError(`failRandomly(): a fault's delayMs must be a whole number >= 0, got ${f.delayMs}`);
      }
      randomFaults.set(system, new SeededFaults({ rate: randomOptions.rate, seed: randomOptions.seed, faults }));
    },
    leaveData(system) {
      known(system);
      leaving.add(system);
    },
    heal(system) {
      leaving.delete(system);
      failures.delete(system);
      delays.delete(system);
      randomFaults.delete(system);
    },
    hold(system) {
      known(system);
      held.add(system);
    },
    async release(system) {
      known(system);
      if (!held.delete(system)) return;
      await options.onRelease?.(system);
    },
    held: () => [...held],
    setLatency(system, ms) {
      if (options.secrets[system] === undefined) throw new LocalModeError(`the receiver serves no http system "${system}"`);
      if (!Number.isInteger(ms) || ms < 0) throw new LocalModeError(`setLatency(): ms must be a whole number >= 0, got ${ms}`);
      latencies.set(system, ms);
    },
    received: (system) => calls.filter((c) => system === undefined || c.system === system),
    records: (system) => Object.fromEntries([...storeOf(system)].map(([id, record]) => [id, structuredClone(record)])),
    put(system, subjectId, record, ref) {
      storeOf(system).set(receiverRecordKey(subjectId, ref), structuredClone(record));
    },
    close: () => listening.close(),
  };
  return receiver;
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The key of a record in a system's store: the subject id for the subject's main record, and for an item record (the
 * webhook's `ref`, spec 2.2) the subject id and the ref, so that an item call acts on that item alone, never on the
 * subject's main record or another item.
 */
export function receiverRecordKey(subjectId: string, ref?: string): string {
  return ref === undefined ? subjectId : `${subjectId}#item#${ref}`;
}

/**
 * The verify operation (issue 19): what of the subject a call's action should have removed is still in the store: the
 * record after a delete; after a field action, each field to remove that is there, and each field to anonymise whose
 * strategy would still change its value (every strategy but random leaves its own output as it is).
 */
export function remainingOf(store: Map<string, DemoRecord>, subject: WebhookSubject, hmacKey: string): ConnectorCounts {
  const zero: ConnectorCounts = { records: 0, fields: 0, objects: 0 };
  const record = store.get(receiverRecordKey(subject.subjectId, subject.ref));
  if (!record) return zero;
  if (subject.record === 'delete') return { ...zero, records: 1 };
  let fields = subject.removeFields.filter((f) => Object.hasOwn(record, f.name)).length;
  for (const field of subject.anonymiseFields) {
    if (!Object.hasOwn(record, field.name) || field.anonymise?.strategy === 'random') continue;
    const again = anonymise(record[field.name], field.anonymise as Strategy | undefined, { hmacKey });
    if (again.remove || !isDeepStrictEqual(again.value, record[field.name])) fields++;
  }
  return { ...zero, records: fields > 0 ? 1 : 0, fields };
}

/** What a SaaS does with one subject of a webhook call, on its own records. */
export function applyToRecord(store: Map<string, DemoRecord>, subject: WebhookSubject, hmacKey: string): ConnectorSubjectOutcome {
  const zero: ConnectorCounts = { records: 0, fields: 0, objects: 0 };
  const key = receiverRecordKey(subject.subjectId, subject.ref);
  const record = store.get(key);
  // Restriction (spec 2.4): the record gets `lethe:restricted` {requestId, until?}; unrestrict removes this request's.
  if (subject.record === 'restrict' || subject.record === 'unrestrict') {
    const restricting = subject.record === 'restrict';
    const status = restricting ? ('restricted' as const) : ('unrestricted' as const);
    const mark = record?.['lethe:restricted'] as { requestId?: unknown } | undefined;
    if (!record || (!restricting && mark?.requestId !== subject.restriction?.requestId))
      return { subjectRef: subject.subjectRef, status, counts: zero };
    if (restricting) record['lethe:restricted'] = { ...subject.restriction };
    else delete record['lethe:restricted'];
    return { subjectRef: subject.subjectRef, status, counts: { ...zero, records: 1 } };
  }
  // Export (spec 2.4, an access request): a copy of the listed fields the record has, and no other; nothing changes.
  if (subject.record === 'export') {
    if (!record) return { subjectRef: subject.subjectRef, status: 'exported', counts: zero, export: { records: [] } };
    const names = (subject.exportFields ?? []).map((f) => f.name).filter((name) => Object.hasOwn(record, name));
    const fields = Object.fromEntries(names.map((name) => [name, structuredClone(record[name])]));
    const source = subject.ref === undefined ? 'the customer record' : `the record of ${subject.ref}`;
    return {
      subjectRef: subject.subjectRef,
      status: 'exported',
      counts: { ...zero, records: 1, fields: names.length },
      export: { records: [{ source, fields }] },
    };
  }
  if (!record) return { subjectRef: subject.subjectRef, status: 'nothing-found', counts: zero };
  if (subject.record === 'delete') {
    store.delete(key);
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
