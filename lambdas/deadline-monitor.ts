/**
 * Scheduled: publishes METRICS.openRequestsNearDeadline, the number of open erasure requests whose deadline is
 * within LETHE_DEADLINE_WARNING_DAYS days (default 7) or past. The stack alarms on it. It also starts the
 * workflow of any request the API stored but could not start (lib/runtime/monitor.ts, startStalledRequests).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS } from '../lib/core/contract';
import { withPowertools } from '../lib/runtime/handler';
import { countOpenNearDeadline, startStalledRequests, warningDays } from '../lib/runtime/monitor';
import { logger, metrics } from '../lib/core/observability';
import { defaultRuntime, type Runtime } from '../lib/runtime/runtime';

export interface DeadlineReport {
  readonly days: number;
  readonly openRequestsNearDeadline: number;
  /** Requests still `received` that this run started. */
  readonly stalledRequestsStarted: number;
}

export function makeHandler(getRuntime: () => Runtime = defaultRuntime) {
  return withPowertools<unknown, DeadlineReport>(
    async () => {
      const rt = getRuntime();
      const days = warningDays(rt);
      const count = await countOpenNearDeadline(rt, days);
      metrics.addMetric(METRICS.openRequestsNearDeadline, MetricUnit.Count, count);
      logger.info('open erasure requests near their deadline', { days, count });
      const started = await startStalledRequests(rt);
      if (started > 0) metrics.addMetric('StalledRequestsStarted', MetricUnit.Count, started);
      return { days, openRequestsNearDeadline: count, stalledRequestsStarted: started };
    },
    { metrics: true },
  );
}

export const handler = makeHandler();
