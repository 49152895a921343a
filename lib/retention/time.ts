/**
 * Instants at the boundary: parsing input timestamps (an offset or Z is required) and printing results in
 * the policy's time zone with their offset. All calendar arithmetic itself is Temporal's.
 */
import { Temporal } from '@js-temporal/polyfill';
import { InputError } from '../core/errors';

const HAS_OFFSET = /(?:[zZ]|[+-]\d{2}(?::?\d{2}(?::?\d{2}(?:[.,]\d+)?)?)?)(?:\[[^\]]*\])*$/;
const HAS_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}/;

/**
 * Parses an ISO 8601 instant. A timestamp without an offset or `Z` is rejected, naming it, because its
 * meaning would depend on the machine's time zone.
 */
export function parseInstant(value: unknown, path: string): Temporal.Instant {
  if (typeof value !== 'string') {
    throw new InputError(
      `expected an ISO 8601 timestamp with an offset, e.g. "2024-04-01T09:30:00+02:00", got ${JSON.stringify(value) ?? 'nothing'}`,
      { path },
    );
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(value)) {
    throw new InputError(
      `expected an ISO 8601 timestamp with an offset, e.g. "2024-04-01T09:30:00+02:00" or "2024-03-31T22:00:00Z", got ${JSON.stringify(value)}`,
      { path },
    );
  }
  if (!HAS_TIME.test(value) || !HAS_OFFSET.test(value)) {
    throw new InputError(
      `timestamp "${value}" has no time with an offset or Z; write e.g. "2024-04-01T00:00:00+02:00" or "2024-03-31T22:00:00Z"`,
      { path },
    );
  }
  try {
    return Temporal.Instant.from(value);
  } catch (error) {
    throw new InputError(`"${value}" is not a valid ISO 8601 timestamp (${(error as Error).message})`, { path, cause: error });
  }
}

/** ISO 8601 with the offset, in the given zone, e.g. `2035-04-01T00:00:00+02:00`. */
export function formatInstant(instant: Temporal.Instant | Temporal.ZonedDateTime, timeZone: string): string {
  const zoned = instant instanceof Temporal.ZonedDateTime ? instant.withTimeZone(timeZone) : instant.toZonedDateTimeISO(timeZone);
  return zoned.toString({
    timeZoneName: 'never',
    smallestUnit: zoned.millisecond === 0 && zoned.microsecond === 0 && zoned.nanosecond === 0 ? 'second' : undefined,
  });
}

/** The calendar date in the zone, `2024-04-01`, for explanations. */
export function formatDate(zoned: Temporal.ZonedDateTime): string {
  return zoned.toPlainDate().toString();
}
