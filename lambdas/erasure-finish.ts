/**
 * Erasure workflow, last task: records the failures the state machine caught, writes the missing audit records
 * and sets the request's final status (ErasureFinishInput → ErasureFinishOutput {requestId, status, failedSystems}).
 */
import type { ErasureFinishInput, ErasureFinishOutput } from '../lib/core/contract';
import { finishErasure } from '../lib/runtime/erasure';
import { checkRequestId } from '../lib/runtime/erasure-requests';
import { withPowertools } from '../lib/runtime/handler';
import { defaultRuntime, type Runtime } from '../lib/runtime/runtime';

export function makeHandler(getRuntime: () => Runtime = defaultRuntime) {
  return withPowertools<ErasureFinishInput, ErasureFinishOutput>(
    async (input) => {
      const requestId = checkRequestId(input?.requestId);
      return finishErasure(getRuntime(), { requestId, results: Array.isArray(input.results) ? input.results : [] });
    },
    { transientErrors: true },
  );
}

export const handler = makeHandler();
