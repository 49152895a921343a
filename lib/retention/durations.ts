/**
 * ISO 8601 durations: parsed by Temporal, worded for people ("10 years", "1 year and 6 months").
 */
import { Temporal } from '@js-temporal/polyfill';

const cache = new Map<string, Temporal.Duration>();

/** Parses a duration the schema has already accepted. */
export function parseDuration(iso: string): Temporal.Duration {
  let parsed = cache.get(iso);
  if (!parsed) {
    parsed = Temporal.Duration.from(iso);
    cache.set(iso, parsed);
  }
  return parsed;
}

const UNITS = [
  ['years', 'year'],
  ['months', 'month'],
  ['weeks', 'week'],
  ['days', 'day'],
  ['hours', 'hour'],
  ['minutes', 'minute'],
  ['seconds', 'second'],
] as const;

/** `P10Y` → "10 years"; `P1Y6M` → "1 year and 6 months"; `P0D` → "0 days". */
export function describeDuration(iso: string): string {
  const d = parseDuration(iso);
  const parts = UNITS.filter(([unit]) => d[unit] !== 0).map(([unit, singular]) => `${d[unit]} ${d[unit] === 1 ? singular : unit}`);
  if (parts.length === 0) return '0 days';
  return parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

export function isZero(iso: string): boolean {
  return parseDuration(iso).blank;
}
