/**
 * Replay after a restore (issue 19, item 3): applies a system's tombstones since a restore point again
 * (ReplayExecutionInput → ReplayOutput; lib/runtime/replay.ts). Called by statemachines/replay.asl.json, whose
 * execution name is the run's id. A transient failure is rethrown for the state machine to retry (what was applied
 * is found gone the next time: nothing-found).
 */
import type { ReplayOutput } from '../lib/core/contract';
import { withPowertools } from '../lib/runtime/handler';
import { replaySystem, type ReplayInput } from '../lib/runtime/replay';
import { defaultRuntime, type Runtime } from '../lib/runtime/runtime';

export function makeHandler(getRuntime: () => Runtime = defaultRuntime) {
  return withPowertools<ReplayInput, ReplayOutput>(async (input) => replaySystem(getRuntime(), input), { transientErrors: true });
}

export const handler = makeHandler();
