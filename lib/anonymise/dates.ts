/**
 * `generalise-date`: keeps the year or the month of a date and drops the rest.
 *
 * Accepted: ISO 8601 / RFC 9557 dates and timestamps as Temporal reads them (`1985-07-14`, `19850714`,
 * `1985-07-14T10:00`, `1985-07-14T10:00:00+02:00`, `1985-07-14T08:00:00Z`), a year-month (`1985-07`) and a
 * bare year (`1985`). The date taken is the one *as written*: `1985-12-31T23:30:00-05:00` is in 1985, though
 * it is 1986 in UTC; a `Z` timestamp is read in UTC.
 *
 * Output: ISO 8601 with reduced precision, `1985` (to: year) or `1985-07` (to: month). No made-up day or
 * month is added (`1985-01-01` would claim a precision the value no longer has). A value that is already as
 * coarse as asked, or coarser, is returned unchanged, so the strategy is idempotent: a bare year stays a year
 * even when the month is asked for. Anything else (not a date, a non-ISO calendar) is not generalisable:
 * the caller removes it.
 */
import { Temporal } from '@js-temporal/polyfill';

/** `1985`, or an expanded year (`+012345`, `-000001`) as Temporal writes years outside 0000-9999. */
const BARE_YEAR = /^(?:\d{4}|[+-]\d{6})$/;

export function generaliseDate(text: string, to: 'year' | 'month'): string | undefined {
  if (BARE_YEAR.test(text)) return text;
  const month = yearMonthOf(text);
  if (month === undefined) return undefined;
  const iso = month.toString(); // YYYY-MM, or ±YYYYYY-MM outside years 0000-9999
  return to === 'month' ? iso : iso.slice(0, -3);
}

function yearMonthOf(text: string): Temporal.PlainYearMonth | undefined {
  const asWritten = attempt(() => Temporal.PlainDate.from(text));
  if (asWritten) return asWritten.calendarId === 'iso8601' ? asWritten.toPlainYearMonth() : undefined;
  const yearMonth = attempt(() => Temporal.PlainYearMonth.from(text));
  if (yearMonth) return yearMonth.calendarId === 'iso8601' ? yearMonth : undefined;
  // Plain types refuse `Z`; a `Z` timestamp is an instant, written in UTC.
  const instant = attempt(() => Temporal.Instant.from(text));
  return instant?.toZonedDateTimeISO('UTC').toPlainDate().toPlainYearMonth();
}

function attempt<T>(parse: () => T): T | undefined {
  try {
    return parse();
  } catch {
    return undefined;
  }
}
