/**
 * Sweep: applies expiry to one batch of subjects (SweepApplyInput → SweepApplyOutput). A holding whose erasure
 * fails stays due for the next sweep; the counts say how many went and how many failed.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SweepApplyInput, SweepApplyOutput } from '../lib/runtime/contract';
import { withPowertools } from '../lib/runtime/handler';
import { metrics } from '../lib/runtime/observability';
import { defaultRuntime, type Runtime } from '../lib/runtime/runtime';
import { applyExpiryToBatch } from '../lib/runtime/sweep';

export function makeHandler(getRuntime: () => Runtime = defaultRuntime) {
  return withPowertools<SweepApplyInput, SweepApplyOutput>(
    async (input) => {
      const output = await applyExpiryToBatch(getRuntime(), input);
      metrics.addMetric('HoldingsExpired', MetricUnit.Count, output.holdingsDone);
      metrics.addMetric('HoldingsFailed', MetricUnit.Count, output.holdingsFailed);
      return output;
    },
    { metrics: true, transientErrors: true },
  );
}

export const handler = makeHandler();
