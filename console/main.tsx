/** The console's entry (bin/build-console.js bundles it into dist/console/app.js): renders the app into #app. */
import { render } from 'preact';
import { App } from './app';
import { preferredLang } from './i18n';
import { parseRoute } from './route';

const root = document.getElementById('app');
if (root) {
  render(
    <App initialLang={preferredLang(navigator.languages)} initialRoute={parseRoute(window.location.hash) ?? { page: 'requests' }} />,
    root,
  );
}
