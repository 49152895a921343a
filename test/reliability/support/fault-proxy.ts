/**
 * A fault-injecting HTTP proxy on 127.0.0.1, in front of DynamoDB Local or s3rver, for ONE connector function: the
 * reliability tests point that function's AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_S3 at it (startLocal's
 * `functionSpec` hook), so that the connector's own AWS SDK calls meet the faults while the runtime's calls (the
 * ledger, the requests, the audit) go straight to the emulator.
 *
 * Faults, as the services send them, so that the SDK and the connector classify them by their own rules:
 * - `throttle`: DynamoDB's 400 `ThrottlingException`, S3's 503 `SlowDown` (the SDK retries them with its
 *   throttling backoff);
 * - `error`: DynamoDB's 500 `InternalServerError`, S3's 500 `InternalError`;
 * - `reset`: the connection is closed without an answer (the SDK sees ECONNRESET / socket hang up);
 * - `stall`: no answer at all, until the proxy closes: the call hangs (the SDK sets no timeout of its own), so the
 *   connector FUNCTION times out (Lambda's `Sandbox.Timedout`, which the runtime retries). The stalled socket is
 *   held until `close()`, as a timed-out Lambda sandbox is gone with its pending call.
 * Every fault is injected BEFORE the request reaches the emulator: the service never sees a faulted request.
 * (A request the service carried out but whose answer was lost is a different fault; see docs/reliability.md.)
 *
 * Which requests meet a fault: the next `times` (`inject`), or a seeded share (`random`, faults.ts), decided per
 * request identity (DynamoDB: operation, table, key; S3: method, path and the keys a DeleteObjects names) and
 * attempt, so concurrency does not change which attempts fail.
 */
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { SeededFaults } from '../../../lib/local/faults';

export type ProxiedService = 'dynamodb' | 's3';
export const FAULT_KINDS = ['throttle', 'error', 'reset', 'stall'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultProxyStats {
  readonly requests: number;
  readonly forwarded: number;
  readonly faults: Readonly<Record<FaultKind, number>>;
}

/** One request the proxy received: what it was about, and the fault it met (if any). */
export interface ProxiedCall {
  readonly at: number;
  readonly identity: string;
  readonly fault?: FaultKind;
  /** The emulator's answer status, once forwarded and answered. */
  status?: number;
}

export interface FaultProxy {
  readonly url: string;
  readonly service: ProxiedService;
  /** Where requests go (the emulator's endpoint); set once the emulator is known. */
  target?: string;
  /** The next `times` requests meet `kind`. */
  inject(kind: FaultKind, times: number): void;
  /** Each request meets a fault with probability `rate`, drawn from `kinds`, seeded. */
  random(options: { rate: number; seed: number | string; kinds: readonly FaultKind[] }): void;
  /** No more faults (stalled requests stay stalled). */
  heal(): void;
  stats(): FaultProxyStats;
  /** Every request so far, oldest first. */
  calls(): readonly ProxiedCall[];
  /** Whether a request that changes data about `key` (an item key value, an object key prefix) reached the emulator and succeeded. */
  changed(key: string): boolean;
  close(): Promise<void>;
}

const DYNAMODB_FAULTS: Record<'throttle' | 'error', { status: number; type: string; message: string }> = {
  throttle: { status: 400, type: 'ThrottlingException', message: 'Rate of requests exceeds the allowed throughput.' },
  error: { status: 500, type: 'InternalServerError', message: 'Internal server error' },
};
const S3_FAULTS: Record<'throttle' | 'error', { status: number; code: string; message: string }> = {
  throttle: { status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' },
  error: { status: 500, code: 'InternalError', message: 'We encountered an internal error. Please try again.' },
};

/** DynamoDB and S3 requests that change data. */
const MUTATING = /DeleteItem|UpdateItem|PutItem|BatchWriteItem|^POST \S*\?delete|^PUT |^DELETE /;

/** What a request is about, without what changes from attempt to attempt (signatures, dates, anonymised values). */
function identityOf(service: ProxiedService, req: http.IncomingMessage, body: Buffer): string {
  if (service === 's3') {
    // DeleteObjects names its keys in the body.
    const keys = [...body.toString('utf8').matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]).sort();
    return keys.length > 0 ? `${req.method} ${req.url} ${JSON.stringify(keys)}` : `${req.method} ${req.url}`;
  }
  const operation = String(req.headers['x-amz-target'] ?? '');
  try {
    const parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    const about = parsed.Key ?? (operation.endsWith('.Query') ? parsed.ExpressionAttributeValues : parsed.Item);
    return JSON.stringify([operation, parsed.TableName, about]);
  } catch {
    return operation;
  }
}

export async function startFaultProxy(service: ProxiedService): Promise<FaultProxy> {
  let next: { kind: FaultKind; remaining: number } | undefined;
  let seeded: SeededFaults<FaultKind> | undefined;
  let requests = 0;
  let forwarded = 0;
  const faults: Record<FaultKind, number> = { throttle: 0, error: 0, reset: 0, stall: 0 };
  const sockets = new Set<Socket>();
  const stalled = new Set<http.ServerResponse>();
  const log: ProxiedCall[] = [];

  const proxy: FaultProxy = {
    url: '',
    service,
    inject(kind, times) {
      if (!Number.isInteger(times) || times < 1) throw new Error(`inject(): times must be a whole number >= 1, got ${times}`);
      next = { kind, remaining: times };
    },
    random(options) {
      seeded = new SeededFaults({ rate: options.rate, seed: options.seed, faults: options.kinds });
    },
    heal() {
      next = undefined;
      seeded = undefined;
    },
    stats: () => ({ requests, forwarded, faults: { ...faults } }),
    calls: () => log.map((c) => ({ ...c })),
    changed: (key) =>
      log.some(
        (c) =>
          c.status !== undefined &&
          c.status < 300 &&
          MUTATING.test(c.identity) &&
          (service === 's3'
            ? c.identity.includes(`"${key}`) || c.identity.includes(`/${key}`)
            : c.identity.includes(`{"S":${JSON.stringify(key)}}`)),
      ),
    close: async () => undefined,
  };

  const server = http.createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      requests++;
      const identity = identityOf(service, req, body);
      let fault: FaultKind | undefined;
      if (next && next.remaining > 0) {
        fault = next.kind;
        if (--next.remaining === 0) next = undefined;
      } else if (seeded) {
        fault = seeded.decide(identity);
      }
      const call: ProxiedCall = { at: Date.now(), identity, ...(fault ? { fault } : {}) };
      log.push(call);
      if (fault) {
        faults[fault]++;
        answerWithFault(fault, req, res);
        return;
      }
      if (!proxy.target) throw new Error('the fault proxy has no target yet');
      forwarded++;
      const target = new URL(proxy.target);
      const upstream = http.request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          call.status = answer.statusCode;
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    })().catch(() => res.destroy());
  });

  function answerWithFault(fault: FaultKind, req: http.IncomingMessage, res: http.ServerResponse): void {
    if (fault === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault === 'stall') {
      stalled.add(res);
      return;
    }
    if (service === 'dynamodb') {
      const f = DYNAMODB_FAULTS[fault];
      const text = JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${f.type}`, message: f.message });
      res.writeHead(f.status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': f.type });
      res.end(text);
    } else {
      const f = S3_FAULTS[fault];
      res.writeHead(f.status, { 'content-type': 'application/xml' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${f.code}</Code><Message>${f.message}</Message></Error>`);
    }
  }

  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return Object.assign(proxy, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        stalled.clear();
        server.close(() => resolve());
      }),
  });
}
