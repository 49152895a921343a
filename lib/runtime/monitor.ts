/**
 * The deadline monitor: how many open erasure requests (not completed; failed ones included) are due within
 * `days` days, overdue ones included. Reads the sparse open-by-deadline index (never a scan).
 */
import { paginateQuery } from '@aws-sdk/lib-dynamodb';
import { RuntimeConfigError } from '../errors';
import { ENV, REQUESTS } from './contract';
import type { Runtime } from './runtime';
import { utcIso } from './time';

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

export async function countOpenNearDeadline(rt: Runtime, days: number): Promise<number> {
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
      Select: 'COUNT',
    },
  );
  let count = 0;
  for await (const page of pages) count += page.Count ?? 0;
  return count;
}
