/**
 * Time budgets: how long each Lethe function may run, chosen so that each fits where it runs (issue 15, item 10),
 * and the limits of the Step Functions services the sweep must stay within. The stack (lib/stack), the state
 * machines (statemachines/*.asl.json: their TimeoutSeconds are asserted against these in the tests) and local
 * mode (lib/local) read the same numbers.
 *
 * The sweep's chain, from the outside in:
 * - an Express child execution of the Distributed Map runs at most `EXPRESS_MAX_SECONDS` (AWS's limit, retries
 *   included): its "Apply expiry to a batch" Task has `TimeoutSeconds` 130 and one retry, 2 × 130 s plus the
 *   retry's pause fit in 300 s;
 * - sweep-apply's Lambda timeout (120 s) is below its Task's TimeoutSeconds, and the function stops a batch early
 *   (`SWEEP_FINISH_RESERVE_MS`, `CONNECTOR_TIMEOUT_SECONDS`) rather than being cut off by either;
 * - a connector function, called synchronously by sweep-apply, times out well before sweep-apply does.
 */

/** The longest an Express execution (a sweep batch's child execution) may run, retries included. */
export const EXPRESS_MAX_SECONDS = 300;

/**
 * Events an execution's history may hold (Standard workflows); the next one fails the execution. The sweep
 * continues in a new execution well before (`SWEEP_PAGES_PER_EXECUTION`).
 */
export const HISTORY_EVENT_LIMIT = 25_000;

/** Lambda timeout of each Lethe function (lambdas/<entry>.ts), in seconds. */
export const FUNCTION_TIMEOUT_SECONDS = {
  api: 30,
  'subject-events': 30,
  'erasure-plan': 30,
  // Standard erasure workflow: one connector call and its ledger writes.
  'erasure-system': 6 * 60,
  'erasure-finish': 2 * 60,
  'sweep-read': 60,
  // Runs inside an Express child execution: see the module comment.
  'sweep-apply': 2 * 60,
  // Event source mapping of the ledger streams (at most 15 minutes).
  'ledger-stream': 6 * 60,
  'deadline-monitor': 30,
  // Replay after a restore (lib/runtime/replay.ts): every tombstone of one system since the restore point, one
  // connector call each, in one invocation (Lambda's longest).
  replay: 15 * 60,
} as const;

/**
 * Default Lambda timeout of a built-in connector function (ConnectorFunctions' `timeout`): sweep-apply waits for
 * a whole call within its own 120 s, with `SWEEP_FINISH_RESERVE_MS` to spare.
 */
export const CONNECTOR_TIMEOUT_SECONDS = 60;

/** Kept free at the end of a sweep-apply invocation for the audit segment and the holdings' finish. */
export const SWEEP_FINISH_RESERVE_MS = 15_000;

/** Pages of due holdings one sweep execution reads before it continues in a new execution. */
export const SWEEP_PAGES_PER_EXECUTION = 500;

/** Failed sweeps after which a holding is quarantined, unless configured (ENV.quarantineAfterFailedSweeps). */
export const QUARANTINE_AFTER_FAILED_SWEEPS = 3;
