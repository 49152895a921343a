/**
 * The register page: the Art. 30 record of processing activities (`GET /console-api/register?lang=`, lib/register's
 * `buildRegister` as JSON) as tables, in the console's language; printed (or saved as PDF) with the print stylesheet.
 */
import type { ComponentChildren } from 'preact';
import type { Register, RegisterActivity } from '../../lib/register/register';
import { useGet, withQuery } from '../api';
import { Load, TableWrap } from '../components';
import { type Translate, useLang } from '../i18n';

/** A two-column table of an item and its entry. Its caption repeats the heading above it: read out, not shown twice. */
function ItemTable(props: { readonly caption: string; readonly rows: readonly (readonly [string, ComponentChildren])[] }) {
  const { t } = useLang();
  return (
    <TableWrap label={props.caption}>
      <table class="items">
        <caption class="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">{t('itemColumn')}</th>
            <th scope="col">{t('entryColumn')}</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map(([item, entry]) => (
            <tr key={item}>
              <th scope="row">{item}</th>
              <td>{entry}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

const orNone = (items: readonly string[], none: string): string => (items.length === 0 ? none : items.join('; '));

const transfersText = (a: RegisterActivity, t: Translate): string =>
  orNone(
    a.transfers.map((x) => `${x.system} → ${x.location}: ${x.safeguard}`),
    t('noTransfers'),
  );

export function ControllerTable(props: { readonly register: Register }) {
  const { t } = useLang();
  const c = props.register.controller;
  const rows: [string, ComponentChildren][] = [[t('controllerName'), c.name]];
  if (c.id) rows.push([t('organisationNumber'), c.id]);
  rows.push([t('contact'), c.contact]);
  rows.push([t('dpo'), c.dpo ? [c.dpo.name, c.dpo.contact].filter(Boolean).join(', ') : t('none')]);
  rows.push([t('representative'), c.representative ? `${c.representative.name}, ${c.representative.contact}` : t('none')]);
  rows.push([
    t('jointControllers'),
    orNone(
      c.jointControllers.map((j) => `${j.name} (${j.contact}): ${j.responsibility}`),
      t('none'),
    ),
  ]);
  if (c.supervisoryAuthority) rows.push([t('supervisoryAuthority'), c.supervisoryAuthority]);
  return <ItemTable caption={t('controller')} rows={rows} />;
}

export function SummaryTable(props: { readonly register: Register }) {
  const { t } = useLang();
  return (
    <TableWrap label={t('summaryTable')}>
      <table>
        <caption class="visually-hidden">{t('summaryTable')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('number')}</th>
            <th scope="col">{t('colPurpose')}</th>
            <th scope="col">{t('colLegalBasis')}</th>
            <th scope="col">{t('timeLimit')}</th>
            <th scope="col">{t('transfers')}</th>
          </tr>
        </thead>
        <tbody>
          {props.register.activities.map((a, i) => (
            <tr key={a.purpose}>
              <td>{i + 1}</td>
              <th scope="row">
                <a href={`#activity-${a.purpose}`} onClick={(event) => jumpTo(event, `activity-${a.purpose}`)}>
                  {a.title}
                </a>
              </th>
              <td>{a.legalBasis}</td>
              <td>{a.retention}</td>
              <td>{transfersText(a, t)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

/** In-page links move focus to their target without changing the hash (the hash is the route). */
function jumpTo(event: Event, id: string): void {
  const target = typeof document === 'undefined' ? null : document.getElementById(id);
  if (!target) return;
  event.preventDefault();
  target.focus();
  target.scrollIntoView();
}

export function ActivityTable(props: { readonly activity: RegisterActivity; readonly number: number }) {
  const { t } = useLang();
  const a = props.activity;
  const rows: [string, ComponentChildren][] = [
    [t('description'), a.description],
    [t('dataSubjects'), orNone(a.dataSubjects, t('none'))],
    [t('colLegalBasis'), a.law ? `${a.legalBasis}: ${a.law}` : a.legalBasis],
  ];
  if (a.specialCategoryCondition) rows.push([t('specialCondition'), a.specialCategoryCondition.text ?? t('notStated')]);
  rows.push([
    t('dataCategories'),
    orNone(
      a.categories.map((c) => `${c.description ? `${c.id} (${c.description})` : c.id}${c.special ? ` — ${t('specialCategory')}` : ''}`),
      t('none'),
    ),
  ]);
  rows.push([t('recipients'), orNone(a.recipients, t('none'))]);
  rows.push([
    t('systems'),
    orNone(
      a.systems.map((s) => `${s.id}${s.description ? ` (${s.description})` : ''}, ${s.location}${s.processor ? `, ${s.processor}` : ''}`),
      t('none'),
    ),
  ]);
  rows.push([
    t('hostingLocations'),
    orNone(
      a.hostingLocations.map((h) => `${h.location}: ${h.holders.join(', ')}`),
      t('none'),
    ),
  ]);
  rows.push([t('transfers'), transfersText(a, t)]);
  rows.push([t('timeLimit'), a.indefinite ? a.retention : `${a.retention}; ${a.onExpiry}`]);
  rows.push([t('onErasureRequest'), a.retainReason ? `${a.onErasureRequest}: ${a.retainReason}` : a.onErasureRequest]);
  return (
    <section class="activity" id={`activity-${a.purpose}`} tabIndex={-1} aria-labelledby={`activity-${a.purpose}-title`}>
      <h3 id={`activity-${a.purpose}-title`}>
        {props.number}. {a.title}
      </h3>
      <ItemTable caption={a.title} rows={rows} />
    </section>
  );
}

export function RegisterView(props: { readonly register: Register }) {
  const { t } = useLang();
  const r = props.register;
  return (
    <>
      <p class="no-print">
        <button type="button" onClick={() => window.print()}>
          {t('print')}
        </button>
      </p>
      <h2>{t('controller')}</h2>
      <ControllerTable register={r} />
      <h2>{t('summaryTable')}</h2>
      <SummaryTable register={r} />
      <h2>{t('activities')}</h2>
      {r.activities.map((a, i) => (
        <ActivityTable activity={a} number={i + 1} key={a.purpose} />
      ))}
      <h2>{t('security')}</h2>
      <h3>{t('controllerMeasures')}</h3>
      {r.security.controller.length === 0 ? (
        <p>{t('notStated')}</p>
      ) : (
        <ul>
          {r.security.controller.map((m) => (
            <li key={m}>{m}</li>
          ))}
        </ul>
      )}
      <h3>{t('deploymentMeasures')}</h3>
      <ul>
        {r.security.deployment.map((m) => (
          <li key={m}>{m}</li>
        ))}
      </ul>
      <h2>{t('about')}</h2>
      <ItemTable
        caption={t('about')}
        rows={[
          ...(r.date ? [[t('registerDate'), r.date] as const] : []),
          [t('policyHash'), <code key="hash">{r.policyHash}</code>],
          [t('timeZone'), r.timezone],
          [t('fiscalYearEnd'), r.fiscalYearEnd],
        ]}
      />
    </>
  );
}

export function RegisterPage() {
  const { t, lang } = useLang();
  const loaded = useGet<Register>(withQuery('/console-api/register', { lang }));
  return (
    <>
      <h1>{t('registerTitle')}</h1>
      <Load loaded={loaded}>{(register) => <RegisterView register={register} />}</Load>
    </>
  );
}
