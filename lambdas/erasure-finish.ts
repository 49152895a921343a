/**
 * Erasure workflow, last task: records the failures the state machine caught, writes the missing audit records
 * and sets the request's final status (ErasureFinishInput → ErasureFinishOutput {requestId, status, failedSystems}).
 * A request of any kind that completes gets its signed receipt, issued once and kept in the audit bucket
 * (lib/runtime/receipts.ts issueAtCompletion; issue 19, item 2): a finish run again keeps the receipt stored first.
 */
import type { ErasureFinishInput, ErasureFinishOutput } from '../lib/core/contract';
import { finishErasure } from '../lib/runtime/erasure';
import { checkRequestId } from '../lib/runtime/erasure-requests';
import { withPowertools } from '../lib/runtime/handler';
import { logger } from '../lib/core/observability';
import { issueAtCompletion } from '../lib/runtime/receipts';
import { defaultRuntime, type Runtime } from '../lib/runtime/runtime';

export function makeHandler(getRuntime: () => Runtime = defaultRuntime) {
  return withPowertools<ErasureFinishInput, ErasureFinishOutput>(
    async (input) => {
      const requestId = checkRequestId(input?.requestId);
      const rt = getRuntime();
      const issue = async () => {
        const receipt = await issueAtCompletion(rt, requestId);
        logger.info(receipt ? 'receipt kept' : 'no receipt: completed before receipts', {
          requestId,
          ...(receipt ? { keyId: receipt.signature.keyId } : {}),
        });
      };
      // Run again after the request completed (the receipt's put failed, a redrive): the receipt first, as the rest
      // of the finish was done (and an access request's export cannot be produced again without the subject id).
      const completedBefore = (await rt.requests.get(requestId))?.status === 'completed';
      if (completedBefore) await issue();
      const output = await finishErasure(rt, { requestId, results: Array.isArray(input.results) ? input.results : [] });
      if (output.status === 'completed' && !completedBefore) await issue();
      return output;
    },
    { transientErrors: true },
  );
}

export const handler = makeHandler();
