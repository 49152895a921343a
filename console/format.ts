/** Dates as the console writes them, and a request's days left to its deadline. */
import { LOCALES, type Lang } from './i18n';

const DAY_MS = 24 * 60 * 60 * 1000;

/** "4 Dec 2026, 10:00" / "4 dec. 2026 10:00", in the browser's time zone (or `timeZone`). */
export function dateTime(iso: string, lang: Lang, timeZone?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(LOCALES[lang], { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(date);
}

/** A plain day (YYYY-MM-DD) written out: "Fri 4 Dec 2026". */
export function day(date: string, lang: Lang): string {
  const parsed = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(parsed.getTime())) return date;
  return new Intl.DateTimeFormat(LOCALES[lang], {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
  }).format(parsed);
}

/** A plain day in short, for a calendar cell: "4 Dec" / "4 dec.". */
export function shortDay(date: string, lang: Lang): string {
  const parsed = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(parsed.getTime())) return date;
  return new Intl.DateTimeFormat(LOCALES[lang], { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(parsed);
}

/** The request statuses that still run against a deadline. */
export const OPEN_STATUSES: readonly string[] = ['received', 'running'];

export type Urgency = 'closed' | 'overdue' | 'due-soon' | 'later';

/**
 * Where a request stands against its deadline at `now`: whole days left (rounded up: 30 hours is 2 days), negative
 * days past it (rounded down: 1 hour late is 1 day late), and its urgency (due-soon: within 7 days).
 */
export function deadlineState(deadline: string, status: string, now: Date): { readonly urgency: Urgency; readonly days: number } {
  const ms = new Date(deadline).getTime() - now.getTime();
  const days = ms >= 0 ? Math.ceil(ms / DAY_MS) : -Math.ceil(-ms / DAY_MS);
  if (!OPEN_STATUSES.includes(status)) return { urgency: 'closed', days };
  if (ms < 0) return { urgency: 'overdue', days };
  return { urgency: ms <= 7 * DAY_MS ? 'due-soon' : 'later', days };
}

/** `now` + `days` days, as ISO 8601 UTC (the `dueBefore` of "due within 7 days"). */
export const addDays = (now: Date, days: number): string => new Date(now.getTime() + days * DAY_MS).toISOString();

/** The day `n` days after `date` (both YYYY-MM-DD). */
export function plusDays(date: string, n: number): string {
  return new Date(new Date(`${date}T00:00:00Z`).getTime() + n * DAY_MS).toISOString().slice(0, 10);
}
