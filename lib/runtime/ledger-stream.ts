/**
 * The ledger tables' stream: DynamoDB TTL deletes an item days after its `ttl`, and the sweep should have
 * erased an active holding long before. When TTL removes a holding that is still active anyway (the sweep did
 * not run, or failed), that removal triggers the holding's erasure here, exactly as the sweep would do it, and
 * the holding is put back: done, or still due if its erasure failed.
 *
 * Which removals are TTL's: on AWS, `userIdentity` is `{type: "Service", principalId: "dynamodb.amazonaws.com"}`.
 * DynamoDB Local sends no `userIdentity` (and an `eventName` of its own), so a removal of an item whose status
 * is `active` and whose `ttl` has passed counts as TTL's too. Removals of finished holdings (TTL's normal
 * clean-up) and any other removal are ignored, except that the removal of a finished holding whose subject has no
 * active holding left lets that subject's events expire (storage limitation, event-store.ts).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { HOLDING_STATUS, LEDGER, METRICS } from '../core/contract';
import { applyExpiry } from './expiry';
import { fromStored, type HoldingRecord, recordKeyOf } from './ledger';
import { logger, metrics } from '../core/observability';
import type { Runtime } from './runtime';

export type StreamOutcome = 'ignored' | 'done' | 'due' | 'not-expired' | 'nothing-found';

const TTL_PRINCIPAL = 'dynamodb.amazonaws.com';

/** The table name in a stream ARN: `arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>`. */
export function tableOfStreamArn(arn: string | undefined): string | undefined {
  const match = /:table\/([^/]+)\//.exec(arn ?? '');
  return match?.[1];
}

/** The holding a record says TTL removed while active, or undefined. */
export function ttlRemovedHolding(rt: Runtime, record: DynamoDBRecord, nowSeconds: number): HoldingRecord | undefined {
  const image = record.dynamodb?.OldImage;
  const isRemoval = record.eventName === 'REMOVE' || (image !== undefined && record.dynamodb?.NewImage === undefined);
  if (!isRemoval || !image) return undefined;
  const old = unmarshall(image as Record<string, AttributeValue>) as Partial<HoldingRecord>;
  if (old.status !== HOLDING_STATUS.active || typeof old.subjectRef !== 'string' || typeof old.system !== 'string') return undefined;
  const identity = record.userIdentity as { type?: unknown; principalId?: unknown } | undefined;
  const byTtl = identity?.type === 'Service' && identity.principalId === TTL_PRINCIPAL;
  const ttl = old[LEDGER.ttlAttribute as 'ttl'];
  const ttlPassed = typeof ttl === 'number' && ttl <= nowSeconds;
  if (!byTtl && !ttlPassed) return undefined;
  const purpose = rt.ledger.purposeOfTable(tableOfStreamArn(record.eventSourceARN) ?? '') ?? old.purpose;
  if (!purpose || !rt.policy.purposes[purpose]) {
    logger.warn('TTL removed an active holding of a purpose the policy does not have', { system: old.system, subjectRef: old.subjectRef });
    return undefined;
  }
  // An item holding's sort key is its record key: read back as its system id and itemRef (ledger.ts, fromStored).
  return fromStored(old, purpose);
}

/** The subject of a removed finished holding (TTL's clean-up, LEDGER.doneTtlSeconds after it finished), or undefined. */
export function removedDoneSubject(record: DynamoDBRecord): string | undefined {
  const image = record.dynamodb?.OldImage;
  const isRemoval = record.eventName === 'REMOVE' || (image !== undefined && record.dynamodb?.NewImage === undefined);
  if (!isRemoval || !image) return undefined;
  const old = unmarshall(image as Record<string, AttributeValue>) as Partial<HoldingRecord>;
  return old.status === HOLDING_STATUS.done && typeof old.subjectRef === 'string' ? old.subjectRef : undefined;
}

/**
 * Handles one stream record: erases a holding TTL removed while active, and puts it back. When a finished holding
 * is removed and its subject has no active holding left, the subject's events get their ttl (event-store.ts).
 */
export async function handleLedgerRecord(rt: Runtime, record: DynamoDBRecord): Promise<StreamOutcome> {
  const now = rt.now();
  const doneSubject = removedDoneSubject(record);
  if (doneSubject !== undefined) {
    const retired = await rt.events.retireIfIdle(
      doneSubject,
      now,
      async () => (await rt.ledger.holdingsOf(doneSubject, { activeOnly: true })).length > 0,
    );
    if (retired) logger.info('a finished subject: its events expire', { subjectRef: doneSubject });
    return 'ignored';
  }
  const holding = ttlRemovedHolding(rt, record, Math.floor(now.epochMilliseconds / 1000));
  if (!holding) return 'ignored';
  const id = record.eventID ?? `${holding.purpose}-${holding.system}-${now.epochMilliseconds}`;
  logger.info('TTL removed an active holding: erasing it', {
    purpose: holding.purpose,
    system: holding.system,
    subjectRef: holding.subjectRef,
  });
  const report = await applyExpiry(rt, [{ subjectRef: holding.subjectRef, removed: holding }], now, { kind: 'ttl', id });
  const outcome = report.removed[`${holding.purpose}/${recordKeyOf(holding.system, holding.itemRef)}/${holding.subjectRef}`] ?? 'ignored';
  // Published by lambdas/ledger-stream.ts (Powertools metrics), alarmed like the sweep's.
  if (report.holdingsNothingFound > 0) metrics.addMetric(METRICS.holdingsNothingFound, MetricUnit.Count, report.holdingsNothingFound);
  logger.info('TTL removal handled', { purpose: holding.purpose, system: holding.system, outcome });
  return outcome;
}
