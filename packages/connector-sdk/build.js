#!/usr/bin/env node
'use strict';
/**
 * Builds @lethe/connector-sdk (`npm run build:sdk` at the root) from its one source, lib/connectors/sdk.ts, and
 * what that imports (the connector framework, the contract, the anonymisation strategies):
 * - dist/index.js: CommonJS, bundled by esbuild with its dependencies (zod, Powertools' logger and Secrets Manager
 *   provider, the Temporal polyfill...), so that the package has no runtime dependencies to install;
 * - dist/index.d.ts: the type declarations, bundled by dts-bundle-generator into one file that imports nothing (the
 *   SDK's public types are the contract's plain interfaces): a TypeScript project needs no other package to check
 *   its connector.
 *
 * `node packages/connector-sdk/build.js DIR` writes DIR/dist instead (the package test builds into a temporary copy).
 * dist/ is generated: never committed.
 */
const { mkdirSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');
const { generateDtsBundle } = require('dts-bundle-generator');

const ROOT = path.join(__dirname, '..', '..');
const ENTRY = path.join(ROOT, 'lib', 'connectors', 'sdk.ts');
const PACKAGE = path.resolve(process.argv[2] ?? __dirname);
const DIST = path.join(PACKAGE, 'dist');

async function main() {
  mkdirSync(DIST, { recursive: true });
  await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [ENTRY],
    outfile: path.join(DIST, 'index.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // ESM entry points first: jsonc-parser's CommonJS `main` is a UMD build whose dynamic require('./impl/format')
    // esbuild cannot follow (as bin/build-cli.js and lib/stack/lethe-function.ts bundle).
    mainFields: ['module', 'main'],
    logLevel: 'warning',
  });

  const [types] = generateDtsBundle(
    [
      {
        filePath: ENTRY,
        // Only what the SDK exports is exported; no `/// <reference types>` (the declarations need only ES2022's lib).
        libraries: { allowedTypesLibraries: [] },
        output: { noBanner: true, exportReferencedTypes: false },
      },
    ],
    { preferredConfigPath: path.join(__dirname, 'tsconfig.json') },
  );
  // A declaration that imports a package (zod, say) would need that package in the user's project: refused.
  const imports = types.split('\n').filter((line) => /^\s*import\b|^\/\/\/ <reference/.test(line));
  if (imports.length > 0) {
    throw new Error(`the SDK's type declarations must import nothing, but they have:\n  ${imports.join('\n  ')}`);
  }
  writeFileSync(path.join(DIST, 'index.d.ts'), `// @lethe/connector-sdk: generated from lib/connectors/sdk.ts\n\n${types}`);
  console.log(`build:sdk: ${path.relative(process.cwd(), DIST) || '.'}/index.js and index.d.ts`);
}

main().catch((error) => {
  console.error(`build:sdk: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
