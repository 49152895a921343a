/** Renders a console component to HTML in one language (preact-render-to-string: hooks run, effects do not). */
import { type ComponentChild, h } from 'preact';
import { render } from 'preact-render-to-string';
import { type Lang, LangContext } from '../../console/i18n';

export function renderIn(lang: Lang, node: ComponentChild): string {
  return render(h(LangContext.Provider, { value: lang }, node));
}

/** The HTML's text: tags dropped, entities of the renderer decoded, white space folded. */
export function textOf(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/\s+/g, ' ')
    .trim();
}
