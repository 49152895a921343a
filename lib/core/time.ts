/**
 * Instants as the runtime stores them. Keys and indexes hold UTC ISO strings with milliseconds, fixed width so
 * that text order is time order (`2025-05-01T22:00:00.000Z`), or epoch milliseconds; what people read (API
 * answers) is in the policy time zone with its offset (lib/retention/time.ts).
 */
import { Temporal } from '@js-temporal/polyfill';

export function utcIso(instant: Temporal.Instant | Temporal.ZonedDateTime): string {
  const i = instant instanceof Temporal.ZonedDateTime ? instant.toInstant() : instant;
  return i.toString({ smallestUnit: 'millisecond' });
}

export const epochMs = (instant: Temporal.Instant | Temporal.ZonedDateTime): number =>
  instant instanceof Temporal.ZonedDateTime ? instant.epochMilliseconds : instant.epochMilliseconds;

export const epochSeconds = (instant: Temporal.Instant): number => Math.floor(instant.epochMilliseconds / 1000);

export const systemClock = (): Temporal.Instant => Temporal.Now.instant();
