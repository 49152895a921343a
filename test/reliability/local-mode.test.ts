/**
 * Reliability and security against local mode (issue 7, items 4 and 5): ONE local Lethe (DynamoDB Local, s3rver,
 * the state machines, every function in its worker, the webhook receiver; all on 127.0.0.1) for this file, with
 * the policy test/reliability/fixtures/policy.yaml.
 *
 * 1. Load: 1 000 erasure requests sent at once; every one accepted, completed, its data gone everywhere, nobody
 *    else's touched, exactly its audit records, and its deadline right (scenarios/load.ts).
 * 2. Leaks: after the load run (and a few more kinds of activity), every function log line, every audit record
 *    and every execution's input, output and history is searched for the subjects' personal data and for the
 *    data directory's secrets (scenarios/leaks.ts).
 *
 * Needs Java 17+ (DynamoDB Local), as local mode does. Takes about 2 to 3 minutes on a two-core machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type LocalLethe, startLocal } from '../../lib/local';
import { defineLeakScenarios } from './scenarios/leaks';
import { defineLoadScenarios } from './scenarios/load';
import { POLICY_FILE } from './support/population';

jest.setTimeout(240_000);

let local: LocalLethe | undefined;
let dataDir: string | undefined;
const current = (): LocalLethe => {
  if (!local) throw new Error('local mode did not start (see the error of beforeAll)');
  return local;
};

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'lethe-rel-'));
  local = await startLocal({
    policyFile: POLICY_FILE,
    port: 0,
    dataDir,
    sweepEveryMs: false,
    deadlineMonitorEveryMs: false,
    // Retries (a transient webhook failure in the leak scenarios) after 250 ms instead of the definitions' 2 s.
    retryIntervalMs: 250,
    // Every function's worker started before the run: the load figures are not cold starts.
    warm: true,
    banner: false,
  });
}, 180_000);

afterAll(async () => {
  await local?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

defineLoadScenarios(current);
defineLeakScenarios(current);
