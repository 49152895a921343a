/** Small pieces every page uses: loading and error states, scrollable tables, a request's kind and deadline. */
import type { ComponentChildren } from 'preact';
import type { RequestKind } from '../lib/console/contract';
import type { ApiError, Loaded } from './api';
import { deadlineState } from './format';
import { type Translate, useLang } from './i18n';

/** An API error in words: the API's own message, or what went wrong on the way. */
export function errorText(error: ApiError, t: Translate): string {
  if (error.code === 'network') return t('networkError', { message: error.message });
  if (error.code === 'http') return t('httpError', { status: error.status });
  return error.message;
}

export function ErrorMessage(props: { readonly error: ApiError }) {
  const { t } = useLang();
  return (
    <p class="message error" role="alert">
      {t('errorPrefix', { message: errorText(props.error, t) })}
    </p>
  );
}

/** What was loaded, or that it is loading, or why it failed. */
export function Load<T>(props: { readonly loaded: Loaded<T>; readonly children: (data: T) => ComponentChildren }) {
  const { t } = useLang();
  const { loaded } = props;
  if (loaded.state === 'loading') {
    return (
      <p class="message" role="status">
        {t('loading')}
      </p>
    );
  }
  if (loaded.state === 'failed') return <ErrorMessage error={loaded.error} />;
  return <>{props.children(loaded.data)}</>;
}

/** A table that scrolls sideways on a narrow screen, reachable by keyboard (the region takes focus). */
export function TableWrap(props: { readonly label: string; readonly children: ComponentChildren }) {
  return (
    <div class="table-wrap" role="region" aria-label={props.label} tabIndex={0}>
      {props.children}
    </div>
  );
}

const KIND_KEYS = { erasure: 'kindErasure', restriction: 'kindRestriction', access: 'kindAccess' } as const;

export function kindText(kind: string, t: Translate): string {
  return kind in KIND_KEYS ? t(KIND_KEYS[kind as RequestKind]) : kind;
}

/** Days left to a request's deadline, in words: overdue and due within 7 days say so, and are marked. */
export function DaysLeft(props: { readonly deadline: string; readonly status: string; readonly now: Date }) {
  const { t } = useLang();
  const { urgency, days } = deadlineState(props.deadline, props.status, props.now);
  switch (urgency) {
    case 'closed':
      return <span class="muted">{t('notOpen')}</span>;
    case 'overdue':
      return <strong class="urgency overdue">{t('overdue', { days: -days })}</strong>;
    case 'due-soon':
      return <strong class="urgency due-soon">{t('dueSoon', { days })}</strong>;
    case 'later':
      return <span>{t('daysLeft', { days })}</span>;
  }
}
