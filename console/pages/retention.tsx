/**
 * The retention page: each purpose of the policy (`GET /console-api/policy?lang=`: its clock in words and as a picture, legal basis,
 * law, what it waits for, systems) with its holdings by state (`GET /api/retention/holdings`), and what falls due in
 * the next 90 days (`GET /api/retention/calendar?days=90`) as a calendar grid and as a list.
 */
import type { ConsolePolicy, DueCalendar, DurationParts, HoldingStates } from '../../lib/console/contract';
import { useGet, withQuery } from '../api';
import { Load, TableWrap } from '../components';
import { dateTime, day, plusDays, shortDay } from '../format';
import { type Lang, useLang } from '../i18n';

export const CALENDAR_DAYS = 90;

type Counts = HoldingStates['purposes'][string];

/**
 * The count columns, each with its heading and the count it shows: the contract's states, and one column that adds up
 * what needs an operator (quarantined, nothing found), since a DPO asks only whether anything does.
 */
const COUNT_COLUMNS = [
  { key: 'colWaiting', count: (c: Counts) => c.waiting },
  { key: 'colCounting', count: (c: Counts) => c.counting },
  { key: 'colDue', count: (c: Counts) => c.due },
  { key: 'colHeld', count: (c: Counts) => c.held },
  { key: 'colIndefinite', count: (c: Counts) => c.indefinite },
  { key: 'colAttention', count: (c: Counts) => c.quarantined + c.nothingFound },
] as const;

type ConsolePurpose = ConsolePolicy['purposes'][number];

const DURATION_UNITS = [
  ['years', 'year'],
  ['months', 'month'],
  ['weeks', 'week'],
  ['days', 'day'],
  ['hours', 'hour'],
] as const;

/** A duration's parts in words, in the language: "1 year and 6 months", "1 år och 6 månader" (Intl, no word lists). */
export function durationWords(parts: DurationParts, lang: Lang): string {
  const words = DURATION_UNITS.filter(([key]) => parts[key] !== undefined).map(([key, unit]) =>
    new Intl.NumberFormat(lang, { style: 'unit', unit, unitDisplay: 'long' }).format(parts[key]!),
  );
  return new Intl.ListFormat(lang, { style: 'long', type: 'conjunction' }).format(words);
}

/**
 * A purpose's clock as a picture: collection, then what it waits for (dashed), then how long it keeps (solid), then
 * what happens at the end. The words beside it say the same, so screen readers read those (the picture is hidden).
 */
export function ClockPicture(props: { readonly purpose: ConsolePurpose }) {
  const { lang, t } = useLang();
  const p = props.purpose;
  return (
    <div class="clock-picture" aria-hidden="true">
      <span class="clock-node">{t('clockCollected')}</span>
      {p.waitsFor.length > 0 ? <span class="clock-wait">{t('clockWaitsFor', { events: p.waitsFor.join(', ') })}</span> : null}
      {p.indefinite ? (
        <span class="clock-run clock-open">{t('clockIndefinite')}</span>
      ) : (
        <>
          {p.keep ? <span class="clock-run">{durationWords(p.keep, lang)}</span> : null}
          <span class="clock-node clock-end">{t(p.onExpiry === 'anonymise' ? 'clockAnonymised' : 'clockErased')}</span>
        </>
      )}
    </div>
  );
}

export function PurposesTable(props: { readonly policy: ConsolePolicy; readonly holdings?: HoldingStates }) {
  const { t } = useLang();
  return (
    <TableWrap label={t('purposesCaption')}>
      <table>
        <caption>{t('purposesCaption')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('colPurpose')}</th>
            <th scope="col">{t('colClock')}</th>
            <th scope="col">{t('colLegalBasisLaw')}</th>
            <th scope="col">{t('systems')}</th>
            {COUNT_COLUMNS.map(({ key }) => (
              <th scope="col" class="number" key={key}>
                {t(key)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.policy.purposes.map((p) => {
            const counts = props.holdings?.purposes[p.id];
            return (
              <tr key={p.id}>
                <th scope="row">
                  {p.name}
                  <br />
                  <code class="muted">{p.id}</code>
                </th>
                <td>
                  {p.clock}
                  <ClockPicture purpose={p} />
                </td>
                <td>
                  {p.legalBasis}
                  {p.law ? (
                    <>
                      <br />
                      <span class="muted">{p.law}</span>
                    </>
                  ) : null}
                </td>
                <td>{p.systems.join(', ')}</td>
                {COUNT_COLUMNS.map(({ key, count }) => (
                  <td class="number" key={key}>
                    {counts ? count(counts) : '–'}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </TableWrap>
  );
}

/** Per day of the calendar, the holdings due, by purpose. */
export function dueByDay(calendar: DueCalendar): Map<string, { readonly purpose: string; readonly count: number }[]> {
  const days = new Map<string, { purpose: string; count: number }[]>();
  for (const [purpose, entries] of Object.entries(calendar.purposes)) {
    for (const { date, count } of entries) days.set(date, [...(days.get(date) ?? []), { purpose, count }]);
  }
  return days;
}

/** The calendar's weeks, Monday first: each a row of 7 days, null outside the calendar's days. */
export function weeks(from: string, days: number): (string | null)[][] {
  const weekday = (new Date(`${from}T00:00:00Z`).getUTCDay() + 6) % 7; // Monday 0 ... Sunday 6
  const cells: (string | null)[] = [...Array<null>(weekday).fill(null)];
  for (let i = 0; i < days; i++) cells.push(plusDays(from, i));
  while (cells.length % 7 !== 0) cells.push(null);
  const rows: (string | null)[][] = [];
  for (let i = 0; i < cells.length; i += 7) rows.push(cells.slice(i, i + 7));
  return rows;
}

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

export function CalendarGrid(props: { readonly calendar: DueCalendar }) {
  const { t, lang } = useLang();
  const due = dueByDay(props.calendar);
  return (
    <TableWrap label={t('calendarGridCaption')}>
      <table class="calendar">
        <caption>{t('calendarGridCaption')}</caption>
        <thead>
          <tr>
            {WEEKDAYS.map((key) => (
              <th scope="col" key={key}>
                {t(key)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {weeks(props.calendar.from, props.calendar.days).map((week) => (
            <tr key={week.find((d) => d !== null)}>
              {week.map((date, i) => {
                if (date === null) return <td key={i} class="empty" />;
                const total = (due.get(date) ?? []).reduce((sum, e) => sum + e.count, 0);
                return (
                  <td key={date} class={total > 0 ? 'due' : undefined}>
                    <time class="day" dateTime={date}>
                      {shortDay(date, lang)}
                    </time>
                    {total > 0 && <strong class="count">{t('dueOnDay', { count: total })}</strong>}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

/** The same days as a list: one row per day and purpose with something due. */
export function CalendarList(props: { readonly calendar: DueCalendar; readonly names: Readonly<Record<string, string>> }) {
  const { t, lang } = useLang();
  const rows = [...dueByDay(props.calendar)].sort(([a], [b]) => a.localeCompare(b));
  if (rows.length === 0) return <p class="message">{t('nothingDue')}</p>;
  return (
    <TableWrap label={t('calendarListCaption')}>
      <table>
        <caption>{t('calendarListCaption')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('colDate')}</th>
            <th scope="col">{t('colPurpose')}</th>
            <th scope="col" class="number">
              {t('colCount')}
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.flatMap(([date, entries]) =>
            entries.map((e) => (
              <tr key={`${date}:${e.purpose}`}>
                <td>{day(date, lang)}</td>
                <td>{props.names[e.purpose] ?? e.purpose}</td>
                <td class="number">{e.count}</td>
              </tr>
            )),
          )}
        </tbody>
      </table>
    </TableWrap>
  );
}

export function RetentionPage() {
  const { t, lang } = useLang();
  const policy = useGet<ConsolePolicy>(withQuery('/console-api/policy', { lang }));
  const holdings = useGet<HoldingStates>('/api/retention/holdings');
  const calendar = useGet<DueCalendar>(withQuery('/api/retention/calendar', { days: CALENDAR_DAYS }));
  const names = policy.state === 'done' ? Object.fromEntries(policy.data.purposes.map((p) => [p.id, p.name])) : {};
  return (
    <>
      <h1>{t('retentionTitle')}</h1>
      <Load loaded={policy}>
        {(data) => (
          <>
            <PurposesTable policy={data} holdings={holdings.state === 'done' ? holdings.data : undefined} />
            <Load loaded={holdings}>{(counts) => <p class="muted">{t('countsAsOf', { at: dateTime(counts.asOf, lang) })}</p>}</Load>
          </>
        )}
      </Load>
      <h2>{t('calendarTitle', { days: CALENDAR_DAYS })}</h2>
      <Load loaded={calendar}>
        {(data) => (
          <>
            <p>{t('calendarHelp', { timeZone: data.timeZone })}</p>
            <CalendarGrid calendar={data} />
            <CalendarList calendar={data} names={names} />
          </>
        )}
      </Load>
    </>
  );
}
