/**
 * Whose bill a run's cost is on (issue 16): **Lethe's own** (its ledger, workflows, functions, audit, keys, logs
 * and API) and **the user's store** (what the connectors' own requests cost in the user's tables and buckets),
 * per connector type. Pure: the meter's per-table and per-bucket counts, the policy's stores, the prices.
 */
import type { UsageSnapshot } from '../local/meter';
import type { Policy } from '../policy/model';
import { costOf, type Prices, type Usage, ZERO_USAGE } from './cost-model';

/** The tables and buckets of the user's systems, each with its connector type. */
export interface UserStores {
  readonly tables: Readonly<Record<string, string>>;
  readonly buckets: Readonly<Record<string, string>>;
  /** Every connector type of the policy (so that one that costs nothing shows as 0). */
  readonly connectorTypes: readonly string[];
}

export function userStoresOf(policy: Pick<Policy, 'systems'>): UserStores {
  const tables: Record<string, string> = {};
  const buckets: Record<string, string> = {};
  for (const system of Object.values(policy.systems)) {
    const config = system.config as { tableName?: unknown; bucket?: unknown };
    if (system.connector === 'dynamodb' && typeof config.tableName === 'string') tables[config.tableName] = system.connector;
    if (system.connector === 's3' && typeof config.bucket === 'string') buckets[config.bucket] = system.connector;
  }
  const connectorTypes = [...new Set(Object.values(policy.systems).map((s) => s.connector))].sort();
  return { tables, buckets, connectorTypes };
}

export const LETHE_LINES = ['ledger', 'workflow', 'functions', 'audit', 'keys', 'logs', 'api', 'other'] as const;

export type LetheLine = (typeof LETHE_LINES)[number];

export interface CostSplit {
  readonly lethe: { readonly totalUSD: number; readonly byLine: Readonly<Record<LetheLine, number>> };
  readonly userStore: { readonly totalUSD: number; readonly byConnector: Readonly<Record<string, number>> };
  /** Lethe's and the user's store's together. */
  readonly endToEndUSD: number;
}

/**
 * Splits the cost of `usage` (the run's usage in billing units, as the bench prices it) using the snapshot's
 * per-table and per-bucket counts: DynamoDB units and S3 requests on a user's store are the user's; the rest of
 * DynamoDB is Lethe's ledger (and its other tables), the rest of S3 its audit.
 */
export function splitCost(snapshot: UsageSnapshot, usage: Usage, stores: UserStores, prices: Prices): CostSplit {
  const byConnector: Record<string, number> = Object.fromEntries(stores.connectorTypes.map((c) => [c, 0]));
  let userDynamodb = 0;
  let userS3 = 0;
  for (const [table, units] of Object.entries(snapshot.dynamodb.unitsByTable)) {
    const type = stores.tables[table];
    if (!type) continue;
    const usd = costOf({ ...ZERO_USAGE, dynamodb: { readRequestUnits: units.read, writeRequestUnits: units.write } }, prices).totalUSD;
    byConnector[type] = (byConnector[type] ?? 0) + usd;
    userDynamodb += usd;
  }
  for (const [bucket, requests] of Object.entries(snapshot.s3.requestsByBucket)) {
    const type = stores.buckets[bucket];
    if (!type) continue;
    const usd = costOf({ ...ZERO_USAGE, s3: { tier1Requests: requests.tier1, tier2Requests: requests.tier2 } }, prices).totalUSD;
    byConnector[type] = (byConnector[type] ?? 0) + usd;
    userS3 += usd;
  }
  const all = costOf(usage, prices).byService;
  const byLine: Record<LetheLine, number> = {
    ledger: all.dynamodb - userDynamodb,
    workflow: all.stepFunctions,
    functions: all.lambda,
    audit: all.s3 - userS3,
    keys: all.kms,
    logs: all.logs,
    api: all.apiGateway,
    other: all.scheduler + all.eventBridge,
  };
  const letheTotal = LETHE_LINES.reduce((sum, line) => sum + byLine[line], 0);
  const userTotal = userDynamodb + userS3;
  return {
    lethe: { totalUSD: letheTotal, byLine },
    userStore: { totalUSD: userTotal, byConnector },
    endToEndUSD: letheTotal + userTotal,
  };
}
