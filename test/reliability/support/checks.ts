/**
 * The checks every erasure under faults must pass (faults-connectors, faults-dynamodb-restart): the request
 * completed without a redrive; each system has the policy's outcome (or, where allowed, an outcome lost with a
 * call that did its work, shown by the proxy's log: FaultyLocal.judge); the data is gone or anonymised in every
 * system; exactly one audit record per system, with the recorded outcome; the audit chain whole.
 */
import type { FaultyLocal } from './faulty-local';
import { leftovers, SYSTEMS } from './subjects';

export interface RequestResult {
  readonly requestId: string;
  readonly status: string;
  readonly systems: readonly { system: string; status: string }[];
}

/** Runs the checks; the `system/id` pairs whose outcome was lost (only when `allowLostOutcomes`). */
export async function expectErasedCorrectly(
  e: FaultyLocal,
  results: ReadonlyMap<string, RequestResult>,
  options: {
    readonly allowLostOutcomes?: boolean;
    /**
     * A system may have run out of its Retry and been audited `failed` before the finish's one more run of the failed
     * systems succeeded (erasure.asl.json): its earlier records are then `failed`, its last the outcome. The
     * `system/id` pairs are pushed to `retried`.
     */
    readonly retried?: string[];
  } = {},
): Promise<string[]> {
  const audit = await e.local.auditRecords();
  const lost: string[] = [];
  for (const [id, view] of results) {
    expect({ id, status: view.status }).toEqual({ id, status: 'completed' });
    const recorded = Object.fromEntries(view.systems.map((s) => [s.system, s.status]));
    expect(Object.keys(recorded).sort()).toEqual([...SYSTEMS].sort());
    for (const system of SYSTEMS) {
      const verdict = e.judge(system, id, recorded[system]);
      const acceptable = verdict === 'right' || (verdict === 'lost' && options.allowLostOutcomes === true);
      expect({ id, system, outcome: recorded[system], acceptable }).toEqual({ id, system, outcome: recorded[system], acceptable: true });
      if (verdict === 'lost') lost.push(`${system}/${id}`);
    }
    expect({ id, leftovers: await leftovers(e.clients, id) }).toEqual({ id, leftovers: [] });
    let records = audit.filter((r) => r.requestId === view.requestId);
    if (options.retried) {
      // Each system's last record stands; every earlier one must be a failure that the one more run made good.
      const last = new Map(records.map((r) => [r.system, r]));
      const earlier = records.filter((r) => last.get(r.system) !== r);
      expect({ id, earlier: earlier.filter((r) => r.outcome !== 'failed').map((r) => [r.system, r.outcome]) }).toEqual({ id, earlier: [] });
      for (const system of new Set(earlier.map((r) => r.system))) options.retried.push(`${system}/${id}`);
      records = [...last.values()];
    }
    expect({ id, audit: records.map((r) => [r.system, r.outcome]).sort() }).toEqual({
      id,
      audit: SYSTEMS.map((s) => [s, recorded[s]]).sort(),
    });
    expect(e.local.executions().find((x) => x.name === view.requestId)).toMatchObject({ status: 'SUCCEEDED', redriveCount: 0 });
  }
  const chain = await e.local.verifyAudit();
  expect(chain.break).toBeUndefined();
  expect(chain.records).toBe(audit.length);
  return lost;
}
