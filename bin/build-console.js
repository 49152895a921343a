#!/usr/bin/env node
'use strict';
/**
 * Builds the DPO console's front-end (`npm run build:console`, and `prepare` after the CLI): console/main.tsx and
 * everything it imports (Preact included: nothing is loaded from elsewhere) bundled by esbuild into
 * dist/console/app.js, console/app.css into app.css, and console/index.html copied. `lethe console` serves that
 * directory (docs/console.md).
 *
 * `node bin/build-console.js DIR` builds into DIR instead of dist/console/.
 *
 * Without esbuild (an install without devDependencies) nothing is built, and `lethe console` says so.
 */
const { copyFileSync, mkdirSync } = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
/** dist/console/, or the directory given as the one argument (the tests build into a temporary one). */
const OUT = path.resolve(process.argv[2] ?? path.join(ROOT, 'dist', 'console'));

let esbuild;
try {
  esbuild = require('esbuild');
} catch {
  console.log('build:console: esbuild is not installed; the DPO console is not built');
  process.exit(0);
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: { app: 'console/main.tsx' },
    outdir: OUT,
    bundle: true,
    platform: 'browser',
    format: 'iife',
    // Browsers of the last few years (what a DPO's office runs); nothing needs a polyfill.
    target: ['chrome109', 'firefox115', 'safari16', 'edge109'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: 'console/tsconfig.json',
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: { app: 'console/app.css' },
    outdir: OUT,
    bundle: true,
    minify: true,
    logLevel: 'warning',
  });
  copyFileSync(path.join(ROOT, 'console', 'index.html'), path.join(OUT, 'index.html'));
}

main().catch((error) => {
  console.error(`build:console failed: ${error.message}`);
  process.exitCode = 1;
});
