/**
 * The proof page: the audit chain verified (`GET /console-api/audit`): intact, or where it broke; and one request's
 * audit records (`GET /console-api/audit?requestId=`), ids and HMACs only.
 */
import { useState } from 'preact/hooks';
import type { ConsoleAudit } from '../../lib/console/contract';
import { useGet, withQuery } from '../api';
import { Load, TableWrap } from '../components';
import { dateTime } from '../format';
import { useLang } from '../i18n';
import { hrefOf } from '../route';

export function ChainStatus(props: { readonly audit: ConsoleAudit }) {
  const { t, lang } = useLang();
  const { audit } = props;
  return (
    <div class={audit.intact ? 'verdict intact' : 'verdict broken'} role="status">
      <p>
        <strong>
          {audit.intact || !audit.break
            ? t('chainIntact', { records: audit.records })
            : t('chainBroken', { seq: audit.break.seq, kind: audit.break.kind, message: audit.break.message })}
        </strong>
      </p>
      <p>
        {audit.head
          ? t('headChecked', { seq: audit.head.seq })
          : t(audit.headUnchecked === 'no-head-recorded' ? 'headNoneRecorded' : 'headNoTable')}
      </p>
      <p>{t('checkedAt', { at: dateTime(audit.checkedAt, lang) })}</p>
    </div>
  );
}

export function RecordsTable(props: { readonly requestId: string; readonly records: NonNullable<ConsoleAudit['requestRecords']> }) {
  const { t, lang } = useLang();
  if (props.records.length === 0) return <p class="message">{t('noRecords')}</p>;
  const caption = t('recordsCaption', { id: props.requestId });
  return (
    <TableWrap label={caption}>
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col" class="number">
              {t('colSeq')}
            </th>
            <th scope="col">{t('colAt')}</th>
            <th scope="col">{t('colAction')}</th>
            <th scope="col">{t('colSystem')}</th>
            <th scope="col">{t('colOutcome')}</th>
            <th scope="col">{t('colSubjectRef')}</th>
            <th scope="col">{t('colHash')}</th>
          </tr>
        </thead>
        <tbody>
          {props.records.map((r) => (
            <tr key={r.seq}>
              <td class="number">{r.seq}</td>
              <td>{dateTime(r.at, lang)}</td>
              <td>{r.action}</td>
              <td>{r.system ?? ''}</td>
              <td>{r.outcome ?? ''}</td>
              <td>
                <code class="hash">{r.subjectRef}</code>
              </td>
              <td>
                <code class="hash">{r.hash}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

/** The request id form: shows that request's records (its id goes into the route: request ids are no personal data). */
export function RecordsForm(props: { readonly requestId?: string }) {
  const { t } = useLang();
  const [value, setValue] = useState(props.requestId ?? '');
  return (
    <form
      class="inline"
      onSubmit={(event) => {
        event.preventDefault();
        const id = value.trim();
        if (id !== '') window.location.hash = hrefOf({ page: 'proof', requestId: id });
      }}
    >
      <label>
        {t('requestIdLabel')}
        <input
          name="requestId"
          value={value}
          autoComplete="off"
          spellcheck={false}
          onInput={(event) => setValue(event.currentTarget.value)}
        />
      </label>
      <button type="submit">{t('showRecords')}</button>
    </form>
  );
}

export function ProofPage(props: { readonly requestId?: string }) {
  const { t } = useLang();
  const loaded = useGet<ConsoleAudit>(withQuery('/console-api/audit', { requestId: props.requestId }));
  return (
    <>
      <h1>{t('proofTitle')}</h1>
      <Load loaded={loaded}>{(audit) => <ChainStatus audit={audit} />}</Load>
      <h2>{t('requestRecordsTitle')}</h2>
      <RecordsForm requestId={props.requestId} key={props.requestId} />
      {props.requestId !== undefined && (
        <Load loaded={loaded}>{(audit) => <RecordsTable requestId={props.requestId ?? ''} records={audit.requestRecords ?? []} />}</Load>
      )}
    </>
  );
}
