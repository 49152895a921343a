/**
 * Erasure workflow, one Map iteration: runs one system's connector for the request (ErasureSystemInput →
 * ErasureSystemOutput). Idempotent: a system already finished is not run again. A transient connector failure
 * is thrown as `ConnectorTransientError` (retried by the state machine), a permanent one as
 * `ConnectorPermanentError` (caught and recorded).
 */
import type { ErasureSystemInput, ErasureSystemOutput } from '../lib/core/contract';
import { eraseInSystem } from '../lib/runtime/erasure';
import { checkRequestId } from '../lib/runtime/erasure-requests';
import { parseRecordKey } from '../lib/runtime/ledger';
import { withPowertools } from '../lib/runtime/handler';
import { defaultRuntime, type Runtime } from '../lib/runtime/runtime';
import { checkSystem } from '../lib/runtime/validate';

export function makeHandler(getRuntime: () => Runtime = defaultRuntime) {
  return withPowertools<ErasureSystemInput, ErasureSystemOutput>(
    async (input) => {
      const rt = getRuntime();
      const requestId = checkRequestId(input?.requestId);
      // `system` is a system id, or (the retry of a failed item record, failedSystems) the item record's key.
      const record = typeof input?.record === 'string' ? input.record : String(input?.system);
      const { system } = parseRecordKey(record);
      checkSystem(rt.policy, system, 'system');
      return eraseInSystem(rt, requestId, system, record);
    },
    { transientErrors: true },
  );
}

export const handler = makeHandler();
