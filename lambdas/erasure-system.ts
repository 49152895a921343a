/**
 * Erasure workflow, one Map iteration: runs one system's connector for the request (ErasureSystemInput →
 * ErasureSystemOutput). Idempotent: a system already finished is not run again. A transient connector failure
 * is thrown as `ConnectorTransientError` (retried by the state machine), a permanent one as
 * `ConnectorPermanentError` (caught and recorded).
 */
import type { ErasureSystemInput, ErasureSystemOutput } from '../lib/core/contract';
import { eraseInSystem } from '../lib/runtime/erasure';
import { checkRequestId } from '../lib/runtime/erasure-requests';
import { withPowertools } from '../lib/runtime/handler';
import { defaultRuntime, type Runtime } from '../lib/runtime/runtime';
import { checkSystem } from '../lib/runtime/validate';

export function makeHandler(getRuntime: () => Runtime = defaultRuntime) {
  return withPowertools<ErasureSystemInput, ErasureSystemOutput>(
    async (input) => {
      const rt = getRuntime();
      const requestId = checkRequestId(input?.requestId);
      checkSystem(rt.policy, String(input?.system), 'system');
      return eraseInSystem(rt, requestId, input.system);
    },
    { transientErrors: true },
  );
}

export const handler = makeHandler();
