/**
 * Subject events (contract EVENTS): pk subjectRef, sk `${at}#${type}#${eventId}` with `at` in UTC, so a
 * subject's events come back in time order. An event's id is derived from its content unless the source gives
 * one (EventBridge does), so a repeated delivery writes the same item again instead of a second event.
 */
import { createHash } from 'node:crypto';
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { Temporal } from '@js-temporal/polyfill';
import type { SubjectEvent } from '../retention/expiry';
import { EVENTS } from './contract';
import { utcIso } from './time';

export interface EventItem {
  readonly subjectRef: string;
  readonly eventKey: string;
  readonly type: string;
  /** UTC ISO with milliseconds. */
  readonly at: string;
  readonly purpose?: string;
  readonly eventId: string;
  readonly recordedAt: string;
}

/** The id of an event with no id of its own: a hash of what it says. */
export function contentEventId(event: SubjectEvent): string {
  return createHash('sha256')
    .update(`${event.type}\u0000${utcIso(event.at)}\u0000${event.purpose ?? ''}`, 'utf8')
    .digest('hex')
    .slice(0, 32);
}

export class EventStore {
  public constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  public async record(subjectRef: string, event: SubjectEvent, now: Temporal.Instant, eventId = contentEventId(event)): Promise<EventItem> {
    const at = utcIso(event.at);
    const item: EventItem = {
      subjectRef,
      eventKey: `${at}#${event.type}#${eventId}`,
      type: event.type,
      at,
      ...(event.purpose === undefined ? {} : { purpose: event.purpose }),
      eventId,
      recordedAt: utcIso(now),
    };
    await this.ddb.send(new PutCommand({ TableName: this.table, Item: item }));
    return item;
  }

  /** Every event of the subject, oldest first. */
  public async list(subjectRef: string): Promise<SubjectEvent[]> {
    const events: SubjectEvent[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.ddb.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: '#pk = :ref',
          ExpressionAttributeNames: { '#pk': EVENTS.partitionKey },
          ExpressionAttributeValues: { ':ref': subjectRef },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of (page.Items ?? []) as EventItem[]) {
        events.push({ type: item.type, at: Temporal.Instant.from(item.at), ...(item.purpose ? { purpose: item.purpose } : {}) });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return events;
  }
}
