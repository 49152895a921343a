/**
 * The custom event bus on which the controller's applications report holdings and subject events (the same
 * facts as POST /subjects/{subjectId}/holdings and /events), and the rule that hands them to
 * lambdas/subject-events.ts. Events carry subject ids, so the bus is encrypted with the customer-managed key, has
 * no archive (no replayable copy of personal data), and failed deliveries go to an encrypted dead-letter queue.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { StackConfigError } from './errors';
import { DeadLetterQueue } from './dead-letter-queue';

export interface SubjectEventsBusProps {
  readonly handler: lambda.IFunction;
  readonly encryptionKey: kms.IKey;
  /**
   * Retries of a failed delivery to the handler before the event goes to the dead-letter queue.
   * @default 8
   */
  readonly retryAttempts?: number;
  /**
   * How long EventBridge keeps retrying an event.
   * @default Duration.hours(24)
   */
  readonly maxEventAge?: Duration;
}

export class SubjectEventsBus extends Construct {
  public readonly bus: events.EventBus;
  public readonly rule: events.Rule;
  public readonly dlq: DeadLetterQueue;

  public constructor(scope: Construct, id: string, props: SubjectEventsBusProps) {
    super(scope, id);
    const retryAttempts = props.retryAttempts ?? 8;
    if (!Number.isInteger(retryAttempts) || retryAttempts < 0 || retryAttempts > 185) {
      throw new StackConfigError(`SubjectEventsBus: retryAttempts must be 0 to 185; got ${retryAttempts}`);
    }
    const stack = Stack.of(this);
    this.dlq = new DeadLetterQueue(this, 'Dlq', {
      encryptionKey: props.encryptionKey,
      purpose: 'subject events the subject-events function could not take',
    });
    this.bus = new events.EventBus(this, 'Bus', {
      description: 'Lethe: holdings and subject events from the controller applications',
      kmsKey: props.encryptionKey,
      deadLetterQueue: this.dlq.queue,
    });
    this.rule = new events.Rule(this, 'ToSubjectEvents', {
      eventBus: this.bus,
      description: 'Every event this account puts on the Lethe bus goes to the subject-events function',
      eventPattern: { account: [stack.account] },
      targets: [
        new eventsTargets.LambdaFunction(props.handler, {
          deadLetterQueue: this.dlq.queue,
          retryAttempts,
          maxEventAge: props.maxEventAge ?? Duration.hours(24),
        }),
      ],
    });
  }

  /** Lets `grantee` (an application's role) put events on the bus. */
  public grantPutEvents(grantee: iam.IGrantable): void {
    this.bus.grantPutEventsTo(grantee);
  }
}
