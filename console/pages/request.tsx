/**
 * One request's page: `GET /api/<kind>-requests/{id}`, with what became of the data in each system, what is retained
 * and why, and the form that extends its deadline (`POST /api/<kind>-requests/{id}/extend`).
 */
import { useState } from 'preact/hooks';
import type { RequestKind } from '../../lib/console/contract';
import type { ExtendAnswer, ExtendRequest, RequestDetail } from '../answers';
import { ApiError, postJson, useGet } from '../api';
import { DaysLeft, errorText, kindText, Load, TableWrap } from '../components';
import { dateTime, OPEN_STATUSES } from '../format';
import { type Translate, useLang } from '../i18n';
import { hrefOf } from '../route';

const requestPath = (kind: RequestKind, requestId: string): string => `/api/${kind}-requests/${encodeURIComponent(requestId)}`;

/** A retained entry's or holding's "until": the date, what it waits for, or indefinitely. */
export function untilText(
  entry: { readonly until: string | null; readonly waitingFor?: readonly string[]; readonly indefinite?: true },
  t: Translate,
  lang: Parameters<typeof dateTime>[1],
): string {
  if (entry.until !== null) return dateTime(entry.until, lang);
  if (entry.waitingFor && entry.waitingFor.length > 0) return t('waitingFor', { events: entry.waitingFor.join(', ') });
  if (entry.indefinite) return t('indefinitely');
  return t('unknownYet');
}

/** A record's name in a request's answer: its ref while the request is open, its HMAC after; else the subject's. */
const recordName = (entry: { readonly ref?: string; readonly item?: string }): string => entry.ref ?? entry.item ?? '';

export function SystemsTable(props: { readonly systems: RequestDetail['systems'] }) {
  const { t } = useLang();
  if (props.systems.length === 0) return <p class="message">{t('noSystems')}</p>;
  return (
    <TableWrap label={t('systemsCaption')}>
      <table>
        <caption>{t('systemsCaption')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('colSystem')}</th>
            <th scope="col">{t('colRecord')}</th>
            <th scope="col">{t('colOutcome')}</th>
            <th scope="col">{t('colFields')}</th>
            <th scope="col">{t('colError')}</th>
          </tr>
        </thead>
        <tbody>
          {props.systems.map((s, i) => (
            <tr key={i}>
              <th scope="row">{s.system}</th>
              <td>{recordName(s)}</td>
              <td>{s.status}</td>
              <td>{s.fields?.join(', ') ?? ''}</td>
              <td>{s.error ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

export function RetainedTable(props: { readonly retained: RequestDetail['retained'] }) {
  const { t, lang } = useLang();
  if (props.retained.length === 0) return <p class="message">{t('noRetained')}</p>;
  return (
    <TableWrap label={t('retainedCaption')}>
      <table>
        <caption>{t('retainedCaption')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('colPurpose')}</th>
            <th scope="col">{t('colRecord')}</th>
            <th scope="col">{t('colReason')}</th>
            <th scope="col">{t('colUntil')}</th>
          </tr>
        </thead>
        <tbody>
          {props.retained.map((r, i) => (
            <tr key={i}>
              <th scope="row">{r.purpose}</th>
              <td>{recordName(r)}</td>
              <td>{r.reason}</td>
              <td>{untilText(r, t, lang)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

export function RequestSummary(props: { readonly request: RequestDetail; readonly now: Date }) {
  const { t, lang } = useLang();
  const r = props.request;
  return (
    <dl class="summary">
      <dt>{t('colStatus')}</dt>
      <dd>{r.status}</dd>
      {r.subjectId !== undefined && (
        <>
          <dt>{t('subjectId')}</dt>
          <dd>
            <code>{r.subjectId}</code>
          </dd>
        </>
      )}
      <dt>{t('colReceived')}</dt>
      <dd>{dateTime(r.receivedAt, lang)}</dd>
      <dt>{t('colDeadline')}</dt>
      <dd>
        {dateTime(r.deadline, lang)} (<DaysLeft deadline={r.deadline} status={r.status} now={props.now} />)
      </dd>
      <dt>{t('extension')}</dt>
      <dd>{r.extension ? t('extensionText', { months: r.extension.months, reason: r.extension.reason }) : t('none')}</dd>
      {r.kind === 'restriction' && (
        <>
          <dt>{t('restrictionUntil')}</dt>
          <dd>{r.until ? dateTime(r.until, lang) : t('restrictionUntilLifted')}</dd>
          <dt>{t('restrictionKeep')}</dt>
          <dd>{r.keep ? t('yes') : t('no')}</dd>
          <dt>{t('lifted')}</dt>
          <dd>{r.lifted ? t('liftedText', { at: dateTime(r.lifted.at, lang), by: r.lifted.by }) : t('notLifted')}</dd>
        </>
      )}
      {r.kind === 'access' && r.export !== undefined && (
        <>
          <dt>{t('accessExport')}</dt>
          <dd>
            {typeof r.export === 'string' ? (
              r.export
            ) : (
              <>
                <a href={r.export.json.url}>{t('exportJson')}</a>, <a href={r.export.html.url}>{t('exportHtml')}</a>.{' '}
                {t('exportLinks', { at: dateTime(r.export.expiresAt, lang) })}
              </>
            )}
          </dd>
        </>
      )}
    </dl>
  );
}

/** Why a request cannot be extended, or undefined when it can. */
export function cannotExtend(request: RequestDetail, t: Translate): string | undefined {
  if (!OPEN_STATUSES.includes(request.status)) return t('extendClosed');
  if (request.extension) return t('extendedAlready');
  return undefined;
}

type Sending =
  | { readonly state: 'idle' | 'sending' }
  | { readonly state: 'done'; readonly deadline: string }
  | { readonly state: 'failed'; readonly message: string };

export function ExtendForm(props: {
  readonly kind: RequestKind;
  readonly request: RequestDetail;
  readonly onExtended: () => void;
  /** The initial state (tests render each one). */
  readonly initial?: Sending;
}) {
  const { t, lang } = useLang();
  const [months, setMonths] = useState<1 | 2>(1);
  const [reason, setReason] = useState('');
  const [sending, setSending] = useState<Sending>(props.initial ?? { state: 'idle' });
  const refused = cannotExtend(props.request, t);
  const done =
    sending.state === 'done' ? (
      <p class="message success" role="status">
        {t('extendDone', { deadline: dateTime(sending.deadline, lang) })}
      </p>
    ) : null;
  if (refused !== undefined) {
    return (
      <section aria-labelledby="extend-title">
        <h2 id="extend-title">{t('extendTitle')}</h2>
        {done}
        <p class="message">{refused}</p>
      </section>
    );
  }
  const submit = async (event: Event) => {
    event.preventDefault();
    if (reason.trim() === '') {
      setSending({ state: 'failed', message: t('extendReasonMissing') });
      return;
    }
    setSending({ state: 'sending' });
    const body: ExtendRequest = { months, reason: reason.trim() };
    try {
      const answer = await postJson<ExtendAnswer>(`${requestPath(props.kind, props.request.requestId)}/extend`, body);
      setSending({ state: 'done', deadline: answer.deadline });
      props.onExtended();
    } catch (error) {
      const message = error instanceof ApiError ? errorText(error, t) : String(error);
      setSending({ state: 'failed', message: t('extendFailed', { message }) });
    }
  };
  return (
    <section aria-labelledby="extend-title">
      <h2 id="extend-title">{t('extendTitle')}</h2>
      <p>{t('extendHelp')}</p>
      <form class="stack" onSubmit={(event) => void submit(event)} noValidate>
        <label>
          {t('extendMonths')}
          <select name="months" value={String(months)} onChange={(event) => setMonths(event.currentTarget.value === '2' ? 2 : 1)}>
            <option value="1">{t('extendMonth1')}</option>
            <option value="2">{t('extendMonth2')}</option>
          </select>
        </label>
        <label>
          {t('extendReason')}
          <textarea
            name="reason"
            rows={3}
            required
            aria-invalid={sending.state === 'failed' && reason.trim() === '' ? true : undefined}
            value={reason}
            onInput={(event) => setReason(event.currentTarget.value)}
          />
        </label>
        <button type="submit" disabled={sending.state === 'sending'}>
          {sending.state === 'sending' ? t('extendSending') : t('extendSubmit')}
        </button>
        {sending.state === 'failed' && (
          <p class="message error" role="alert">
            {sending.message}
          </p>
        )}
      </form>
    </section>
  );
}

export function RequestDetailView(props: {
  readonly kind: RequestKind;
  readonly request: RequestDetail;
  readonly now: Date;
  readonly onExtended: () => void;
}) {
  const { t } = useLang();
  const { request, kind } = props;
  return (
    <>
      <RequestSummary request={request} now={props.now} />
      <SystemsTable systems={request.systems} />
      <RetainedTable retained={request.retained} />
      <p>
        <a href={hrefOf({ page: 'proof', requestId: request.requestId })}>{t('auditRecordsLink')}</a>
      </p>
      <ExtendForm kind={kind} request={request} onExtended={props.onExtended} />
    </>
  );
}

export function RequestPage(props: { readonly kind: RequestKind; readonly requestId: string }) {
  const { t } = useLang();
  const loaded = useGet<RequestDetail>(requestPath(props.kind, props.requestId));
  return (
    <>
      <p>
        <a href={hrefOf({ page: 'requests' })}>{t('backToRequests')}</a>
      </p>
      <h1>{t('requestTitle', { kind: kindText(props.kind, t), id: props.requestId })}</h1>
      <Load loaded={loaded}>
        {(request) => <RequestDetailView kind={props.kind} request={request} now={new Date()} onExtended={loaded.reload} />}
      </Load>
    </>
  );
}
