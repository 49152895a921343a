/**
 * The requests page: every request from `GET /api/requests`, newest received first, filtered by kind and status or to
 * the open ones due within 7 days, a page at a time (the answer's cursor).
 */
import { useState } from 'preact/hooks';
import type { RequestKind, RequestList, RequestListItem, RequestListQuery } from '../../lib/console/contract';
import { useGet, withQuery } from '../api';
import { DaysLeft, kindText, Load, TableWrap } from '../components';
import { addDays, dateTime } from '../format';
import { type Translate, useLang } from '../i18n';
import { hrefOf } from '../route';

export interface Filters {
  readonly kind: RequestKind | '';
  readonly status: NonNullable<RequestListQuery['status']> | '';
  /** Only open requests due within 7 days (status=open&dueBefore=now+7d). */
  readonly dueThisWeek: boolean;
}

export const NO_FILTERS: Filters = { kind: '', status: '', dueThisWeek: false };

export const PAGE_SIZE = 25;

/** The `GET /api/requests` path of the filters and the page's cursor, at `now`. */
export function listPath(filters: Filters, cursor: string | undefined, now: Date): string {
  const query: RequestListQuery = filters.dueThisWeek
    ? { kind: filters.kind || undefined, status: 'open', dueBefore: addDays(now, 7), limit: PAGE_SIZE, cursor }
    : { kind: filters.kind || undefined, status: filters.status || undefined, limit: PAGE_SIZE, cursor };
  return withQuery('/api/requests', { ...query });
}

/** The statuses offered (`partial` is left out: Lethe stores no such status, so it would always list nothing). */
const STATUS_KEYS = { open: 'statusOpen', completed: 'statusCompleted', failed: 'statusFailed' } as const;

export function FilterForm(props: { readonly filters: Filters; readonly onApply: (filters: Filters) => void }) {
  const { t } = useLang();
  const [draft, setDraft] = useState(props.filters);
  return (
    <form
      class="filters"
      aria-label={t('filters')}
      onSubmit={(event) => {
        event.preventDefault();
        props.onApply(draft);
      }}
    >
      <label>
        {t('filterKind')}
        <select
          name="kind"
          value={draft.kind}
          onChange={(event) => setDraft({ ...draft, kind: event.currentTarget.value as Filters['kind'] })}
        >
          <option value="">{t('filterAny')}</option>
          {(['erasure', 'restriction', 'access'] as const).map((kind) => (
            <option value={kind} key={kind}>
              {kindText(kind, t)}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('filterStatus')}
        <select
          name="status"
          value={draft.status}
          disabled={draft.dueThisWeek}
          onChange={(event) => setDraft({ ...draft, status: event.currentTarget.value as Filters['status'] })}
        >
          <option value="">{t('filterAny')}</option>
          {(Object.keys(STATUS_KEYS) as (keyof typeof STATUS_KEYS)[]).map((status) => (
            <option value={status} key={status}>
              {t(STATUS_KEYS[status])}
            </option>
          ))}
        </select>
      </label>
      <label class="check">
        <input
          type="checkbox"
          name="dueThisWeek"
          checked={draft.dueThisWeek}
          onChange={(event) => setDraft({ ...draft, dueThisWeek: event.currentTarget.checked })}
        />
        {t('dueThisWeek')}
      </label>
      <button type="submit">{t('applyFilters')}</button>
    </form>
  );
}

/** Systems by status, "erased 3, failed 1". */
const systemsText = (systems: RequestListItem['systems']): string =>
  Object.entries(systems)
    .map(([status, count]) => `${status} ${count}`)
    .join(', ');

export function RequestRow(props: { readonly request: RequestListItem; readonly now: Date; readonly t: Translate }) {
  const { lang } = useLang();
  const { request: r, now, t } = props;
  return (
    <tr>
      <td>
        <a href={hrefOf({ page: 'request', kind: r.kind, requestId: r.requestId })}>
          <code>{r.requestId}</code>
        </a>
      </td>
      <td>{kindText(r.kind, t)}</td>
      <td>{r.status}</td>
      <td>{dateTime(r.receivedAt, lang)}</td>
      <td>{dateTime(r.deadline, lang)}</td>
      <td>
        <DaysLeft deadline={r.deadline} status={r.status} now={now} />
      </td>
      <td>{r.extension ? t('extendedBecause', { reason: r.extension.reason }) : ''}</td>
      <td>{systemsText(r.systems)}</td>
    </tr>
  );
}

export function RequestTable(props: { readonly list: RequestList; readonly now: Date }) {
  const { t } = useLang();
  if (props.list.requests.length === 0) return <p class="message">{t('noRequests')}</p>;
  return (
    <TableWrap label={t('requestsCaption')}>
      <table>
        <caption>{t('requestsCaption')}</caption>
        <thead>
          <tr>
            {(
              ['colRequest', 'colKind', 'colStatus', 'colReceived', 'colDeadline', 'colDaysLeft', 'colExtension', 'colSystems'] as const
            ).map((key) => (
              <th scope="col" key={key}>
                {t(key)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.list.requests.map((request) => (
            <RequestRow request={request} now={props.now} t={t} key={request.requestId} />
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

export function Pager(props: {
  readonly page: number;
  readonly next: string | undefined;
  readonly onPrevious: () => void;
  readonly onNext: (cursor: string) => void;
}) {
  const { t } = useLang();
  const { next } = props;
  return (
    <nav class="pager" aria-label={t('pageNumber', { page: props.page })}>
      <button type="button" disabled={props.page === 1} onClick={props.onPrevious}>
        {t('previousPage')}
      </button>
      <span>{t('pageNumber', { page: props.page })}</span>
      <button type="button" disabled={next === undefined} onClick={() => next !== undefined && props.onNext(next)}>
        {t('nextPage')}
      </button>
    </nav>
  );
}

export function RequestsPage() {
  const { t } = useLang();
  const [filters, setFilters] = useState(NO_FILTERS);
  // The cursors of the pages shown so far: the last one is this page's (undefined: the first page).
  const [cursors, setCursors] = useState<readonly (string | undefined)[]>([undefined]);
  // "Now" is fixed when the filters or the page change, so that a re-render does not fetch again.
  const [now, setNow] = useState(() => new Date());
  const loaded = useGet<RequestList>(listPath(filters, cursors[cursors.length - 1], now));
  return (
    <>
      <h1>{t('requestsTitle')}</h1>
      <FilterForm
        filters={filters}
        onApply={(next) => {
          setFilters(next);
          setCursors([undefined]);
          setNow(new Date());
        }}
      />
      <Load loaded={loaded}>
        {(list) => (
          <>
            <RequestTable list={list} now={now} />
            <Pager
              page={cursors.length}
              next={list.cursor}
              onPrevious={() => setCursors(cursors.slice(0, -1))}
              onNext={(cursor) => setCursors([...cursors, cursor])}
            />
          </>
        )}
      </Load>
    </>
  );
}
