/**
 * The console's two languages: the messages of each (messages/en.ts, messages/sv.ts), the language in force (a
 * context the app sets from its language switch) and the filling of placeholders.
 */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { en, type MessageKey, type Messages } from './messages/en';
import { sv } from './messages/sv';

export const LANGS = ['en', 'sv'] as const;
export type Lang = (typeof LANGS)[number];

export const MESSAGES: Readonly<Record<Lang, Messages>> = { en, sv };

/** Each language's name, written in that language (the switch shows it so). */
export const LANG_NAMES: Readonly<Record<Lang, string>> = { en: 'English', sv: 'Svenska' };

/** The locale dates and numbers are written in. */
export const LOCALES: Readonly<Record<Lang, string>> = { en: 'en-GB', sv: 'sv-SE' };

export const LangContext = createContext<Lang>('en');

/** `{name}` in `template` replaced by `values.name`; a placeholder without a value stays as written. */
export function fill(template: string, values: Readonly<Record<string, string | number>> = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}

export type Translate = (key: MessageKey, values?: Readonly<Record<string, string | number>>) => string;

export const translator =
  (lang: Lang): Translate =>
  (key, values) =>
    fill(MESSAGES[lang][key], values);

/** The language in force and its translate function, for a component. */
export function useLang(): { readonly lang: Lang; readonly t: Translate } {
  const lang = useContext(LangContext);
  return { lang, t: translator(lang) };
}

/** The browser's preferred language if the console has it, else English. */
export function preferredLang(languages: readonly string[]): Lang {
  for (const tag of languages) {
    const base = tag.toLowerCase().split('-')[0];
    if ((LANGS as readonly string[]).includes(base)) return base as Lang;
  }
  return 'en';
}
