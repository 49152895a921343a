/**
 * Local mode for the fault tests, in this process: test/reliability/fixtures/faults-policy.yaml, no timers (sweeps
 * run when a test asks), and the connectors of the store systems behind fault proxies (fault-proxy.ts):
 * `profiles` and `surveys` (dynamodb connector functions), `files` (s3 connector function) and `crm` (the `lambda`
 * system: the demo function, the controller's own code, whose DynamoDB calls go through the proxy). The `http`
 * systems meet their faults in the receiver (lib/local/receiver.ts). Everything else (the runtime's ledger,
 * requests, idempotency, audit) reaches the emulators directly: the faults are the connectors' alone.
 *
 * A connector function gets a shorter timeout (CONNECTOR_TIMEOUT_MS) so that a stalled call becomes Lambda's
 * timeout in seconds, not in the stack's 5 minutes. Not much shorter: a connector that is still working (the AWS
 * SDK backing off after throttling, on a loaded machine) when its time runs out goes on in its worker, as in a
 * frozen and thawed Lambda sandbox, and its retry then finds nothing: `nothing-found` instead of `erased`
 * (seen here with 3 s and 8 s on a loaded two-core machine; docs/reliability.md).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type LocalLethe, startLocal } from '../../../lib/local';
import { connectorFunctionName } from '../../../lib/local/function-specs';
import type { LocalFunctionSpec } from '../../../lib/local/functions';
import { type FaultProxy, type FaultProxyStats, startFaultProxy } from './fault-proxy';
import { type Api, type Clients, OUTCOME_OF, POLICY_FILE, type SystemId } from './subjects';

export const CONNECTOR_TIMEOUT_MS = 15_000;
export const PROXIED = ['profiles', 'surveys', 'files', 'crm'] as const;
export type ProxiedSystem = (typeof PROXIED)[number];

/** The local function that serves each proxied system: a connector function, or the `lambda` system's own. */
const FUNCTION_OF: Readonly<Record<ProxiedSystem, string>> = {
  profiles: connectorFunctionName('profiles'),
  surveys: connectorFunctionName('surveys'),
  files: connectorFunctionName('files'),
  crm: 'rel-crm',
};

export interface FaultyLocal {
  readonly local: LocalLethe;
  readonly dataDir: string;
  readonly proxies: Readonly<Record<ProxiedSystem, FaultProxy>>;
  readonly clients: Clients;
  readonly api: Api;
  /** Fault counts of every proxy, summed by kind, and requests. */
  proxyStats(): FaultProxyStats;
  /**
   * How a subject's recorded outcome in a system compares with the policy's: 'right'; 'lost' when it is
   * nothing-found and the proxy saw an earlier call change this subject's data there (the outcome of a call that
   * did its work but failed afterwards was lost, and its retry found nothing left: docs/reliability.md); 'wrong'
   * otherwise.
   */
  judge(system: SystemId, id: string, outcome: string | undefined): 'right' | 'lost' | 'wrong';
  heal(): void;
  stop(): Promise<void>;
}

export interface FaultyLocalOptions {
  /** Keep DynamoDB Local's data in a file (needed to restart it). @default false */
  readonly persist?: boolean;
  /** Retry with the definitions' backoff (2 s doubling, full jitter) instead of 20 ms. @default false */
  readonly definitionsBackoff?: boolean;
}

export async function startFaultyLocal(options: FaultyLocalOptions = {}): Promise<FaultyLocal> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'lethe-rel-'));
  const proxies = {
    profiles: await startFaultProxy('dynamodb'),
    surveys: await startFaultProxy('dynamodb'),
    files: await startFaultProxy('s3'),
    crm: await startFaultProxy('dynamodb'),
  };
  const bySpec = new Map<string, ProxiedSystem>(PROXIED.map((s) => [FUNCTION_OF[s], s]));
  const functionSpec = (spec: LocalFunctionSpec): LocalFunctionSpec => {
    const system = bySpec.get(spec.name);
    if (!system) return spec;
    const proxy = proxies[system];
    const variable = proxy.service === 's3' ? 'AWS_ENDPOINT_URL_S3' : 'AWS_ENDPOINT_URL_DYNAMODB';
    proxy.target = spec.env[variable];
    return { ...spec, timeoutMs: CONNECTOR_TIMEOUT_MS, env: { ...spec.env, [variable]: proxy.url } };
  };
  let local: LocalLethe;
  try {
    local = await startLocal({
      policyFile: POLICY_FILE,
      port: 0,
      dataDir,
      persist: options.persist ?? false,
      sweepEveryMs: false,
      deadlineMonitorEveryMs: false,
      streamPollMs: false,
      ...(options.definitionsBackoff ? {} : { retryIntervalMs: 20 }),
      banner: false,
      // Every worker loaded before the tests: the time-outs are the faults', not cold starts'.
      warm: true,
      functionSpec,
    });
  } catch (error) {
    await Promise.all(Object.values(proxies).map((p) => p.close()));
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  for (const system of PROXIED) {
    if (!proxies[system].target) throw new Error(`no local function ${FUNCTION_OF[system]} was defined for system ${system}`);
  }
  return {
    local,
    dataDir,
    proxies,
    clients: { dynamodb: local.clients.dynamodb, documents: local.clients.documents, s3: local.clients.s3, receiver: local.receiver },
    api: (method, apiPath, body, headers) =>
      local.api(method, apiPath, { ...(body === undefined ? {} : { body }), ...(headers ? { headers } : {}) }),
    proxyStats() {
      const all = Object.values(proxies).map((p) => p.stats());
      const sum = (f: (s: FaultProxyStats) => number) => all.reduce((n, s) => n + f(s), 0);
      return {
        requests: sum((s) => s.requests),
        forwarded: sum((s) => s.forwarded),
        faults: {
          throttle: sum((s) => s.faults.throttle),
          error: sum((s) => s.faults.error),
          reset: sum((s) => s.faults.reset),
          stall: sum((s) => s.faults.stall),
        },
      };
    },
    judge(system, id, outcome) {
      if (outcome === OUTCOME_OF[system]) return 'right';
      if (outcome !== 'nothing-found' || !(PROXIED as readonly string[]).includes(system)) return 'wrong';
      return proxies[system as ProxiedSystem].changed(system === 'files' ? `users/${id}/` : id) ? 'lost' : 'wrong';
    },
    heal() {
      for (const p of Object.values(proxies)) p.heal();
      for (const system of ['mailer', 'tickets']) local.receiver.heal(system);
    },
    async stop() {
      await local.stop();
      await Promise.all(Object.values(proxies).map((p) => p.close()));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
