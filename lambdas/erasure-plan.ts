/**
 * Erasure workflow, first task: marks the request running and plans it (ErasureExecutionInput → ErasurePlanOutput).
 * An unknown request is a `RequestNotFoundError` (the state machine's "Request not found").
 */
import type { ErasureExecutionInput, ErasurePlanOutput } from '../lib/core/contract';
import { planErasure } from '../lib/runtime/erasure';
import { checkRequestId } from '../lib/runtime/erasure-requests';
import { withPowertools } from '../lib/runtime/handler';
import { defaultRuntime, type Runtime } from '../lib/runtime/runtime';

export function makeHandler(getRuntime: () => Runtime = defaultRuntime) {
  return withPowertools<ErasureExecutionInput, ErasurePlanOutput>(
    async (input) => planErasure(getRuntime(), checkRequestId(input?.requestId)),
    { transientErrors: true },
  );
}

export const handler = makeHandler();
