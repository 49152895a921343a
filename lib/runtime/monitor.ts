/**
 * The deadline monitor: how many open requests of every kind (erasure, restriction, access; not completed, failed
 * ones included) are due within `days` days, overdue ones included, in all and by kind. Reads the sparse
 * open-by-deadline index (never a scan).
 *
 * It also starts the workflow of a request the API stored but could not start (the start failed or ran out of
 * its time budget, lib/runtime/api.ts): an open request still `received` STALLED_AFTER_MINUTES after it arrived.
 */
import { GetCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { Temporal } from '@js-temporal/polyfill';
import { RuntimeConfigError } from '../core/errors';
import { ENV, REQUESTS } from '../core/contract';
import { errorName, logger } from '../core/observability';
import { kindOf, REQUEST_KINDS, type RequestItem, type RequestKind } from './requests';
import type { Runtime } from './runtime';
import { utcIso } from '../core/time';

/** How long a request may stay `received` before the monitor starts it (the API and the caller's retries come first). */
export const STALLED_AFTER_MINUTES = 5;

export const DEFAULT_WARNING_DAYS = 7;

export function warningDays(rt: Runtime): number {
  const text = rt.env[ENV.deadlineWarningDays];
  if (text === undefined || text === '') return DEFAULT_WARNING_DAYS;
  const days = Number(text);
  if (!Number.isInteger(days) || days < 0 || days > 365) {
    throw new RuntimeConfigError(`${ENV.deadlineWarningDays} must be a whole number of days from 0 to 365, got "${text}"`);
  }
  return days;
}

/** The open requests within `days` days of their deadline (overdue included), every kind: the sum of the counts by kind. */
export async function countOpenNearDeadline(rt: Runtime, days: number): Promise<number> {
  return totalOf(await countOpenNearDeadlineByKind(rt, days));
}

/** The total of counts by kind. */
export function totalOf(counts: CountsByKind): number {
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}

/** Open requests near their deadline, by kind (every kind present, 0 included). */
export type CountsByKind = Record<RequestKind, number>;

/**
 * The open requests within `days` days of their deadline (overdue included), by kind: the open index's keys (never
 * a scan), then each one's `kind` by a GetItem of that attribute only (the index projects keys only; an item without
 * `kind` is an erasure request). One read per near-deadline request: they are few, and each is a request to answer.
 */
export async function countOpenNearDeadlineByKind(rt: Runtime, days: number): Promise<CountsByKind> {
  const limit = utcIso(rt.now().add({ hours: 24 * days }));
  const table = rt.required(ENV.requestsTable);
  const pages = paginateQuery(
    { client: rt.documents },
    {
      TableName: table,
      IndexName: REQUESTS.openIndex,
      KeyConditionExpression: '#open = :open AND #deadline <= :limit',
      ExpressionAttributeNames: { '#open': REQUESTS.openAttribute, '#deadline': REQUESTS.deadlineAttribute },
      ExpressionAttributeValues: { ':open': REQUESTS.openValue, ':limit': limit },
    },
  );
  const counts = Object.fromEntries(REQUEST_KINDS.map((k) => [k, 0])) as CountsByKind;
  for await (const page of pages) {
    for (const key of page.Items ?? []) {
      const { Item } = await rt.documents.send(
        new GetCommand({
          TableName: table,
          Key: { [REQUESTS.partitionKey]: String(key[REQUESTS.partitionKey]) },
          ProjectionExpression: '#kind',
          ExpressionAttributeNames: { '#kind': 'kind' },
        }),
      );
      counts[kindOf((Item ?? {}) as Pick<RequestItem, 'kind'>)]++;
    }
  }
  return counts;
}

/**
 * Starts the workflow of every open request still `received` STALLED_AFTER_MINUTES after it arrived, and answers
 * how many it started. Starting is idempotent (the execution is named after the request): one that started
 * meanwhile is left alone. A start that fails is logged by its error's name and tried again on the next run.
 */
export async function startStalledRequests(rt: Runtime): Promise<number> {
  const cutoff = rt.now().subtract({ minutes: STALLED_AFTER_MINUTES });
  const pages = paginateQuery(
    { client: rt.documents },
    {
      TableName: rt.required(ENV.requestsTable),
      IndexName: REQUESTS.openIndex,
      KeyConditionExpression: '#open = :open',
      ExpressionAttributeNames: { '#open': REQUESTS.openAttribute },
      ExpressionAttributeValues: { ':open': REQUESTS.openValue },
    },
  );
  let started = 0;
  for await (const page of pages) {
    for (const key of page.Items ?? []) {
      const item = await rt.requests.get(String(key[REQUESTS.partitionKey]));
      if (item?.status !== 'received' || Temporal.Instant.compare(Temporal.Instant.from(item.receivedAt), cutoff) > 0) continue;
      try {
        if (await rt.workflow.start(item.requestId)) {
          started++;
          logger.info('erasure workflow started by the monitor', { requestId: item.requestId });
        }
      } catch (error) {
        logger.warn('starting a stalled erasure request failed; the next run tries again', {
          requestId: item.requestId,
          error: errorName(error),
        });
      }
    }
  }
  return started;
}
