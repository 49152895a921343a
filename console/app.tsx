/**
 * The console's frame: a skip link, the page menu, the language switch, and the page the hash names (route.ts). On
 * a change of page the focus moves to the page's main region, so that a screen reader starts there.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { type Lang, LANG_NAMES, LangContext, LANGS, translator } from './i18n';
import type { MessageKey } from './messages/en';
import { ProofPage } from './pages/proof';
import { RegisterPage } from './pages/register';
import { RequestPage } from './pages/request';
import { RequestsPage } from './pages/requests';
import { RetentionPage } from './pages/retention';
import { SubjectPage } from './pages/subject';
import { hrefOf, parseRoute, type Route } from './route';

const MENU: readonly { readonly page: 'requests' | 'retention' | 'register' | 'proof' | 'subject'; readonly label: MessageKey }[] = [
  { page: 'requests', label: 'navRequests' },
  { page: 'retention', label: 'navRetention' },
  { page: 'register', label: 'navRegister' },
  { page: 'proof', label: 'navProof' },
  { page: 'subject', label: 'navSubject' },
];

/** The menu entry a route belongs to (a request's page is under Requests). */
export const menuPage = (route: Route): string => (route.page === 'request' ? 'requests' : route.page);

export function Page(props: { readonly route: Route; readonly notFound: string }) {
  const { route } = props;
  switch (route.page) {
    case 'requests':
      return <RequestsPage />;
    case 'request':
      return <RequestPage kind={route.kind} requestId={route.requestId} key={`${route.kind}/${route.requestId}`} />;
    case 'retention':
      return <RetentionPage />;
    case 'register':
      return <RegisterPage />;
    case 'proof':
      return <ProofPage requestId={route.requestId} key={route.requestId ?? ''} />;
    case 'subject':
      return <SubjectPage />;
    case 'not-found':
      return <p class="message">{props.notFound}</p>;
  }
}

export function Header(props: { readonly lang: Lang; readonly route: Route; readonly onLang: (lang: Lang) => void }) {
  const t = translator(props.lang);
  const current = menuPage(props.route);
  return (
    <header class="site-header no-print">
      <a class="skip-link" href="#main" onClick={(event) => focusMain(event)}>
        {t('skipToContent')}
      </a>
      <p class="app-title">{t('appTitle')}</p>
      <nav aria-label={t('mainNavigation')}>
        <ul class="menu">
          {MENU.map((item) => (
            <li key={item.page}>
              <a href={hrefOf({ page: item.page })} aria-current={current === item.page ? 'page' : undefined}>
                {t(item.label)}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <div class="lang-switch" role="group" aria-label={t('language')}>
        {LANGS.map((lang) => (
          <button type="button" lang={lang} aria-pressed={props.lang === lang} onClick={() => props.onLang(lang)} key={lang}>
            {LANG_NAMES[lang]}
          </button>
        ))}
      </div>
    </header>
  );
}

/** The skip link moves focus to the main region without changing the hash (the hash is the route). */
function focusMain(event: Event): void {
  const main = document.getElementById('main');
  if (!main) return;
  event.preventDefault();
  main.focus();
}

export function App(props: { readonly initialLang: Lang; readonly initialRoute: Route }) {
  const [lang, setLang] = useState(props.initialLang);
  const [route, setRoute] = useState(props.initialRoute);
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  useEffect(() => {
    const onHash = () => {
      const next = parseHash();
      if (next) setRoute(next);
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = translator(lang)('appTitle');
  }, [lang]);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
  }, [route]);
  return (
    <LangContext.Provider value={lang}>
      <Header lang={lang} route={route} onLang={setLang} />
      <main id="main" ref={main} tabIndex={-1}>
        <Page route={route} notFound={translator(lang)('notFoundPage')} />
      </main>
    </LangContext.Provider>
  );
}

/** The route of the page's hash now; `undefined` when the hash is no route. */
const parseHash = (): Route | undefined => parseRoute(window.location.hash);
