/** console/app.tsx: the frame (skip link, menu, language switch) and the page each route shows. */
import { h } from 'preact';
import { App, Header, menuPage, Page } from '../../console/app';
import type { Route } from '../../console/route';
import { renderIn, textOf } from './render';

describe('Header', () => {
  it('GIVEN any page THEN the skip link comes first, to the main region', () => {
    const html = renderIn('en', h(Header, { lang: 'en', route: { page: 'requests' }, onLang: () => undefined }));
    expect(html).toMatch(/^<header class="site-header no-print"><a class="skip-link" href="#main">Skip to content<\/a>/);
  });

  it.each<[Route, string]>([
    [{ page: 'requests' }, 'Requests'],
    [{ page: 'request', kind: 'erasure', requestId: 'r' }, 'Requests'],
    [{ page: 'retention' }, 'Retention'],
    [{ page: 'register' }, 'Register'],
    [{ page: 'proof', requestId: 'r' }, 'Proof'],
    [{ page: 'subject' }, 'Subject lookup'],
  ])('GIVEN %j THEN the menu marks %s as the current page, and only it', (route, label) => {
    const html = renderIn('en', h(Header, { lang: 'en', route, onLang: () => undefined }));
    const current = [...html.matchAll(/<a href="[^"]+" aria-current="page">([^<]+)<\/a>/g)].map((m) => m[1]);
    expect(current).toEqual([label]);
    expect(html.match(/<li><a href="#\/[a-z]+"/g)).toHaveLength(5);
  });

  it.each([
    ['en', ['English', 'true'], ['Svenska', 'false']],
    ['sv', ['English', 'false'], ['Svenska', 'true']],
  ] as const)('GIVEN %s THEN the language switch is two buttons in their own language, the current one pressed', (lang, en, sv) => {
    const html = renderIn(lang, h(Header, { lang, route: { page: 'requests' }, onLang: () => undefined }));
    const buttons = [...html.matchAll(/<button type="button" lang="(\w+)" aria-pressed="(\w+)">([^<]+)<\/button>/g)].map((m) => [
      m[3],
      m[2],
    ]);
    expect(buttons).toEqual([en, sv]);
    expect(html).toContain(`aria-label="${lang === 'en' ? 'Language' : 'Språk'}"`);
  });
});

describe('Page', () => {
  it.each<[Route, string]>([
    [{ page: 'requests' }, '<h1>Requests</h1>'],
    [{ page: 'request', kind: 'access', requestId: 'r-1' }, '<h1>Access request r-1</h1>'],
    [{ page: 'retention' }, '<h1>Retention</h1>'],
    [{ page: 'register' }, '<h1>Record of processing activities (Art. 30)</h1>'],
    [{ page: 'proof' }, '<h1>Proof: the audit chain</h1>'],
    [{ page: 'subject' }, '<h1>Subject lookup</h1>'],
  ])('GIVEN %j THEN its page, loading', (route, heading) => {
    const html = renderIn('en', h(Page, { route, notFound: 'none' }));
    expect(html).toContain(heading);
  });

  it('GIVEN no such page THEN it says so', () => {
    expect(renderIn('en', h(Page, { route: { page: 'not-found' }, notFound: 'No such page.' }))).toBe(
      '<p class="message">No such page.</p>',
    );
  });

  it('menuPage puts a request under Requests', () => {
    expect(menuPage({ page: 'request', kind: 'erasure', requestId: 'r' })).toBe('requests');
  });
});

it('App: in Swedish, the header and the page are Swedish, and main is focusable for the skip link', () => {
  const html = renderIn('en', h(App, { initialLang: 'sv', initialRoute: { page: 'retention' } }));
  expect(html).toContain('<main id="main" tabindex="-1"><h1>Lagringstider</h1>');
  expect(textOf(html)).toContain('Hoppa till innehållet');
});
