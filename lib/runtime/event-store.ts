/**
 * Subject events (contract EVENTS): pk subjectRef, sk `${at}#${type}#${eventId}` with `at` in UTC, so a
 * subject's events come back in time order. An event's id is derived from its content unless the source gives
 * one (EventBridge does), so a repeated delivery writes the same item again instead of a second event.
 *
 * Beside the events, one counter item per subject (sk EVENTS.counterKey): `record` raises its `seq` after the
 * event is written, and `list` reads it before the events, so a list stamped `seq = n` holds every event whose
 * raise made the counter n or less (and perhaps some later ones). subjects.ts builds its ordering on that.
 *
 * Retention: a subject's events are kept while it has an active holding. `retireIfIdle` sets `ttl` on its events
 * and counter when it has none (30 days, EVENTS.idleTtlSeconds); `keep` removes it again when a holding is
 * registered.
 */
import { createHash } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, paginateQuery, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Temporal } from '@js-temporal/polyfill';
import { isConditionFailure } from '../core/dynamodb-errors';
import type { SubjectEvent } from '../retention/expiry';
import { EVENTS } from '../core/contract';
import type { Hold } from '../planner/plan';
import { type HoldItem, isHoldKey, isRestrictionOnly, toHold } from './holds';
import { utcIso } from '../core/time';

export interface EventItem {
  readonly subjectRef: string;
  readonly eventKey: string;
  readonly type: string;
  /** UTC ISO with milliseconds. */
  readonly at: string;
  readonly purpose?: string;
  /**
   * The item the event is about (spec 2.2), as its HMAC (SubjectRefs.itemRef, the same value an item holding is
   * keyed by): matchable to the holding's, never the raw ref.
   */
  readonly ref?: string;
  readonly eventId: string;
  readonly recordedAt: string;
  /** Epoch seconds: set once the subject has no active holding (retireIfIdle). */
  readonly ttl?: number;
}

/** A subject's events, oldest first, with the counter as read just before them. */
export type EventList = SubjectEvent[] & {
  /** The subject's event counter, read before the events: every event counted up to it is in the list. */
  readonly seq: number;
  /** True when some of the subject's items carry a `ttl` (the subject had no active holding). */
  readonly retiring: boolean;
  /** The subject's legal holds (holds.ts), read by the same Query as its events: placed, and released ones. */
  readonly holds: readonly Hold[];
  /** The items of the subject's restriction requests (holds.ts HoldItem.restriction), lifted ones included. */
  readonly restrictions: readonly HoldItem[];
};

/** An EventList of given events (tests, and callers that have the events in hand). */
export function eventList(
  events: readonly SubjectEvent[],
  seq: number,
  retiring = false,
  holds: readonly Hold[] = [],
  restrictions: readonly HoldItem[] = [],
): EventList {
  return Object.assign([...events], { seq, retiring, holds, restrictions });
}

/** The id of an event with no id of its own: a hash of what it says (an item's ref included, when it has one). */
export function contentEventId(event: SubjectEvent): string {
  return createHash('sha256')
    .update(
      `${event.type}\u0000${utcIso(event.at)}\u0000${event.purpose ?? ''}${event.ref === undefined ? '' : `\u0000${event.ref}`}`,
      'utf8',
    )
    .digest('hex')
    .slice(0, 32);
}

export class EventStore {
  public constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /**
   * Writes the event, then raises the subject's counter (in that order: see the module comment). An event's `ref`
   * must be the item's HMAC (SubjectRefs.itemRef), as the ledger's item holdings carry it.
   */
  public async record(subjectRef: string, event: SubjectEvent, now: Temporal.Instant, eventId = contentEventId(event)): Promise<EventItem> {
    const at = utcIso(event.at);
    const item: EventItem = {
      subjectRef,
      eventKey: `${at}#${event.type}#${eventId}`,
      type: event.type,
      at,
      ...(event.purpose === undefined ? {} : { purpose: event.purpose }),
      ...(event.ref === undefined ? {} : { ref: event.ref }),
      eventId,
      recordedAt: utcIso(now),
    };
    await this.ddb.send(new PutCommand({ TableName: this.table, Item: item }));
    await this.ddb.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { [EVENTS.partitionKey]: subjectRef, [EVENTS.sortKey]: EVENTS.counterKey },
        UpdateExpression: 'SET #seq = if_not_exists(#seq, :zero) + :one',
        ExpressionAttributeNames: { '#seq': EVENTS.seqAttribute },
        ExpressionAttributeValues: { ':zero': 0, ':one': 1 },
      }),
    );
    return item;
  }

  /** Every event of the subject, oldest first, stamped with the counter read before them. */
  public async list(subjectRef: string): Promise<EventList> {
    const { Item: counter } = await this.ddb.send(
      new GetCommand({
        TableName: this.table,
        Key: { [EVENTS.partitionKey]: subjectRef, [EVENTS.sortKey]: EVENTS.counterKey },
        ConsistentRead: true,
      }),
    );
    const events: SubjectEvent[] = [];
    const holds: Hold[] = [];
    const restrictions: HoldItem[] = [];
    let retiring = counter?.[EVENTS.ttlAttribute] !== undefined;
    for (const item of await this.items(subjectRef)) {
      if (item.eventKey === EVENTS.counterKey) continue;
      if (isHoldKey(item.eventKey)) {
        const hold = item as unknown as HoldItem;
        // A restriction request's item (holds.ts): a hold only with `keep`; every one tells when it is lifted.
        if (hold.restriction) restrictions.push(hold);
        if (!isRestrictionOnly(hold)) holds.push(toHold(hold));
        continue;
      }
      if (item.ttl !== undefined) retiring = true;
      events.push({
        type: item.type,
        at: Temporal.Instant.from(item.at),
        ...(item.purpose ? { purpose: item.purpose } : {}),
        ...(item.ref ? { ref: item.ref } : {}),
      });
    }
    const seq: unknown = counter?.[EVENTS.seqAttribute];
    return eventList(events, typeof seq === 'number' ? seq : 0, retiring, holds, restrictions);
  }

  /** Removes the `ttl` from every item of the subject (a holding was registered: its events are needed again). */
  public async keep(subjectRef: string): Promise<void> {
    for (const item of await this.items(subjectRef)) {
      if (item.ttl === undefined) continue;
      await this.setTtl(subjectRef, item.eventKey, undefined);
    }
  }

  /**
   * When the subject has no active holding: sets `ttl` on its events and counter, then asks again and takes it
   * back if a holding was registered meanwhile. Set first, ask second: a registration writes its holding first and
   * reads the events second (`keep` when it sees a ttl), so whichever of the two runs last sees the other's write,
   * and no subject with an active holding is left with expiring events. Returns whether the ttl stayed.
   */
  public async retireIfIdle(subjectRef: string, now: Temporal.Instant, hasActiveHolding: () => Promise<boolean>): Promise<boolean> {
    if (await hasActiveHolding()) return false;
    const ttl = Math.floor(now.epochMilliseconds / 1000) + EVENTS.idleTtlSeconds;
    const items = await this.items(subjectRef);
    if (items.length === 0) return false;
    for (const item of items) {
      // A hold in force is kept whatever happens to the events: it covers holdings registered later too.
      if (isHoldKey(item.eventKey) && (item as unknown as HoldItem).releasedAt === undefined) continue;
      if (item.ttl === undefined) await this.setTtl(subjectRef, item.eventKey, ttl);
    }
    if (await hasActiveHolding()) {
      await this.keep(subjectRef);
      return false;
    }
    return true;
  }

  private async setTtl(subjectRef: string, eventKey: string, ttl: number | undefined): Promise<void> {
    await this.ddb
      .send(
        new UpdateCommand({
          TableName: this.table,
          Key: { [EVENTS.partitionKey]: subjectRef, [EVENTS.sortKey]: eventKey },
          UpdateExpression: ttl === undefined ? 'REMOVE #ttl' : 'SET #ttl = :ttl',
          // Never re-create an item TTL has removed meanwhile.
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': EVENTS.partitionKey, '#ttl': EVENTS.ttlAttribute },
          ...(ttl === undefined ? {} : { ExpressionAttributeValues: { ':ttl': ttl } }),
        }),
      )
      .catch((error: unknown) => {
        if (!isConditionFailure(error)) throw error;
      });
  }

  /** Every item under the subject's key (events and counter), all pages, strongly consistent. */
  private async items(subjectRef: string): Promise<EventItem[]> {
    const pages = paginateQuery(
      { client: this.ddb },
      {
        TableName: this.table,
        KeyConditionExpression: '#pk = :ref',
        ExpressionAttributeNames: { '#pk': EVENTS.partitionKey },
        ExpressionAttributeValues: { ':ref': subjectRef },
        ConsistentRead: true,
      },
    );
    const items: EventItem[] = [];
    for await (const page of pages) items.push(...((page.Items ?? []) as EventItem[]));
    return items;
  }
}
