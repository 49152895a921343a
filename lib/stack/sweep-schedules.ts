/**
 * EventBridge Scheduler: one schedule per purpose that starts the sweep state machine with `{"purpose": id}` on a
 * cron in the policy's time zone (so "02:00" means 02:00 in Stockholm, summer and winter), and an hourly schedule
 * for the deadline monitor. Every schedule retries, and what still fails lands in an encrypted dead-letter queue.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { TimeZone } from 'aws-cdk-lib/core';
import { Construct } from 'constructs';
import { StackConfigError } from './errors';
import { DeadLetterQueue } from './dead-letter-queue';
import { grantKey } from './grants';
import { acknowledgeNag, arnFinding } from './nag';

export interface SweepSchedulesProps {
  /** The policy's purpose ids: one sweep schedule each. */
  readonly purposes: readonly string[];
  readonly sweepStateMachine: sfn.IStateMachine;
  readonly deadlineMonitor: lambda.IFunction;
  /** IANA time zone of the cron, normally the policy's `timezone`. */
  readonly timeZone: string;
  /**
   * Local hour (0 to 23) at which each purpose is swept, every day.
   * @default 2
   */
  readonly sweepHour?: number;
  /**
   * Local minute (0 to 59) at which each purpose is swept.
   * @default 0
   */
  readonly sweepMinute?: number;
  /**
   * How often the deadline monitor runs.
   * @default Duration.hours(1)
   */
  readonly deadlineMonitorRate?: Duration;
  /**
   * Retries of a failed start before the event goes to the dead-letter queue.
   * @default 5
   */
  readonly retryAttempts?: number;
  /**
   * How long Scheduler keeps retrying an event.
   * @default Duration.hours(6)
   */
  readonly maxEventAge?: Duration;
  /** Key of the dead-letter queue. */
  readonly encryptionKey: kms.IKey;
}

export class SweepSchedules extends Construct {
  /** Purpose id → its sweep schedule. */
  public readonly sweeps: ReadonlyMap<string, scheduler.Schedule>;
  public readonly deadlineMonitorSchedule: scheduler.Schedule;
  public readonly dlq: DeadLetterQueue;
  public readonly role: iam.Role;
  public readonly timeZone: string;

  public constructor(scope: Construct, id: string, props: SweepSchedulesProps) {
    super(scope, id);
    const hour = props.sweepHour ?? 2;
    const minute = props.sweepMinute ?? 0;
    if (!Number.isInteger(hour) || hour < 0 || hour > 23)
      throw new StackConfigError(`SweepSchedules: sweepHour must be 0 to 23; got ${hour}`);
    if (!Number.isInteger(minute) || minute < 0 || minute > 59) {
      throw new StackConfigError(`SweepSchedules: sweepMinute must be 0 to 59; got ${minute}`);
    }
    const retryAttempts = props.retryAttempts ?? 5;
    if (!Number.isInteger(retryAttempts) || retryAttempts < 0 || retryAttempts > 185) {
      throw new StackConfigError(`SweepSchedules: retryAttempts must be 0 to 185; got ${retryAttempts}`);
    }
    if (!isTimeZone(props.timeZone)) throw new StackConfigError(`SweepSchedules: unknown IANA time zone "${props.timeZone}"`);
    this.timeZone = props.timeZone;
    const maxEventAge = props.maxEventAge ?? Duration.hours(6);

    this.dlq = new DeadLetterQueue(this, 'Dlq', {
      encryptionKey: props.encryptionKey,
      purpose: 'sweep and deadline-monitor schedules that could not start their target',
    });
    // One role for every schedule, assumable by Scheduler on behalf of this account only.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'Lethe schedules: start the sweep per purpose and invoke the deadline monitor',
    });

    // Scheduler writes to the encrypted dead-letter queue with this role.
    grantKey(this.role, props.encryptionKey, ['kms:GenerateDataKey', 'kms:Decrypt']);

    const timeZone = TimeZone.of(props.timeZone);
    const sweeps = new Map<string, scheduler.Schedule>();
    for (const purpose of props.purposes) {
      sweeps.set(
        purpose,
        new scheduler.Schedule(this, `Sweep-${purpose}`, {
          description: `Lethe: expiry sweep of purpose "${purpose}", daily at ${pad(hour)}:${pad(minute)} ${props.timeZone}`,
          schedule: scheduler.ScheduleExpression.cron({ minute: String(minute), hour: String(hour), timeZone }),
          target: new targets.StepFunctionsStartExecution(props.sweepStateMachine, {
            input: scheduler.ScheduleTargetInput.fromObject({ purpose }),
            role: this.role,
            deadLetterQueue: this.dlq.queue,
            retryAttempts,
            maxEventAge,
          }),
        }),
      );
    }
    this.sweeps = sweeps;

    this.deadlineMonitorSchedule = new scheduler.Schedule(this, 'DeadlineMonitor', {
      description: 'Lethe: count open erasure requests near their deadline',
      schedule: scheduler.ScheduleExpression.rate(props.deadlineMonitorRate ?? Duration.hours(1)),
      target: new targets.LambdaInvoke(props.deadlineMonitor, {
        role: this.role,
        deadLetterQueue: this.dlq.queue,
        retryAttempts,
        maxEventAge,
      }),
    });
    acknowledgeNag(
      this.role,
      'AwsSolutions-IAM5',
      'The Scheduler target construct also grants the deadline monitor\'s versions and aliases (ARN ":*"); it is still ' +
        'lambda:InvokeFunction on that one function only.',
      [arnFinding(props.deadlineMonitor, ':*')],
    );
  }
}

const pad = (n: number): string => String(n).padStart(2, '0');

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
