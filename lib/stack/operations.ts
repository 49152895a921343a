/**
 * Operations: an SNS topic (CMK, TLS only) that receives every alarm, the alarms themselves (failed executions
 * of each state machine, dead-letter queue depth, open erasure requests near their deadline, expiries that found no
 * data, errors of the functions nobody waits on), and a CloudWatch dashboard of the whole pipeline.
 */
import { Duration } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { StackConfigError } from './errors';
import { METRICS } from '../core/contract';
import type { DeadLetterQueue } from './dead-letter-queue';

export interface OperationsProps {
  readonly encryptionKey: kms.IKey;
  /** Label → state machine; each gets a failed-executions alarm. */
  readonly stateMachines: Readonly<Record<string, sfn.IStateMachine>>;
  /** Label → dead-letter queue; each gets a depth alarm. */
  readonly deadLetterQueues: Readonly<Record<string, DeadLetterQueue>>;
  /** Label → function whose errors nobody else sees (asynchronous invocations); each gets an errors alarm. */
  readonly unattendedFunctions: Readonly<Record<string, lambda.IFunction>>;
  /** Label → every function, for the dashboard. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  /** POWERTOOLS_SERVICE_NAME of the deadline monitor (the `service` dimension of its metric). */
  readonly deadlineMonitorService: string;
  /** The N of "open requests within N days of their deadline", for the alarm's description. */
  readonly deadlineWarningDays: number;
  /**
   * Label → POWERTOOLS_SERVICE_NAME of a function that applies expiry (sweep-apply, ledger-stream): each gets an
   * alarm on its HoldingsNothingFound metric (a connector found no data where a holding said there was some).
   * @default {} (no such alarm)
   */
  readonly expiryServices?: Readonly<Record<string, string>>;
  readonly api?: apigateway.RestApi;
  /**
   * E-mail address subscribed to the alarms topic.
   * @default undefined (no subscription; subscribe your paging tool to the topic)
   */
  readonly alarmEmail?: string;
  /**
   * POWERTOOLS_SERVICE_NAME of sweep-apply: the `service` dimension of its HoldingsQuarantined metric, which an
   * alarm watches (a holding that failed too many sweeps and is no longer swept).
   * @default 'lethe-sweep-apply'
   */
  readonly sweepApplyService?: string;
}

export class Operations extends Construct {
  public readonly topic: sns.Topic;
  public readonly alarms: readonly cloudwatch.Alarm[];
  public readonly dashboard: cloudwatch.Dashboard;
  /** The deadline monitor's metric, as the alarm reads it. */
  public readonly deadlineMetric: cloudwatch.Metric;

  public constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    if (props.alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(props.alarmEmail)) {
      throw new StackConfigError(`Operations: alarmEmail must be an e-mail address; got "${props.alarmEmail}"`);
    }
    this.topic = new sns.Topic(this, 'AlarmsTopic', {
      displayName: 'Lethe alarms',
      masterKey: props.encryptionKey,
      enforceSSL: true,
    });
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    const action = new cloudwatchActions.SnsAction(this.topic);
    const alarms: cloudwatch.Alarm[] = [];
    const alarm = (alarmId: string, metric: cloudwatch.IMetric, description: string, threshold = 1) => {
      const a = new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      a.addAlarmAction(action);
      alarms.push(a);
      return a;
    };

    for (const [label, machine] of Object.entries(props.stateMachines)) {
      alarm(
        `${label}ExecutionsFailed`,
        machine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }),
        `Lethe ${label}: an execution failed`,
      );
      alarm(
        `${label}ExecutionsTimedOut`,
        machine.metricTimedOut({ period: Duration.minutes(5), statistic: 'Sum' }),
        `Lethe ${label}: an execution timed out`,
      );
    }
    alarm(
      'HoldingsQuarantined',
      new cloudwatch.Metric({
        namespace: METRICS.namespace,
        metricName: METRICS.holdingsQuarantined,
        dimensionsMap: { service: props.sweepApplyService ?? 'lethe-sweep-apply' },
        statistic: 'Sum',
        period: Duration.hours(1),
      }),
      'Lethe Sweep: a holding failed too many sweeps and is quarantined: no longer swept until it is fixed and registered again (docs/reliability.md)',
    );
    for (const [label, dlq] of Object.entries(props.deadLetterQueues)) {
      alarm(
        `${label}DlqDepth`,
        dlq.queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
        `Lethe ${label}: messages in the dead-letter queue (${dlq.purpose})`,
      );
    }
    this.deadlineMetric = new cloudwatch.Metric({
      namespace: METRICS.namespace,
      metricName: METRICS.openRequestsNearDeadline,
      dimensionsMap: { service: props.deadlineMonitorService },
      statistic: 'Maximum',
      period: Duration.hours(1),
    });
    alarm(
      'RequestsNearDeadline',
      this.deadlineMetric,
      `Lethe: open erasure requests within ${props.deadlineWarningDays} days of their Art. 12(3) deadline (or past it)`,
    );
    for (const [label, service] of Object.entries(props.expiryServices ?? {})) {
      alarm(
        `${label}NothingFound`,
        new cloudwatch.Metric({
          namespace: METRICS.namespace,
          metricName: METRICS.holdingsNothingFound,
          dimensionsMap: { service },
          statistic: 'Sum',
          period: Duration.hours(1),
        }),
        `Lethe ${label}: an expiry found no data where a holding said there was some; the holding stays open, flagged nothingFound (docs/reliability.md)`,
      );
    }
    for (const [label, fn] of Object.entries(props.unattendedFunctions)) {
      alarm(`${label}Errors`, fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }), `Lethe ${label}: the function failed`);
    }
    this.alarms = alarms;

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.days(7) });
    const machines = Object.entries(props.stateMachines);
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# Lethe\nErasure requests, expiry sweeps and their failures. Alarms go to the SNS topic **Lethe alarms**.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      ...machines.map(
        ([label, machine]) =>
          new cloudwatch.GraphWidget({
            title: `${label} executions`,
            width: 8,
            left: [
              machine.metricStarted({ period: Duration.hours(1), statistic: 'Sum' }),
              machine.metricSucceeded({ period: Duration.hours(1), statistic: 'Sum' }),
              machine.metricFailed({ period: Duration.hours(1), statistic: 'Sum' }),
            ],
          }),
      ),
      new cloudwatch.GraphWidget({ title: 'Open requests near their deadline', width: 8, left: [this.deadlineMetric] }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Dead-letter queues',
        width: 12,
        left: Object.entries(props.deadLetterQueues).map(([label, dlq]) =>
          dlq.queue.metricApproximateNumberOfMessagesVisible({ label, period: Duration.minutes(5), statistic: 'Maximum' }),
        ),
      }),
      new cloudwatch.GraphWidget({
        title: 'Function errors',
        width: 12,
        left: Object.entries(props.functions).map(([label, fn]) => fn.metricErrors({ label, period: Duration.hours(1), statistic: 'Sum' })),
      }),
    );
    if (props.api) {
      const api = props.api;
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: 'API requests and errors',
          width: 12,
          left: [
            api.metricCount({ period: Duration.hours(1) }),
            api.metricClientError({ period: Duration.hours(1) }),
            api.metricServerError({ period: Duration.hours(1) }),
          ],
        }),
        new cloudwatch.GraphWidget({
          title: 'API latency (p90)',
          width: 12,
          left: [api.metricLatency({ period: Duration.hours(1), statistic: 'p90' })],
        }),
      );
    }
  }
}
