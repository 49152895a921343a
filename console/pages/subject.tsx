/**
 * The subject lookup: what Lethe holds about one subject (`GET /api/subjects/{subjectId}`). The id lives in this
 * page's state only: never in the address, the history or any storage; the browser is asked not to remember the
 * field, and the field and the answer are cleared when the page is left (unmounted, or the tab hidden for another
 * page: `pagehide`, so that the back-forward cache does not keep them either).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { SubjectView } from '../answers';
import { ApiError, getJson } from '../api';
import { ErrorMessage, kindText, TableWrap } from '../components';
import { dateTime } from '../format';
import { type Lang, type Translate, useLang } from '../i18n';
import { hrefOf } from '../route';

type Holding = SubjectView['holdings'][number];

/** A holding's expiry: the date, what its clock waits for, indefinitely, or what became of it. */
export function expiryText(h: Holding, t: Translate, lang: Lang): string {
  if (h.status === 'done') return t('finished', { outcome: h.outcome ?? h.status });
  if (h.expiresAt !== null) return dateTime(h.expiresAt, lang);
  if (h.waitingFor && h.waitingFor.length > 0) return t('waitingFor', { events: h.waitingFor.join(', ') });
  if (h.indefinite) return t('indefinitely');
  return t('unknownYet');
}

export function HoldingsTable(props: { readonly holdings: SubjectView['holdings'] }) {
  const { t, lang } = useLang();
  if (props.holdings.length === 0) return <p class="message">{t('noHoldings')}</p>;
  return (
    <TableWrap label={t('holdingsCaption')}>
      <table>
        <caption>{t('holdingsCaption')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('colPurpose')}</th>
            <th scope="col">{t('colSystem')}</th>
            <th scope="col">{t('colRecord')}</th>
            <th scope="col">{t('colExpiry')}</th>
            <th scope="col">{t('colHolds')}</th>
            <th scope="col">{t('colRestrictions')}</th>
          </tr>
        </thead>
        <tbody>
          {props.holdings.map((h, i) => (
            <tr key={i}>
              <th scope="row">{h.purpose}</th>
              <td>{h.system}</td>
              <td>{h.ref ?? h.itemRef ?? ''}</td>
              <td>{expiryText(h, t, lang)}</td>
              <td>{h.holds.length > 0 ? h.holds.join(', ') : t('none')}</td>
              <td>
                {h.restrictions.length === 0
                  ? t('none')
                  : h.restrictions.map((r, j) => (
                      <span key={r.requestId}>
                        {j > 0 && ', '}
                        <RequestLink kind={r.kind} requestId={r.requestId} /> ({kindText(r.kind, t)})
                      </span>
                    ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

const KINDS = ['erasure', 'restriction', 'access'] as const;

/** A request's id, linked to its page when its kind is one the console knows. */
function RequestLink(props: { readonly kind: string; readonly requestId: string }) {
  const kind = KINDS.find((k) => k === props.kind);
  const id = <code>{props.requestId}</code>;
  return kind ? <a href={hrefOf({ page: 'request', kind, requestId: props.requestId })}>{id}</a> : id;
}

export function SubjectRequestsTable(props: { readonly requests: SubjectView['requests'] }) {
  const { t, lang } = useLang();
  if (props.requests.length === 0) return <p class="message">{t('noSubjectRequests')}</p>;
  return (
    <TableWrap label={t('requestsOfSubject')}>
      <table>
        <caption>{t('requestsOfSubject')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('colRequest')}</th>
            <th scope="col">{t('colKind')}</th>
            <th scope="col">{t('colStatus')}</th>
            <th scope="col">{t('colReceived')}</th>
            <th scope="col">{t('colDeadline')}</th>
          </tr>
        </thead>
        <tbody>
          {props.requests.map((r) => (
            <tr key={r.requestId}>
              <td>
                <RequestLink kind={r.kind} requestId={r.requestId} />
              </td>
              <td>{kindText(r.kind, t)}</td>
              <td>{r.status}</td>
              <td>{dateTime(r.receivedAt, lang)}</td>
              <td>{dateTime(r.deadline, lang)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

export function SubjectResult(props: { readonly subject: SubjectView }) {
  const { t, lang } = useLang();
  return (
    <>
      <p class="muted">{t('asOf', { at: dateTime(props.subject.asOf, lang) })}</p>
      <HoldingsTable holdings={props.subject.holdings} />
      <SubjectRequestsTable requests={props.subject.requests} />
    </>
  );
}

type Lookup =
  | { readonly state: 'idle' | 'loading' }
  | { readonly state: 'missing' }
  | { readonly state: 'failed'; readonly error: ApiError }
  | { readonly state: 'done'; readonly subject: SubjectView };

export function SubjectPage() {
  const { t } = useLang();
  const [id, setId] = useState('');
  const [lookup, setLookup] = useState<Lookup>({ state: 'idle' });
  // Each lookup's number: an answer that arrives after the page was cleared or a newer lookup started is dropped.
  const round = useRef(0);
  const clear = () => {
    round.current += 1;
    setId('');
    setLookup({ state: 'idle' });
  };
  useEffect(() => {
    window.addEventListener('pagehide', clear);
    return () => window.removeEventListener('pagehide', clear);
  }, []);
  const submit = async (event: Event) => {
    event.preventDefault();
    const subjectId = id.trim();
    if (subjectId === '') {
      setLookup({ state: 'missing' });
      return;
    }
    round.current += 1;
    const mine = round.current;
    setLookup({ state: 'loading' });
    try {
      const subject = await getJson<SubjectView>(`/api/subjects/${encodeURIComponent(subjectId)}`);
      if (round.current === mine) setLookup({ state: 'done', subject });
    } catch (error) {
      if (round.current === mine)
        setLookup({ state: 'failed', error: error instanceof ApiError ? error : new ApiError(0, 'error', String(error)) });
    }
  };
  return (
    <>
      <h1>{t('subjectTitle')}</h1>
      <p>{t('subjectHelp')}</p>
      <form class="inline" onSubmit={(event) => void submit(event)} autoComplete="off" noValidate>
        <label>
          {t('subjectId')}
          <input
            name="subject"
            value={id}
            autoComplete="off"
            spellcheck={false}
            aria-invalid={lookup.state === 'missing' ? true : undefined}
            onInput={(event) => setId(event.currentTarget.value)}
          />
        </label>
        <button type="submit">{t('lookUp')}</button>
        <button type="button" onClick={clear}>
          {t('clear')}
        </button>
      </form>
      {lookup.state === 'missing' && (
        <p class="message error" role="alert">
          {t('subjectIdMissing')}
        </p>
      )}
      {lookup.state === 'loading' && (
        <p class="message" role="status">
          {t('loading')}
        </p>
      )}
      {lookup.state === 'failed' && <ErrorMessage error={lookup.error} />}
      {lookup.state === 'done' && <SubjectResult subject={lookup.subject} />}
    </>
  );
}
