'use strict';
/**
 * Jest resolver (jest.config.js `resolver`): Preact ships ES modules only (`.mjs`), which Jest, running the tests as
 * CommonJS, refuses to require (ERR_REQUIRE_ESM) before any transform could run. Each Preact `.mjs` file a test
 * reaches (preact, preact/hooks, preact/jsx-runtime, and preact-render-to-string's `require('preact')`) resolves
 * instead to a CommonJS copy made by esbuild, once per Preact version, in node_modules/.cache/lethe-jest-esm/. The
 * copies keep their `require('preact')`, so every importer shares one Preact, as in the browser bundle. Every other
 * path is Jest's own resolution, unchanged.
 */
const { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const path = require('node:path');

const ESM_ONLY = /[\\/]node_modules[\\/]preact[\\/].+\.mjs$/;

/** The CommonJS copy of `file` (an `.mjs` file of the preact package), made on first use. */
function commonJsCopy(file) {
  const packageDir = file.slice(0, file.lastIndexOf(`${path.sep}preact${path.sep}`) + `${path.sep}preact`.length);
  const { version } = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
  const relative = path.relative(packageDir, file).replace(/\.mjs$/, '.js');
  const copy = path.join(packageDir, '..', '.cache', 'lethe-jest-esm', `preact@${version}`, relative);
  if (!existsSync(copy)) {
    const { code } = require('esbuild').transformSync(readFileSync(file, 'utf8'), { format: 'cjs', target: 'node20', loader: 'js' });
    mkdirSync(path.dirname(copy), { recursive: true });
    // Written under another name, then renamed: parallel workers never read half a file.
    const partial = `${copy}.${process.pid}.tmp`;
    writeFileSync(partial, code);
    renameSync(partial, copy);
  }
  return copy;
}

module.exports = (request, options) => {
  const resolved = options.defaultResolver(request, options);
  return ESM_ONLY.test(resolved) ? commonJsCopy(resolved) : resolved;
};
