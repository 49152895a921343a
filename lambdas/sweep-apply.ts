/**
 * Sweep: applies expiry to one batch of subjects (SweepApplyInput → SweepApplyOutput). A holding whose erasure
 * fails stays due for the next sweep; the counts say how many went, how many failed, how many were quarantined
 * (HoldingsQuarantined, alarmed) and how many subjects the time budget left undone. A transient failure is
 * rethrown after the rest is recorded, for the state machine to retry. The batch stops on the Lambda's remaining
 * time and its Express execution's (lib/runtime/sweep.ts).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { RuntimeConfigError } from '../lib/core/errors';
import { ENV, METRICS, type SweepApplyInput, type SweepApplyOutput } from '../lib/core/contract';
import { withPowertools } from '../lib/runtime/handler';
import { metrics } from '../lib/core/observability';
import { defaultRuntime, type Runtime } from '../lib/runtime/runtime';
import { applyExpiryToBatch } from '../lib/runtime/sweep';

export interface SweepApplyHandlerOptions {
  /** @default ENV.quarantineAfterFailedSweeps, else 3 */
  readonly quarantineAfterFailedSweeps?: number;
}

/** The configured number of failed sweeps before quarantine, if any (a whole number from 1). */
export function quarantineAfterFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): number | undefined {
  const raw = env[ENV.quarantineAfterFailedSweeps];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new RuntimeConfigError(`${ENV.quarantineAfterFailedSweeps} must be a whole number >= 1; got "${raw}"`);
  return n;
}

export function makeHandler(getRuntime: () => Runtime = defaultRuntime, options: SweepApplyHandlerOptions = {}) {
  return withPowertools<SweepApplyInput, SweepApplyOutput>(
    async (input, context) =>
      applyExpiryToBatch(getRuntime(), input, {
        remainingMs: () => context.getRemainingTimeInMillis(),
        quarantineAfter: options.quarantineAfterFailedSweeps ?? quarantineAfterFromEnv(),
        onOutput: (output) => {
          metrics.addMetric('HoldingsExpired', MetricUnit.Count, output.holdingsDone);
          metrics.addMetric('HoldingsFailed', MetricUnit.Count, output.holdingsFailed);
          if (output.holdingsQuarantined) metrics.addMetric(METRICS.holdingsQuarantined, MetricUnit.Count, output.holdingsQuarantined);
          if (output.holdingsNothingFound) metrics.addMetric(METRICS.holdingsNothingFound, MetricUnit.Count, output.holdingsNothingFound);
        },
      }),
    { metrics: true, transientErrors: true },
  );
}

export const handler = makeHandler();
