/**
 * Scheduled: publishes METRICS.openRequestsNearDeadline, the number of open requests (erasure, restriction and
 * access; in all, and by kind with a `kind` dimension) whose deadline is
 * within LETHE_DEADLINE_WARNING_DAYS days (default 7) or past. The stack alarms on it. It also starts the
 * workflow of any request the API stored but could not start (lib/runtime/monitor.ts, startStalledRequests).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS } from '../lib/core/contract';
import { withPowertools } from '../lib/runtime/handler';
import { countOpenNearDeadlineByKind, type CountsByKind, startStalledRequests, totalOf, warningDays } from '../lib/runtime/monitor';
import { logger, metrics } from '../lib/core/observability';
import { defaultRuntime, type Runtime } from '../lib/runtime/runtime';

export interface DeadlineReport {
  readonly days: number;
  readonly openRequestsNearDeadline: number;
  /** The same, by request kind (erasure, restriction, access). */
  readonly openRequestsNearDeadlineByKind: CountsByKind;
  /** Requests still `received` that this run started. */
  readonly stalledRequestsStarted: number;
}

export function makeHandler(getRuntime: () => Runtime = defaultRuntime) {
  return withPowertools<unknown, DeadlineReport>(
    async () => {
      const rt = getRuntime();
      const days = warningDays(rt);
      // One read of the open index, counted by kind; the total is their sum, so the two always agree.
      const byKind = await countOpenNearDeadlineByKind(rt, days);
      const count = totalOf(byKind);
      metrics.addMetric(METRICS.openRequestsNearDeadline, MetricUnit.Count, count);
      // By kind too: the same metric with a `kind` dimension (the alarm stays on the total).
      for (const [kind, n] of Object.entries(byKind)) {
        metrics.singleMetric().addDimension('kind', kind).addMetric(METRICS.openRequestsNearDeadline, MetricUnit.Count, n);
      }
      logger.info('open requests near their deadline', { days, count, byKind });
      const started = await startStalledRequests(rt);
      if (started > 0) metrics.addMetric('StalledRequestsStarted', MetricUnit.Count, started);
      return { days, openRequestsNearDeadline: count, openRequestsNearDeadlineByKind: byKind, stalledRequestsStarted: started };
    },
    { metrics: true },
  );
}

export const handler = makeHandler();
